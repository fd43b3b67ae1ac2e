/*
 * solver_order.c - the nodes in xname order, and their chassis.
 *
 * Node xnames x<cabinet>c<chassis>s<slot>b<bmc>n<node> in tide_xname_cmp's
 * order are the numbers in that order, so each xname becomes one 64-bit key
 * (cabinet 30 bits, then 8 bits per level) and a radix sort orders 100k
 * nodes in about a millisecond.  A chassis is then a run of equal
 * (cabinet, chassis) in that order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "solver_int.h"
#include "xname.h"

#define CABINET_MAX ((1L << 30) - 1)
#define LEVEL_MAX   255

/* x<d>c<d>s<d>b<d>n<d> in normalised form: lower case, no leading zeros. */
static int fast_key(const char *s, uint64_t *key)
{
    static const char letters[] = "xcsbn";
    uint64_t v[5];
    for (int l = 0; l < 5; l++) {
        if (*s++ != letters[l] || *s < '0' || *s > '9' || (*s == '0' && s[1] >= '0' && s[1] <= '9'))
            return -1;
        uint64_t n = 0;
        int digits = 0;
        while (*s >= '0' && *s <= '9' && digits < 10) {
            n = n * 10 + (uint64_t)(*s++ - '0');
            digits++;
        }
        if (n > (l ? (uint64_t)LEVEL_MAX : (uint64_t)CABINET_MAX))
            return -1;
        v[l] = n;
    }
    if (*s)
        return -1;
    *key = v[0] << 32 | v[1] << 24 | v[2] << 16 | v[3] << 8 | v[4];
    return 0;
}

/* Any other spelling tide_xname_parse takes for a node (upper case, leading zeros). */
static int slow_key(const char *s, uint64_t *key, tide_err *e)
{
    tide_xname x;
    if (tide_xname_parse(s, &x) != TIDE_XNAME_NODE)
        return tide_err_set(e, "\"%s\" is not a node xname (x<cabinet>c<chassis>s<slot>b<bmc>n<node>)", s);
    if (x.cabinet > CABINET_MAX || x.chassis > LEVEL_MAX || x.slot > LEVEL_MAX || x.bmc > LEVEL_MAX ||
        x.node > LEVEL_MAX)
        return tide_err_set(e, "node xname %s has a number too large for the pool solver", s);
    *key = (uint64_t)x.cabinet << 32 | (uint64_t)x.chassis << 24 | (uint64_t)x.slot << 16 |
           (uint64_t)x.bmc << 8 | (uint64_t)x.node;
    return 0;
}

int solver_order(const tide_pool_problem *p, size_t *order, uint32_t *chassis, size_t *nchassis, tide_err *e)
{
    size_t n = p->nnodes;
    uint64_t *key = xmalloc(sizeof(uint64_t) * (2 * n + 1)), *key2 = key + n;
    size_t *tmp = xmalloc(sizeof(size_t) * (n + 1));
    uint64_t used_bits = 0;
    int rc = 0;

    for (size_t i = 0; i < n; i++) {
        const char *name = solver_node_name(p, i);
        if (fast_key(name, &key[i]) && slow_key(name, &key[i], e)) {
            rc = -1;
            goto done;
        }
        used_bits |= key[i];
        order[i] = i;
    }
    /* LSD radix sort, one byte per pass, skipping bytes no key uses. */
    for (int shift = 0; shift < 64; shift += 8) {
        if (!((used_bits >> shift) & 0xff))
            continue;
        size_t count[257] = { 0 };
        for (size_t i = 0; i < n; i++)
            count[((key[i] >> shift) & 0xff) + 1]++;
        for (int b = 0; b < 256; b++)
            count[b + 1] += count[b];
        for (size_t i = 0; i < n; i++) {
            size_t at = count[(key[i] >> shift) & 0xff]++;
            key2[at] = key[i];
            tmp[at] = order[i];
        }
        memcpy(key, key2, sizeof(uint64_t) * n);
        memcpy(order, tmp, sizeof(size_t) * n);
    }
    *nchassis = 0;
    for (size_t pos = 0; pos < n; pos++) {
        if (pos && key[pos] == key[pos - 1]) {
            const char *a = solver_node_name(p, order[pos - 1]), *b = solver_node_name(p, order[pos]);
            rc = strcmp(a, b) ? tide_err_set(e, "%s and %s are the same node", a, b)
                              : tide_err_set(e, "node %s is listed twice", a);
            goto done;
        }
        if (!pos || key[pos] >> 24 != key[pos - 1] >> 24)
            (*nchassis)++;
        chassis[pos] = (uint32_t)(*nchassis - 1);
    }
done:
    free(key);
    free(tmp);
    return rc;
}

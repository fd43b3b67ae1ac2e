/*
 * xname.c - see xname.h.  Grammar from hms-xname's xnametypes: a cabinet
 * number, then c/s/b/n (or r, e) levels, then one node-child letter.
 */
#include "xname.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

/* Read digits (at most 9, leading zeros allowed); -1 when there are none. */
static int read_num(const char **s)
{
    const char *p = *s;
    long v = 0;
    int digits = 0;
    while (isdigit((unsigned char)*p) && digits < 10) {
        v = v * 10 + (*p++ - '0');
        digits++;
    }
    if (!digits || digits >= 10 || isdigit((unsigned char)*p))
        return -1;
    *s = p;
    return (int)v;
}

/* Expect letter `l` then a number. */
static int level(const char **s, char l)
{
    if (tolower((unsigned char)**s) != l)
        return -1;
    const char *p = *s + 1;
    int v = read_num(&p);
    if (v >= 0)
        *s = p;
    return v;
}

tide_xname_type tide_xname_parse(const char *s, tide_xname *out)
{
    tide_xname x = { TIDE_XNAME_INVALID, -1, -1, -1, -1, -1, 0, -1 };
    const char *p = s;

    if (out)
        *out = x;
    if (!s || !*s)
        return TIDE_XNAME_INVALID;
    if (!strcasecmp(s, "s0") || !strcasecmp(s, "all")) {
        x.type = TIDE_XNAME_SYSTEM;
        goto done;
    }
    if (tolower((unsigned char)*p) == 'p') {
        p++;
        if (read_num(&p) < 0)
            return TIDE_XNAME_INVALID;
        if (*p == '.') {
            p++;
            if (read_num(&p) < 0)
                return TIDE_XNAME_INVALID;
        }
        if (*p)
            return TIDE_XNAME_INVALID;
        x.type = TIDE_XNAME_PARTITION;
        goto done;
    }
    if ((x.cabinet = level(&p, 'x')) < 0 || x.cabinet > 9999)
        return TIDE_XNAME_INVALID;
    x.type = TIDE_XNAME_CABINET;
    if (!*p)
        goto done;
    if ((x.chassis = level(&p, 'c')) < 0 || x.chassis > 7)
        return TIDE_XNAME_INVALID;
    x.type = TIDE_XNAME_CHASSIS;
    if (!*p)
        goto done;
    if (tolower((unsigned char)*p) == 'r') {
        if (level(&p, 'r') < 0)
            return TIDE_XNAME_INVALID;
        x.type = TIDE_XNAME_ROUTER_MODULE;
        if (!*p)
            goto done;
        if (level(&p, 'b') < 0 || *p)
            return TIDE_XNAME_INVALID;
        x.type = TIDE_XNAME_ROUTER_BMC;
        goto done;
    }
    if ((x.slot = level(&p, 's')) < 0)
        return TIDE_XNAME_INVALID;
    x.type = TIDE_XNAME_SLOT;
    if (!*p)
        goto done;
    if (tolower((unsigned char)*p) == 'e') {
        if (level(&p, 'e') < 0 || *p)
            return TIDE_XNAME_INVALID;
        x.type = TIDE_XNAME_ENCLOSURE;
        goto done;
    }
    if ((x.bmc = level(&p, 'b')) < 0)
        return TIDE_XNAME_INVALID;
    x.type = TIDE_XNAME_BMC;
    if (!*p)
        goto done;
    if ((x.node = level(&p, 'n')) < 0)
        return TIDE_XNAME_INVALID;
    x.type = TIDE_XNAME_NODE;
    if (!*p)
        goto done;
    {
        static const struct { char c; tide_xname_type t; } kids[] = {
            { 'p', TIDE_XNAME_PROCESSOR }, { 'd', TIDE_XNAME_MEMORY }, { 'a', TIDE_XNAME_ACCEL },
            { 'h', TIDE_XNAME_HSN_NIC },  { 'i', TIDE_XNAME_NIC },    { 'r', TIDE_XNAME_ACCEL_RISER },
            { 'g', TIDE_XNAME_DRIVE },
        };
        char c = (char)tolower((unsigned char)*p);
        size_t k;
        for (k = 0; k < sizeof(kids) / sizeof(kids[0]) && kids[k].c != c; k++)
            ;
        if (k == sizeof(kids) / sizeof(kids[0]) || (x.child_index = level(&p, c)) < 0)
            return TIDE_XNAME_INVALID;
        x.child = c;
        x.type = kids[k].t;
        if (c == 'g') {  /* drives: ...g0k0 */
            if (level(&p, 'k') < 0)
                return TIDE_XNAME_INVALID;
        }
        if (*p)
            return TIDE_XNAME_INVALID;
    }
done:
    if (out)
        *out = x;
    return x.type;
}

int tide_xname_normalize_buf(const char *s, char *buf, size_t size)
{
    if (tide_xname_parse(s, NULL) == TIDE_XNAME_INVALID)
        return -1;
    if (!strcasecmp(s, "all")) {
        if (size < 4)
            return -1;
        strcpy(buf, "all");
        return 0;
    }
    /* Lower-case letters, numbers without leading zeros. */
    size_t o = 0;
    for (const char *p = s; *p;) {
        if (isdigit((unsigned char)*p)) {
            while (*p == '0' && isdigit((unsigned char)p[1]))
                p++;
            while (isdigit((unsigned char)*p)) {
                if (o + 1 >= size)
                    return -1;
                buf[o++] = *p++;
            }
        } else {
            if (o + 1 >= size)
                return -1;
            buf[o++] = (char)tolower((unsigned char)*p++);
        }
    }
    buf[o] = '\0';
    return 0;
}

char *tide_xname_normalize(const char *s)
{
    char buf[128];
    return s && strlen(s) < sizeof(buf) && !tide_xname_normalize_buf(s, buf, sizeof(buf)) ? xstrdup(buf) : NULL;
}

const char *tide_xname_type_name(tide_xname_type t)
{
    static const char *const names[] = {
        "INVALID", "System", "Partition", "Cabinet", "Chassis", "ComputeModule", "NodeBMC", "Node",
        "Processor", "Memory", "NodeAccel", "NodeHsnNic", "NodeNic", "NodeAccelRiser", "Drive",
        "RouterModule", "RouterBMC", "NodeEnclosure",
    };
    return (unsigned)t < sizeof(names) / sizeof(names[0]) ? names[t] : "INVALID";
}

int tide_xname_node_of(const char *s, char *buf, size_t size)
{
    tide_xname x;
    if (tide_xname_parse(s, &x) < TIDE_XNAME_NODE || x.type > TIDE_XNAME_DRIVE)
        return -1;
    int n = snprintf(buf, size, "x%dc%ds%db%dn%d", x.cabinet, x.chassis, x.slot, x.bmc, x.node);
    return n > 0 && (size_t)n < size ? 0 : -1;
}

int tide_xname_prefix(const char *s, int lvl, char *buf, size_t size)
{
    tide_xname x;
    int n;
    if (tide_xname_parse(s, &x) < TIDE_XNAME_CABINET)
        return -1;
    switch (lvl) {
    case 1: n = snprintf(buf, size, "x%d", x.cabinet); break;
    case 2: n = x.chassis < 0 ? -1 : snprintf(buf, size, "x%dc%d", x.cabinet, x.chassis); break;
    case 3: n = x.slot < 0 ? -1 : snprintf(buf, size, "x%dc%ds%d", x.cabinet, x.chassis, x.slot); break;
    case 4: n = x.bmc < 0 ? -1 : snprintf(buf, size, "x%dc%ds%db%d", x.cabinet, x.chassis, x.slot, x.bmc); break;
    default: n = -1;
    }
    return n > 0 && (size_t)n < size ? 0 : -1;
}

int tide_xname_distance(const char *a, const char *b)
{
    tide_xname x, y;
    if (tide_xname_parse(a, &x) < TIDE_XNAME_CABINET || tide_xname_parse(b, &y) < TIDE_XNAME_CABINET)
        return -1;
    if (x.cabinet != y.cabinet)
        return 4;
    if (x.chassis != y.chassis)
        return 3;
    if (x.slot != y.slot)
        return 2;
    if (x.bmc != y.bmc)
        return 1;
    return 0;
}

int tide_xname_cmp(const char *a, const char *b)
{
    /* Natural order: compare digit runs by value, everything else by character. */
    while (*a && *b) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            char *ea, *eb;
            unsigned long va = strtoul(a, &ea, 10), vb = strtoul(b, &eb, 10);
            if (va != vb)
                return va < vb ? -1 : 1;
            a = ea;
            b = eb;
        } else {
            int ca = tolower((unsigned char)*a), cb = tolower((unsigned char)*b);
            if (ca != cb)
                return ca < cb ? -1 : 1;
            a++;
            b++;
        }
    }
    return *a ? 1 : *b ? -1 : 0;
}

const char *tide_xname_or_self(const char *s, char *buf, size_t size)
{
    return tide_xname_normalize_buf(s, buf, size) ? s : buf;
}

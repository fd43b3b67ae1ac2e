/* pool_plan.c - see pool_plan.h. */
#include "pool_plan.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "strbuf.h"

/* One group membership of a candidate: `group` is -1 for the target, else the parent's index. */
typedef struct membership {
    const char *xname;   /* borrowed from the group */
    int         group;
} membership;

/* By name, then the target before the parents, parents in the order given.  (Byte order, not
 * xname order: this only finds duplicates, and strcmp is what bsearch below needs.) */
static int membership_cmp(const void *a, const void *b)
{
    const membership *x = a, *y = b;
    int c = strcmp(x->xname, y->xname);
    return c ? c : (x->group > y->group) - (x->group < y->group);
}

static int membership_key_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const membership *)elem)->xname);
}

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int check_parents(const tide_pattern *pat, const tide_group *parents, size_t nparents, tide_err *e)
{
    if (!nparents)
        return tide_err_set(e, "pool %s: no parent group to take nodes from", pat->group);
    for (size_t i = 0; i < nparents; i++) {
        if (!strcasecmp(parents[i].label, pat->group))
            return tide_err_set(e, "pool %s: the target group cannot also be a parent group", pat->group);
        for (size_t j = 0; j < i; j++)
            if (!strcasecmp(parents[i].label, parents[j].label))
                return tide_err_set(e, "pool %s: parent group %s is given twice", pat->group, parents[i].label);
    }
    return 0;
}

/*
 * Every membership of the target and the parents, sorted, so that the entries of one node are
 * adjacent (target first).  Sorting keeps this O(n log n); a scan of each group per node would be
 * quadratic, which a 10k-node free pool feels.
 */
static membership *collect(const tide_group *target, const tide_group *parents, size_t nparents, size_t *n)
{
    size_t total = target ? target->nmembers : 0;
    for (size_t p = 0; p < nparents; p++)
        total += parents[p].nmembers;
    membership *m = xmalloc(sizeof(*m) * (total + 1));
    *n = 0;
    for (size_t i = 0; target && i < target->nmembers; i++)
        m[(*n)++] = (membership){ target->members[i], -1 };
    for (size_t p = 0; p < nparents; p++)
        for (size_t i = 0; i < parents[p].nmembers; i++)
            m[(*n)++] = (membership){ parents[p].members[i], (int)p };
    qsort(m, *n, sizeof(*m), membership_cmp);
    return m;
}

int tide_pool_plan_groups(const tide_pattern *pat, int keep, const tide_group *target,
                          const tide_group *parents, size_t nparents, const tide_inventory *inv,
                          tide_pool_planned *out, tide_err *e)
{
    memset(out, 0, sizeof(*out));
    if (check_parents(pat, parents, nparents, e))
        return -1;

    size_t nm, nc = 0;
    membership *m = collect(target, parents, nparents, &nm);
    /* One entry per node: the first of its run says whether it is in the target; the source of
     * a node pulled in is the first parent listing it. */
    membership *cand = xmalloc(sizeof(*cand) * (nm + 1));
    tide_node_hw *hw = xcalloc(nm + 1, sizeof(*hw));
    unsigned char *in_target = xcalloc(nm + 1, 1);
    for (size_t i = 0, j; i < nm; i = j) {
        int source = -1;
        for (j = i; j < nm && !strcmp(m[j].xname, m[i].xname); j++)
            if (source < 0 && m[j].group >= 0)
                source = m[j].group;
        in_target[nc] = m[i].group < 0;
        cand[nc] = (membership){ m[i].xname, source };
        const tide_node_hw *h = tide_inventory_find(inv, m[i].xname);
        if (h)
            hw[nc] = *h;           /* shallow: the problem copies what it needs */
        hw[nc].xname = (char *)m[i].xname;
        nc++;
    }
    free(m);

    int64_t t0 = now_us();
    tide_pool_problem *prob = tide_pool_problem_new(pat->group);
    tide_pool_set_keep(prob, keep);
    int rc = tide_pool_problem_from_hw(prob, pat, hw, in_target, nc, e);
    if (!rc)
        rc = tide_pool_solve(prob, &out->plan, e);
    out->solve_us = now_us() - t0;
    tide_pool_problem_free(prob);
    free(hw);
    free(in_target);
    if (rc) {
        free(cand);
        memset(out, 0, sizeof(*out));
        return -1;
    }

    out->target = xstrdup(pat->group);
    out->target_exists = target != NULL;
    out->parents = xcalloc(nparents, sizeof(char *));
    for (size_t p = 0; p < nparents; p++)
        out->parents[out->nparents++] = xstrdup(parents[p].label);
    out->ncandidates = nc;
    out->remove_to = out->parents[0];
    out->add_from = xcalloc(out->plan.nadd + 1, sizeof(char *));
    for (size_t i = 0; i < out->plan.nadd; i++) {
        const membership *c = bsearch(out->plan.add[i], cand, nc, sizeof(*cand), membership_key_cmp);
        /* Every added node is a candidate outside the target, so it has a parent. */
        out->add_from[i] = c && c->group >= 0 ? out->parents[c->group] : out->parents[0];
    }
    free(cand);
    return 0;
}

void tide_pool_planned_free(tide_pool_planned *p)
{
    if (!p)
        return;
    free(p->target);
    tide_strv_free(p->parents, p->nparents);
    free(p->add_from);
    tide_pool_plan_free(&p->plan);
    memset(p, 0, sizeof(*p));
}

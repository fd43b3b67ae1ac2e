/*
 * solver_search.c - levels a) to c): how many nodes of each group to take.
 *
 * waste(S) = sum_c (supply_c(S) - r_c) / supply_c(C) = sum_{i in S} w_i - const,
 * with w_i = sum_c a_ic / supply_c(C): every node carries a fixed waste
 * weight, so a node's identity matters to a) and b) only through its
 * requested supply and its weight, and to c) only through its membership.
 * Profiles (nodes with the same supply vector) therefore merge into groups:
 *   EMPTY  profiles supplying nothing at all (weight 0): taking T's members
 *          and nothing else costs no waste and no move;
 *   IDLE   profiles supplying only types nobody asked for: every such node
 *          adds waste and meets nothing, so none is taken;
 *   USEFUL profiles with the same requested supply and exactly the same
 *          weight, one group each.
 * For a count K_g of a useful group, min(K_g, |T_g|) of T's members are the
 * ones taken: any other split costs more moves (and, with keep, pulls more).
 *
 * The search is an integer covering program over K: with keep, first the
 * fewest nodes pulled in (P*), then the least waste subject to pulling P*.
 * Branch and bound (solver_ip.c) hands over every count vector whose waste
 * is within a margin of the best; each is compared exactly (solver_exact.c)
 * on waste, then moves, and all that tie on both are kept for d) and e).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "solver_int.h"

#define SEARCH_NODE_LIMIT 2000000   /* relaxations; real sites need tens to thousands */

/* The exact sign of waste(x) - waste(y) for two weight-carrying count vectors over profiles. */
static int waste_cmp_profiles(const pool_state *s, size_t p, size_t q)
{
    int64_t *num = xmalloc(sizeof(int64_t) * (s->nact + 1));
    for (size_t c = 0; c < s->nact; c++)
        num[c] = s->a[p * s->nact + c] - s->a[q * s->nact + c];
    int sign = solver_exact_sign(num, s->supply, s->nact);
    free(num);
    return sign;
}

static int short_types(const tide_pool_problem *p, const int64_t *supply, tide_err *e)
{
    strbuf b = STRBUF_INIT;
    for (size_t t = 0; t < p->ntypes; t++)
        if (p->requested[t] > supply[t])
            strbuf_printf(&b, "%s%s wanted %lld, available %lld", b.len ? "; " : "", p->type_name[t],
                          (long long)p->requested[t], (long long)supply[t]);
    if (!b.len)
        return 0;
    tide_err_set(e, "not enough hardware%s%s among the %zu candidate node%s: %s", p->label ? " for pool " : "",
                 p->label ? p->label : "", p->nnodes, p->nnodes == 1 ? "" : "s", strbuf_str(&b));
    strbuf_free(&b);
    return -1;
}

/* Profiles per requested supply vector, for grouping: order by that vector, then by weight. */
typedef struct prof_key {
    const int64_t *req;    /* requested supply, nreq long */
    size_t         nreq;
    double         w;
    size_t         profile;
} prof_key;

static int prof_key_cmp(const void *x, const void *y)
{
    const prof_key *a = x, *b = y;
    for (size_t j = 0; j < a->nreq; j++)
        if (a->req[j] != b->req[j])
            return a->req[j] < b->req[j] ? -1 : 1;
    if (a->w != b->w)
        return a->w < b->w ? -1 : 1;
    return a->profile < b->profile ? -1 : a->profile > b->profile;
}

static size_t new_group(pool_state *s, int kind, size_t rep)
{
    size_t g = s->ngroups++;
    s->gkind[g] = kind;
    s->grep[g] = rep;
    return g;
}

static void make_groups(pool_state *s, const int64_t *prof_t, const int64_t *prof_f)
{
    size_t np = s->p->nprofiles;
    int64_t *reqv = xcalloc(np * s->nreq + 1, sizeof(int64_t));
    prof_key *keys = xmalloc(sizeof(*keys) * (np + 1));
    size_t nkeys = 0, empty = SIZE_MAX, idle = SIZE_MAX;

    s->group_of = xmalloc(sizeof(uint32_t) * (np + 1));
    s->gkind = xmalloc(sizeof(int) * (np + 1));
    s->grep = xmalloc(sizeof(size_t) * (np + 1));
    s->gt = xcalloc(np + 1, sizeof(int64_t));
    s->gf = xcalloc(np + 1, sizeof(int64_t));
    for (size_t pr = 0; pr < np; pr++) {
        int64_t any = 0, asked = 0;
        for (size_t c = 0; c < s->nact; c++)
            any |= s->a[pr * s->nact + c];
        for (size_t j = 0; j < s->nreq; j++) {
            reqv[pr * s->nreq + j] = s->a[pr * s->nact + s->req_act[j]];
            asked |= reqv[pr * s->nreq + j];
        }
        if (!any) {
            if (empty == SIZE_MAX)
                empty = new_group(s, GROUP_EMPTY, pr);
            s->group_of[pr] = (uint32_t)empty;
        } else if (!asked) {
            if (idle == SIZE_MAX)
                idle = new_group(s, GROUP_IDLE, pr);
            s->group_of[pr] = (uint32_t)idle;
        } else {
            keys[nkeys++] = (prof_key){ reqv + pr * s->nreq, s->nreq, s->w[pr], pr };
        }
    }
    qsort(keys, nkeys, sizeof(*keys), prof_key_cmp);
    /* Within a run of equal requested supply, profiles whose weights are exactly equal share a group. */
    for (size_t i = 0, run = 0; i < nkeys; i++) {
        if (i && memcmp(keys[i].req, keys[i - 1].req, sizeof(int64_t) * s->nreq))
            run = i;
        size_t g = SIZE_MAX;
        for (size_t k = run; k < i && g == SIZE_MAX; k++) {
            size_t other = s->group_of[keys[k].profile];
            if (s->grep[other] == keys[k].profile && !waste_cmp_profiles(s, keys[i].profile, keys[k].profile))
                g = other;
        }
        if (g == SIZE_MAX)
            g = new_group(s, GROUP_USEFUL, keys[i].profile);
        s->group_of[keys[i].profile] = (uint32_t)g;
    }
    for (size_t pr = 0; pr < np; pr++) {
        s->gt[s->group_of[pr]] += prof_t[pr];
        s->gf[s->group_of[pr]] += prof_f[pr];
    }
    s->use = xmalloc(sizeof(size_t) * (s->ngroups + 1));
    for (size_t g = 0; g < s->ngroups; g++)
        if (s->gkind[g] == GROUP_USEFUL)
            s->use[s->nuse++] = g;
    free(reqv);
    free(keys);
}

int solver_prepare(pool_state *s, const tide_pool_problem *p, tide_err *e)
{
    size_t np = p->nprofiles;
    memset(s, 0, sizeof(*s));
    s->p = p;
    int64_t *prof_t = xcalloc(np + 1, sizeof(int64_t)), *prof_f = xcalloc(np + 1, sizeof(int64_t));
    int64_t *supply = xcalloc(p->ntypes + 1, sizeof(int64_t));
    long *act_of = xmalloc(sizeof(long) * (p->ntypes + 1));
    int rc = -1;

    for (size_t i = 0; i < p->nnodes; i++)
        (p->in_target[i] ? prof_t : prof_f)[p->profile[i]]++;
    for (size_t pr = 0; pr < np; pr++) {
        for (size_t k = p->prof_start[pr]; k < p->prof_start[pr + 1]; k++) {
            supply[p->pair_type[k]] += (prof_t[pr] + prof_f[pr]) * p->pair_count[k];
            if (supply[p->pair_type[k]] > SOLVER_MAX_SUPPLY) {
                tide_err_set(e, "the candidate nodes hold more than %lld of %s: too many for the pool solver",
                             (long long)SOLVER_MAX_SUPPLY, p->type_name[p->pair_type[k]]);
                goto done;
            }
        }
    }
    if (short_types(p, supply, e))
        goto done;

    s->act_type = xmalloc(sizeof(size_t) * (p->ntypes + 1));
    s->supply = xmalloc(sizeof(int64_t) * (p->ntypes + 1));
    s->req_act = xmalloc(sizeof(size_t) * (p->ntypes + 1));
    s->req = xmalloc(sizeof(int64_t) * (p->ntypes + 1));
    for (size_t t = 0; t < p->ntypes; t++) {
        act_of[t] = -1;
        if (supply[t] > 0) {
            act_of[t] = (long)s->nact;
            s->act_type[s->nact] = t;
            s->supply[s->nact++] = supply[t];
        }
    }
    for (size_t t = 0; t < p->ntypes; t++) {
        if (p->requested[t] > 0) {
            s->req_act[s->nreq] = (size_t)act_of[t];
            s->req[s->nreq++] = p->requested[t];
        }
    }
    s->a = xcalloc(np * s->nact + 1, sizeof(int64_t));
    s->w = xcalloc(np + 1, sizeof(double));
    for (size_t pr = 0; pr < np; pr++) {
        for (size_t k = p->prof_start[pr]; k < p->prof_start[pr + 1]; k++) {
            long c = act_of[p->pair_type[k]];
            if (c >= 0)
                s->a[pr * s->nact + (size_t)c] = p->pair_count[k];
        }
        for (size_t c = 0; c < s->nact; c++)
            s->w[pr] += (double)s->a[pr * s->nact + c] / (double)s->supply[c];
    }
    make_groups(s, prof_t, prof_f);
    rc = 0;
done:
    free(prof_t);
    free(prof_f);
    free(supply);
    free(act_of);
    return rc;
}

/* ---- the search ---- */

typedef struct search_ctx {
    pool_state *s;
    int64_t    *areq;      /* nuse x nreq: requested supply per node of each useful group */
    int         keep;
    int64_t     pulled;    /* keep: the most that may be pulled in (phase W) */
    /* phase K */
    int64_t    *need;      /* per requested type, beyond T */
    int64_t     best_pulled;
    /* phase W */
    int64_t    *best;      /* the incumbent count vector */
    int64_t     best_moves;
    int         have_best;
    int64_t    *num;       /* scratch for exact comparisons */
} search_ctx;

static int64_t moves_of(const pool_state *s, const int64_t *k)
{
    int64_t m = 0;
    for (size_t u = 0; u < s->nuse; u++) {
        int64_t t = s->gt[s->use[u]];
        m += k[u] > t ? k[u] - t : t - k[u];
    }
    return m;
}

static int64_t pulled_of(const pool_state *s, const int64_t *k)
{
    int64_t m = 0;
    for (size_t u = 0; u < s->nuse; u++)
        m += k[u] > s->gt[s->use[u]] ? k[u] - s->gt[s->use[u]] : 0;
    return m;
}

static double waste_estimate(const pool_state *s, const int64_t *k)
{
    double w = 0;
    for (size_t u = 0; u < s->nuse; u++)
        w += (double)k[u] * s->w[s->grep[s->use[u]]];
    return w;
}

static int covers(const search_ctx *x, const int64_t *k)
{
    const pool_state *s = x->s;
    for (size_t j = 0; j < s->nreq; j++) {
        int64_t got = 0;
        for (size_t u = 0; u < s->nuse; u++)
            got += k[u] * x->areq[u * s->nreq + j];
        if (got < s->req[j])
            return 0;
    }
    return 1;
}

/* Phase K: v = nodes pulled in per useful group, on top of all of T. */
static int leaf_pulled(void *ctx, const int64_t *v, ip_problem *ip)
{
    search_ctx *x = ctx;
    const pool_state *s = x->s;
    int64_t total = 0;
    for (size_t j = 0; j < s->nreq; j++) {
        int64_t got = 0;
        for (size_t u = 0; u < s->nuse; u++)
            got += v[u] * x->areq[u * s->nreq + j];
        if (got < x->need[j])
            return 0;
    }
    for (size_t u = 0; u < s->nuse; u++)
        total += v[u];
    if (total < x->best_pulled) {
        x->best_pulled = total;
        ip->cutoff = (double)total - 1;
    }
    return 0;
}

static int fewest_pulled(search_ctx *x, tide_err *e)
{
    pool_state *s = x->s;
    size_t n = s->nuse, m = 0;
    double *a = xcalloc(s->nreq * n + 1, sizeof(double)), *b = xcalloc(s->nreq + 1, sizeof(double));
    double *c = xmalloc(sizeof(double) * (n + 1));
    int64_t *lo = xcalloc(2 * n + 1, sizeof(int64_t)), *hi = lo + n;
    int rc = 0;

    x->need = xcalloc(s->nreq + 1, sizeof(int64_t));
    for (size_t j = 0; j < s->nreq; j++) {
        x->need[j] = s->req[j];
        for (size_t u = 0; u < n; u++)
            x->need[j] -= s->gt[s->use[u]] * x->areq[u * s->nreq + j];
        if (x->need[j] <= 0)
            continue;
        for (size_t u = 0; u < n; u++)
            a[m * n + u] = (double)x->areq[u * s->nreq + j];
        b[m++] = (double)x->need[j];
    }
    for (size_t u = 0; u < n; u++) {
        c[u] = 1;
        hi[u] = s->gf[s->use[u]];
    }
    x->best_pulled = INT64_MAX;
    ip_problem ip = { n, 0, m, a, b, c, lo, hi, INFINITY, 1e-6, leaf_pulled, x, 0, SEARCH_NODE_LIMIT };
    if (solver_ip_solve(&ip) < 0 || x->best_pulled == INT64_MAX)
        rc = tide_err_set(e, "the pool search gave up after %zu steps (keep: fewest nodes to pull in)", ip.nodes);
    s->search_nodes += ip.nodes;
    x->pulled = x->best_pulled;
    free(a);
    free(b);
    free(c);
    free(lo);
    return rc;
}

/* Phase W: k = nodes taken per useful group (then, with keep, the pulled-in bounds as continuous columns). */
static int leaf_waste(void *ctx, const int64_t *k, ip_problem *ip)
{
    search_ctx *x = ctx;
    pool_state *s = x->s;
    if (!covers(x, k) || (x->keep && pulled_of(s, k) > x->pulled))
        return 0;
    int64_t moves = moves_of(s, k);
    int cmp = -1;
    if (x->have_best) {
        for (size_t c = 0; c < s->nact; c++) {
            x->num[c] = 0;
            for (size_t u = 0; u < s->nuse; u++)
                x->num[c] += (k[u] - x->best[u]) * s->a[s->grep[s->use[u]] * s->nact + c];
        }
        cmp = solver_exact_sign(x->num, s->supply, s->nact);
        if (!cmp)
            cmp = moves < x->best_moves ? -1 : moves > x->best_moves;
    }
    if (cmp < 0) {
        memcpy(x->best, k, sizeof(int64_t) * s->nuse);
        x->best_moves = moves;
        x->have_best = 1;
        s->nties = 0;
        ip->cutoff = waste_estimate(s, k);
    }
    if (cmp <= 0) {
        s->ties = xrealloc(s->ties, sizeof(int64_t) * s->nuse * (s->nties + 1) + 1);
        memcpy(s->ties + s->nties * s->nuse, k, sizeof(int64_t) * s->nuse);
        s->nties++;
    }
    return 0;
}

static int least_waste(search_ctx *x, tide_err *e)
{
    pool_state *s = x->s;
    size_t n = s->nuse;
    int aux = x->keep && x->pulled > 0;
    size_t naux = aux ? n : 0, ns = n + naux, m = s->nreq + (aux ? n + 1 : 0);
    double *a = xcalloc(m * ns + 1, sizeof(double)), *b = xcalloc(m + 1, sizeof(double));
    double *c = xcalloc(ns + 1, sizeof(double));
    int64_t *lo = xcalloc(2 * ns + 1, sizeof(int64_t)), *hi = lo + ns;
    int rc = 0;

    for (size_t j = 0; j < s->nreq; j++) {
        for (size_t u = 0; u < n; u++)
            a[j * ns + u] = (double)x->areq[u * s->nreq + j];
        b[j] = (double)s->req[j];
    }
    for (size_t u = 0; u < n; u++) {
        size_t g = s->use[u];
        c[u] = s->w[s->grep[g]];
        hi[u] = x->keep && !aux ? s->gt[g] : s->gt[g] + s->gf[g];
        if (aux) {
            /* v_u >= k_u - t_u, and sum v_u <= P*: at most P* pulled in. */
            size_t row = s->nreq + u;
            a[row * ns + u] = -1;
            a[row * ns + n + u] = 1;
            b[row] = -(double)s->gt[g];
            a[(s->nreq + n) * ns + n + u] = -1;
            hi[n + u] = s->gf[g];
        }
    }
    if (aux)
        b[s->nreq + n] = -(double)x->pulled;
    x->best = xcalloc(n + 1, sizeof(int64_t));
    x->num = xcalloc(s->nact + 1, sizeof(int64_t));
    /* The margin: waste is at most the number of types; rounding errors are ~1e-13 of that. */
    ip_problem ip = { n, naux, m, a, b, c, lo, hi, INFINITY, 1e-9 * (1.0 + (double)s->nact), leaf_waste, x, 0,
                      SEARCH_NODE_LIMIT };
    if (solver_ip_solve(&ip) < 0 || !x->have_best)
        rc = tide_err_set(e, "the pool search gave up after %zu steps (least waste)", ip.nodes);
    s->search_nodes += ip.nodes;
    free(a);
    free(b);
    free(c);
    free(lo);
    return rc;
}

int solver_search(pool_state *s, tide_err *e)
{
    search_ctx x = { 0 };
    x.s = s;
    x.keep = s->p->keep;
    x.areq = xcalloc(s->nuse * s->nreq + 1, sizeof(int64_t));
    for (size_t u = 0; u < s->nuse; u++)
        for (size_t j = 0; j < s->nreq; j++)
            x.areq[u * s->nreq + j] = s->a[s->grep[s->use[u]] * s->nact + s->req_act[j]];
    int rc = 0;
    if (x.keep)
        rc = fewest_pulled(&x, e);
    s->pulled = x.pulled;
    if (!rc)
        rc = least_waste(&x, e);
    free(x.areq);
    free(x.need);
    free(x.best);
    free(x.num);
    return rc;
}

void solver_state_free(pool_state *s)
{
    free(s->act_type);
    free(s->supply);
    free(s->req_act);
    free(s->req);
    free(s->a);
    free(s->w);
    free(s->group_of);
    free(s->gkind);
    free(s->grep);
    free(s->gt);
    free(s->gf);
    free(s->use);
    free(s->ties);
    memset(s, 0, sizeof(*s));
}

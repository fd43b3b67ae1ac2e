/*
 * solver_pick.c - which nodes, once the counts per class are fixed (levels d and e).
 *
 * A class that gives all of its nodes or none leaves no choice; the others
 * ("partial" classes) give some of their nodes.  Chassis holding a node that
 * must be taken are used anyway ("forced" chassis).  The fewest chassis is
 * then |forced| + the least number of other chassis whose partial-class nodes
 * cover what the forced chassis cannot: an integer covering problem over
 * chassis kinds (chassis with the same count of nodes of each partial class
 * are interchangeable).  One partial class in need is a greedy (largest
 * chassis first); kinds that each hold nodes of one class only decompose into
 * such greedies; anything else goes to the branch and bound.
 *
 * The smallest sorted xname list among those: every chassis is a contiguous
 * run of the xname order, so a list that takes a node from chassis h beats
 * one that agrees before h and skips it.  The scan therefore walks chassis in
 * order and uses each one iff the rest can still be covered within the
 * minimum; inside a used chassis, taking a node of a class that still needs
 * some never hurts, so its first such nodes are taken.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "solver_int.h"
#include "strbuf.h"

#define NO_WAY (INT64_MAX / 4)   /* "cannot be covered" */
#define PICK_NODE_LIMIT 1000000

/* Chassis kinds: distinct vectors of partial-class node counts, with how many such chassis remain. */
typedef struct kinds {
    size_t    dims, n;
    uint32_t *vec;      /* n x dims */
    int64_t  *count;    /* chassis of each kind still ahead of the scan */
    size_t   *order;    /* dims x n: kinds by decreasing count of that dim */
    size_t   *norder;   /* dims: kinds with a nonzero count of that dim */
    size_t    search_nodes;
    int       too_large;
} kinds;

/* Fewest chassis covering need[d] of dimension d alone, largest first. */
static int64_t greedy(const kinds *k, size_t d, int64_t need)
{
    int64_t used = 0;
    for (size_t i = 0; i < k->norder[d] && need > 0; i++) {
        size_t t = k->order[d * k->n + i];
        int64_t c = k->count[t], v = k->vec[t * k->dims + d];
        if (!c)
            continue;
        if (c * v >= need) {
            used += (need + v - 1) / v;
            need = 0;
        } else {
            used += c;
            need -= c * v;
        }
    }
    return need > 0 ? NO_WAY : used;
}

typedef struct cover {
    const kinds   *k;
    const size_t  *var_kind;   /* the kind of each variable */
    const size_t  *rows;       /* the dimension of each row */
    const int64_t *need;
    size_t         nvars, nrows;
    int64_t        best;
    int            first;      /* stop at the first cover within the cutoff */
} cover;

static int cover_leaf(void *ctx, const int64_t *y, ip_problem *ip)
{
    cover *cv = ctx;
    int64_t total = 0;
    for (size_t r = 0; r < cv->nrows; r++) {
        int64_t got = 0;
        for (size_t v = 0; v < cv->nvars; v++)
            got += y[v] * cv->k->vec[cv->var_kind[v] * cv->k->dims + cv->rows[r]];
        if (got < cv->need[cv->rows[r]])
            return 0;
    }
    for (size_t v = 0; v < cv->nvars; v++)
        total += y[v];
    if (total < cv->best) {
        cv->best = total;
        ip->cutoff = (double)total - 1;
    }
    return cv->first;
}

/* The fewest chassis ahead of the scan covering need; a value > limit when more than limit are needed. */
static int64_t fewest_chassis(kinds *k, const int64_t *need, int64_t limit, int first)
{
    size_t nrows = 0, single = 0;
    int64_t lower = 0;
    for (size_t d = 0; d < k->dims; d++) {
        if (need[d] <= 0)
            continue;
        int64_t g = greedy(k, d, need[d]);
        if (g > lower)
            lower = g;
        nrows++;
        single = d;
    }
    if (!nrows)
        return 0;
    if (nrows == 1 || lower > limit)
        return nrows == 1 ? greedy(k, single, need[single]) : lower;

    /* Do the kinds in play each hold nodes of one needy dimension only?  Then the greedies add up. */
    int pure = 1;
    for (size_t t = 0; t < k->n && pure; t++) {
        if (!k->count[t])
            continue;
        size_t hits = 0;
        for (size_t d = 0; d < k->dims; d++)
            hits += need[d] > 0 && k->vec[t * k->dims + d] > 0;
        pure = hits <= 1;
    }
    if (pure) {
        int64_t sum = 0;
        for (size_t d = 0; d < k->dims; d++)
            if (need[d] > 0)
                sum += greedy(k, d, need[d]);
        return sum;
    }

    size_t *rows = xmalloc(sizeof(size_t) * nrows), *var_kind = xmalloc(sizeof(size_t) * (k->n + 1));
    size_t nvars = 0;
    nrows = 0;
    for (size_t d = 0; d < k->dims; d++)
        if (need[d] > 0)
            rows[nrows++] = d;
    for (size_t t = 0; t < k->n; t++) {
        int useful = 0;
        for (size_t r = 0; r < nrows; r++)
            useful |= k->vec[t * k->dims + rows[r]] > 0;
        if (k->count[t] && useful)
            var_kind[nvars++] = t;
    }
    double *a = xcalloc(nrows * nvars + 1, sizeof(double)), *b = xmalloc(sizeof(double) * nrows);
    double *c = xmalloc(sizeof(double) * (nvars + 1));
    int64_t *lo = xcalloc(2 * nvars + 1, sizeof(int64_t)), *hi = lo + nvars;
    for (size_t r = 0; r < nrows; r++) {
        b[r] = (double)need[rows[r]];
        for (size_t v = 0; v < nvars; v++)
            a[r * nvars + v] = k->vec[var_kind[v] * k->dims + rows[r]];
    }
    for (size_t v = 0; v < nvars; v++) {
        c[v] = 1;
        hi[v] = k->count[var_kind[v]];
    }
    cover cv = { k, var_kind, rows, need, nvars, nrows, NO_WAY, first };
    ip_problem ip = { nvars, 0, nrows, a, b, c, lo, hi, limit < NO_WAY ? (double)limit : INFINITY,
                      1e-6, cover_leaf, &cv, 0, PICK_NODE_LIMIT };
    if (solver_ip_solve(&ip) < 0)
        k->too_large = 1;
    k->search_nodes += ip.nodes;
    free(rows);
    free(var_kind);
    free(a);
    free(b);
    free(c);
    free(lo);
    return cv.best;
}

/* A chassis and its vector of partial-class node counts, for sorting chassis into kinds. */
typedef struct chassis_vec {
    const uint32_t *v;
    size_t          dims;
} chassis_vec;

static int chassis_vec_cmp(const void *x, const void *y)
{
    const chassis_vec *a = x, *b = y;
    return memcmp(a->v, b->v, sizeof(uint32_t) * a->dims);
}

/* The kinds of the chassis not forced that hold partial-class nodes; kind_of[h] is SIZE_MAX for others. */
static void build_kinds(kinds *k, size_t dims, const uint32_t *mvec, const unsigned char *forced,
                        size_t nchassis, size_t *kind_of)
{
    chassis_vec *cv = xmalloc(sizeof(*cv) * (nchassis + 1));
    size_t ncv = 0;
    for (size_t h = 0; h < nchassis; h++) {
        kind_of[h] = SIZE_MAX;
        if (forced[h])
            continue;
        int any = 0;
        for (size_t d = 0; d < dims; d++)
            any |= mvec[h * dims + d] > 0;
        if (any)
            cv[ncv++] = (chassis_vec){ mvec + h * dims, dims };
    }
    qsort(cv, ncv, sizeof(*cv), chassis_vec_cmp);
    memset(k, 0, sizeof(*k));
    k->dims = dims;
    k->vec = xmalloc(sizeof(uint32_t) * (ncv * dims + 1));
    k->count = xcalloc(ncv + 1, sizeof(int64_t));
    for (size_t i = 0; i < ncv; i++) {
        if (!i || chassis_vec_cmp(&cv[i - 1], &cv[i])) {
            memcpy(k->vec + k->n * dims, cv[i].v, sizeof(uint32_t) * dims);
            k->n++;
        }
        kind_of[(size_t)(cv[i].v - mvec) / dims] = k->n - 1;
        k->count[k->n - 1]++;
    }
    free(cv);
    /* Per dimension, kinds by decreasing count (insertion sort: there are few kinds). */
    k->order = xmalloc(sizeof(size_t) * (dims * k->n + 1));
    k->norder = xcalloc(dims + 1, sizeof(size_t));
    for (size_t d = 0; d < dims; d++) {
        size_t *o = k->order + d * k->n, no = 0;
        for (size_t t = 0; t < k->n; t++) {
            uint32_t v = k->vec[t * dims + d];
            if (!v)
                continue;
            size_t at = no++;
            while (at > 0 && k->vec[o[at - 1] * dims + d] < v) {
                o[at] = o[at - 1];
                at--;
            }
            o[at] = t;
        }
        k->norder[d] = no;
    }
}

static void free_kinds(kinds *k)
{
    free(k->vec);
    free(k->count);
    free(k->order);
    free(k->norder);
}

long solver_pick_nodes(const pick_input *in, const int64_t *take, unsigned char *chosen, size_t *search_nodes)
{
    size_t nc = in->nclasses, nh = in->nchassis;
    /* dim[c]: the index of a partial class among the partial ones; -1 for the others. */
    long *dim = xmalloc(sizeof(long) * (nc + 1));
    size_t dims = 0;
    for (size_t c = 0; c < nc; c++)
        dim[c] = take[c] > 0 && take[c] < in->size[c] ? (long)dims++ : -1;

    size_t *start = xcalloc(nh + 1, sizeof(size_t));
    unsigned char *forced = xcalloc(nh + 1, 1);
    uint32_t *mvec = xcalloc(nh * dims + 1, sizeof(uint32_t));
    for (size_t pos = in->n; pos-- > 0;) {
        uint32_t h = in->chassis[pos], c = in->cls[pos];
        start[h] = pos;
        chosen[pos] = take[c] > 0 && take[c] == in->size[c];
        forced[h] |= chosen[pos];
        if (dim[c] >= 0)
            mvec[h * dims + (size_t)dim[c]]++;
    }
    start[nh] = in->n;

    int64_t *rem = xcalloc(dims + 1, sizeof(int64_t)), *capf = xcalloc(dims + 1, sizeof(int64_t));
    int64_t *need = xcalloc(dims + 1, sizeof(int64_t));
    long nforced = 0;
    for (size_t c = 0; c < nc; c++)
        if (dim[c] >= 0)
            rem[dim[c]] = take[c];
    for (size_t h = 0; h < nh; h++) {
        nforced += forced[h];
        for (size_t d = 0; d < dims && forced[h]; d++)
            capf[d] += mvec[h * dims + d];
    }

    kinds k;
    size_t *kind_of = xmalloc(sizeof(size_t) * (nh + 1));
    build_kinds(&k, dims, mvec, forced, nh, kind_of);
    for (size_t d = 0; d < dims; d++)
        need[d] = rem[d] - capf[d];
    int64_t budget = fewest_chassis(&k, need, NO_WAY, 0);
    long result = nforced + (long)budget;

    for (size_t h = 0; h < nh && !k.too_large; h++) {
        const uint32_t *mh = mvec + h * dims;
        int use = forced[h];
        if (forced[h]) {
            for (size_t d = 0; d < dims; d++)
                capf[d] -= mh[d];
        } else if (kind_of[h] != SIZE_MAX) {
            k.count[kind_of[h]]--;
            int64_t gain = 0;
            for (size_t d = 0; d < dims; d++) {
                int64_t t = rem[d] < (int64_t)mh[d] ? rem[d] : (int64_t)mh[d];
                gain += t;
                need[d] = rem[d] - t - capf[d];
            }
            use = gain > 0 && budget > 0 && fewest_chassis(&k, need, budget - 1, 1) <= budget - 1;
            budget -= use;
        }
        for (size_t pos = start[h]; use && pos < start[h + 1]; pos++) {
            long d = dim[in->cls[pos]];
            if (d >= 0 && rem[d] > 0) {
                chosen[pos] = 1;
                rem[d]--;
            }
        }
    }
    if (k.too_large)
        result = -1;
    for (size_t d = 0; d < dims && result >= 0; d++)
        if (rem[d])
            result = -2;   /* cannot happen: the scan keeps a completion within the minimum at every step */
    *search_nodes += k.search_nodes;
    free_kinds(&k);
    free(kind_of);
    free(rem);
    free(capf);
    free(need);
    free(mvec);
    free(forced);
    free(start);
    free(dim);
    return result;
}

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
 * some never hurts, so its first such nodes are taken.  The scan keeps one
 * cover of what is still needed (a witness): a chassis of a kind the witness
 * uses can be used without a search, and a kind refused stays refused until
 * the scan uses or takes something.
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

/* Fewest chassis covering need[d] of dimension d alone, largest first; adds the chassis it uses to witness. */
static int64_t greedy(const kinds *k, size_t d, int64_t need, int64_t *witness)
{
    int64_t used = 0;
    for (size_t i = 0; i < k->norder[d] && need > 0; i++) {
        size_t t = k->order[d * k->n + i];
        int64_t c = k->count[t], v = k->vec[t * k->dims + d];
        if (!c)
            continue;
        int64_t take = c * v >= need ? (need + v - 1) / v : c;
        used += take;
        need -= take * v;
        if (witness)
            witness[t] += take;
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
    int64_t       *best_y;     /* the best cover found, per variable */
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
        memcpy(cv->best_y, y, sizeof(int64_t) * cv->nvars);
        ip->cutoff = (double)total - 1;
    }
    return cv->first;
}

/*
 * The fewest chassis ahead of the scan covering need; a value > limit when
 * more than limit are needed.  When it answers within limit, witness (one
 * count per kind) holds such a cover.  first: any cover within limit will do.
 */
static int64_t fewest_chassis(kinds *k, const int64_t *need, int64_t limit, int first, int64_t *witness)
{
    size_t nrows = 0, single = 0;
    int64_t lower = 0;
    memset(witness, 0, sizeof(int64_t) * (k->n + 1));
    for (size_t d = 0; d < k->dims; d++) {
        if (need[d] <= 0)
            continue;
        int64_t g = greedy(k, d, need[d], NULL);
        if (g > lower)
            lower = g;
        nrows++;
        single = d;
    }
    if (!nrows)
        return 0;
    if (nrows == 1 || lower > limit)
        return nrows == 1 ? greedy(k, single, need[single], witness) : lower;

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
                sum += greedy(k, d, need[d], witness);
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
    /* One more row: any cover takes at least as many chassis as the best one-dimension greedy. */
    double *a = xcalloc((nrows + 1) * nvars + 1, sizeof(double)), *b = xmalloc(sizeof(double) * (nrows + 1));
    double *c = xmalloc(sizeof(double) * (nvars + 1));
    int64_t *lo = xcalloc(3 * nvars + 1, sizeof(int64_t)), *hi = lo + nvars, *best_y = hi + nvars;
    for (size_t r = 0; r < nrows; r++) {
        b[r] = (double)need[rows[r]];
        for (size_t v = 0; v < nvars; v++)
            a[r * nvars + v] = k->vec[var_kind[v] * k->dims + rows[r]];
    }
    for (size_t v = 0; v < nvars; v++)
        a[nrows * nvars + v] = 1;
    b[nrows] = (double)lower;
    for (size_t v = 0; v < nvars; v++) {
        c[v] = 1;
        hi[v] = k->count[var_kind[v]];
    }
    cover cv = { k, var_kind, rows, need, nvars, nrows, NO_WAY, best_y, first };
    ip_problem ip = { nvars, 0, nrows + 1, a, b, c, lo, hi, limit < NO_WAY ? (double)limit : INFINITY,
                      1e-6, cover_leaf, &cv, 0, PICK_NODE_LIMIT };
    if (solver_ip_solve(&ip) < 0)
        k->too_large = 1;
    k->search_nodes += ip.nodes;
    for (size_t v = 0; v < nvars && cv.best < NO_WAY; v++)
        witness[var_kind[v]] = best_y[v];
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
    /* witness: a cover of what is still needed by chassis ahead, within budget.  A chassis of a kind
     * it uses can be used at once; other kinds need a search, whose "no" holds until something is
     * used or taken (then "version" moves on). */
    int64_t *witness = xcalloc(k.n + 1, sizeof(int64_t)), *trial = xcalloc(k.n + 1, sizeof(int64_t));
    size_t *refused_at = xcalloc(k.n + 1, sizeof(size_t)), version = 1;
    int64_t budget = fewest_chassis(&k, need, NO_WAY, 0, witness);
    long result = nforced + (long)budget;

    for (size_t h = 0; h < nh && !k.too_large; h++) {
        const uint32_t *mh = mvec + h * dims;
        int use = forced[h];
        if (forced[h]) {
            for (size_t d = 0; d < dims; d++)
                capf[d] -= mh[d];
        } else if (kind_of[h] != SIZE_MAX) {
            size_t t = kind_of[h];
            k.count[t]--;
            int64_t gain = 0;
            for (size_t d = 0; d < dims; d++) {
                int64_t got = rem[d] < (int64_t)mh[d] ? rem[d] : (int64_t)mh[d];
                gain += got;
                need[d] = rem[d] - got - capf[d];
            }
            if (gain > 0 && budget > 0 && witness[t] > 0) {
                use = 1;
                witness[t]--;
            } else if (gain > 0 && budget > 0 && refused_at[t] != version) {
                use = fewest_chassis(&k, need, budget - 1, 1, trial) <= budget - 1;
                if (use) {
                    int64_t *swap = witness;
                    witness = trial;
                    trial = swap;
                } else {
                    refused_at[t] = version;
                }
            }
            /* A kind skipped here is no use to what is still needed: the witness can do without it. */
            if (!use && witness[t] > k.count[t])
                witness[t] = k.count[t];
            budget -= use;
        }
        int took = 0;
        for (size_t pos = start[h]; use && pos < start[h + 1]; pos++) {
            long d = dim[in->cls[pos]];
            if (d >= 0 && rem[d] > 0) {
                chosen[pos] = 1;
                rem[d]--;
                took = 1;
            }
        }
        version += took;
    }
    free(witness);
    free(trial);
    free(refused_at);
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

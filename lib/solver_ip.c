/*
 * solver_ip.c - integer covering programs, by best-first branch and bound over boxes.
 *
 * The relaxation of a box is solved by a dual simplex on a dense tableau.
 * Every cost is >= 0, so "all variables at their lower bound, surplus
 * variables basic" is dual feasible from the start, and a child box (a
 * parent's box with tighter bounds) starts from its parent's optimal basis:
 * only the bounds change, the basis stays dual feasible, and a few pivots
 * restore primal feasibility.  Problems here have a handful of rows (one per
 * requested type) and tens of columns, so a dense tableau is the simplest
 * thing that is fast.  Covering rows get Chvatal-Gomory roundings as extra
 * rows (add_cuts), which close most of the gap between the relaxation and
 * whole nodes.
 *
 * Floating point only ever prunes: a box is dropped when its relaxation
 * exceeds the cutoff by more than tol, a margin the caller chooses orders of
 * magnitude above the rounding error; a relaxation that does not converge
 * prunes nothing and the box is split blindly.  The cuts are derived in
 * integers.  Integral points are judged exactly by the caller's leaf().
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "solver_int.h"
#include "strbuf.h"

#define PIVOT_TOL 1e-9   /* smallest tableau entry a pivot may use */
#define FEAS_TOL  1e-7   /* relative bound violation a basic variable may have */
#define INT_TOL   1e-6   /* distance from an integer that still counts as integral */

enum { LP_OPTIMAL, LP_INFEASIBLE, LP_UNKNOWN };
enum { BASIC = 0, AT_LOWER = 1, AT_UPPER = 2 };

typedef struct lp {
    size_t       m, nv;   /* rows; variables: n + naux structural, then m surplus */
    double      *t;       /* m x nv: B^-1 [A | -I] */
    double      *beta;    /* m: B^-1 b */
    double      *d;       /* nv: reduced costs */
    size_t      *head;    /* m: the basic variable of each row */
    signed char *at;      /* nv: BASIC, AT_LOWER or AT_UPPER */
} lp;

static void lp_alloc(lp *l, size_t m, size_t nv)
{
    l->m = m;
    l->nv = nv;
    l->t = xmalloc(sizeof(double) * (m * nv + m + nv + 1));
    l->beta = l->t + m * nv;
    l->d = l->beta + m;
    l->head = xmalloc(sizeof(size_t) * (m + 1));
    l->at = xmalloc(nv + 1);
}

static void lp_free(lp *l)
{
    free(l->t);
    free(l->head);
    free(l->at);
}

/* The starting tableau: surplus s_i = sum_j a_ij x_j - b_i basic, every x_j at its lower bound. */
static void lp_init(lp *l, const ip_problem *ip)
{
    size_t ns = ip->n + ip->naux;
    lp_alloc(l, ip->m, ns + ip->m);
    memset(l->t, 0, sizeof(double) * (l->m * l->nv + l->m + l->nv));
    for (size_t i = 0; i < l->m; i++) {
        for (size_t j = 0; j < ns; j++)
            l->t[i * l->nv + j] = -ip->a[i * ns + j];
        l->t[i * l->nv + ns + i] = 1;
        l->beta[i] = -ip->b[i];
        l->head[i] = ns + i;
    }
    for (size_t j = 0; j < l->nv; j++) {
        l->d[j] = j < ns ? ip->c[j] : 0;
        l->at[j] = j < ns ? AT_LOWER : BASIC;
    }
}

static void lp_copy(lp *to, const lp *from)
{
    lp_alloc(to, from->m, from->nv);
    memcpy(to->t, from->t, sizeof(double) * (from->m * from->nv + from->m + from->nv));
    memcpy(to->head, from->head, sizeof(size_t) * from->m);
    memcpy(to->at, from->at, from->nv);
}

static double value_of(const lp *l, size_t j, const double *lo, const double *hi)
{
    return l->at[j] == AT_UPPER ? hi[j] : lo[j];
}

static void pivot(lp *l, size_t r, size_t q)
{
    size_t nv = l->nv;
    double *row = l->t + r * nv;
    double p = row[q];
    for (size_t j = 0; j < nv; j++)
        row[j] /= p;
    l->beta[r] /= p;
    row[q] = 1;
    for (size_t i = 0; i < l->m; i++) {
        if (i == r)
            continue;
        double *ri = l->t + i * nv;
        double f = ri[q];
        if (f == 0)
            continue;
        for (size_t j = 0; j < nv; j++)
            ri[j] -= f * row[j];
        ri[q] = 0;
        l->beta[i] -= f * l->beta[r];
    }
    double f = l->d[q];
    if (f != 0) {
        for (size_t j = 0; j < nv; j++)
            l->d[j] -= f * row[j];
        l->d[q] = 0;
    }
}

/* Dual simplex on bounds lo/hi (surplus variables: [0, inf)).  x gets every variable's value. */
static int lp_solve(lp *l, const double *lo, const double *hi, double *x)
{
    size_t m = l->m, nv = l->nv;
    size_t max_iter = 100 + 50 * (m + nv);
    double *xb = x + nv;   /* scratch after the values */

    for (size_t iter = 0; iter <= max_iter; iter++) {
        for (size_t i = 0; i < m; i++) {
            const double *ri = l->t + i * nv;
            double v = l->beta[i];
            for (size_t j = 0; j < nv; j++)
                if (l->at[j] != BASIC && ri[j] != 0)
                    v -= ri[j] * value_of(l, j, lo, hi);
            xb[i] = v;
        }
        /* Leaving row: the largest bound violation (ties: the lowest variable index). */
        size_t r = m;
        int up = 0;
        double worst = 0;
        for (size_t i = 0; i < m; i++) {
            size_t k = l->head[i];
            double v = 0;
            int dir = 0;
            if (xb[i] < lo[k] - FEAS_TOL * (1 + fabs(lo[k]))) {
                v = lo[k] - xb[i];
                dir = 1;
            } else if (xb[i] > hi[k] + FEAS_TOL * (1 + fabs(hi[k]))) {
                v = xb[i] - hi[k];
                dir = -1;
            }
            if (dir && (v > worst || (v == worst && r < m && k < l->head[r]))) {
                worst = v;
                r = i;
                up = dir > 0;
            }
        }
        if (r == m) {
            for (size_t j = 0; j < nv; j++)
                x[j] = value_of(l, j, lo, hi);
            for (size_t i = 0; i < m; i++)
                x[l->head[i]] = xb[i];
            return LP_OPTIMAL;
        }
        if (iter == max_iter)
            break;
        /* Entering column: the dual ratio test (ties: the larger pivot, then the lowest index). */
        const double *rr = l->t + r * nv;
        size_t q = nv;
        double best = 0, best_a = 0;
        for (size_t j = 0; j < nv; j++) {
            if (l->at[j] == BASIC || lo[j] == hi[j])
                continue;
            double a = rr[j];
            int ok = up ? ((l->at[j] == AT_LOWER && a < -PIVOT_TOL) || (l->at[j] == AT_UPPER && a > PIVOT_TOL))
                        : ((l->at[j] == AT_LOWER && a > PIVOT_TOL) || (l->at[j] == AT_UPPER && a < -PIVOT_TOL));
            if (!ok)
                continue;
            double ratio = fabs(l->d[j]) / fabs(a);
            if (q == nv || ratio < best || (ratio == best && fabs(a) > best_a)) {
                q = j;
                best = ratio;
                best_a = fabs(a);
            }
        }
        if (q == nv)
            return LP_INFEASIBLE;
        size_t leaving = l->head[r];
        pivot(l, r, q);
        l->head[r] = q;
        l->at[q] = BASIC;
        l->at[leaving] = up ? AT_LOWER : AT_UPPER;
    }
    return LP_UNKNOWN;
}

/* ---- best-first branch and bound ---- */

/*
 * An open box waits with its parent's relaxation value (a lower bound on
 * every point in it) and the basis its parent ended with.  Boxes are taken
 * lowest bound first, so no box whose bound exceeds the optimum is ever
 * opened once the optimum is known, and the first integral points found are
 * already good; among equal bounds the newest goes first, which dives.  The
 * tableau is rebuilt from the basis when the box is opened: a few pivots on
 * the starting tableau, cheaper to keep than a tableau per open box.
 */
typedef struct open_box {
    double       key;
    uint64_t     seq;
    int64_t     *lo, *hi;   /* structural bounds (one allocation with head and at) */
    size_t      *head;
    signed char *at;
} open_box;

typedef struct search {
    ip_problem *ip;
    size_t      ns;         /* structural variables */
    lp          root;       /* the starting tableau */
    open_box  **heap;
    size_t      nheap, cap;
    uint64_t    seq;
    int         stop;       /* leaf() asked to stop */
    int         limited;    /* node_limit reached */
} search;

static int before(const open_box *a, const open_box *b)
{
    return a->key < b->key || (a->key == b->key && a->seq > b->seq);
}

static void heap_push(search *s, open_box *b)
{
    if (s->nheap == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 64;
        s->heap = xrealloc(s->heap, sizeof(*s->heap) * s->cap);
    }
    size_t i = s->nheap++;
    while (i > 0 && before(b, s->heap[(i - 1) / 2])) {
        s->heap[i] = s->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    s->heap[i] = b;
}

static open_box *heap_pop(search *s)
{
    open_box *top = s->heap[0], *last = s->heap[--s->nheap];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= s->nheap)
            break;
        if (c + 1 < s->nheap && before(s->heap[c + 1], s->heap[c]))
            c++;
        if (!before(s->heap[c], last))
            break;
        s->heap[i] = s->heap[c];
        i = c;
    }
    if (s->nheap)
        s->heap[i] = last;
    return top;
}

/* Queue the box (lo, hi) with variable j (if j < ns) narrowed to [jlo, jhi], to start from basis's basis. */
static void push(search *s, double key, const lp *basis, const int64_t *lo, const int64_t *hi, size_t j,
                 int64_t jlo, int64_t jhi)
{
    size_t ns = s->ns, m = s->root.m, nv = s->root.nv;
    open_box *b = xmalloc(sizeof(*b) + sizeof(int64_t) * 2 * ns + sizeof(size_t) * m + nv);
    b->lo = (int64_t *)(b + 1);
    b->hi = b->lo + ns;
    b->head = (size_t *)(b->hi + ns);
    b->at = (signed char *)(b->head + m);
    b->key = key;
    b->seq = s->seq++;
    memcpy(b->lo, lo, sizeof(int64_t) * ns);
    memcpy(b->hi, hi, sizeof(int64_t) * ns);
    if (j < ns) {
        b->lo[j] = jlo;
        b->hi[j] = jhi;
    }
    memcpy(b->head, basis->head, sizeof(size_t) * m);
    memcpy(b->at, basis->at, nv);
    heap_push(s, b);
}

/* The tableau of a box's basis, pivoted in on the starting tableau; the starting tableau if that fails. */
static void rebuild(lp *l, const search *s, const open_box *b)
{
    size_t m = s->root.m, nv = s->root.nv, ns = s->ns;
    lp_copy(l, &s->root);
    unsigned char *free_row = xmalloc(m + 1);
    for (size_t i = 0; i < m; i++)
        free_row[i] = b->at[ns + i] != BASIC;   /* its surplus leaves the basis: a structural takes the row */
    for (size_t j = 0; j < ns; j++) {
        if (b->at[j] != BASIC)
            continue;
        size_t r = m;
        for (size_t i = 0; i < m; i++)
            if (free_row[i] && (r == m || fabs(l->t[i * nv + j]) > fabs(l->t[r * nv + j])))
                r = i;
        if (r == m || fabs(l->t[r * nv + j]) < PIVOT_TOL) {
            lp_free(l);
            lp_copy(l, &s->root);
            free(free_row);
            return;
        }
        pivot(l, r, j);
        l->head[r] = j;
        free_row[r] = 0;
    }
    memcpy(l->at, b->at, nv);
    free(free_row);
}

static int prunable(const ip_problem *ip, double bound)
{
    return isfinite(ip->cutoff) && bound > ip->cutoff + ip->tol;
}

/* Open one box: solve its relaxation, then prune it, hand over its point, or split it. */
static void open_one(search *s, open_box *b)
{
    ip_problem *ip = s->ip;
    size_t ns = s->ns, nv = s->root.nv;
    lp cur;
    rebuild(&cur, s, b);
    double *blo = xmalloc(sizeof(double) * (3 * nv + cur.m + 1)), *bhi = blo + nv, *x = bhi + nv;
    int64_t *lo = b->lo, *hi = b->hi;
    for (size_t j = 0; j < nv; j++) {
        blo[j] = j < ns ? (double)lo[j] : 0;
        bhi[j] = j < ns ? (double)hi[j] : INFINITY;
    }
    int st = lp_solve(&cur, blo, bhi, x);
    double obj = 0;
    if (st == LP_OPTIMAL)
        for (size_t j = 0; j < ns; j++)
            obj += ip->c[j] * x[j];
    if (st == LP_INFEASIBLE || (st == LP_OPTIMAL && prunable(ip, obj)))
        goto done;
    if (st == LP_UNKNOWN) {
        /* No relaxation: split the first open variable in halves, or hand over the point. */
        size_t j = 0;
        while (j < ip->n && lo[j] == hi[j])
            j++;
        if (j == ip->n) {
            if (ip->leaf(ip->ctx, lo, ip))
                s->stop = 1;
        } else {
            int64_t mid = lo[j] + (hi[j] - lo[j]) / 2;
            push(s, b->key, &s->root, lo, hi, j, lo[j], mid);
            push(s, b->key, &s->root, lo, hi, j, mid + 1, hi[j]);
        }
        goto done;
    }

    /* Reduced-cost fixing: moving a nonbasic variable one step off its bound
     * costs at least |d_j| more than the relaxation, so if that exceeds the
     * cutoff it stays where it is in this whole box. */
    if (isfinite(ip->cutoff)) {
        for (size_t j = 0; j < ip->n; j++) {
            if (lo[j] == hi[j] || cur.at[j] == BASIC)
                continue;
            if (prunable(ip, obj + fabs(cur.d[j]))) {
                if (cur.at[j] == AT_LOWER)
                    hi[j] = lo[j];
                else
                    lo[j] = hi[j];
            }
        }
    }

    size_t frac = ip->n;
    double frac_most = 0;
    for (size_t j = 0; j < ip->n; j++) {
        double f = fabs(x[j] - nearbyint(x[j]));
        if (f > INT_TOL && f > frac_most) {
            frac_most = f;
            frac = j;
        }
    }
    if (frac < ip->n) {
        /* The up branch is queued last so it opens first among equals: rounding up keeps a covering feasible. */
        double v = x[frac];
        push(s, obj, &cur, lo, hi, frac, lo[frac], (int64_t)floor(v));
        push(s, obj, &cur, lo, hi, frac, (int64_t)ceil(v), hi[frac]);
        goto done;
    }

    /* An integral relaxation: hand the point over, then queue the rest of the
     * box, which the point splits into disjoint boxes per variable: below it,
     * above it, or equal to it and on to the next variable. */
    int64_t *xi = xmalloc(sizeof(int64_t) * (ns + 1));
    for (size_t j = 0; j < ip->n; j++) {
        int64_t v = (int64_t)nearbyint(x[j]);
        xi[j] = v < lo[j] ? lo[j] : v > hi[j] ? hi[j] : v;
    }
    if (ip->leaf(ip->ctx, xi, ip))
        s->stop = 1;
    for (size_t j = 0; j < ip->n && !s->stop && !prunable(ip, obj); j++) {
        if (lo[j] == hi[j])
            continue;
        if (xi[j] > lo[j])
            push(s, obj, &cur, lo, hi, j, lo[j], xi[j] - 1);
        if (xi[j] < hi[j])
            push(s, obj, &cur, lo, hi, j, xi[j] + 1, hi[j]);
        lo[j] = hi[j] = xi[j];
    }
    free(xi);

done:
    free(blo);
    lp_free(&cur);
}

/* ---- Chvatal-Gomory roundings of covering rows ---- */

#define CG_MAX_PER_ROW 8

static int64_t gcd64(int64_t a, int64_t b)
{
    while (b) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static int64_t ceil_div(int64_t a, int64_t d)
{
    return a > 0 ? (a + d - 1) / d : -((-a) / d);
}

/*
 * A row sum a_j x_j >= b over non-negative integers with integer a_j >= 0
 * implies, for any d > 0, sum ceil(a_j / d) x_j >= ceil(b / d): the left side
 * only grew and is an integer.  With d the common divisor of the row, or one
 * of its coefficients, this is what the relaxation misses most: 4 GPUs per
 * node and 50 wanted means at least 13 nodes, however they are spread over
 * groups.  The cuts are exact, so they only ever tighten bounds.
 */
static size_t add_cuts(const ip_problem *ip, double **a_out, double **b_out)
{
    size_t ns = ip->n + ip->naux, cap = ip->m * (CG_MAX_PER_ROW + 1) + ip->m + 1, m = ip->m;
    double *a = xcalloc(cap * ns + 1, sizeof(double)), *b = xcalloc(cap + 1, sizeof(double));
    int64_t *coef = xmalloc(sizeof(int64_t) * (ns + 1)), *ds = xmalloc(sizeof(int64_t) * (ns + 2));
    memcpy(a, ip->a, sizeof(double) * ip->m * ns);
    memcpy(b, ip->b, sizeof(double) * ip->m);
    for (size_t i = 0; i < ip->m; i++) {
        const double *row = ip->a + i * ns;
        int ok = ip->b[i] > 0 && ip->b[i] == floor(ip->b[i]) && ip->b[i] < 9e15;
        int64_t g = 0, rhs = (int64_t)ip->b[i];
        size_t nds = 0;
        for (size_t j = 0; j < ns && ok; j++) {
            double v = row[j];
            ok = v >= 0 && v == floor(v) && v < 9e15 && (j < ip->n || v == 0) && ip->lo[j] >= 0;
            coef[j] = (int64_t)v;
            if (ok && coef[j] > 0) {
                g = gcd64(g, coef[j]);
                size_t k = 0;
                while (k < nds && ds[k] != coef[j])
                    k++;
                if (k == nds && nds < CG_MAX_PER_ROW)
                    ds[nds++] = coef[j];
            }
        }
        if (!ok || !g)
            continue;
        ds[nds++] = g;
        for (size_t k = 0; k < nds; k++) {
            int64_t d = ds[k];
            if (d <= 1 || (k < nds - 1 && d == g))
                continue;
            double *cut = a + m * ns;
            for (size_t j = 0; j < ns; j++)
                cut[j] = (double)ceil_div(coef[j], d);
            b[m++] = (double)ceil_div(rhs, d);
        }
    }
    free(coef);
    free(ds);
    *a_out = a;
    *b_out = b;
    return m;
}

int solver_ip_solve(ip_problem *ip)
{
    search s = { 0 };
    ip_problem with_cuts = *ip;
    double *cut_a, *cut_b;
    with_cuts.m = add_cuts(ip, &cut_a, &cut_b);
    with_cuts.a = cut_a;
    with_cuts.b = cut_b;
    s.ip = ip;
    s.ns = ip->n + ip->naux;
    lp_init(&s.root, &with_cuts);
    free(cut_a);
    free(cut_b);
    push(&s, -INFINITY, &s.root, ip->lo, ip->hi, SIZE_MAX, 0, 0);
    while (s.nheap) {
        open_box *b = heap_pop(&s);
        if (!s.stop && !s.limited && !prunable(ip, b->key)) {
            if (++ip->nodes > ip->node_limit)
                s.limited = 1;
            else
                open_one(&s, b);
        }
        free(b);
    }
    free(s.heap);
    lp_free(&s.root);
    return s.limited ? -1 : s.stop ? 1 : 0;
}

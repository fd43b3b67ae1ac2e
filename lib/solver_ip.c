/*
 * solver_ip.c - integer covering programs, by branch and bound over boxes.
 *
 * The relaxation of a box is solved by a dual simplex on a dense tableau.
 * Every cost is >= 0, so "all variables at their lower bound, surplus
 * variables basic" is dual feasible from the start, and a child box (a
 * parent's box with tighter bounds) starts from its parent's optimal
 * tableau: only the bounds change, the basis stays dual feasible, and a few
 * pivots restore primal feasibility.  Problems here have a handful of rows
 * (one per requested type) and tens of columns, so a dense tableau is the
 * simplest thing that is fast.
 *
 * Floating point only ever prunes: a box is dropped when its relaxation
 * exceeds the cutoff by more than tol, a margin the caller chooses orders of
 * magnitude above the rounding error; a relaxation that does not converge
 * prunes nothing and the box is split blindly.  Integral points are judged
 * exactly by the caller's leaf().
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

typedef struct search {
    ip_problem *ip;
    size_t      ns;       /* structural variables */
    int         stop;     /* leaf() asked to stop */
    int         limited;  /* node_limit reached */
} search;

static int prunable(const ip_problem *ip, double bound)
{
    return isfinite(ip->cutoff) && bound > ip->cutoff + ip->tol;
}

static void box(search *s, const lp *from, const int64_t *lo, const int64_t *hi);

/* Explore the box (lo, hi) with variable j narrowed to [jlo, jhi]. */
static void child(search *s, const lp *from, const int64_t *lo, const int64_t *hi, size_t j,
                  int64_t jlo, int64_t jhi)
{
    size_t ns = s->ns;
    int64_t *clo = xmalloc(sizeof(int64_t) * (2 * ns + 1)), *chi = clo + ns;
    memcpy(clo, lo, sizeof(int64_t) * ns);
    memcpy(chi, hi, sizeof(int64_t) * ns);
    clo[j] = jlo;
    chi[j] = jhi;
    box(s, from, clo, chi);
    free(clo);
}

/* Every integral point of the box, visited in halves, for when no relaxation is available. */
static void split_blindly(search *s, const lp *from, int64_t *lo, int64_t *hi)
{
    ip_problem *ip = s->ip;
    for (size_t j = 0; j < ip->n; j++) {
        if (lo[j] < hi[j]) {
            int64_t mid = lo[j] + (hi[j] - lo[j]) / 2;
            child(s, from, lo, hi, j, lo[j], mid);
            if (!s->stop && !s->limited)
                child(s, from, lo, hi, j, mid + 1, hi[j]);
            return;
        }
    }
    if (ip->leaf(ip->ctx, lo, ip))
        s->stop = 1;
}

static void box(search *s, const lp *from, const int64_t *lo_in, const int64_t *hi_in)
{
    ip_problem *ip = s->ip;
    size_t ns = s->ns, nv = from->nv;
    if (s->stop || s->limited)
        return;
    if (++ip->nodes > ip->node_limit) {
        s->limited = 1;
        return;
    }
    lp cur;
    lp_copy(&cur, from);
    double *blo = xmalloc(sizeof(double) * (3 * nv + cur.m + 1)), *bhi = blo + nv, *x = bhi + nv;
    int64_t *lo = xmalloc(sizeof(int64_t) * (2 * ns + 1)), *hi = lo + ns;
    memcpy(lo, lo_in, sizeof(int64_t) * ns);
    memcpy(hi, hi_in, sizeof(int64_t) * ns);
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
        split_blindly(s, &cur, lo, hi);
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
        /* Up first: rounding up keeps a covering feasible, so incumbents come early. */
        double v = x[frac];
        child(s, &cur, lo, hi, frac, (int64_t)ceil(v), hi[frac]);
        if (!s->stop && !s->limited)
            child(s, &cur, lo, hi, frac, lo[frac], (int64_t)floor(v));
        goto done;
    }

    /* An integral relaxation: hand the point over, then search the rest of the
     * box, which the point splits into disjoint boxes per variable: below it,
     * above it, or equal to it and on to the next variable. */
    int64_t *xi = xmalloc(sizeof(int64_t) * (ns + 1));
    for (size_t j = 0; j < ip->n; j++) {
        int64_t v = (int64_t)nearbyint(x[j]);
        xi[j] = v < lo[j] ? lo[j] : v > hi[j] ? hi[j] : v;
    }
    if (ip->leaf(ip->ctx, xi, ip))
        s->stop = 1;
    for (size_t j = 0; j < ip->n && !s->stop && !s->limited && !prunable(ip, obj); j++) {
        if (lo[j] == hi[j])
            continue;
        if (xi[j] > lo[j])
            child(s, &cur, lo, hi, j, lo[j], xi[j] - 1);
        if (xi[j] < hi[j] && !s->stop && !s->limited)
            child(s, &cur, lo, hi, j, xi[j] + 1, hi[j]);
        lo[j] = hi[j] = xi[j];
    }
    free(xi);

done:
    free(lo);
    free(blo);
    lp_free(&cur);
}

int solver_ip_solve(ip_problem *ip)
{
    search s = { ip, ip->n + ip->naux, 0, 0 };
    lp root;
    lp_init(&root, ip);
    box(&s, &root, ip->lo, ip->hi);
    lp_free(&root);
    return s.limited ? -1 : s.stop ? 1 : 0;
}

/*
 * solver_int.h - the solver's inner parts, shared by lib/solver*.c only.
 *
 *   solver_exact.c  exact sign of a sum of fractions
 *   solver_ip.c     integer covering programs: dual simplex + branch and bound
 *   solver_pick.c   concrete nodes for given class counts: fewest chassis, first xnames
 *   solver.c        the public API: problem building, the levels, the plan
 */
#ifndef TIDE_SOLVER_INT_H
#define TIDE_SOLVER_INT_H

#include <stddef.h>
#include <stdint.h>

/* Largest supply of one type over the candidates: keeps every fraction's parts in 32 bits. */
#define SOLVER_MAX_SUPPLY 0xffffffffLL

/* The sign (-1, 0, 1) of sum num[i] / den[i]; 0 < den[i] <= SOLVER_MAX_SUPPLY, |num[i]| <= SOLVER_MAX_SUPPLY. */
int solver_exact_sign(const int64_t *num, const int64_t *den, size_t n);

/*
 * An integer covering program:
 *   minimise  sum c_j x_j  (c_j >= 0)
 *   subject to sum_j a[i][j] x_j >= b[i]  for every row i,
 *              lo_j <= x_j <= hi_j,  x_0 .. x_{n-1} integer, the naux others continuous.
 * Branch and bound keeps every box whose relaxation is at most cutoff (plus a
 * margin tol far above rounding error) and hands each integral point it meets
 * to leaf(), which checks it exactly and may lower cutoff.  Boxes are
 * disjoint, so no point is handed over twice.
 */
typedef struct ip_problem ip_problem;
struct ip_problem {
    size_t n, naux, m;
    const double  *a;         /* m rows of n + naux coefficients */
    const double  *b;         /* m */
    const double  *c;         /* n + naux, each >= 0 */
    const int64_t *lo, *hi;   /* n + naux bounds */
    double cutoff;            /* prune boxes whose bound exceeds cutoff + tol */
    double tol;
    int  (*leaf)(void *ctx, const int64_t *x, ip_problem *ip);   /* return 1 to stop the search */
    void  *ctx;
    size_t nodes;             /* relaxations solved so far */
    size_t node_limit;        /* give up (return -1) beyond this many */
};

/* 0: search complete; 1: leaf() stopped it; -1: node_limit reached. */
int solver_ip_solve(ip_problem *ip);

/*
 * Picking concrete nodes.  Nodes are given in xname order (position 0..n-1),
 * with their chassis (a run of equal, non-decreasing chassis numbers) and
 * class; take[c] nodes of class c must be chosen.  pick_nodes() chooses the
 * fewest chassis and, among those, the smallest sorted list, and marks
 * chosen[pos].  Returns the chassis count, or -1 when the search was too large.
 */
typedef struct pick_input {
    size_t          n;
    const uint32_t *chassis;   /* per position, non-decreasing */
    size_t          nchassis;
    const uint32_t *cls;       /* per position */
    size_t          nclasses;
    const int64_t  *size;      /* nodes per class */
} pick_input;

long solver_pick_nodes(const pick_input *in, const int64_t *take, unsigned char *chosen, size_t *search_nodes);

#endif

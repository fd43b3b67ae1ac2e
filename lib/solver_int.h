/*
 * solver_int.h - the solver's inner parts, shared by lib/solver*.c only.
 *
 *   solver_order.c  xname order and chassis
 *   solver_search.c supply, classes, groups, and the search over group counts (levels a to c)
 *   solver_exact.c  exact sign of a sum of fractions
 *   solver_ip.c     integer covering programs: dual simplex + branch and bound
 *   solver_pick.c   concrete nodes for given class counts: fewest chassis, first xnames
 *   solver.c        the public API: problem building, the levels, the plan
 */
#ifndef TIDE_SOLVER_INT_H
#define TIDE_SOLVER_INT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "solver.h"
#include "strbuf.h"

/* An index table: open addressing over caller-held keys, found by hash and an equality callback. */
typedef struct itable {
    uint64_t *hash;     /* per slot */
    uint32_t *index;    /* per slot: entry + 1, 0 when empty */
    size_t    cap, n;
} itable;

/* The entry whose key equals (per eq) the one hashed to h, or -1. */
long itable_find(const itable *t, uint64_t h, int (*eq)(const void *ctx, uint32_t index), const void *ctx);
void itable_insert(itable *t, uint64_t h, uint32_t index);
void itable_free(itable *t);
uint64_t solver_hash(const void *data, size_t len, uint64_t h);   /* FNV-1a, seeded with h */

struct tide_pool_problem {
    char     *label;
    int       keep;
    /* types: name -> index */
    size_t    ntypes;
    char    **type_name;
    int64_t  *requested;     /* per type; 0 when not requested */
    itable    types;
    /* profiles: distinct supply vectors, as sorted (type, count) pairs */
    size_t    nprofiles;
    size_t   *prof_start;    /* nprofiles + 1 offsets into the pairs */
    uint32_t *pair_type;
    int64_t  *pair_count;
    size_t    npairs;
    itable    profiles;
    /* nodes */
    size_t    nnodes, node_cap;
    strbuf    names;         /* every xname, NUL-terminated, back to back */
    size_t   *name_at;       /* offset of each node's xname in names */
    unsigned char *in_target;
    uint32_t *profile;
};

const char *solver_node_name(const tide_pool_problem *p, size_t node);

/* The nodes in xname order (order[pos] = node) and the chassis along it (numbered 0.. in order).
 * Fails when an xname is not a node's or two nodes have the same. */
int solver_order(const tide_pool_problem *p, size_t *order, uint32_t *chassis, size_t *nchassis, tide_err *e);

/* Group kinds: USEFUL groups supply some requested type and are searched; the others are fixed. */
enum { GROUP_USEFUL, GROUP_EMPTY /* supplies nothing: keep T's members */, GROUP_IDLE /* nothing asked for: take none */ };

typedef struct pool_state {
    const tide_pool_problem *p;
    /* types with supply over C > 0 ("active") */
    size_t    nact;
    size_t   *act_type;      /* the problem's type index of each active type */
    int64_t  *supply;        /* over C */
    size_t    nreq;
    size_t   *req_act;       /* the active index of each requested type */
    int64_t  *req;           /* wanted */
    /* profiles, dense over active types */
    int64_t  *a;             /* nprofiles x nact */
    double   *w;             /* waste per node of the profile: sum a / supply */
    /* groups of interchangeable profiles */
    size_t    ngroups;
    uint32_t *group_of;      /* per profile */
    int      *gkind;
    size_t   *grep;          /* a representative profile */
    int64_t  *gt, *gf;       /* members in T, not in T */
    size_t    nuse;
    size_t   *use;           /* the USEFUL groups */
    /* the search's answer: every count vector over the useful groups tied for best on a) to c) */
    int64_t   pulled;        /* keep: the fewest nodes pulled in */
    size_t    nties;
    int64_t  *ties;          /* nties x nuse */
    size_t    search_nodes;
} pool_state;

int  solver_prepare(pool_state *s, const tide_pool_problem *p, tide_err *e);
int  solver_search(pool_state *s, tide_err *e);
void solver_state_free(pool_state *s);

/* Largest supply of one type over the candidates: keeps every fraction's parts in 32 bits. */
#define SOLVER_MAX_SUPPLY 0xffffffffLL

/* The sign (-1, 0, 1) of sum num[i] / den[i]; 0 < den[i] <= SOLVER_MAX_SUPPLY, |num[i]| < 2^62. */
int solver_exact_sign(const int64_t *num, const int64_t *den, size_t n);

/*
 * An integer covering program:
 *   minimise  sum c_j x_j  (c_j >= 0)
 *   subject to sum_j a[i][j] x_j >= b[i]  for every row i,
 *              lo_j <= x_j <= hi_j,  x_0 .. x_{n-1} integer, the naux others continuous.
 * Branch and bound (lowest bound first) keeps every box whose relaxation is
 * at most cutoff (plus a margin tol far above rounding error) and hands each
 * integral point it meets to leaf(), which checks it exactly and may lower
 * cutoff.  Boxes are disjoint, so no point is handed over twice.  Variables
 * must have lo >= 0; rows with non-negative integer coefficients on the
 * integer variables only are strengthened with exact integer roundings.
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
 * chosen[pos].  Returns the chassis count; -1 when the search was too large,
 * -2 on an internal inconsistency (the counts could not be met).
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

/*
 * solver.h - choose the nodes a pool pattern asks for, exactly, and say why.
 *
 * The problem.  C is the set of candidate nodes: the current members T of
 * the target group and the members of its parent groups.  Each node supplies
 * a count of every component type (after the pattern's matching, see
 * pattern.h: a pattern term, "memory" in 16 GiB units, or an unmatched
 * lower-cased model).  A request asks for at least r_c of some types.
 * For a chosen set S, supply_c(S) is the sum over S, supply_c(C) over C.
 * The types that count are those with supply_c(C) > 0; a request for a type
 * C cannot supply is an error, and so is any request C cannot meet: the
 * message lists every short type with wanted and available.
 *
 * Among all S within C, the solver returns the lexicographic minimum of:
 *   a) feasible: supply_c(S) >= r_c for every requested c;
 *   b) waste(S) = sum over every type c of (supply_c(S) - r_c) / supply_c(C),
 *      with r_c = 0 for types nobody asked for: the share of each type's
 *      pool supply the target takes beyond what was asked;
 *   c) moves = |S \ T| + |T \ S|;
 *   d) the number of distinct chassis ("xXcC" prefixes) in S;
 *   e) the list of S's xnames, sorted by tide_xname_cmp, compared element by
 *      element (xnames are compared in the same order).
 * With keep (clstr and manta's "pin"), a') fewest nodes pulled in, |S \ T|,
 * comes first, then b) to e).
 *
 * Consequences worth knowing: HSN NICs and CPU/GPU models nobody asked for
 * are types like any other, so taking more of them is waste; a node that
 * supplies nothing at all (no inventory) costs no waste, so a member of T
 * stays and any other node stays out; a node that supplies only types nobody
 * asked for always leaves.  Overshoot is allowed at node granularity, but
 * never beyond what b) forces.
 *
 * Exactness.
 *   b) waste is a sum of fractions; it is compared exactly: a long double
 *      estimate with a proven error bound decides unless the two values are
 *      too close, and then the sign of the difference is computed with
 *      integers (a common denominator, in multi-word arithmetic).  Ties in b)
 *      are therefore real ties and c) to e) decide them.
 *   Classes.  Nodes with the same supply vector and membership are
 *   interchangeable for a) to c); so are nodes whose supply of requested
 *   types is the same and whose waste contribution is exactly equal.  The
 *   search runs over how many nodes of each such group to take: an exact
 *   best-first branch and bound over integer counts, bounded by linear
 *   programming relaxations (a dual simplex, with exact integer roundings of
 *   the covering rows as cuts) that prune only with a safety margin far
 *   above the rounding error, and that enumerates every count vector whose
 *   waste and moves tie with the best.  Inside a group, members of T are
 *   taken before other nodes (any other split moves more nodes).
 *   d), e) For each tied count vector, concrete nodes are picked inside each
 *   group by a scan over chassis in xname order (a chassis is a contiguous
 *   run of that order): a chassis is used iff the rest of the request can
 *   still be met within the minimum chassis count, which is itself an exact
 *   integer covering problem over chassis kinds; inside a used chassis its
 *   first nodes are taken.  That yields the fewest chassis and, among those,
 *   the smallest sorted xname list.
 *   Every level is checked against brute force over all subsets of small
 *   random instances, and a) to c) against enumeration of all group counts
 *   of mid-size ones (tests/unit/test_solver.c).
 *   The searches stop with an error ("gave up after N steps") beyond two
 *   million relaxations, rather than run for hours on a pathological input;
 *   benchmark sites of 100k nodes need at most a few thousand.
 *
 * Pure logic, no I/O.
 */
#ifndef TIDE_SOLVER_H
#define TIDE_SOLVER_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "model.h"
#include "pattern.h"

typedef struct tide_pool_problem tide_pool_problem;

/* label names the target group in messages and may be NULL. */
tide_pool_problem *tide_pool_problem_new(const char *label);
void tide_pool_problem_free(tide_pool_problem *p);

/* keep: fewest nodes pulled in first (clstr/manta "pin"). */
void tide_pool_set_keep(tide_pool_problem *p, int keep);

/* Ask for at least qty (> 0) of the type called name.  A type requested twice is an error. */
int tide_pool_request(tide_pool_problem *p, const char *name, int64_t qty, tide_err *e);

/* Add a candidate node with its supply (type name -> count >= 0; a name may repeat and then adds up).
 * in_target: the node is in the target group now.  xnames should be normalised (tide_xname_normalize);
 * one listed twice is an error when solving. */
int tide_pool_add_node(tide_pool_problem *p, const char *xname, int in_target,
                       const tide_count *supply, size_t nsupply, tide_err *e);

/* The adapter from inventory: request every term of pat, and add the n nodes of hw[] with
 * in_target[i] != 0 for members of T.  Each processor socket, accelerator and HSN NIC counts
 * under the type tide_pattern_type_of() gives, memory as tide_node_memory_units(). */
int tide_pool_problem_from_hw(tide_pool_problem *p, const tide_pattern *pat,
                              const tide_node_hw *hw, const unsigned char *in_target, size_t n,
                              tide_err *e);

size_t tide_pool_problem_nodes(const tide_pool_problem *p);

/* One type in the plan: requested terms first (in name order), then the others by name. */
typedef struct tide_pool_plan_type {
    char   *name;
    int64_t requested;   /* 0 when not requested */
    int64_t supply;      /* over the chosen nodes S */
    int64_t pool;        /* over all candidates C */
} tide_pool_plan_type;

typedef struct tide_pool_plan {
    char **chosen;  size_t nchosen;   /* S, in xname order */
    char **add;     size_t nadd;      /* S \ T, in xname order */
    char **remove;  size_t nremove;   /* T \ S, in xname order */
    tide_pool_plan_type *types;  size_t ntypes;
    double waste;                     /* b), rounded for display; compared exactly inside */
    size_t moves;                     /* nadd + nremove */
    size_t chassis;                   /* distinct chassis in S */
    int    keep;
    char  *why;                       /* one line an admin can read */
    size_t search_nodes;              /* branch-and-bound nodes visited (statistics) */
} tide_pool_plan;

/* Solve.  On error (not enough hardware, bad input) nothing is allocated in *plan. */
int tide_pool_solve(const tide_pool_problem *p, tide_pool_plan *plan, tide_err *e);
void tide_pool_plan_free(tide_pool_plan *plan);

#endif

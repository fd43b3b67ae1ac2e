/*
 * pool_plan.h - a pool pattern planned against SMD's groups: the candidates,
 * the group each one is in, and the solver's choice with the moves it implies.
 *
 * Candidates are the members of the target group (the pattern's NAME) and of
 * its parent groups (`nodes_free` unless told otherwise).  A node the plan
 * pulls in comes from the parent it is in (the first one listed, should it be
 * in several); a node the plan lets go goes to the first parent.  A target
 * group SMD does not have yet is planned as empty.
 *
 * The groups come from the caller (read from SMD, or from a `tide dump`), so
 * this is the same code for `tide pool plan`, `tide pool apply` and its
 * re-plans.  Pure logic, no I/O.
 */
#ifndef TIDE_POOL_PLAN_H
#define TIDE_POOL_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "inventory.h"
#include "pattern.h"
#include "smd.h"
#include "solver.h"

#define TIDE_POOL_DEFAULT_PARENT "nodes_free"

typedef struct tide_pool_planned {
    char   *target;                  /* the target group's label */
    int     target_exists;           /* SMD has the target group */
    char  **parents;  size_t nparents;
    size_t  ncandidates;             /* distinct nodes in the target and the parents */
    tide_pool_plan plan;             /* the solver's answer (chosen, add, remove, types, why) */
    const char **add_from;           /* per plan.add[i]: the parent it comes from (a parents[] string) */
    const char  *remove_to;          /* where plan.remove[] nodes go: parents[0] */
    int64_t solve_us;                /* building the problem from the inventory and solving it */
} tide_pool_planned;

/*
 * Plan `pat` (its group is the target) with `keep` (fewest nodes pulled in first).  target is the
 * target group, NULL when SMD has none; parents are the parent groups (nparents >= 1, all existing).
 * inv holds the hardware (a candidate it does not know supplies nothing).  A parent that is the
 * target, a parent listed twice, and not enough hardware are errors.  On error *out is left empty.
 */
int tide_pool_plan_groups(const tide_pattern *pat, int keep, const tide_group *target,
                          const tide_group *parents, size_t nparents, const tide_inventory *inv,
                          tide_pool_planned *out, tide_err *e);
void tide_pool_planned_free(tide_pool_planned *p);

#endif

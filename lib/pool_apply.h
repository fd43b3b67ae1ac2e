/*
 * pool_apply.h - make SMD's groups what a pool plan says, without ever losing
 * or double-assigning a node.
 *
 * The managed groups are the target and its parents.  They must share one
 * exclusiveGroup (tide.conf ExclusiveGroup=): SMD then refuses to put a node
 * in two of them (409), which makes "two groups" impossible and turns a race
 * with another party into a clean 409.  SMD cannot change the exclusiveGroup
 * of an existing group (PATCH takes only description and tags), and deleting
 * and re-creating a group would lose its members if anything failed in
 * between, so a managed group with another exclusiveGroup, or none, is an
 * error that says what to do; a missing target group is created with the
 * right one (after the plan is known to be feasible).
 *
 * One round:
 *   1. read the managed groups (one GET /groups?group=..), check them, plan;
 *   2. reserve the nodes that move (SMD service reservation, rigid, renewed
 *      when half of it has run out), so that tided and PCS leave them alone;
 *   3. move each node: DELETE it from its group, then POST it to the other
 *      one; every reply is checked;
 *   4. release the reservation, read the groups back and check them against
 *      the plan.
 * A 409 on the POST (another party put the node in a group of the same
 * exclusiveGroup between our two calls), a 404 on the DELETE (the node had
 * already left) or a read-back that differs from the plan mean another party
 * changed the groups: the round stops and a new one plans from SMD's new
 * state, at most max_plans rounds in all.  Any other failure stops the apply.
 *
 * The window.  Between a successful DELETE and the POST the node is in no
 * managed group.  When the POST fails, tide asks SMD where the node is
 * (GET /memberships/{xname}) and, unless it is in a group already, POSTs it
 * back where it came from.  That POST is itself safe to repeat: if the node
 * is in a group of the exclusiveGroup meanwhile, SMD answers 409 and nothing
 * changes.  Only when SMD refuses every try is a node left in no group; the
 * report then says so, naming the node and the group to put it back in.
 *
 * Idempotent: a plan depends only on the candidates and their hardware, and
 * a node already moved is one move fewer, so after a partial apply the same
 * pattern plans the same final membership and the rest of the moves.
 *
 * Every call goes through smd.h; no UI.  The report says what was tried,
 * what happened to each node and where each node is now.
 */
#ifndef TIDE_POOL_APPLY_H
#define TIDE_POOL_APPLY_H

#include <stddef.h>

#include "err.h"
#include "http.h"
#include "inventory.h"
#include "pattern.h"
#include "pool_plan.h"

typedef struct tide_pool_apply_opts {
    const char *exclusive_group;  /* the exclusiveGroup every managed group must have (required) */
    int         keep;             /* fewest nodes pulled in first */
    int         dry_run;          /* plan and list the calls, change nothing */
    int         max_plans;        /* rounds in all (default 4: the first plan and 3 re-plans) */
    int         reserve_minutes;  /* service reservation, 1..15 (default 15) */
    int         put_back_tries;   /* POSTs to put a node back (default 3) */
    long        put_back_delay_ms;/* before the second try, doubled after (default 200; 0 = none) */
    const char *description;      /* of a target group tide creates (NULL: "tide pool <NAME>") */
} tide_pool_apply_opts;

void tide_pool_apply_opts_init(tide_pool_apply_opts *o, const char *exclusive_group);

typedef enum tide_pool_move_result {
    TIDE_MOVE_PENDING = 0,  /* not tried: the apply stopped first (the node is still in `from`) */
    TIDE_MOVE_DONE,         /* the node is in `to` */
    TIDE_MOVE_NOT_DONE,     /* the node is in `from` (put back there when `put_back`) */
    TIDE_MOVE_TAKEN,        /* another party has the node: it is in `now`, neither from nor to */
    TIDE_MOVE_STRANDED,     /* in no group: SMD refused every try to put it back in `from` */
} tide_pool_move_result;

/* "not tried", "moved", "not moved", "taken", "stranded" */
const char *tide_pool_move_result_name(tide_pool_move_result r);

typedef struct tide_pool_move {
    char  *node;
    char  *from, *to;
    int    plan;                   /* the round (1-based) that planned it */
    tide_pool_move_result result;
    int    put_back;               /* tide put the node back in `from` after the move failed */
    char  *now;                    /* where the node is now, as last read from SMD: a group label,
                                    * several separated by ",", or NULL for no group */
    char  *error;                  /* why the move failed (NULL when it did not) */
    double ms;                     /* time the move took */
} tide_pool_move;

/* One SMD call of a dry run, as it would be sent (path relative to SmdUrl). */
typedef struct tide_pool_call {
    char *method, *path;
    char *body;                    /* NULL when none */
} tide_pool_call;

typedef struct tide_pool_apply_report {
    tide_pool_planned plan;        /* the last plan made (empty if none could be made) */
    size_t  nplans;                /* rounds started */
    int     created_target;        /* tide created the target group */
    char  **notes;   size_t nnotes;/* what tide found and did, one line each */
    tide_pool_move *moves; size_t nmoves;  /* moves tried, and those of the last plan not tried */
    tide_pool_call *calls; size_t ncalls;  /* dry run only */
    char  **members; size_t nmembers;      /* the target as read back at the end, xname order */
    int     members_read;          /* members is SMD's answer (the read-back worked) */
    int     verified;              /* the read-back matched the last plan */
    double  plan_ms, reserve_ms, move_ms, verify_ms, total_ms;
} tide_pool_apply_report;

/*
 * Plan `pat` against SMD (`smd`) with the hardware in inv, parents[] as parent groups (the target
 * is pat->group) and apply it.  Returns 0 when SMD's groups match the plan at the end (or, dry
 * run, when the plan is made); -1 with e set otherwise.  The report is filled in either way, as
 * far as the apply went; free it with tide_pool_apply_report_free.
 */
int tide_pool_apply(tide_http *smd, const tide_inventory *inv, const tide_pattern *pat,
                    const char *const *parents, size_t nparents, const tide_pool_apply_opts *o,
                    tide_pool_apply_report *r, tide_err *e);
void tide_pool_apply_report_free(tide_pool_apply_report *r);

#endif

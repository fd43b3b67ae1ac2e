/*
 * pcs.h - the Power Control Service client: power transitions and power status.
 *
 * `pcs` is a tide_http whose base URL ends in /power-control/v1 (PcsUrl=).
 * Behaviour follows the real PCS where it differs from its spec: POST
 * /transitions answers 200 (not 202), errors are RFC 7807 with a lower-case
 * `status`, operations are case-insensitive in requests and Capitalised in
 * answers ("Soft-Restart"), and the task count of unsupported tasks is spelt
 * `un-supported`.
 */
#ifndef TIDE_PCS_H
#define TIDE_PCS_H

#include <stddef.h>

#include "err.h"
#include "http.h"

/* Operations PCS accepts: on, off, soft-off, soft-restart, hard-restart, init, force-off. */

typedef struct tide_pcs_task {
    char *xname;
    char *status;        /* new, in-progress, failed, succeeded, unsupported */
    char *description;   /* taskStatusDescription, "" when none */
    char *error;         /* NULL when PCS reported none */
} tide_pcs_task;

typedef struct tide_pcs_task_counts {
    int total, new_, in_progress, failed, succeeded, unsupported;
} tide_pcs_task_counts;

typedef struct tide_pcs_transition {
    char *id;
    char *operation;     /* as PCS answers it: "Soft-Restart", ... */
    char *status;        /* new, in-progress, completed, abort-signaled, aborted */
    tide_pcs_task_counts counts;
    tide_pcs_task *tasks;  /* absent (0) once PCS has compressed the record */
    size_t ntasks;
} tide_pcs_transition;

void tide_pcs_transition_free(tide_pcs_transition *t);  /* frees the members */
/* 1 when the transition will not change any more (completed or aborted). */
int  tide_pcs_transition_done(const tide_pcs_transition *t);
/* 1 when the task reached its goal. */
int  tide_pcs_task_ok(const tide_pcs_task *t);
/* 1 when the task is still new or in progress. */
int  tide_pcs_task_pending(const tide_pcs_task *t);

/*
 * POST /transitions {"operation":..,"taskDeadlineMinutes":..,"location":[{"xname":..,"deputyKey":..}]}.
 * deputy_keys may be NULL, or hold NULL for nodes without a reservation of ours
 * (PCS then reserves them itself).  task_deadline_minutes: 0 = PCS does not
 * wait for each task, -1 = waits as long as it takes.  *transition_id is the
 * new transition (caller frees).
 */
int tide_pcs_transition_start(tide_http *pcs, const char *operation, const char *const *xnames,
                              const char *const *deputy_keys, size_t n, int task_deadline_minutes,
                              char **transition_id, tide_err *e);

/* GET /transitions/{id}. */
int tide_pcs_transition_get(tide_http *pcs, const char *id, tide_pcs_transition *out, tide_err *e);

/*
 * Poll GET /transitions/{id} every poll_interval_ms until it is completed or
 * aborted, or deadline_s seconds passed (< 0: no limit, 0: look once).  *out
 * holds the last state seen, also on a deadline error, so the caller can tell
 * which nodes failed (tasks whose status is not "succeeded") or are pending.
 * A completed transition with failed tasks is not an error here.
 */
int tide_pcs_transition_wait(tide_http *pcs, const char *id, long poll_interval_ms, long deadline_s,
                             tide_pcs_transition *out, tide_err *e);

/* DELETE /transitions/{id}: ask PCS to abort (202); 400 when it is already complete. */
int tide_pcs_transition_abort(tide_http *pcs, const char *id, tide_err *e);

/* ---- power status ------------------------------------------------------ */

typedef struct tide_pcs_power {
    char *xname;
    char *power_state;       /* on, off, undefined */
    char *management_state;  /* available, unavailable */
    char *error;             /* NULL when PCS reported none */
} tide_pcs_power;

typedef struct tide_pcs_power_list {
    tide_pcs_power *items;
    size_t n;
} tide_pcs_power_list;

void tide_pcs_power_list_free(tide_pcs_power_list *l);
/* The entry for xname, or NULL. */
const tide_pcs_power *tide_pcs_power_find(const tide_pcs_power_list *l, const char *xname);

/* How many xnames go into one GET /power-status URL. */
#define TIDE_PCS_STATUS_CHUNK 100

/* GET /power-status?xname=a&xname=b..., in chunks; n = 0 asks for every component. */
int tide_pcs_power_status(tide_http *pcs, const char *const *xnames, size_t n, tide_pcs_power_list *out,
                          tide_err *e);

#endif

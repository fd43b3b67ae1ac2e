/*
 * redfish.h - power control straight at a node's BMC, when neither PCS nor
 * anything else is there to do it.
 *
 * `rf` is a tide_http whose base URL is https://<bmc> (paths /redfish/v1/...),
 * with Basic authentication (tide_http_opts.basic_user/basic_password).
 * The system id is never guessed: BMCs call it 1, Self, system, Node0 or a
 * serial number.  The reset types a BMC accepts differ by vendor, so every
 * operation is a chain of acceptable ResetType values, the first one the BMC
 * allows is used.
 */
#ifndef TIDE_REDFISH_H
#define TIDE_REDFISH_H

#include <stddef.h>

#include "err.h"
#include "http.h"

typedef struct tide_redfish_system {
    char  *path;           /* "/redfish/v1/Systems/<id>" */
    char  *power_state;    /* On, Off, PoweringOn, PoweringOff, Paused; "" when not reported */
    char  *reset_target;   /* where to POST the Reset action */
    char **allowed;        /* ResetType values the BMC allows */
    size_t nallowed;
    int    allowed_known;  /* 0: the BMC does not say, any value may be tried */
} tide_redfish_system;

void tide_redfish_system_free(tide_redfish_system *s);   /* frees the members */

/*
 * Find and read the system: `system` is an id ("Self"), a path
 * ("/redfish/v1/Systems/Self", as SMD's RedfishURL gives it) or NULL for the
 * first member of /redfish/v1/Systems.  Reads PowerState, the Reset target and
 * the allowed ResetType values, inline (ResetType@Redfish.AllowableValues) or
 * from the action's @Redfish.ActionInfo.
 */
int tide_redfish_system_get(tide_http *rf, const char *system, tide_redfish_system *out, tide_err *e);

/* GET the system again and return its PowerState (caller frees). */
int tide_redfish_power_state(tide_http *rf, const char *system_path, char **state, tide_err *e);

typedef enum tide_redfish_op {
    TIDE_RF_ON,             /* On, ForceOn, PushPowerButton */
    TIDE_RF_OFF,            /* GracefulShutdown, ForceOff, Off, PushPowerButton */
    TIDE_RF_FORCE_OFF,      /* ForceOff, Off, GracefulShutdown, PushPowerButton */
    TIDE_RF_RESTART,        /* GracefulRestart, ForceRestart, PowerCycle, then off and on */
    TIDE_RF_FORCE_RESTART,  /* ForceRestart, PowerCycle, GracefulRestart, then off and on */
} tide_redfish_op;

const char *tide_redfish_op_name(tide_redfish_op op);   /* "on", "off", "force-off", "restart", "force-restart" */

/*
 * The first ResetType of op's chain that the system allows (the first of the
 * chain when the BMC does not say), or NULL when none is allowed; for the
 * restarts NULL means "power off, wait for Off, power on".  Pure function.
 */
const char *tide_redfish_pick_reset(const tide_redfish_system *s, tide_redfish_op op);

/* POST {"ResetType": type} to the system's Reset target; 200, 202 and 204 are success. */
int tide_redfish_reset_type(tide_http *rf, const tide_redfish_system *s, const char *type, tide_err *e);

/*
 * Do op with the first allowed ResetType, after reading PowerState afresh
 * (s->power_state is updated).  On and off do nothing when the system already
 * is in that state (PushPowerButton toggles, so this matters); a restart of a
 * system that is Off powers it on.  When the BMC does not list its allowed
 * values and refuses one with 400, the next of the chain is tried.  When a
 * restart has to be done as off then on, PowerState is polled every poll_ms
 * until Off (deadline_s: < 0 no limit, 0 look once).  *used (may be NULL,
 * caller frees) gets what was done: "ForceRestart", "ForceOff+On", or "" when
 * nothing was needed.  The BMC answering does not mean the state changed:
 * poll PowerState (or watch the node) afterwards.
 */
int tide_redfish_reset(tide_http *rf, tide_redfish_system *s, tide_redfish_op op, long poll_ms, long deadline_s,
                       char **used, tide_err *e);

#endif

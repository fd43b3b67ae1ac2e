/*
 * smd.h - the State Manager (HSM) client: groups, components, hardware
 * inventory, memberships and service reservations.
 *
 * `smd` is a tide_http whose base URL ends in /hsm/v2 (SmdUrl=).  Every call
 * checks the HTTP status; errors name SMD, the method, the URL, the status and
 * SMD's own detail.  A 409 sets e->conflict (another party owns the node).
 * Behaviour follows the real server code where it differs from the spec
 * (201 + [{"URI":..}] on create, 200 + {code,message} on member DELETE, ...).
 */
#ifndef TIDE_SMD_H
#define TIDE_SMD_H

#include <stddef.h>

#include <json-c/json.h>

#include "err.h"
#include "http.h"
#include "jsonutil.h"
#include "xname.h"

/* ---- groups ---------------------------------------------------------- */

typedef struct tide_group {
    char  *label;
    char  *description;      /* "" when none */
    char  *exclusive_group;  /* NULL when none */
    char **tags;    size_t ntags;
    char **members; size_t nmembers;  /* normalised xnames, in SMD's order */
} tide_group;

typedef struct tide_group_list {
    tide_group *groups;
    size_t      n;
} tide_group_list;

void tide_group_free(tide_group *g);        /* frees the members of g */
void tide_group_list_free(tide_group_list *l);
int  tide_group_has_member(const tide_group *g, const char *xname);

/* SMD's Group object as a tide_group (members normalised), for bodies read elsewhere (dumps). */
void tide_group_from_json(json_object *j, tide_group *out);

/* GET /groups[?group=a&group=b]; labels may be NULL (all groups). */
int tide_smd_groups_list(tide_http *smd, const char *const *labels, size_t nlabels,
                         tide_group_list *out, tide_err *e);
/* GET /groups/{label}; a missing group is an error with e->http_status 404. */
int tide_smd_group_get(tide_http *smd, const char *label, tide_group *out, tide_err *e);
/* POST /groups (members optional). 409 when the label exists or a member is exclusive elsewhere. */
int tide_smd_group_create(tide_http *smd, const tide_group *g, tide_err *e);
/* DELETE /groups/{label} */
int tide_smd_group_delete(tide_http *smd, const char *label, tide_err *e);
/* POST /groups/{label}/members {"id":x} */
int tide_smd_group_add_member(tide_http *smd, const char *label, const char *xname, tide_err *e);
/* DELETE /groups/{label}/members/{xname} */
int tide_smd_group_remove_member(tide_http *smd, const char *label, const char *xname, tide_err *e);
/* PUT /groups/{label}/members (OpenCHAMI only; CSM answers 405). Replaces the whole list in one
 * transaction; a list that conflicts with another exclusive group is a 500 (not retried). */
int tide_smd_group_set_members(tide_http *smd, const char *label, const char *const *xnames, size_t n,
                               tide_err *e);

/* ---- components ------------------------------------------------------ */

/* Strings are "" when SMD left the field out (every field but ID and Type is omitempty). */
typedef struct tide_component {
    char *id, *type, *state, *flag, *role, *subrole, *arch, *class_;
    int   enabled;      /* 1 unless SMD says "Enabled": false */
    long  nid;          /* -1 when absent */
} tide_component;

typedef struct tide_component_list {
    tide_component *items;
    size_t          n;
} tide_component_list;

void tide_component_list_free(tide_component_list *l);

/* Append the Components of a {"Components":[...]} body (SMD's reply, or a dump) to out;
 * -1 when the body has no such list (NULL body: nothing to add). */
int tide_components_from_json(json_object *body, tide_component_list *out);

/* Query filters for GET /State/Components, each a "key=value" string, e.g. "type=Node",
 * "group=nodes_free", "state=Ready" (values are URL-encoded by the client). */
int tide_smd_components_get(tide_http *smd, const char *const *filters, size_t nfilters,
                            tide_component_list *out, tide_err *e);
#define TIDE_SMD_QUERY_CHUNK 1000

/* POST /State/Components/Query {"ComponentIDs":[..]} in chunks of `chunk` ids (0 = TIDE_SMD_QUERY_CHUNK),
 * results appended in reply order.  No ids: an empty list and no request (an empty ComponentIDs
 * list would match every component). */
int tide_smd_components_query(tide_http *smd, const char *const *ids, size_t nids, size_t chunk,
                              tide_component_list *out, tide_err *e);
/* The raw body, for `tide dump`: GET /State/Components?type=Node, parsed but otherwise as SMD sent it. */
int tide_smd_components_raw(tide_http *smd, json_object **out, tide_err *e);

/* ---- hardware inventory --------------------------------------------- */

/* GET /Inventory/Hardware/Query/{xname} (NestNodesOnly); xname "s0" = the whole system in one call.
 * The body is returned as SMD sent it (never NULL on success); inventory.h turns it into tide_node_hw.
 * An unknown xname is a 200 with an empty inventory, so success does not mean the node exists. */
int tide_smd_inventory_query(tide_http *smd, const char *xname, json_object **out, tide_err *e);

/* ---- memberships ----------------------------------------------------- */

/* GET /memberships/{xname} -> group labels (partition ignored); free with tide_strv_free.
 * An unknown xname is an error with e->http_status 404. */
int tide_smd_memberships(tide_http *smd, const char *xname, char ***labels, size_t *nlabels, tide_err *e);

/* ---- service reservations (locks) ----------------------------------- */

typedef struct tide_reservation {
    char *id;
    char *deputy_key;       /* handed to PCS */
    char *reservation_key;  /* needed to renew and release */
    char *expires;          /* ExpirationTime as SMD wrote it */
} tide_reservation;

typedef struct tide_reservation_failure {
    char *id;
    char *reason;           /* Reserved, Locked, Disabled, NotFound, ... */
} tide_reservation_failure;

typedef struct tide_reservations {
    tide_reservation         *ok;   size_t nok;
    tide_reservation_failure *failed; size_t nfailed;
} tide_reservations;

void tide_reservations_free(tide_reservations *r);

/* POST /locks/service/reservations; rigid: all or nothing (400 on any failure); else flexible,
 * where out->failed lists what could not be reserved and why.  minutes: 1..15.
 * No ids: nothing to reserve, no request. */
int tide_smd_reserve(tide_http *smd, const char *const *ids, size_t n, int rigid, int minutes,
                     tide_reservations *out, tide_err *e);
/* POST /locks/service/reservations/renew with the reservation keys of r ("rigid": all or none).
 * Any id SMD lists under Failure makes the call fail, naming the ids and reasons. */
int tide_smd_reserve_renew(tide_http *smd, const tide_reservations *r, int minutes, tide_err *e);
/* POST /locks/service/reservations/release with the reservation keys of r ("flexible": one
 * expired reservation must not keep the others held).  Ids SMD could not release make the call
 * fail after the others were released, naming the ids and reasons. */
int tide_smd_reserve_release(tide_http *smd, const tide_reservations *r, tide_err *e);
/* POST /locks/service/reservations/check with the deputy keys of r; *nvalid = ids still held. */
int tide_smd_reserve_check(tide_http *smd, const tide_reservations *r, size_t *nvalid, tide_err *e);

#endif

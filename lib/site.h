/*
 * site.h - a snapshot of the site: read from SMD, or from a `tide dump`.
 *
 * The views of the CLI and the solver read groups, components and hardware
 * inventory through a tide_site, so the same code runs against a live SMD or
 * offline against a dump taken at a real site.  A dump is one JSON object
 * holding SMD's own bodies, untouched:
 *
 *   {"components": <GET /State/Components?type=Node>,
 *    "groups":     <GET /groups>,
 *    "inventory":  <GET /Inventory/Hardware/Query/s0>}
 *
 * A live site fetches each part when first asked and keeps it, and asks SMD
 * for a single group with one GET /groups/{label} rather than all groups.
 * A dump-backed site fails with a message naming the dump, never silently.
 */
#ifndef TIDE_SITE_H
#define TIDE_SITE_H

#include <json-c/json.h>

#include "err.h"
#include "http.h"
#include "inventory.h"
#include "smd.h"

typedef struct tide_site tide_site;

/* A site read live through `smd` (not owned; must outlive the site). */
tide_site *tide_site_live(tide_http *smd);
/* A site read from the text of a dump; `name` (the file) is used in messages.  NULL with e set
 * when the text is not a dump. */
tide_site *tide_site_from_dump(const char *text, const char *name, tide_err *e);
void tide_site_free(tide_site *s);

/* Where the data comes from, for messages: "SMD at <url>" or "dump <file>". */
const char *tide_site_source(const tide_site *s);

/* One group; a missing group is an error with e->http_status 404 (also from a dump). */
int tide_site_group(tide_site *s, const char *label, tide_group *out, tide_err *e);
/* The groups with these labels, those that exist, in the order asked (labels NULL: all groups). */
int tide_site_groups(tide_site *s, const char *const *labels, size_t nlabels, tide_group_list *out,
                     tide_err *e);
/* The whole hardware inventory body (borrowed: owned by the site) and its parsed form. */
int tide_site_inventory_json(tide_site *s, json_object **body, tide_err *e);
int tide_site_inventory(tide_site *s, const tide_inventory **inv, tide_err *e);
/* An inventory body that covers `node` (a new reference the caller puts): live, SMD's
 * GET /Inventory/Hardware/Query/{node}; from a dump, the whole inventory. */
int tide_site_node_inventory_json(tide_site *s, const char *node, json_object **body, tide_err *e);
/* The node components body (borrowed). */
int tide_site_components_json(tide_site *s, json_object **body, tide_err *e);

/* The dump of this site, a new reference the caller puts (all three parts are fetched). */
int tide_site_dump(tide_site *s, json_object **out, tide_err *e);

#endif

/*
 * smd.c - see smd.h.
 *
 * Every call goes through tide_http_json (or tide_http_send where the reply
 * needs more than a 2xx check), so error lines, retries and tokens are the
 * HTTP layer's.  This file only knows SMD's paths and JSON shapes.
 */
#include "smd.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "strbuf.h"
#include "xname.h"

/* prefix + encoded segment + suffix, e.g. "/groups/" "compute" "/members". */
static char *seg_path(const char *prefix, const char *segment, const char *suffix)
{
    strbuf b = STRBUF_INIT;
    strbuf_puts(&b, prefix);
    tide_urlencode_segment(&b, segment);
    strbuf_puts(&b, suffix);
    return strbuf_steal(&b);
}

/* ---- groups ---------------------------------------------------------- */

void tide_group_free(tide_group *g)
{
    if (!g)
        return;
    free(g->label);
    free(g->description);
    free(g->exclusive_group);
    tide_strv_free(g->tags, g->ntags);
    tide_strv_free(g->members, g->nmembers);
    memset(g, 0, sizeof(*g));
}

void tide_group_list_free(tide_group_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        tide_group_free(&l->groups[i]);
    free(l->groups);
    memset(l, 0, sizeof(*l));
}

int tide_group_has_member(const tide_group *g, const char *xname)
{
    char buf[128];
    const char *want = tide_xname_or_self(xname, buf, sizeof(buf));
    for (size_t i = 0; i < g->nmembers; i++)
        if (!strcmp(g->members[i], want))
            return 1;
    return 0;
}

void tide_group_from_json(json_object *j, tide_group *g)
{
    const char *excl = tide_json_str(j, "exclusiveGroup");
    memset(g, 0, sizeof(*g));
    g->label = tide_reply_str(j, "label");
    g->description = tide_reply_str(j, "description");
    g->exclusive_group = excl && *excl ? xstrdup(excl) : NULL;
    g->tags = tide_strv_from_json(tide_json_array(j, "tags"), 0, &g->ntags);
    g->members = tide_strv_from_json(tide_json_array(tide_json_get(j, "members"), "ids"), 1, &g->nmembers);
}

int tide_smd_groups_list(tide_http *smd, const char *const *labels, size_t nlabels,
                         tide_group_list *out, tide_err *e)
{
    strbuf path = STRBUF_INIT;
    json_object *j = NULL;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    strbuf_puts(&path, "/groups");
    for (size_t i = 0; labels && i < nlabels; i++) {
        strbuf_puts(&path, i ? "&group=" : "?group=");
        strbuf_urlencode(&path, labels[i]);
    }
    if (tide_http_json(smd, "GET", strbuf_str(&path), NULL, &j, e))
        goto out;
    if (j && !json_object_is_type(j, json_type_array)) {
        tide_reply_error(smd, "GET", strbuf_str(&path), "the reply is not a list of groups", e);
        goto out;
    }
    size_t n = j ? json_object_array_length(j) : 0;
    out->groups = n ? xcalloc(n, sizeof(*out->groups)) : NULL;
    for (size_t i = 0; i < n; i++)
        tide_group_from_json(json_object_array_get_idx(j, i), &out->groups[out->n++]);
    rc = 0;
out:
    json_object_put(j);
    strbuf_free(&path);
    return rc;
}

int tide_smd_group_get(tide_http *smd, const char *label, tide_group *out, tide_err *e)
{
    char *path = seg_path("/groups/", label, "");
    json_object *j = NULL;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    if (tide_http_json(smd, "GET", path, NULL, &j, e))
        goto out;
    if (!json_object_is_type(j, json_type_object)) {
        tide_reply_error(smd, "GET", path, "the reply is not a group", e);
        goto out;
    }
    tide_group_from_json(j, out);
    rc = 0;
out:
    json_object_put(j);
    free(path);
    return rc;
}

/* SMD answers writes with 201 + [{"URI":..}], 200 + {code,message} or 204; gateways have been seen
 * to change which.  Any 2xx is success and the body is not needed. */
static int smd_write(tide_http *smd, const char *method, const char *path, json_object *body, tide_err *e)
{
    int rc = tide_http_json(smd, method, path, body, NULL, e);
    json_object_put(body);
    return rc;
}

int tide_smd_group_create(tide_http *smd, const tide_group *g, tide_err *e)
{
    json_object *body = json_object_new_object();
    json_object *members = json_object_new_object();

    json_object_object_add(body, "label", json_object_new_string(g->label));
    json_object_object_add(body, "description", json_object_new_string(g->description ? g->description : ""));
    if (g->exclusive_group && *g->exclusive_group)
        json_object_object_add(body, "exclusiveGroup", json_object_new_string(g->exclusive_group));
    if (g->ntags)
        json_object_object_add(body, "tags", tide_json_str_array((const char *const *)g->tags, g->ntags));
    json_object_object_add(members, "ids", tide_json_str_array((const char *const *)g->members, g->nmembers));
    json_object_object_add(body, "members", members);
    return smd_write(smd, "POST", "/groups", body, e);
}

int tide_smd_group_delete(tide_http *smd, const char *label, tide_err *e)
{
    char *path = seg_path("/groups/", label, "");
    int rc = smd_write(smd, "DELETE", path, NULL, e);
    free(path);
    return rc;
}

int tide_smd_group_add_member(tide_http *smd, const char *label, const char *xname, tide_err *e)
{
    char *path = seg_path("/groups/", label, "/members");
    json_object *body = json_object_new_object();
    json_object_object_add(body, "id", json_object_new_string(xname));
    int rc = smd_write(smd, "POST", path, body, e);
    free(path);
    return rc;
}

int tide_smd_group_remove_member(tide_http *smd, const char *label, const char *xname, tide_err *e)
{
    strbuf path = STRBUF_INIT;
    strbuf_puts(&path, "/groups/");
    tide_urlencode_segment(&path, label);
    strbuf_puts(&path, "/members/");
    tide_urlencode_segment(&path, xname);
    int rc = smd_write(smd, "DELETE", strbuf_str(&path), NULL, e);
    strbuf_free(&path);
    return rc;
}

int tide_smd_group_set_members(tide_http *smd, const char *label, const char *const *xnames, size_t n,
                               tide_err *e)
{
    char *path = seg_path("/groups/", label, "/members");
    json_object *body = json_object_new_object();
    /* SMD ignores "group" but its own client sends it; so do we. */
    json_object_object_add(body, "group", json_object_new_string(label));
    json_object_object_add(body, "ids", tide_json_str_array(xnames, n));
    /* Its 500 is how SMD says "conflicts with another exclusive group" (a wrapped DB error
     * compared by equality): asking again gives the same answer. */
    int rc = tide_http_json_once(smd, "PUT", path, body, NULL, e);
    json_object_put(body);
    free(path);
    return rc;
}

/* ---- components ------------------------------------------------------ */

static void component_free(tide_component *c)
{
    free(c->id); free(c->type); free(c->state); free(c->flag);
    free(c->role); free(c->subrole); free(c->arch); free(c->class_);
}

void tide_component_list_free(tide_component_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        component_free(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof(*l));
}

static void component_from_json(json_object *j, tide_component *c)
{
    c->id = tide_reply_xname(j, "ID");
    c->type = tide_reply_str(j, "Type");
    c->state = tide_reply_str(j, "State");
    c->flag = tide_reply_str(j, "Flag");
    c->role = tide_reply_str(j, "Role");
    c->subrole = tide_reply_str(j, "SubRole");
    c->arch = tide_reply_str(j, "Arch");
    c->class_ = tide_reply_str(j, "Class");
    c->enabled = tide_json_bool(j, "Enabled", 1);
    c->nid = (long)tide_json_int(j, "NID", -1);
}

int tide_components_from_json(json_object *body, tide_component_list *out)
{
    json_object *arr = tide_json_get(body, "Components");
    if (body && !json_object_is_type(arr, json_type_array))
        return -1;
    size_t n = arr ? json_object_array_length(arr) : 0;
    if (!n)
        return 0;
    out->items = xrealloc(out->items, (out->n + n) * sizeof(*out->items));
    for (size_t i = 0; i < n; i++)
        component_from_json(json_object_array_get_idx(arr, i), &out->items[out->n++]);
    return 0;
}

/* Append the Components of a reply to out, or fail naming the call. */
static int components_append(tide_http *smd, const char *method, const char *path, json_object *j,
                             tide_component_list *out, tide_err *e)
{
    if (tide_components_from_json(j, out))
        return tide_reply_error(smd, method, path, "the reply has no \"Components\" list", e);
    return 0;
}

int tide_smd_components_get(tide_http *smd, const char *const *filters, size_t nfilters,
                            tide_component_list *out, tide_err *e)
{
    strbuf path = STRBUF_INIT;
    json_object *j = NULL;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    strbuf_puts(&path, "/State/Components");
    for (size_t i = 0; filters && i < nfilters; i++) {
        const char *eq = strchr(filters[i], '=');
        char *key = eq ? xstrndup(filters[i], (size_t)(eq - filters[i])) : xstrdup(filters[i]);
        strbuf_puts(&path, i ? "&" : "?");
        strbuf_urlencode(&path, key);
        strbuf_puts(&path, "=");
        strbuf_urlencode(&path, eq ? eq + 1 : "");
        free(key);
    }
    if (!tide_http_json(smd, "GET", strbuf_str(&path), NULL, &j, e))
        rc = components_append(smd, "GET", strbuf_str(&path), j, out, e);
    if (rc)
        tide_component_list_free(out);
    json_object_put(j);
    strbuf_free(&path);
    return rc;
}

int tide_smd_components_query(tide_http *smd, const char *const *ids, size_t nids, size_t chunk,
                              tide_component_list *out, tide_err *e)
{
    static const char path[] = "/State/Components/Query";

    memset(out, 0, sizeof(*out));
    if (!chunk)
        chunk = TIDE_SMD_QUERY_CHUNK;
    for (size_t off = 0; off < nids; off += chunk) {
        size_t n = nids - off < chunk ? nids - off : chunk;
        json_object *body = json_object_new_object(), *j = NULL;
        json_object_object_add(body, "ComponentIDs", tide_json_str_array(ids + off, n));
        int rc = tide_http_json(smd, "POST", path, body, &j, e);
        json_object_put(body);
        if (!rc)
            rc = components_append(smd, "POST", path, j, out, e);
        json_object_put(j);
        if (rc) {
            tide_component_list_free(out);
            return -1;
        }
    }
    return 0;
}

int tide_smd_components_raw(tide_http *smd, json_object **out, tide_err *e)
{
    return tide_http_json(smd, "GET", "/State/Components?type=Node", NULL, out, e);
}

/* ---- hardware inventory --------------------------------------------- */

int tide_smd_inventory_query(tide_http *smd, const char *xname, json_object **out, tide_err *e)
{
    char *path = seg_path("/Inventory/Hardware/Query/", xname, "");
    int rc = tide_http_json(smd, "GET", path, NULL, out, e);
    if (!rc && !*out)
        *out = json_object_new_object();  /* an empty body: nothing there */
    free(path);
    return rc;
}

/* ---- memberships ----------------------------------------------------- */

int tide_smd_memberships(tide_http *smd, const char *xname, char ***labels, size_t *nlabels, tide_err *e)
{
    char *path = seg_path("/memberships/", xname, "");
    json_object *j = NULL;
    int rc = tide_http_json(smd, "GET", path, NULL, &j, e);

    *labels = NULL;
    *nlabels = 0;
    if (!rc)
        *labels = tide_strv_from_json(tide_json_array(j, "groupLabels"), 0, nlabels);
    json_object_put(j);
    free(path);
    return rc;
}

/* ---- service reservations (locks) ----------------------------------- */

void tide_reservations_free(tide_reservations *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nok; i++) {
        free(r->ok[i].id);
        free(r->ok[i].deputy_key);
        free(r->ok[i].reservation_key);
        free(r->ok[i].expires);
    }
    for (size_t i = 0; i < r->nfailed; i++) {
        free(r->failed[i].id);
        free(r->failed[i].reason);
    }
    free(r->ok);
    free(r->failed);
    memset(r, 0, sizeof(*r));
}

int tide_smd_reserve(tide_http *smd, const char *const *ids, size_t n, int rigid, int minutes,
                     tide_reservations *out, tide_err *e)
{
    static const char path[] = "/locks/service/reservations";
    json_object *body, *j = NULL;

    memset(out, 0, sizeof(*out));
    if (!n)
        return 0;
    body = json_object_new_object();
    json_object_object_add(body, "ComponentIDs", tide_json_str_array(ids, n));
    json_object_object_add(body, "ProcessingModel", json_object_new_string(rigid ? "rigid" : "flexible"));
    json_object_object_add(body, "ReservationDuration", json_object_new_int(minutes));
    int rc = tide_http_json(smd, "POST", path, body, &j, e);
    json_object_put(body);
    if (rc)
        return -1;

    json_object *ok = tide_json_array(j, "Success"), *failed = tide_json_array(j, "Failure");
    size_t nok = ok ? json_object_array_length(ok) : 0, nfailed = failed ? json_object_array_length(failed) : 0;
    if (!ok && !failed) {
        json_object_put(j);
        return tide_reply_error(smd, "POST", path, "the reply has neither \"Success\" nor \"Failure\"", e);
    }
    out->ok = nok ? xcalloc(nok, sizeof(*out->ok)) : NULL;
    for (size_t i = 0; i < nok; i++) {
        json_object *it = json_object_array_get_idx(ok, i);
        tide_reservation *r = &out->ok[out->nok++];
        r->id = tide_reply_xname(it, "ID");
        r->deputy_key = tide_reply_str(it, "DeputyKey");
        r->reservation_key = tide_reply_str(it, "ReservationKey");
        r->expires = tide_reply_str(it, "ExpirationTime");
    }
    out->failed = nfailed ? xcalloc(nfailed, sizeof(*out->failed)) : NULL;
    for (size_t i = 0; i < nfailed; i++) {
        json_object *it = json_object_array_get_idx(failed, i);
        tide_reservation_failure *f = &out->failed[out->nfailed++];
        f->id = tide_reply_xname(it, "ID");
        f->reason = tide_reply_str(it, "Reason");
    }
    json_object_put(j);
    return 0;
}

/* [{"ID":..,"Key":..}] with the reservation keys, or the deputy keys. */
static json_object *keys_json(const tide_reservations *r, int deputy)
{
    json_object *a = json_object_new_array_ext((int)r->nok);
    for (size_t i = 0; i < r->nok; i++) {
        json_object *k = json_object_new_object();
        json_object_object_add(k, "ID", json_object_new_string(r->ok[i].id));
        json_object_object_add(k, "Key",
                               json_object_new_string(deputy ? r->ok[i].deputy_key : r->ok[i].reservation_key));
        json_object_array_add(a, k);
    }
    return a;
}

/* A reply's "Failure":[{"ID","Reason"}] as an error naming every id; 0 when the list is empty. */
static int failures_error(tide_http *smd, const char *path, json_object *reply, const char *what, tide_err *e)
{
    json_object *failed = tide_json_array(reply, "Failure");
    size_t n = failed ? json_object_array_length(failed) : 0;
    if (!n)
        return 0;
    strbuf b = STRBUF_INIT;
    strbuf_printf(&b, "SMD could not %s the reservation%s of ", what, n > 1 ? "s" : "");
    for (size_t i = 0; i < n; i++) {
        json_object *it = json_object_array_get_idx(failed, i);
        const char *id = tide_json_str(it, "ID"), *reason = tide_json_str(it, "Reason");
        strbuf_printf(&b, "%s%s (%s)", i ? ", " : "", id ? id : "?", reason && *reason ? reason : "no reason given");
    }
    tide_reply_error(smd, "POST", path, strbuf_str(&b), e);
    strbuf_free(&b);
    return -1;
}

/* POST one of the key-list calls (renew, release) and fail on any listed Failure. */
static int keys_call(tide_http *smd, const char *path, const char *what, json_object *body, tide_err *e)
{
    json_object *j = NULL;
    int rc = tide_http_json(smd, "POST", path, body, &j, e);
    json_object_put(body);
    if (!rc)
        rc = failures_error(smd, path, j, what, e);
    json_object_put(j);
    return rc;
}

int tide_smd_reserve_renew(tide_http *smd, const tide_reservations *r, int minutes, tide_err *e)
{
    if (!r->nok)
        return 0;
    json_object *body = json_object_new_object();
    json_object_object_add(body, "ReservationKeys", keys_json(r, 0));
    json_object_object_add(body, "ProcessingModel", json_object_new_string("rigid"));
    json_object_object_add(body, "ReservationDuration", json_object_new_int(minutes));
    return keys_call(smd, "/locks/service/reservations/renew", "renew", body, e);
}

int tide_smd_reserve_release(tide_http *smd, const tide_reservations *r, tide_err *e)
{
    if (!r->nok)
        return 0;
    json_object *body = json_object_new_object();
    json_object_object_add(body, "ReservationKeys", keys_json(r, 0));
    json_object_object_add(body, "ProcessingModel", json_object_new_string("flexible"));
    return keys_call(smd, "/locks/service/reservations/release", "release", body, e);
}

int tide_smd_reserve_check(tide_http *smd, const tide_reservations *r, size_t *nvalid, tide_err *e)
{
    static const char path[] = "/locks/service/reservations/check";
    json_object *body, *j = NULL;

    *nvalid = 0;
    if (!r->nok)
        return 0;
    body = json_object_new_object();
    json_object_object_add(body, "DeputyKeys", keys_json(r, 1));
    int rc = tide_http_json(smd, "POST", path, body, &j, e);
    json_object_put(body);
    if (!rc) {
        json_object *ok = tide_json_array(j, "Success");
        *nvalid = ok ? json_object_array_length(ok) : 0;
    }
    json_object_put(j);
    return rc;
}

/* pcs.c - see pcs.h. */
#include "pcs.h"

#include <stdlib.h>
#include <string.h>

#include "deadline.h"
#include "jsonutil.h"
#include "log.h"
#include "strbuf.h"

/* A string member, "" when absent. */
static char *str_or_empty(json_object *o, const char *key)
{
    const char *s = tide_json_str(o, key);
    return xstrdup(s ? s : "");
}

/* PCS writes "error":"" or null or nothing when there is none: all three become NULL. */
static char *error_or_null(json_object *o, const char *key)
{
    const char *s = tide_json_str(o, key);
    return s && *s ? xstrdup(s) : NULL;
}

/* ---- transitions -------------------------------------------------------- */

int tide_pcs_transition_start(tide_http *pcs, const char *operation, const char *const *xnames,
                              const char *const *deputy_keys, size_t n, int task_deadline_minutes,
                              char **transition_id, tide_err *e)
{
    *transition_id = NULL;
    if (n == 0)
        return tide_err_set(e, "%s: no nodes given for the %s transition", tide_http_service(pcs), operation);

    json_object *body = json_object_new_object();
    json_object *loc = json_object_new_array_ext((int)n);
    json_object_object_add(body, "operation", json_object_new_string(operation));
    json_object_object_add(body, "taskDeadlineMinutes", json_object_new_int(task_deadline_minutes));
    for (size_t i = 0; i < n; i++) {
        json_object *l = json_object_new_object();
        json_object_object_add(l, "xname", json_object_new_string(xnames[i]));
        if (deputy_keys && deputy_keys[i])
            json_object_object_add(l, "deputyKey", json_object_new_string(deputy_keys[i]));
        json_object_array_add(loc, l);
    }
    json_object_object_add(body, "location", loc);

    json_object *out = NULL;
    int rc = tide_http_json(pcs, "POST", "/transitions", body, &out, e);
    json_object_put(body);
    if (rc)
        return -1;
    const char *id = tide_json_str(out, "transitionID");
    if (!id || !*id) {
        json_object_put(out);
        return tide_err_set(e, "%s: POST %s/transitions: the answer has no transitionID",
                            tide_http_service(pcs), tide_http_base_url(pcs));
    }
    *transition_id = xstrdup(id);
    tide_verbose("%s: transition %s started: %s of %zu node(s)", tide_http_service(pcs), id,
                 tide_json_str(out, "operation") ? tide_json_str(out, "operation") : operation, n);
    json_object_put(out);
    return 0;
}

static void parse_counts(json_object *c, tide_pcs_task_counts *out)
{
    out->total = (int)tide_json_int(c, "total", 0);
    out->new_ = (int)tide_json_int(c, "new", 0);
    out->in_progress = (int)tide_json_int(c, "in-progress", 0);
    out->failed = (int)tide_json_int(c, "failed", 0);
    out->succeeded = (int)tide_json_int(c, "succeeded", 0);
    out->unsupported = (int)tide_json_int(c, "un-supported", 0);
}

static void parse_transition(json_object *j, tide_pcs_transition *out)
{
    out->id = str_or_empty(j, "transitionID");
    out->operation = str_or_empty(j, "operation");
    out->status = str_or_empty(j, "transitionStatus");
    parse_counts(tide_json_get(j, "taskCounts"), &out->counts);

    json_object *tasks = tide_json_array(j, "tasks");
    size_t n = tasks ? json_object_array_length(tasks) : 0;
    out->tasks = n ? xcalloc(n, sizeof(*out->tasks)) : NULL;
    out->ntasks = n;
    for (size_t i = 0; i < n; i++) {
        json_object *t = json_object_array_get_idx(tasks, i);
        out->tasks[i].xname = str_or_empty(t, "xname");
        out->tasks[i].status = str_or_empty(t, "taskStatus");
        out->tasks[i].description = str_or_empty(t, "taskStatusDescription");
        out->tasks[i].error = error_or_null(t, "error");
    }
}

void tide_pcs_transition_free(tide_pcs_transition *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->ntasks; i++) {
        free(t->tasks[i].xname);
        free(t->tasks[i].status);
        free(t->tasks[i].description);
        free(t->tasks[i].error);
    }
    free(t->tasks);
    free(t->id);
    free(t->operation);
    free(t->status);
    memset(t, 0, sizeof(*t));
}

int tide_pcs_transition_done(const tide_pcs_transition *t)
{
    return t->status && (!strcmp(t->status, "completed") || !strcmp(t->status, "aborted"));
}

int tide_pcs_task_ok(const tide_pcs_task *t)
{
    return t->status && !strcmp(t->status, "succeeded");
}

int tide_pcs_task_pending(const tide_pcs_task *t)
{
    return t->status && (!strcmp(t->status, "new") || !strcmp(t->status, "in-progress"));
}

int tide_pcs_transition_get(tide_http *pcs, const char *id, tide_pcs_transition *out, tide_err *e)
{
    memset(out, 0, sizeof(*out));
    strbuf path = STRBUF_INIT;
    strbuf_puts(&path, "/transitions/");
    strbuf_urlencode(&path, id);

    json_object *j = NULL;
    int rc = tide_http_json(pcs, "GET", strbuf_str(&path), NULL, &j, e);
    if (rc == 0 && !json_object_is_type(j, json_type_object))
        rc = tide_err_set(e, "%s: GET %s%s: the answer is not a transition object", tide_http_service(pcs),
                          tide_http_base_url(pcs), strbuf_str(&path));
    if (rc == 0)
        parse_transition(j, out);
    json_object_put(j);
    strbuf_free(&path);
    return rc;
}

/* "x1, x2, x3 (+4 more)": the pending nodes, for the deadline error. */
static void list_pending(const tide_pcs_transition *t, strbuf *b)
{
    size_t shown = 0, more = 0;
    for (size_t i = 0; i < t->ntasks; i++) {
        if (!tide_pcs_task_pending(&t->tasks[i]))
            continue;
        if (shown < 8)
            strbuf_printf(b, "%s%s", shown++ ? ", " : "", t->tasks[i].xname);
        else
            more++;
    }
    if (more)
        strbuf_printf(b, " (+%zu more)", more);
}

int tide_pcs_transition_wait(tide_http *pcs, const char *id, long poll_interval_ms, long deadline_s,
                             tide_pcs_transition *out, tide_err *e)
{
    tide_deadline d;
    tide_deadline_start(&d, deadline_s);
    memset(out, 0, sizeof(*out));
    for (;;) {
        tide_pcs_transition_free(out);
        if (tide_pcs_transition_get(pcs, id, out, e))
            return -1;
        if (tide_pcs_transition_done(out))
            return 0;
        if (!tide_deadline_allows(&d, poll_interval_ms))
            break;
        tide_sleep_ms(poll_interval_ms);
    }

    /* The counts are authoritative; the task list may be missing once PCS compressed it. */
    int pending = out->counts.new_ + out->counts.in_progress;
    strbuf names = STRBUF_INIT;
    list_pending(out, &names);
    tide_err_set(e, "%s: transition %s (%s) still %s after %ld s: %d of %d task(s) pending%s%s",
                 tide_http_service(pcs), id, out->operation, out->status, deadline_s, pending,
                 out->counts.total, names.len ? ": " : "", strbuf_str(&names));
    strbuf_free(&names);
    return -1;
}

int tide_pcs_transition_abort(tide_http *pcs, const char *id, tide_err *e)
{
    strbuf path = STRBUF_INIT;
    strbuf_puts(&path, "/transitions/");
    strbuf_urlencode(&path, id);
    int rc = tide_http_json(pcs, "DELETE", strbuf_str(&path), NULL, NULL, e);
    strbuf_free(&path);
    return rc;
}

/* ---- power status ------------------------------------------------------- */

void tide_pcs_power_list_free(tide_pcs_power_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].xname);
        free(l->items[i].power_state);
        free(l->items[i].management_state);
        free(l->items[i].error);
    }
    free(l->items);
    memset(l, 0, sizeof(*l));
}

const tide_pcs_power *tide_pcs_power_find(const tide_pcs_power_list *l, const char *xname)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->items[i].xname, xname))
            return &l->items[i];
    return NULL;
}

/* One GET /power-status for xnames[0..n) (all components when n == 0), appended to out. */
static int power_status_chunk(tide_http *pcs, const char *const *xnames, size_t n, tide_pcs_power_list *out,
                              tide_err *e)
{
    strbuf path = STRBUF_INIT;
    strbuf_puts(&path, "/power-status");
    for (size_t i = 0; i < n; i++) {
        strbuf_puts(&path, i ? "&xname=" : "?xname=");
        strbuf_urlencode(&path, xnames[i]);
    }
    json_object *j = NULL;
    int rc = tide_http_json(pcs, "GET", strbuf_str(&path), NULL, &j, e);
    if (rc == 0) {
        json_object *st = tide_json_array(j, "status");
        size_t m = st ? json_object_array_length(st) : 0;
        out->items = xrealloc(out->items, (out->n + m + 1) * sizeof(*out->items));
        for (size_t i = 0; i < m; i++) {
            json_object *s = json_object_array_get_idx(st, i);
            tide_pcs_power *p = &out->items[out->n++];
            p->xname = str_or_empty(s, "xname");
            p->power_state = str_or_empty(s, "powerState");
            p->management_state = str_or_empty(s, "managementState");
            p->error = error_or_null(s, "error");
        }
    }
    json_object_put(j);
    strbuf_free(&path);
    return rc;
}

int tide_pcs_power_status(tide_http *pcs, const char *const *xnames, size_t n, tide_pcs_power_list *out,
                          tide_err *e)
{
    memset(out, 0, sizeof(*out));
    /* Long query strings break proxies and PCS alike: a bounded number of xnames per
     * request.  n == 0 makes one request without xnames (every component). */
    size_t off = 0;
    do {
        size_t m = n - off < TIDE_PCS_STATUS_CHUNK ? n - off : TIDE_PCS_STATUS_CHUNK;
        if (power_status_chunk(pcs, n ? xnames + off : NULL, m, out, e)) {
            tide_pcs_power_list_free(out);
            return -1;
        }
        off += m;
    } while (off < n);
    return 0;
}

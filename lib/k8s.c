/* k8s.c - see k8s.h. */
#include "k8s.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deadline.h"
#include "jsonutil.h"
#include "log.h"
#include "strbuf.h"

#define SMP "application/strategic-merge-patch+json"

static char *dup_or_null(const char *s) { return s ? xstrdup(s) : NULL; }

/* "/api/v1/nodes/<name>", the name URL-encoded. */
static char *node_path(const char *name)
{
    strbuf b = STRBUF_INIT;
    strbuf_puts(&b, "/api/v1/nodes/");
    strbuf_urlencode(&b, name);
    return strbuf_steal(&b);
}

/* "/api/v1/namespaces/<ns>/pods/<pod><suffix>" */
static char *pod_path(const char *ns, const char *pod, const char *suffix)
{
    strbuf b = STRBUF_INIT;
    strbuf_puts(&b, "/api/v1/namespaces/");
    strbuf_urlencode(&b, ns);
    strbuf_puts(&b, "/pods/");
    strbuf_urlencode(&b, pod);
    strbuf_puts(&b, suffix);
    return strbuf_steal(&b);
}

/* Append " (text)" to the error message: extra detail the Status message leaves out. */
static void err_append(tide_err *e, const char *text)
{
    if (!e || !text || !*text)
        return;
    size_t l = strlen(e->msg);
    snprintf(e->msg + l, sizeof(e->msg) - l, " (%s)", text);
}

/* ---- nodes ---------------------------------------------------------------- */

/* A JSON object of strings (labels, annotations) as key/value pairs. */
static void parse_string_map(json_object *map, tide_k8s_label **out, size_t *n)
{
    if (!map || !json_object_is_type(map, json_type_object))
        return;
    *out = xcalloc((size_t)json_object_object_length(map) + 1, sizeof(**out));
    json_object_object_foreach(map, key, val) {
        (*out)[*n].key = xstrdup(key);
        (*out)[*n].value = xstrdup(val ? json_object_get_string(val) : "");
        (*n)++;
    }
}

static void parse_node(json_object *j, tide_k8s_node *out)
{
    json_object *meta = tide_json_get(j, "metadata");
    json_object *spec = tide_json_get(j, "spec");
    json_object *status = tide_json_get(j, "status");

    out->name = dup_or_null(tide_json_str(meta, "name"));
    out->uid = dup_or_null(tide_json_str(meta, "uid"));
    out->resource_version = dup_or_null(tide_json_str(meta, "resourceVersion"));
    out->unschedulable = tide_json_bool(spec, "unschedulable", 0);

    json_object *taints = tide_json_array(spec, "taints");
    size_t n = taints ? json_object_array_length(taints) : 0;
    out->taints = n ? xcalloc(n, sizeof(*out->taints)) : NULL;
    for (size_t i = 0; i < n; i++) {
        json_object *t = json_object_array_get_idx(taints, i);
        out->taints[out->ntaints].key = xstrdup(tide_json_str(t, "key") ? tide_json_str(t, "key") : "");
        out->taints[out->ntaints].value = dup_or_null(tide_json_str(t, "value"));
        out->taints[out->ntaints].effect = xstrdup(tide_json_str(t, "effect") ? tide_json_str(t, "effect") : "");
        out->ntaints++;
    }

    parse_string_map(tide_json_get(meta, "labels"), &out->labels, &out->nlabels);
    parse_string_map(tide_json_get(meta, "annotations"), &out->annotations, &out->nannotations);

    json_object *conds = tide_json_array(status, "conditions");
    n = conds ? json_object_array_length(conds) : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *c = json_object_array_get_idx(conds, i);
        const char *type = tide_json_str(c, "type");
        if (type && !strcmp(type, "Ready")) {
            out->ready = dup_or_null(tide_json_str(c, "status"));
            out->ready_since = dup_or_null(tide_json_str(c, "lastTransitionTime"));
            break;
        }
    }
    out->boot_id = dup_or_null(tide_json_str(tide_json_get(status, "nodeInfo"), "bootID"));
}

void tide_k8s_node_free(tide_k8s_node *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->ntaints; i++) {
        free(n->taints[i].key);
        free(n->taints[i].value);
        free(n->taints[i].effect);
    }
    for (size_t i = 0; i < n->nlabels; i++) {
        free(n->labels[i].key);
        free(n->labels[i].value);
    }
    for (size_t i = 0; i < n->nannotations; i++) {
        free(n->annotations[i].key);
        free(n->annotations[i].value);
    }
    free(n->taints);
    free(n->labels);
    free(n->annotations);
    free(n->name); free(n->uid); free(n->resource_version);
    free(n->ready); free(n->ready_since); free(n->boot_id);
    memset(n, 0, sizeof(*n));
}

const char *tide_k8s_node_label(const tide_k8s_node *n, const char *key)
{
    for (size_t i = 0; i < n->nlabels; i++)
        if (!strcmp(n->labels[i].key, key))
            return n->labels[i].value;
    return NULL;
}

const char *tide_k8s_node_annotation(const tide_k8s_node *n, const char *key)
{
    for (size_t i = 0; i < n->nannotations; i++)
        if (!strcmp(n->annotations[i].key, key))
            return n->annotations[i].value;
    return NULL;
}

const tide_k8s_taint *tide_k8s_node_taint(const tide_k8s_node *n, const char *key, const char *effect)
{
    for (size_t i = 0; i < n->ntaints; i++)
        if (!strcmp(n->taints[i].key, key) && (!effect || !strcmp(n->taints[i].effect, effect)))
            return &n->taints[i];
    return NULL;
}

/* GET the node as the server sent it. */
static int node_get_json(tide_http *k8s, const char *name, json_object **out, tide_err *e)
{
    char *path = node_path(name);
    int rc = tide_http_json(k8s, "GET", path, NULL, out, e);
    if (rc == 0 && !json_object_is_type(*out, json_type_object)) {
        rc = tide_err_set(e, "%s: GET %s%s: the answer is not a Node object", tide_http_service(k8s),
                          tide_http_base_url(k8s), path);
        json_object_put(*out);
        *out = NULL;
    }
    free(path);
    return rc;
}

int tide_k8s_node_get(tide_http *k8s, const char *name, tide_k8s_node *out, tide_err *e)
{
    json_object *j = NULL;
    memset(out, 0, sizeof(*out));
    if (node_get_json(k8s, name, &j, e))
        return -1;
    parse_node(j, out);
    json_object_put(j);
    return 0;
}

int tide_k8s_node_patch(tide_http *k8s, const char *name, json_object *patch, const char *resource_version,
                        tide_k8s_node *out, tide_err *e)
{
    json_object *body = NULL, *reply = NULL;
    if (out)
        memset(out, 0, sizeof(*out));
    json_object_deep_copy(patch, &body, NULL);
    if (resource_version) {
        /* The server compares it with the stored object: a stale read answers 409. */
        json_object *meta = tide_json_get(body, "metadata");
        if (!meta || !json_object_is_type(meta, json_type_object)) {
            meta = json_object_new_object();
            json_object_object_add(body, "metadata", meta);
        }
        json_object_object_add(meta, "resourceVersion", json_object_new_string(resource_version));
    }
    char *path = node_path(name);
    int rc = tide_http_json_ct(k8s, "PATCH", path, SMP, body, out ? &reply : NULL, NULL, e);
    if (rc == 0 && out)
        parse_node(reply, out);
    json_object_put(reply);
    json_object_put(body);
    free(path);
    return rc;
}

/* {"spec":{<key>: value}} (value NULL = JSON null, which deletes the field). */
static json_object *spec_patch(const char *key, json_object *value)
{
    json_object *patch = json_object_new_object(), *spec = json_object_new_object();
    json_object_object_add(spec, key, value);
    json_object_object_add(patch, "spec", spec);
    return patch;
}

int tide_k8s_cordon(tide_http *k8s, const char *name, int cordon, int *changed, tide_err *e)
{
    tide_k8s_node n;
    if (changed)
        *changed = 0;
    if (tide_k8s_node_get(k8s, name, &n, e))
        return -1;
    int already = !!n.unschedulable == !!cordon;
    tide_k8s_node_free(&n);
    if (already)
        return 0;
    /* A boolean flip cannot lose anybody's update: no resourceVersion, exactly as kubectl. */
    json_object *patch = spec_patch("unschedulable", cordon ? json_object_new_boolean(1) : NULL);
    int rc = tide_k8s_node_patch(k8s, name, patch, NULL, NULL, e);
    json_object_put(patch);
    if (rc == 0 && changed)
        *changed = 1;
    return rc;
}

/* What a taint edit does to the current list: fills *next (NULL = delete the field), returns 1 if changed. */
typedef int (*taint_edit_fn)(json_object *taints, const void *arg, json_object **next);

typedef struct taint_spec {
    const char *key, *value, *effect;
} taint_spec;

static int same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static int taint_matches(json_object *t, const taint_spec *s)
{
    const char *key = tide_json_str(t, "key"), *effect = tide_json_str(t, "effect");
    return key && !strcmp(key, s->key) && (!s->effect || same_str(effect, s->effect));
}

/* Keep every other taint as it is (timeAdded included); put ours last. */
static int edit_add(json_object *taints, const void *arg, json_object **next)
{
    const taint_spec *s = arg;
    size_t n = taints ? json_object_array_length(taints) : 0;
    *next = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        json_object *t = json_object_array_get_idx(taints, i);
        if (taint_matches(t, s)) {
            const char *v = tide_json_str(t, "value");
            if (same_str(v && *v ? v : NULL, s->value && *s->value ? s->value : NULL)) {
                json_object_put(*next);
                *next = NULL;
                return 0; /* already there */
            }
            continue; /* same key and effect, other value: replaced below */
        }
        json_object_array_add(*next, json_object_get(t));
    }
    json_object *t = json_object_new_object();
    json_object_object_add(t, "key", json_object_new_string(s->key));
    if (s->value && *s->value)
        json_object_object_add(t, "value", json_object_new_string(s->value));
    json_object_object_add(t, "effect", json_object_new_string(s->effect));
    json_object_array_add(*next, t);
    return 1;
}

static int edit_remove(json_object *taints, const void *arg, json_object **next)
{
    const taint_spec *s = arg;
    size_t n = taints ? json_object_array_length(taints) : 0;
    int removed = 0;
    *next = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        json_object *t = json_object_array_get_idx(taints, i);
        if (taint_matches(t, s))
            removed = 1;
        else
            json_object_array_add(*next, json_object_get(t));
    }
    if (!removed || json_object_array_length(*next) == 0) {
        /* Nothing left: kubectl sends "taints": null rather than an empty list. */
        json_object_put(*next);
        *next = NULL;
    }
    return removed;
}

/*
 * spec.taints is an atomic list: read it, edit it, send it whole with the
 * resourceVersion read, and start over when somebody else wrote in between.
 */
static int edit_taints(tide_http *k8s, const char *name, taint_edit_fn edit, const taint_spec *s, int *changed,
                       tide_err *e)
{
    if (changed)
        *changed = 0;
    for (int attempt = 0;; attempt++) {
        json_object *node = NULL, *next = NULL;
        if (node_get_json(k8s, name, &node, e))
            return -1;
        const char *rv = tide_json_str(tide_json_get(node, "metadata"), "resourceVersion");
        if (!edit(tide_json_array(tide_json_get(node, "spec"), "taints"), s, &next)) {
            json_object_put(node);
            return 0;
        }
        json_object *patch = spec_patch("taints", next);
        int rc = tide_k8s_node_patch(k8s, name, patch, rv, NULL, e);
        json_object_put(patch);
        json_object_put(node);
        if (rc == 0) {
            if (changed)
                *changed = 1;
            return 0;
        }
        if (!e || !e->conflict || attempt >= TIDE_K8S_CONFLICT_RETRIES)
            return -1;
        tide_verbose("%s: node %s changed while its taints were edited, reading it again", tide_http_service(k8s),
                     name);
        tide_err_clear(e);
    }
}

int tide_k8s_taint_add(tide_http *k8s, const char *name, const char *key, const char *value, const char *effect,
                       int *changed, tide_err *e)
{
    taint_spec s = { key, value, effect };
    return edit_taints(k8s, name, edit_add, &s, changed, e);
}

int tide_k8s_taint_remove(tide_http *k8s, const char *name, const char *key, const char *effect, int *changed,
                          tide_err *e)
{
    taint_spec s = { key, NULL, effect };
    return edit_taints(k8s, name, edit_remove, &s, changed, e);
}

int tide_k8s_label_set(tide_http *k8s, const char *name, const char *key, const char *value, tide_err *e)
{
    /* Labels are a map: a patch of one key cannot clobber another writer's keys. */
    json_object *patch = json_object_new_object(), *meta = json_object_new_object();
    json_object *labels = json_object_new_object();
    json_object_object_add(labels, key, value ? json_object_new_string(value) : NULL);
    json_object_object_add(meta, "labels", labels);
    json_object_object_add(patch, "metadata", meta);
    int rc = tide_k8s_node_patch(k8s, name, patch, NULL, NULL, e);
    json_object_put(patch);
    return rc;
}

/* ---- pods ------------------------------------------------------------------- */

static void parse_pod(json_object *j, tide_k8s_pod *p)
{
    json_object *meta = tide_json_get(j, "metadata");
    p->ns = dup_or_null(tide_json_str(meta, "namespace"));
    p->name = dup_or_null(tide_json_str(meta, "name"));
    p->uid = dup_or_null(tide_json_str(meta, "uid"));
    p->phase = dup_or_null(tide_json_str(tide_json_get(j, "status"), "phase"));
    p->deletion_timestamp = dup_or_null(tide_json_str(meta, "deletionTimestamp"));
    p->mirror = tide_json_get(tide_json_get(meta, "annotations"), "kubernetes.io/config.mirror") != NULL;

    json_object *owners = tide_json_array(meta, "ownerReferences");
    size_t n = owners ? json_object_array_length(owners) : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *o = json_object_array_get_idx(owners, i);
        if (tide_json_bool(o, "controller", 0)) {
            p->owner_kind = dup_or_null(tide_json_str(o, "kind"));
            p->owner_name = dup_or_null(tide_json_str(o, "name"));
            p->owner_api_version = dup_or_null(tide_json_str(o, "apiVersion"));
            break;
        }
    }

    json_object *vols = tide_json_array(tide_json_get(j, "spec"), "volumes");
    n = vols ? json_object_array_length(vols) : 0;
    for (size_t i = 0; i < n && !p->emptydir; i++)
        p->emptydir = tide_json_get(json_object_array_get_idx(vols, i), "emptyDir") != NULL;
}

void tide_k8s_pod_list_free(tide_k8s_pod_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        tide_k8s_pod *p = &l->items[i];
        free(p->ns); free(p->name); free(p->uid); free(p->phase); free(p->deletion_timestamp);
        free(p->owner_kind); free(p->owner_name); free(p->owner_api_version);
    }
    free(l->items);
    memset(l, 0, sizeof(*l));
}

int tide_k8s_pods_on_node(tide_http *k8s, const char *node, tide_k8s_pod_list *out, tide_err *e)
{
    char *cont = NULL;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    do {
        strbuf path = STRBUF_INIT, sel = STRBUF_INIT;
        json_object *j = NULL;
        strbuf_printf(&sel, "spec.nodeName=%s", node);
        strbuf_puts(&path, "/api/v1/pods?fieldSelector=");
        strbuf_urlencode(&path, strbuf_str(&sel));
        strbuf_printf(&path, "&limit=%d", TIDE_K8S_LIST_CHUNK);
        if (cont) {
            strbuf_puts(&path, "&continue=");
            strbuf_urlencode(&path, cont);
        }
        rc = tide_http_json(k8s, "GET", strbuf_str(&path), NULL, &j, e);
        free(cont);
        cont = NULL;
        if (rc == 0) {
            json_object *items = tide_json_array(j, "items");
            size_t n = items ? json_object_array_length(items) : 0;
            out->items = xrealloc(out->items, (out->n + n + 1) * sizeof(*out->items));
            for (size_t i = 0; i < n; i++) {
                memset(&out->items[out->n], 0, sizeof(out->items[0]));
                parse_pod(json_object_array_get_idx(items, i), &out->items[out->n++]);
            }
            const char *c = tide_json_str(tide_json_get(j, "metadata"), "continue");
            cont = c && *c ? xstrdup(c) : NULL;
        }
        json_object_put(j);
        strbuf_free(&path);
        strbuf_free(&sel);
    } while (rc == 0 && cont);
    if (rc)
        tide_k8s_pod_list_free(out);
    return rc;
}

/* ---- drain ----------------------------------------------------------------- */

static int finished(const tide_k8s_pod *p)
{
    return p->phase && (!strcmp(p->phase, "Succeeded") || !strcmp(p->phase, "Failed"));
}

tide_drain_verdict tide_k8s_drain_classify(const tide_k8s_pod *p, int force)
{
    tide_drain_verdict v = { TIDE_DRAIN_EVICT, NULL };

    /* A finished pod holds nothing worth keeping, whatever owns it. */
    if (finished(p))
        return v;
    /* The DaemonSet controller ignores cordons and would start it again at once. */
    if (p->owner_kind && !strcmp(p->owner_kind, "DaemonSet")) {
        v.action = TIDE_DRAIN_SKIP;
        v.warning = "ignoring DaemonSet-managed Pods";
        return v;
    }
    /* The kubelet runs static pods from files; their API mirrors cannot be deleted. */
    if (p->mirror) {
        v.action = TIDE_DRAIN_SKIP;
        return v;
    }
    if (!p->owner_kind) {
        /* Nobody would recreate it elsewhere. */
        v.action = force ? TIDE_DRAIN_EVICT : TIDE_DRAIN_REFUSE;
        v.warning = force ? "deleting Pods that declare no controller"
                          : "cannot delete Pods that declare no controller (use --force to override)";
        return v;
    }
    if (p->emptydir)
        v.warning = "deleting Pods with local storage";
    return v;
}

/* A Status whose details.causes has one with this reason. */
static int status_has_cause(json_object *status, const char *reason)
{
    json_object *causes = tide_json_array(tide_json_get(status, "details"), "causes");
    size_t n = causes ? json_object_array_length(causes) : 0;
    for (size_t i = 0; i < n; i++) {
        const char *r = tide_json_str(json_object_array_get_idx(causes, i), "reason");
        if (r && !strcmp(r, reason))
            return 1;
    }
    return 0;
}

/* The causes' messages ("The disruption budget web needs 2 healthy pods and has 1 currently"). */
static void status_causes(json_object *status, strbuf *b)
{
    json_object *causes = tide_json_array(tide_json_get(status, "details"), "causes");
    size_t n = causes ? json_object_array_length(causes) : 0;
    for (size_t i = 0; i < n; i++) {
        const char *m = tide_json_str(json_object_array_get_idx(causes, i), "message");
        if (m && *m)
            strbuf_printf(b, "%s%s", b->len ? "; " : "", m);
    }
}

static json_object *eviction_body(const char *ns, const char *pod)
{
    json_object *body = json_object_new_object(), *meta = json_object_new_object();
    json_object_object_add(body, "apiVersion", json_object_new_string("policy/v1"));
    json_object_object_add(body, "kind", json_object_new_string("Eviction"));
    json_object_object_add(meta, "name", json_object_new_string(pod));
    json_object_object_add(meta, "namespace", json_object_new_string(ns));
    json_object_object_add(body, "metadata", meta);
    return body;
}

int tide_k8s_evict(tide_http *k8s, const char *ns, const char *pod, long retry_ms, long deadline_s, int *gone,
                   tide_err *e)
{
    char *path = pod_path(ns, pod, "/eviction");
    json_object *body = eviction_body(ns, pod);
    const char *text = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    tide_http_resp resp = { 0 };
    tide_deadline d;
    int rc = -1;

    if (gone)
        *gone = 0;
    tide_deadline_start(&d, deadline_s);
    for (;;) {
        if (tide_http_send(k8s, "POST", path, "application/json", text, &resp, e))
            break;
        if (resp.status == 200 || resp.status == 201) {
            rc = 0;
            break;
        }
        if (resp.status == 404) {
            if (gone)
                *gone = 1;
            rc = 0;
            break;
        }
        json_object *status = NULL;
        tide_http_parse_json(k8s, "POST", path, &resp, &status, NULL);
        /* A budget that says "not now", or a namespace being deleted: the answer can change. */
        int again = resp.status == 429 || (resp.status == 403 && status_has_cause(status, "NamespaceTerminating"));
        if (again && tide_deadline_allows(&d, retry_ms)) {
            json_object_put(status);
            tide_verbose("%s: eviction of pod %s/%s refused (HTTP %ld), will retry after %ld ms",
                         tide_http_service(k8s), ns, pod, resp.status, retry_ms);
            tide_sleep_ms(retry_ms);
            continue;
        }
        /* 500 (several budgets cover the pod) and anything else: retrying never helps. */
        tide_http_status_error(k8s, "POST", path, &resp, e);
        strbuf causes = STRBUF_INIT;
        status_causes(status, &causes);
        err_append(e, strbuf_str(&causes));
        strbuf_free(&causes);
        json_object_put(status);
        if (again && deadline_s > 0)
            tide_err_prefix(e, "pod %s/%s not evicted within %ld s", ns, pod, deadline_s);
        else
            tide_err_prefix(e, "pod %s/%s not evicted", ns, pod);
        break;
    }
    tide_http_resp_free(&resp);
    json_object_put(body);
    free(path);
    return rc;
}

int tide_k8s_pod_wait_deleted(tide_http *k8s, const char *ns, const char *pod, const char *uid, long poll_ms,
                              long deadline_s, tide_err *e)
{
    char *path = pod_path(ns, pod, "");
    tide_http_resp resp = { 0 };
    tide_deadline d;
    int rc = -1;

    tide_deadline_start(&d, deadline_s);
    for (;;) {
        if (tide_http_send(k8s, "GET", path, NULL, NULL, &resp, e))
            break;
        if (resp.status == 404) {
            rc = 0;
            break;
        }
        if (resp.status != 200) {
            tide_http_status_error(k8s, "GET", path, &resp, e);
            break;
        }
        json_object *j = NULL;
        if (tide_http_parse_json(k8s, "GET", path, &resp, &j, e))
            break;
        const char *now_uid = tide_json_str(tide_json_get(j, "metadata"), "uid");
        /* Same name, new uid: the old pod is gone and a controller made another one. */
        int replaced = uid && now_uid && strcmp(uid, now_uid);
        json_object_put(j);
        if (replaced) {
            rc = 0;
            break;
        }
        if (!tide_deadline_allows(&d, poll_ms)) {
            tide_err_set(e, "%s: pod %s/%s%s%s%s still exists after %ld s", tide_http_service(k8s), ns, pod,
                         uid ? " (uid " : "", uid ? uid : "", uid ? ")" : "", deadline_s);
            break;
        }
        tide_sleep_ms(poll_ms);
    }
    tide_http_resp_free(&resp);
    free(path);
    return rc;
}

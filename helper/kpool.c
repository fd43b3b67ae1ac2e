/* kpool.c - Kubernetes borrow and return.  See kpool.h. */
#include "kpool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "client.h"
#include "k8s.h"
#include "log.h"
#include "strbuf.h"

int tided_kpool_open(tided_kpool *kp, const tide_conf *c, const tide_pool_conf *pool, tide_err *e)
{
    memset(kp, 0, sizeof(*kp));
    kp->pool = pool;
    if (tide_kubeconfig_load(pool->kubeconfig, NULL, &kp->kc, e))
        return tide_err_prefix(e, "Pool=%s", pool->name);
    tide_http_opts o;
    tide_conf_http_opts(c, "Kubernetes", kp->kc.server, NULL, &o);
    tide_kubeconfig_apply(&kp->kc, &o, &kp->token);
    o.token = kp->token;
    /* A budget's 429 means "not now": the drain tries again next pass, the client must not wait. */
    o.no_retry_429 = 1;
    if (!(kp->k8s = tide_http_new(&o, e))) {
        tided_kpool_close(kp);
        return tide_err_prefix(e, "Pool=%s", pool->name);
    }
    return 0;
}

void tided_kpool_close(tided_kpool *kp)
{
    tide_http_free(kp->k8s);
    tide_token_free(kp->token);
    tide_kubeconfig_free(&kp->kc);
    memset(kp, 0, sizeof(*kp));
}

tided_kpool *tided_kpool_of(const tided_run *r, const tide_pool_conf *pool)
{
    for (size_t i = 0; i < r->nkpools; i++)
        if (r->kpools[i].pool == pool && r->kpools[i].k8s)
            return &r->kpools[i];
    return NULL;
}

static int is_ours(const tide_k8s_taint *t)
{
    return !strcmp(t->key, TIDED_K8S_KEY) && !strcmp(t->effect, "NoSchedule");
}

static json_object *taint_json(const char *key, const char *value, const char *effect)
{
    json_object *t = json_object_new_object();
    json_object_object_add(t, "key", json_object_new_string(key));
    if (value)
        json_object_object_add(t, "value", json_object_new_string(value));
    json_object_object_add(t, "effect", json_object_new_string(effect));
    return t;
}

/* {"metadata":{"labels":{..},"annotations":{..}},"spec":{..}} with empty objects to fill. */
static json_object *new_patch(json_object **labels, json_object **annotations, json_object **spec)
{
    json_object *patch = json_object_new_object(), *meta = json_object_new_object();
    *labels = json_object_new_object();
    *annotations = json_object_new_object();
    *spec = json_object_new_object();
    json_object_object_add(meta, "labels", *labels);
    json_object_object_add(meta, "annotations", *annotations);
    json_object_object_add(patch, "metadata", meta);
    json_object_object_add(patch, "spec", *spec);
    return patch;
}

/*
 * Mark a node as borrowed, in one PATCH with the resourceVersion read (a
 * concurrent writer makes it 409; the next pass reads again).  The taint
 * list is atomic: the whole list is sent, ours added.
 */
static int mark(tided_kpool *kp, const tide_k8s_node *node, tide_err *e)
{
    int labelled = tide_k8s_node_label(node, TIDED_K8S_KEY) != NULL;
    int tainted = 0;
    for (size_t i = 0; i < node->ntaints; i++)
        tainted |= is_ours(&node->taints[i]);
    if (labelled && tainted && node->unschedulable)
        return 0;

    json_object *labels, *annotations, *spec;
    json_object *patch = new_patch(&labels, &annotations, &spec);
    json_object_object_add(labels, TIDED_K8S_KEY, json_object_new_string(TIDED_K8S_VALUE));
    if (!labelled) {
        /* First mark: remember the boot it had and whether it was cordoned before tide came. */
        json_object_object_add(annotations, TIDED_K8S_BOOT_ID,
                               json_object_new_string(node->boot_id ? node->boot_id : ""));
        if (node->unschedulable)
            json_object_object_add(annotations, TIDED_K8S_CORDONED, json_object_new_string("true"));
    }
    json_object_object_add(spec, "unschedulable", json_object_new_boolean(1));
    json_object *taints = json_object_new_array();
    for (size_t i = 0; i < node->ntaints; i++)
        json_object_array_add(taints, taint_json(node->taints[i].key, node->taints[i].value, node->taints[i].effect));
    if (!tainted)
        json_object_array_add(taints, taint_json(TIDED_K8S_KEY, TIDED_K8S_VALUE, "NoSchedule"));
    json_object_object_add(spec, "taints", taints);
    int rc = tide_k8s_node_patch(kp->k8s, node->name, patch, node->resource_version, NULL, e);
    json_object_put(patch);
    if (rc == 0)
        tide_info("%s: cordoned and tainted %s=%s:NoSchedule", node->name, TIDED_K8S_KEY, TIDED_K8S_VALUE);
    return rc;
}

int tided_kpool_unmark(tided_kpool *kp, tided_node *n, tide_err *e)
{
    tide_k8s_node node;
    tide_err_clear(e);
    if (tide_k8s_node_get(kp->k8s, n->name, &node, e))
        return e->http_status == 404 ? 0 : -1;
    if (!tide_k8s_node_label(&node, TIDED_K8S_KEY)) {
        /* Not marked by tide: nothing of ours to remove, and nothing of anyone else's to touch. */
        tide_k8s_node_free(&node);
        n->k8s_marked = 0;
        return 0;
    }
    json_object *labels, *annotations, *spec;
    json_object *patch = new_patch(&labels, &annotations, &spec);
    json_object_object_add(labels, TIDED_K8S_KEY, NULL);
    json_object_object_add(annotations, TIDED_K8S_BOOT_ID, NULL);
    json_object_object_add(annotations, TIDED_K8S_CORDONED, NULL);
    json_object *taints = json_object_new_array();
    for (size_t i = 0; i < node.ntaints; i++)
        if (!is_ours(&node.taints[i]))
            json_object_array_add(taints, taint_json(node.taints[i].key, node.taints[i].value, node.taints[i].effect));
    if (json_object_array_length(taints) == 0) {
        json_object_put(taints);
        taints = NULL;   /* JSON null deletes the list */
    }
    json_object_object_add(spec, "taints", taints);
    int cordoned_before = tide_k8s_node_annotation(&node, TIDED_K8S_CORDONED) != NULL;
    if (!cordoned_before)
        json_object_object_add(spec, "unschedulable", NULL);
    int rc = tide_k8s_node_patch(kp->k8s, n->name, patch, node.resource_version, NULL, e);
    json_object_put(patch);
    tide_k8s_node_free(&node);
    if (rc == 0) {
        n->k8s_marked = 0;
        tide_info("%s: taint and label removed%s", n->name, cordoned_before ? " (left cordoned: it was before)"
                                                                             : ", uncordoned");
    }
    return rc;
}

int tided_kpool_look(tided_kpool *kp, tided_node *n, tide_err *e)
{
    tide_k8s_node node;
    tide_err_clear(e);
    if (tide_k8s_node_get(kp->k8s, n->name, &node, e)) {
        if (e->http_status != 404)
            return -1;
        /* No such Kubernetes node: nothing tide could have marked. */
        n->k8s_known = 1;
        n->k8s_marked = n->k8s_ready = n->k8s_new_boot = 0;
        return 0;
    }
    const char *claimed = tide_k8s_node_annotation(&node, TIDED_K8S_BOOT_ID);
    n->k8s_known = 1;
    n->k8s_marked = tide_k8s_node_label(&node, TIDED_K8S_KEY) != NULL;
    n->k8s_ready = node.ready && !strcmp(node.ready, "True");
    n->k8s_new_boot = claimed && node.boot_id && strcmp(claimed, node.boot_id) != 0;
    tide_k8s_node_free(&node);
    return 0;
}

int tided_kpool_drain(tided_kpool *kp, tided_node *n, time_t now, tide_err *e)
{
    tide_k8s_node node;
    tide_k8s_pod_list pods = { 0 };
    strbuf left = STRBUF_INIT;
    char refusal[TIDE_ERR_MAX] = "";
    size_t remaining = 0;
    int rc = -1;

    tide_err_clear(e);
    if (tide_k8s_node_get(kp->k8s, n->name, &node, e)) {
        if (e->http_status == 404) {
            /* Kubernetes does not know the node: nothing runs there for it. */
            n->k8s_marked = 0;
            return 1;
        }
        goto transient;
    }
    int marked = mark(kp, &node, e);
    tide_k8s_node_free(&node);
    if (marked)
        goto transient;
    n->k8s_marked = 1;

    if (tide_k8s_pods_on_node(kp->k8s, n->name, &pods, e))
        goto transient;
    for (size_t i = 0; i < pods.n; i++) {
        const tide_k8s_pod *p = &pods.items[i];
        if (tide_k8s_drain_classify(p, 1).action == TIDE_DRAIN_SKIP)
            continue;   /* DaemonSet and mirror pods stay, as with kubectl drain --ignore-daemonsets */
        strbuf_printf(&left, "%s%s/%s", remaining ? ", " : "", p->ns, p->name);
        remaining++;
        if (p->deletion_timestamp)
            continue;   /* already terminating */
        tide_err pe;
        int gone = 0;
        tide_err_clear(&pe);
        if (tide_k8s_evict(kp->k8s, p->ns, p->name, 0, 0, &gone, &pe) == 0) {
            tide_info("%s: evicted pod %s/%s", n->name, p->ns, p->name);
            continue;
        }
        if (pe.http_status == 429 || pe.http_status == 403) {
            /* A disruption budget (or a terminating namespace) says not now. */
            snprintf(refusal, sizeof(refusal), "%s", pe.msg);
            tide_verbose("%s: %s", n->name, pe.msg);
            continue;
        }
        /* 500 (several budgets) and the like: retrying never helps. */
        *e = pe;
        goto give_up;
    }
    if (remaining == 0) {
        rc = 1;
        goto out;
    }
    if (now - n->drain_at > kp->pool->drain_timeout) {
        tide_err_set(e, "Kubernetes: node %s not drained within DrainTimeout=%d s of Pool=%s; pods left: %s%s%s",
                     n->name, kp->pool->drain_timeout, kp->pool->name, strbuf_str(&left),
                     *refusal ? "; last refusal: " : "", refusal);
        goto give_up;
    }
    rc = 0;
    goto out;

transient:
    /* The API server did not answer as it should: try again next pass, unless time is up. */
    if (now - n->drain_at <= kp->pool->drain_timeout) {
        tide_error("%s: %s", n->name, e->msg);
        rc = 0;
        goto out;
    }
give_up: {
        tide_err ue;
        if (tided_kpool_unmark(kp, n, &ue))
            tide_error("%s: cannot remove tide's marks: %s", n->name, ue.msg);
        rc = -1;
    }
out:
    tide_k8s_pod_list_free(&pods);
    strbuf_free(&left);
    return rc;
}

int tided_kpool_pods(tided_kpool *kp, const char *node, long *count, tide_err *e)
{
    tide_k8s_pod_list pods = { 0 };
    *count = 0;
    if (tide_k8s_pods_on_node(kp->k8s, node, &pods, e))
        return -1;
    for (size_t i = 0; i < pods.n; i++)
        if (tide_k8s_drain_classify(&pods.items[i], 1).action == TIDE_DRAIN_EVICT)
            (*count)++;
    tide_k8s_pod_list_free(&pods);
    return 0;
}

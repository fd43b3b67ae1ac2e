/*
 * k8s.h - the Kubernetes API client: nodes (cordon, taints, labels, Ready,
 * bootID) and draining them the way `kubectl drain --ignore-daemonsets
 * --delete-emptydir-data` does (list the node's pods, filter, evict, wait).
 *
 * `k8s` is a tide_http whose base URL is the API server (kubeconfig.h fills
 * it in).  Errors carry the Kubernetes Status message; a 409 sets
 * e->conflict.  Requests and bodies are the ones kubectl sends, so golden
 * traces taken from kubectl apply.
 */
#ifndef TIDE_K8S_H
#define TIDE_K8S_H

#include <stddef.h>

#include <json-c/json.h>

#include "err.h"
#include "http.h"

/* ---- nodes ---------------------------------------------------------------- */

typedef struct tide_k8s_taint {
    char *key;
    char *value;     /* NULL when the taint has none */
    char *effect;    /* NoSchedule, PreferNoSchedule, NoExecute */
} tide_k8s_taint;

typedef struct tide_k8s_label {
    char *key, *value;
} tide_k8s_label;

typedef struct tide_k8s_node {
    char *name;
    char *uid;
    char *resource_version;
    int   unschedulable;             /* spec.unschedulable (cordoned) */
    tide_k8s_taint *taints;  size_t ntaints;
    tide_k8s_label *labels;  size_t nlabels;
    tide_k8s_label *annotations; size_t nannotations;   /* metadata.annotations */
    char *ready;                     /* Ready condition: "True", "False", "Unknown"; NULL when absent */
    char *ready_since;               /* its lastTransitionTime, NULL when absent */
    char *boot_id;                   /* status.nodeInfo.bootID; changes on every boot, kexec included */
} tide_k8s_node;

void tide_k8s_node_free(tide_k8s_node *n);   /* frees the members */
/* The value of label `key`, or NULL when the node has no such label. */
const char *tide_k8s_node_label(const tide_k8s_node *n, const char *key);
/* The value of annotation `key`, or NULL when the node has no such annotation. */
const char *tide_k8s_node_annotation(const tide_k8s_node *n, const char *key);
/* The taint with this key (and effect, unless effect is NULL), or NULL. */
const tide_k8s_taint *tide_k8s_node_taint(const tide_k8s_node *n, const char *key, const char *effect);

/* GET /api/v1/nodes/{name}; a missing node is an error with e->http_status 404. */
int tide_k8s_node_get(tide_http *k8s, const char *name, tide_k8s_node *out, tide_err *e);

/*
 * PATCH /api/v1/nodes/{name} with a strategic merge patch.  When
 * resource_version is given it is added as metadata.resourceVersion, so the
 * server answers 409 (e->conflict) if the node changed since it was read.
 * `patch` is not modified.  out (may be NULL) gets the patched node.
 */
int tide_k8s_node_patch(tide_http *k8s, const char *name, json_object *patch, const char *resource_version,
                        tide_k8s_node *out, tide_err *e);

/* Set spec.unschedulable (cordon = 1) or remove it (cordon = 0), as kubectl cordon/uncordon:
 * GET first, no PATCH when the node is already so.  *changed (may be NULL) tells which. */
int tide_k8s_cordon(tide_http *k8s, const char *name, int cordon, int *changed, tide_err *e);

/* How often a taint edit is retried when another writer changed the node in between. */
#define TIDE_K8S_CONFLICT_RETRIES 5

/*
 * Add a taint, or replace the value of the taint with the same key and effect.
 * spec.taints is an atomic list, so this GETs the node, edits the list and
 * PATCHes the whole list with the resourceVersion read, re-reading on 409.
 */
int tide_k8s_taint_add(tide_http *k8s, const char *name, const char *key, const char *value, const char *effect,
                       int *changed, tide_err *e);
/* Remove the taints with this key (and effect, unless NULL); the same way. */
int tide_k8s_taint_remove(tide_http *k8s, const char *name, const char *key, const char *effect, int *changed,
                          tide_err *e);

/* Set a label (value != NULL) or remove it (value == NULL): one PATCH of metadata.labels. */
int tide_k8s_label_set(tide_http *k8s, const char *name, const char *key, const char *value, tide_err *e);

/* ---- pods ------------------------------------------------------------------- */

typedef struct tide_k8s_pod {
    char *ns, *name, *uid;
    char *phase;                 /* Pending, Running, Succeeded, Failed, Unknown */
    char *deletion_timestamp;    /* NULL unless the pod is terminating */
    char *owner_kind;            /* the controller ownerRef (controller: true), NULL when none */
    char *owner_name;
    char *owner_api_version;
    int   mirror;                /* a static pod's mirror (annotation kubernetes.io/config.mirror) */
    int   emptydir;              /* has an emptyDir volume (local data lost on eviction) */
} tide_k8s_pod;

typedef struct tide_k8s_pod_list {
    tide_k8s_pod *items;
    size_t n;
} tide_k8s_pod_list;

void tide_k8s_pod_list_free(tide_k8s_pod_list *l);

/* How many pods one list request asks for (kubectl's --chunk-size). */
#define TIDE_K8S_LIST_CHUNK 500

/* Every pod bound to the node, in every namespace:
 * GET /api/v1/pods?fieldSelector=spec.nodeName%3D<node>&limit=500, following metadata.continue. */
int tide_k8s_pods_on_node(tide_http *k8s, const char *node, tide_k8s_pod_list *out, tide_err *e);

/* ---- drain ----------------------------------------------------------------- */

typedef enum tide_drain_action {
    TIDE_DRAIN_EVICT,    /* evict it */
    TIDE_DRAIN_SKIP,     /* leave it on the node */
    TIDE_DRAIN_REFUSE,   /* kubectl would refuse to drain the node because of it */
} tide_drain_action;

typedef struct tide_drain_verdict {
    tide_drain_action action;
    const char *warning;   /* static text in kubectl's words, NULL when kubectl says nothing */
} tide_drain_verdict;

/*
 * What `kubectl drain --ignore-daemonsets --delete-emptydir-data [--force]`
 * does with a pod (kubectl's filter chain, first decisive filter wins):
 * DaemonSet pods are skipped with a warning (finished ones are evicted),
 * mirror pods are skipped silently, pods with emptyDir are evicted with a
 * warning, pods with no controller are evicted only with `force` (else
 * REFUSE), finished pods are always evicted.  Unlike kubectl this does not
 * check that the DaemonSet still exists.  Pure function.
 */
tide_drain_verdict tide_k8s_drain_classify(const tide_k8s_pod *pod, int force);

/* kubectl's pause between refused evictions (EvictErrorRetryDelay). */
#define TIDE_K8S_EVICT_RETRY_MS 5000

/*
 * POST /api/v1/namespaces/{ns}/pods/{pod}/eviction (policy/v1 Eviction).
 * 200/201: accepted.  404: the pod is already gone, also success
 * (*gone = 1 when gone is not NULL).  429 (a PodDisruptionBudget says not
 * now) and 403 NamespaceTerminating: retried every retry_ms until deadline_s
 * (< 0: no limit, 0: one attempt), then an error naming the pod and the
 * budget's message.  500 (more than one budget) and anything else: fatal at
 * once.
 */
int tide_k8s_evict(tide_http *k8s, const char *ns, const char *pod, long retry_ms, long deadline_s, int *gone,
                   tide_err *e);

/*
 * Wait until the pod is gone: GET /api/v1/namespaces/{ns}/pods/{pod} every
 * poll_ms until 404 or a pod with a uid other than `uid` (a StatefulSet made
 * a new one under the same name; uid may be NULL to wait for 404 only), or
 * deadline_s (< 0: no limit, 0: look once) passed.
 */
int tide_k8s_pod_wait_deleted(tide_http *k8s, const char *ns, const char *pod, const char *uid, long poll_ms,
                              long deadline_s, tide_err *e);

#endif

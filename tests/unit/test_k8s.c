/* test_k8s.c - the Kubernetes client against recorded API server replies:
 * nodes, patches, taint races, pod lists, the drain filter, evictions, waiting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_http.h"
#include "jsonutil.h"
#include "k8s.h"
#include "strbuf.h"

#define BASE "https://10.1.0.10:6443"
#define SMP "application/strategic-merge-patch+json"
#define JSON "application/json"
#define NODE "/api/v1/nodes/n1"
#define PODS_Q "/api/v1/pods?fieldSelector=spec.nodeName%3Dn1&limit=500"
#define CONT "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6NDgzMDAsInN0YXJ0Ijoia3ViZS1zeXN0ZW0vaGFwcm94eS1uMVx1MDAwMCJ9"
#define EVICT "/api/v1/namespaces/default/pods/web-1/eviction"
#define POD "/api/v1/namespaces/default/pods/web-1"
#define WEB1_UID "a4c6e1b2-0f4e-4d5b-8d0e-3f8a7b2c9d10"

static int setup(void **state)
{
    *state = fake_client_new("Kubernetes", BASE);
    return 0;
}

static json_object *parse_sent(const fake_exchange *x)
{
    assert_non_null(x->sent_body);
    json_object *j = json_tokener_parse(x->sent_body);
    assert_non_null(j);
    return j;
}

/* What was sent, re-serialised without json-c's "\/" escapes, so it compares with kubectl's bytes. */
static void assert_sent(const fake_exchange *x, const char *want)
{
    json_object *j = parse_sent(x);
    assert_string_equal(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
                        want);
    json_object_put(j);
}

/* One JSON value without slash escapes. */
static const char *plain(json_object *j)
{
    return json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* A read-modify-write of node n1: GET answered with get_file, then a PATCH answered with patched_file.
 * Returns the PATCH, to read what was sent. */
static fake_exchange *expect_get_patch(fake_client *t, const char *get_file, const char *patched_file)
{
    fake_expect_file(&t->f, "GET", BASE NODE, 200, get_file);
    return fake_expect_file(&t->f, "PATCH", BASE NODE, 200, patched_file);
}

/* The spec.taints list of a node or patch. */
static json_object *taints_of(json_object *j)
{
    return tide_json_array(tide_json_get(j, "spec"), "taints");
}

/* ---- nodes ---------------------------------------------------------------- */

static void node_get_parses_everything(void **state)
{
    fake_client *t = *state;
    tide_k8s_node n;

    fake_expect_file(&t->f, "GET", BASE NODE, 200, "k8s/node-n1.json");
    assert_int_equal(tide_k8s_node_get(t->http, "n1", &n, &t->e), 0);
    assert_string_equal(n.name, "n1");
    assert_string_equal(n.uid, "6f0c3a51-3b8e-4a8e-9a54-2d3c1f6b9e07");
    assert_string_equal(n.resource_version, "48213");
    assert_false(n.unschedulable);
    assert_int_equal(n.ntaints, 1);
    assert_string_equal(n.taints[0].key, "node.kubernetes.io/disk-pressure");
    assert_null(n.taints[0].value);
    assert_string_equal(n.taints[0].effect, "NoSchedule");
    assert_int_equal(n.nlabels, 4);
    assert_string_equal(tide_k8s_node_label(&n, "topology.kubernetes.io/zone"), "x1000");
    assert_null(tide_k8s_node_label(&n, "hpc.example.org/owner"));
    assert_string_equal(n.ready, "True");
    assert_string_equal(n.ready_since, "2026-09-02T17:40:09Z");
    assert_string_equal(n.boot_id, "0d6f6f3e-7a9c-4f4b-a5b9-0c5c1e8c2f11");
    tide_k8s_node_free(&n);

    fake_expect_file(&t->f, "GET", NODE, 200, "k8s/node-n1-borrowed.json");
    assert_int_equal(tide_k8s_node_get(t->http, "n1", &n, &t->e), 0);
    assert_true(n.unschedulable);
    assert_string_equal(n.ready, "Unknown");
    const tide_k8s_taint *tt = tide_k8s_node_taint(&n, "hpc.example.org/borrowed-by", NULL);
    assert_non_null(tt);
    assert_string_equal(tt->value, "slurm");
    assert_null(tide_k8s_node_taint(&n, "hpc.example.org/borrowed-by", "NoExecute"));
    assert_string_equal(tide_k8s_node_label(&n, "hpc.example.org/owner"), "slurm");
    tide_k8s_node_free(&n);
}

static void node_get_not_found(void **state)
{
    fake_client *t = *state;
    tide_k8s_node n;

    fake_expect_file(&t->f, "GET", "/api/v1/nodes/n9", 404, "k8s/node-not-found.json");
    assert_int_equal(tide_k8s_node_get(t->http, "n9", &n, &t->e), -1);
    assert_string_equal(t->e.msg, "Kubernetes: GET " BASE "/api/v1/nodes/n9: HTTP 404 Not Found: nodes \"n9\" not found");
    assert_int_equal(t->e.http_status, 404);
    assert_null(n.name);
}

static void cordon_patches_like_kubectl(void **state)
{
    fake_client *t = *state;
    int changed = -1;

    fake_exchange *x = expect_get_patch(t, "k8s/node-n1.json", "k8s/node-n1-borrowed.json");
    assert_int_equal(tide_k8s_cordon(t->http, "n1", 1, &changed, &t->e), 0);
    assert_int_equal(changed, 1);
    assert_string_equal(x->sent_content_type, SMP);
    assert_sent(x, "{\"spec\":{\"unschedulable\":true}}");
}

static void cordon_twice_sends_nothing(void **state)
{
    fake_client *t = *state;
    int changed = -1;

    fake_expect_file(&t->f, "GET", NODE, 200, "k8s/node-n1-borrowed.json");
    assert_int_equal(tide_k8s_cordon(t->http, "n1", 1, &changed, &t->e), 0);
    assert_int_equal(changed, 0);
}

static void uncordon_sends_null(void **state)
{
    fake_client *t = *state;
    int changed = -1;

    fake_exchange *x = expect_get_patch(t, "k8s/node-n1-borrowed.json", "k8s/node-n1.json");
    assert_int_equal(tide_k8s_cordon(t->http, "n1", 0, &changed, &t->e), 0);
    assert_int_equal(changed, 1);
    assert_sent(x, "{\"spec\":{\"unschedulable\":null}}");
}

static void patch_with_resource_version_returns_node(void **state)
{
    fake_client *t = *state;
    tide_k8s_node n;
    json_object *patch = json_tokener_parse("{\"metadata\":{\"labels\":{\"a\":\"b\"}},\"spec\":{\"unschedulable\":true}}");

    fake_exchange *x = fake_expect_file(&t->f, "PATCH", NODE, 200, "k8s/node-n1-borrowed.json");
    assert_int_equal(tide_k8s_node_patch(t->http, "n1", patch, "48213", &n, &t->e), 0);
    assert_sent(x, "{\"metadata\":{\"labels\":{\"a\":\"b\"},\"resourceVersion\":\"48213\"},"
                                      "\"spec\":{\"unschedulable\":true}}");
    /* The caller's patch is left alone. */
    assert_null(tide_json_str(tide_json_get(patch, "metadata"), "resourceVersion"));
    assert_string_equal(n.resource_version, "48290");
    tide_k8s_node_free(&n);
    json_object_put(patch);
}

static void taint_add_sends_whole_list_with_resource_version(void **state)
{
    fake_client *t = *state;
    int changed = -1;

    fake_exchange *x = expect_get_patch(t, "k8s/node-n1.json", "k8s/node-n1-borrowed.json");
    assert_int_equal(tide_k8s_taint_add(t->http, "n1", "hpc.example.org/borrowed-by", "slurm", "NoSchedule",
                                        &changed, &t->e), 0);
    assert_int_equal(changed, 1);
    assert_string_equal(x->sent_content_type, SMP);
    json_object *sent = parse_sent(x);
    assert_string_equal(tide_json_str(tide_json_get(sent, "metadata"), "resourceVersion"), "48213");
    json_object *taints = taints_of(sent);
    assert_int_equal(json_object_array_length(taints), 2);
    /* The other writer's taint goes back exactly as it was, timeAdded included. */
    json_object *t0 = json_object_array_get_idx(taints, 0);
    assert_string_equal(tide_json_str(t0, "key"), "node.kubernetes.io/disk-pressure");
    assert_string_equal(tide_json_str(t0, "timeAdded"), "2026-09-14T09:58:03Z");
    json_object *t1 = json_object_array_get_idx(taints, 1);
    assert_string_equal(plain(t1),
                        "{\"key\":\"hpc.example.org/borrowed-by\",\"value\":\"slurm\",\"effect\":\"NoSchedule\"}");
    json_object_put(sent);
}

static void taint_add_present_sends_nothing(void **state)
{
    fake_client *t = *state;
    int changed = -1;

    fake_expect_file(&t->f, "GET", NODE, 200, "k8s/node-n1-borrowed.json");
    assert_int_equal(tide_k8s_taint_add(t->http, "n1", "hpc.example.org/borrowed-by", "slurm", "NoSchedule",
                                        &changed, &t->e), 0);
    assert_int_equal(changed, 0);
}

static void taint_add_replaces_value(void **state)
{
    fake_client *t = *state;

    fake_exchange *x = expect_get_patch(t, "k8s/node-n1-borrowed.json", "k8s/node-n1-borrowed.json");
    assert_int_equal(tide_k8s_taint_add(t->http, "n1", "hpc.example.org/borrowed-by", "pool", "NoSchedule",
                                        NULL, &t->e), 0);
    json_object *sent = parse_sent(x);
    json_object *taints = taints_of(sent);
    assert_int_equal(json_object_array_length(taints), 2);
    assert_string_equal(tide_json_str(json_object_array_get_idx(taints, 0), "key"), "node.kubernetes.io/unschedulable");
    assert_string_equal(tide_json_str(json_object_array_get_idx(taints, 1), "value"), "pool");
    json_object_put(sent);
}

static void taint_conflict_is_retried_with_fresh_version(void **state)
{
    fake_client *t = *state;
    int changed = -1;

    fake_expect_file(&t->f, "GET", NODE, 200, "k8s/node-n1.json");
    fake_exchange *p1 = fake_expect_file(&t->f, "PATCH", NODE, 409, "k8s/conflict.json");
    fake_exchange *p2 = expect_get_patch(t, "k8s/node-n1-borrowed.json", "k8s/node-n1-borrowed.json");
    assert_int_equal(tide_k8s_taint_add(t->http, "n1", "hpc.example.org/drain", NULL, "NoSchedule", &changed,
                                        &t->e), 0);
    assert_int_equal(changed, 1);
    assert_false(t->e.conflict);   /* the lost race is not left behind as an error */

    json_object *s1 = parse_sent(p1), *s2 = parse_sent(p2);
    assert_string_equal(tide_json_str(tide_json_get(s1, "metadata"), "resourceVersion"), "48213");
    assert_string_equal(tide_json_str(tide_json_get(s2, "metadata"), "resourceVersion"), "48290");
    /* The second attempt builds on what the winner wrote. */
    json_object *taints = taints_of(s2);
    assert_int_equal(json_object_array_length(taints), 3);
    assert_string_equal(tide_json_str(json_object_array_get_idx(taints, 1), "key"), "hpc.example.org/borrowed-by");
    assert_string_equal(plain(json_object_array_get_idx(taints, 2)),
                        "{\"key\":\"hpc.example.org/drain\",\"effect\":\"NoSchedule\"}");
    json_object_put(s1);
    json_object_put(s2);
}

static void taint_conflict_gives_up(void **state)
{
    fake_client *t = *state;

    for (int i = 0; i <= TIDE_K8S_CONFLICT_RETRIES; i++) {
        fake_expect_file(&t->f, "GET", NODE, 200, "k8s/node-n1.json");
        fake_expect_file(&t->f, "PATCH", NODE, 409, "k8s/conflict.json");
    }
    assert_int_equal(tide_k8s_taint_add(t->http, "n1", "k", "v", "NoSchedule", NULL, &t->e), -1);
    assert_true(t->e.conflict);
    assert_string_equal(t->e.msg, "Kubernetes: PATCH " BASE NODE ": HTTP 409 Conflict: Operation cannot be fulfilled "
                                  "on nodes \"n1\": the object has been modified; please apply your changes to the "
                                  "latest version and try again");
}

static void taint_remove_keeps_the_others(void **state)
{
    fake_client *t = *state;
    int changed = -1;

    fake_exchange *x = expect_get_patch(t, "k8s/node-n1-borrowed.json", "k8s/node-n1.json");
    assert_int_equal(tide_k8s_taint_remove(t->http, "n1", "hpc.example.org/borrowed-by", NULL, &changed, &t->e), 0);
    assert_int_equal(changed, 1);
    assert_sent(x, "{\"spec\":{\"taints\":[{\"key\":\"node.kubernetes.io/unschedulable\","
                                      "\"effect\":\"NoSchedule\",\"timeAdded\":\"2026-09-14T10:03:40Z\"}]},"
                                      "\"metadata\":{\"resourceVersion\":\"48290\"}}");
}

static void taint_remove_last_sends_null(void **state)
{
    fake_client *t = *state;

    fake_exchange *x = expect_get_patch(t, "k8s/node-n1.json", "k8s/node-n1.json");
    assert_int_equal(tide_k8s_taint_remove(t->http, "n1", "node.kubernetes.io/disk-pressure", "NoSchedule", NULL,
                                           &t->e), 0);
    assert_sent(x, "{\"spec\":{\"taints\":null},\"metadata\":{\"resourceVersion\":\"48213\"}}");
}

static void taint_remove_absent_sends_nothing(void **state)
{
    fake_client *t = *state;
    int changed = -1;

    fake_expect_file(&t->f, "GET", NODE, 200, "k8s/node-n1.json");
    assert_int_equal(tide_k8s_taint_remove(t->http, "n1", "hpc.example.org/borrowed-by", NULL, &changed, &t->e), 0);
    assert_int_equal(changed, 0);
}

static void label_set_and_remove(void **state)
{
    fake_client *t = *state;

    fake_exchange *x = fake_expect_file(&t->f, "PATCH", NODE, 200, "k8s/node-n1-borrowed.json");
    fake_exchange *y = fake_expect_file(&t->f, "PATCH", NODE, 200, "k8s/node-n1.json");
    assert_int_equal(tide_k8s_label_set(t->http, "n1", "hpc.example.org/owner", "slurm", &t->e), 0);
    assert_int_equal(tide_k8s_label_set(t->http, "n1", "hpc.example.org/owner", NULL, &t->e), 0);
    assert_string_equal(x->sent_content_type, SMP);
    assert_sent(x, "{\"metadata\":{\"labels\":{\"hpc.example.org/owner\":\"slurm\"}}}");
    assert_sent(y, "{\"metadata\":{\"labels\":{\"hpc.example.org/owner\":null}}}");
}

/* ---- pods and the drain filter ---------------------------------------------- */

static void pods_on_node_follows_continue(void **state)
{
    fake_client *t = *state;
    tide_k8s_pod_list l;

    fake_expect_file(&t->f, "GET", BASE PODS_Q, 200, "k8s/pods-n1-page1.json");
    fake_expect_file(&t->f, "GET", BASE PODS_Q "&continue=" CONT, 200, "k8s/pods-n1-page2.json");
    assert_int_equal(tide_k8s_pods_on_node(t->http, "n1", &l, &t->e), 0);
    assert_int_equal(l.n, 6);

    tide_k8s_pod *p = &l.items[0];
    assert_string_equal(p->ns, "default");
    assert_string_equal(p->name, "web-1");
    assert_string_equal(p->uid, WEB1_UID);
    assert_string_equal(p->phase, "Running");
    assert_null(p->deletion_timestamp);
    assert_string_equal(p->owner_kind, "ReplicaSet");
    assert_string_equal(p->owner_name, "web-7d9f8c6b5d");
    assert_string_equal(p->owner_api_version, "apps/v1");
    assert_false(p->mirror);
    assert_true(p->emptydir);

    assert_string_equal(l.items[1].owner_kind, "DaemonSet");
    assert_false(l.items[1].emptydir);          /* hostPath is not local storage */
    assert_true(l.items[2].mirror);
    assert_string_equal(l.items[3].name, "debug-shell");
    assert_null(l.items[3].owner_kind);
    assert_string_equal(l.items[4].deletion_timestamp, "2026-09-14T10:04:31Z");
    assert_string_equal(l.items[5].owner_name, "node-exporter");   /* the controller, not the first ref */
    tide_k8s_pod_list_free(&l);
}

static void pods_list_error(void **state)
{
    fake_client *t = *state;
    tide_k8s_pod_list l;

    fake_expect_file(&t->f, "GET", PODS_Q, 200, "k8s/pods-n1-page1.json");
    fake_expect(&t->f, "GET", PODS_Q "&continue=" CONT, 410, JSON,
                "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
                "\"message\":\"The provided continue parameter is too old to display a consistent list result.\","
                "\"reason\":\"Expired\",\"code\":410}");
    assert_int_equal(tide_k8s_pods_on_node(t->http, "n1", &l, &t->e), -1);
    assert_int_equal(l.n, 0);
    assert_string_equal(t->e.msg, "Kubernetes: GET " BASE PODS_Q "&continue=" CONT ": HTTP 410: The provided continue "
                                  "parameter is too old to display a consistent list result.");
}

static void drain_filter_as_kubectl(void **state)
{
    fake_client *t = *state;
    tide_k8s_pod_list l;

    fake_expect_file(&t->f, "GET", PODS_Q, 200, "k8s/pods-n1-page1.json");
    fake_expect_file(&t->f, "GET", PODS_Q "&continue=" CONT, 200, "k8s/pods-n1-page2.json");
    assert_int_equal(tide_k8s_pods_on_node(t->http, "n1", &l, &t->e), 0);

    static const struct {
        const char *name;
        tide_drain_action action, forced;
        const char *warning;
    } want[] = {
        { "web-1", TIDE_DRAIN_EVICT, TIDE_DRAIN_EVICT, "deleting Pods with local storage" },
        { "kube-proxy-7xq2m", TIDE_DRAIN_SKIP, TIDE_DRAIN_SKIP, "ignoring DaemonSet-managed Pods" },
        { "haproxy-n1", TIDE_DRAIN_SKIP, TIDE_DRAIN_SKIP, NULL },
        { "debug-shell", TIDE_DRAIN_REFUSE, TIDE_DRAIN_EVICT,
          "cannot delete Pods that declare no controller (use --force to override)" },
        { "backup-29301120-kx8vd", TIDE_DRAIN_EVICT, TIDE_DRAIN_EVICT, NULL },   /* finished */
        { "node-exporter-5v9qz", TIDE_DRAIN_EVICT, TIDE_DRAIN_EVICT, NULL },     /* finished DaemonSet pod */
    };
    assert_int_equal(l.n, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < l.n; i++) {
        assert_string_equal(l.items[i].name, want[i].name);
        tide_drain_verdict v = tide_k8s_drain_classify(&l.items[i], 0);
        assert_int_equal(v.action, want[i].action);
        if (want[i].warning)
            assert_string_equal(v.warning, want[i].warning);
        else
            assert_null(v.warning);
        assert_int_equal(tide_k8s_drain_classify(&l.items[i], 1).action, want[i].forced);
    }
    assert_string_equal(tide_k8s_drain_classify(&l.items[3], 1).warning, "deleting Pods that declare no controller");
    tide_k8s_pod_list_free(&l);
}

/* ---- eviction and waiting ------------------------------------------------------ */

static void evict_retries_while_budget_refuses(void **state)
{
    fake_client *t = *state;
    int gone = -1;

    fake_exchange *x = fake_expect_file(&t->f, "POST", BASE EVICT, 429, "k8s/eviction-429.json");
    fake_expect_file(&t->f, "POST", EVICT, 429, "k8s/eviction-429.json");
    fake_expect_file(&t->f, "POST", EVICT, 201, "k8s/eviction-201.json");
    assert_int_equal(tide_k8s_evict(t->http, "default", "web-1", 0, 60, &gone, &t->e), 0);
    assert_int_equal(gone, 0);
    assert_string_equal(x->sent_content_type, JSON);
    assert_string_equal(x->sent_body, "{\"apiVersion\":\"policy/v1\",\"kind\":\"Eviction\","
                                      "\"metadata\":{\"name\":\"web-1\",\"namespace\":\"default\"}}");
}

static void evict_gives_up_at_deadline(void **state)
{
    fake_client *t = *state;

    fake_expect_file(&t->f, "POST", EVICT, 429, "k8s/eviction-429.json");
    assert_int_equal(tide_k8s_evict(t->http, "default", "web-1", 0, 0, NULL, &t->e), -1);
    assert_string_equal(t->e.msg, "pod default/web-1 not evicted: Kubernetes: POST " BASE EVICT ": HTTP 429 Too Many "
                                  "Requests: Cannot evict pod as it would violate the pod's disruption budget. (The "
                                  "disruption budget web-pdb needs 2 healthy pods and has 2 currently)");
    assert_int_equal(t->e.http_status, 429);
}

static void evict_404_is_already_gone(void **state)
{
    fake_client *t = *state;
    int gone = 0;

    fake_expect_file(&t->f, "POST", EVICT, 404, "k8s/pod-not-found.json");
    assert_int_equal(tide_k8s_evict(t->http, "default", "web-1", 0, 60, &gone, &t->e), 0);
    assert_int_equal(gone, 1);
}

static void evict_500_is_fatal_at_once(void **state)
{
    fake_client *t = *state;

    fake_expect_file(&t->f, "POST", EVICT, 500, "k8s/eviction-500.json");
    assert_int_equal(tide_k8s_evict(t->http, "default", "web-1", 0, -1, NULL, &t->e), -1);
    assert_string_equal(t->e.msg, "pod default/web-1 not evicted: Kubernetes: POST " BASE EVICT ": HTTP 500 Internal "
                                  "Server Error: This pod has more than one PodDisruptionBudget, which the eviction "
                                  "subresource does not support.");
}

static void evict_namespace_terminating_is_retried(void **state)
{
    fake_client *t = *state;

    fake_expect(&t->f, "POST", EVICT, 403, JSON,
                "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":"
                "\"pods \\\"web-1\\\" is forbidden: unable to create new content in namespace default because it is "
                "being terminated\",\"reason\":\"Forbidden\",\"details\":{\"name\":\"web-1\",\"kind\":\"pods\","
                "\"causes\":[{\"reason\":\"NamespaceTerminating\",\"message\":\"namespace default is being terminated\","
                "\"field\":\"metadata.namespace\"}]},\"code\":403}");
    fake_expect_file(&t->f, "POST", EVICT, 201, "k8s/eviction-201.json");
    assert_int_equal(tide_k8s_evict(t->http, "default", "web-1", 0, 60, NULL, &t->e), 0);
}

static void evict_forbidden_is_fatal(void **state)
{
    fake_client *t = *state;

    fake_expect(&t->f, "POST", EVICT, 403, JSON,
                "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":"
                "\"pods \\\"web-1\\\" is forbidden: User \\\"system:serviceaccount:tide:tide\\\" cannot create "
                "resource \\\"pods/eviction\\\" in API group \\\"\\\" in the namespace \\\"default\\\"\","
                "\"reason\":\"Forbidden\",\"details\":{\"name\":\"web-1\",\"kind\":\"pods\"},\"code\":403}");
    assert_int_equal(tide_k8s_evict(t->http, "default", "web-1", 0, 60, NULL, &t->e), -1);
    assert_string_equal(t->e.msg, "pod default/web-1 not evicted: Kubernetes: POST " BASE EVICT ": HTTP 403 Forbidden: "
                                  "pods \"web-1\" is forbidden: User \"system:serviceaccount:tide:tide\" cannot create "
                                  "resource \"pods/eviction\" in API group \"\" in the namespace \"default\"");
}

static void wait_deleted_until_404(void **state)
{
    fake_client *t = *state;

    fake_expect_file(&t->f, "GET", BASE POD, 200, "k8s/pod-web-1.json");
    fake_expect_file(&t->f, "GET", POD, 200, "k8s/pod-web-1.json");
    fake_expect_file(&t->f, "GET", POD, 404, "k8s/pod-not-found.json");
    assert_int_equal(tide_k8s_pod_wait_deleted(t->http, "default", "web-1", WEB1_UID, 0, 60, &t->e), 0);
}

static void wait_deleted_new_uid_counts_as_gone(void **state)
{
    fake_client *t = *state;

    fake_expect_file(&t->f, "GET", POD, 200, "k8s/pod-web-1.json");
    assert_int_equal(tide_k8s_pod_wait_deleted(t->http, "default", "web-1", "00000000-old0-uid0-0000-000000000000", 0,
                                               60, &t->e), 0);
}

static void wait_deleted_deadline(void **state)
{
    fake_client *t = *state;

    fake_expect_file(&t->f, "GET", POD, 200, "k8s/pod-web-1.json");
    assert_int_equal(tide_k8s_pod_wait_deleted(t->http, "default", "web-1", WEB1_UID, 0, 0, &t->e), -1);
    assert_string_equal(t->e.msg, "Kubernetes: pod default/web-1 (uid " WEB1_UID ") still exists after 0 s");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(node_get_parses_everything, setup, fake_client_teardown),
        cmocka_unit_test_setup_teardown(node_get_not_found, setup, fake_client_teardown),
        cmocka_unit_test_setup_teardown(cordon_patches_like_kubectl, setup, fake_client_teardown),
        cmocka_unit_test_setup_teardown(cordon_twice_sends_nothing, setup, fake_client_teardown),
        cmocka_unit_test_setup_teardown(uncordon_sends_null, setup, fake_client_teardown),
        cmocka_unit_test_setup_teardown(patch_with_resource_version_returns_node, setup, fake_client_teardown),
        cmocka_unit_test_setup_teardown(taint_add_sends_whole_list_with_resource_version, setup, fake_client_teardown),
        cmocka_unit_test_setup_teardown(taint_add_present_sends_nothing, setup, fake_client_teardown),
        cmocka_unit_test_setup_teardown(taint_add_replaces_value, setup, fake_client_teardown),
        cmocka_unit_test_setup_teardown(taint_conflict_is_retried_with_fresh_version, setup, fake_client_teardown),
        cmocka_unit_test_setup_teardown(taint_conflict_gives_up, setup, fake_client_teardown),
        cmocka_unit_test_setup_teardown(taint_remove_keeps_the_others, setup, fake_client_teardown),
        cmocka_unit_test_setup_teardown(taint_remove_last_sends_null, setup, fake_client_teardown),
        cmocka_unit_test_setup_teardown(taint_remove_absent_sends_nothing, setup, fake_client_teardown),
        cmocka_unit_test_setup_teardown(label_set_and_remove, setup, fake_client_teardown),
        cmocka_unit_test_setup_teardown(pods_on_node_follows_continue, setup, fake_client_teardown),
        cmocka_unit_test_setup_teardown(pods_list_error, setup, fake_client_teardown),
        cmocka_unit_test_setup_teardown(drain_filter_as_kubectl, setup, fake_client_teardown),
        cmocka_unit_test_setup_teardown(evict_retries_while_budget_refuses, setup, fake_client_teardown),
        cmocka_unit_test_setup_teardown(evict_gives_up_at_deadline, setup, fake_client_teardown),
        cmocka_unit_test_setup_teardown(evict_404_is_already_gone, setup, fake_client_teardown),
        cmocka_unit_test_setup_teardown(evict_500_is_fatal_at_once, setup, fake_client_teardown),
        cmocka_unit_test_setup_teardown(evict_namespace_terminating_is_retried, setup, fake_client_teardown),
        cmocka_unit_test_setup_teardown(evict_forbidden_is_fatal, setup, fake_client_teardown),
        cmocka_unit_test_setup_teardown(wait_deleted_until_404, setup, fake_client_teardown),
        cmocka_unit_test_setup_teardown(wait_deleted_new_uid_counts_as_gone, setup, fake_client_teardown),
        cmocka_unit_test_setup_teardown(wait_deleted_deadline, setup, fake_client_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_transition.c - tided's steps (helper/transition.c, helper/kpool.c) against recorded
 * SMD, BSS, PCS and Kubernetes replies: the exact requests, their batching (one BSS PUT per
 * image, one reservation and one PCS transition per batch), and what a failure leaves behind.
 * The SMD group moves are in test_group_moves.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jsonutil.h"
#include "strbuf.h"
#include "tided_fixture.h"

/* ---- image -------------------------------------------------------------------------------- */

static void image_is_one_put_per_image(void **state)
{
    fixture *t = *state;
    tided_node **n = t->nodes;
    n[0]->image = xstrdup("rocky9");
    n[1]->image = xstrdup("sles15");
    n[2]->image = xstrdup("rocky9");
    n[1]->bss_image = xstrdup("rocky9");
    fake_exchange *p1 = fake_expect(&t->fb, "PUT", "/bootparameters", 200, NULL, "");
    fake_exchange *p2 = fake_expect(&t->fb, "PUT", "/bootparameters", 200, NULL, "");
    tided_step_image(&t->r, n, 3, 0);
    fake_assert_json_equal(p1->sent_body,
                           "{\"hosts\":[\"" N0 "\",\"" N2 "\"],\"kernel\":\"http://s3/rocky9/vmlinuz\","
                           "\"initrd\":\"http://s3/rocky9/initrd\",\"params\":\"console=ttyS0 ro tide.image=rocky9\"}");
    fake_assert_json_equal(p2->sent_body,
                           "{\"hosts\":[\"" N1 "\"],\"kernel\":\"http://s3/sles15/vmlinuz\","
                           "\"initrd\":\"http://s3/sles15/initrd\",\"params\":\"console=ttyS0 tide.image=sles15\"}");
    assert_string_equal(n[0]->bss_image, "rocky9");
    assert_string_equal(n[1]->bss_image, "sles15");
    assert_string_equal(n[2]->bss_image, "rocky9");
}

static void image_home_uses_home_image_and_empty_params(void **state)
{
    fixture *t = *state;
    tided_node *n = t->nodes[0];
    n->home = tide_conf_pool(t->d.conf, "k8s");
    fake_exchange *p = fake_expect(&t->fb, "PUT", "/bootparameters", 200, NULL, "");
    tided_step_image(&t->r, &n, 1, 1);
    fake_assert_json_equal(p->sent_body, "{\"hosts\":[\"" N0 "\"],\"kernel\":\"http://s3/k8s/vmlinuz\","
                                         "\"initrd\":\"http://s3/k8s/initrd\",\"params\":\"tide.image=k8s\"}");
    assert_string_equal(n->bss_image, "k8s");
}

static void image_failure_fails_the_batch(void **state)
{
    fixture *t = *state;
    tided_node **n = t->nodes;
    n[0]->image = xstrdup("rocky9");
    n[1]->image = xstrdup("rocky9");
    fake_expect(&t->fb, "PUT", "/bootparameters", 500, "application/problem+json",
                "{\"title\":\"Internal Server Error\",\"detail\":\"injected\",\"status\":500}");
    tided_step_image(&t->r, n, 2, 0);
    for (int i = 0; i < 2; i++) {
        assert_true(n[i]->failed);
        assert_int_equal(n[i]->strikes, 1);
        assert_null(n[i]->bss_image);
        assert_string_equal(n[i]->last_error, "BSS: PUT " BSS "/bootparameters: HTTP 500 Internal Server Error: injected");
    }
}

static void image_unknown_is_no_strike(void **state)
{
    fixture *t = *state;
    tided_node *n = t->nodes[0];
    n->image = xstrdup("windows");
    tided_step_image(&t->r, &n, 1, 0);   /* no request */
    assert_true(n->failed);
    assert_int_equal(n->strikes, 0);
    assert_string_equal(n->last_error, "image windows has no Image= record in tide.conf");
}

/* ---- boot ---------------------------------------------------------------------------------- */

#define RES_OK "{\"Success\":[" \
    "{\"ID\":\"" N0 "\",\"DeputyKey\":\"" N0 ":dk:1\",\"ReservationKey\":\"" N0 ":rk:1\",\"ExpirationTime\":\"2026-01-01T10:15:00Z\"}," \
    "{\"ID\":\"" N1 "\",\"DeputyKey\":\"" N1 ":dk:2\",\"ReservationKey\":\"" N1 ":rk:2\",\"ExpirationTime\":\"2026-01-01T10:15:00Z\"}]," \
    "\"Failure\":[]}"

static void boot_is_one_reservation_and_one_transition(void **state)
{
    fixture *t = *state;
    tided_node **n = t->nodes;
    n[0]->image = xstrdup("rocky9");
    n[1]->image = xstrdup("rocky9");
    fake_exchange *res = fake_expect(&t->fs, "POST", "/locks/service/reservations", 200, JSON, RES_OK);
    fake_exchange *tr = fake_expect(&t->fp, "POST", "/transitions", 200, JSON,
                                    "{\"transitionID\":\"" TID "\",\"operation\":\"Init\"}");
    tided_step_boot(&t->r, n, 2, 0);

    json_object *sent = json_tokener_parse(res->sent_body);
    assert_string_equal(tide_json_str(sent, "ProcessingModel"), "flexible");
    assert_int_equal(json_object_array_length(tide_json_array(sent, "ComponentIDs")), 2);
    assert_int_equal(tide_json_int(sent, "ReservationDuration", 0), 1);
    json_object_put(sent);
    fake_assert_json_equal(tr->sent_body,
                           "{\"operation\":\"init\",\"taskDeadlineMinutes\":1,\"location\":["
                           "{\"xname\":\"" N0 "\",\"deputyKey\":\"" N0 ":dk:1\"},"
                           "{\"xname\":\"" N1 "\",\"deputyKey\":\"" N1 ":dk:2\"}]}");
    assert_non_null(t->r.boots);
    assert_string_equal(t->r.boots->id, TID);
    assert_int_equal(t->r.boots->n, 2);
    assert_true(n[0]->boot_pending && n[1]->boot_pending);
    assert_int_equal(n[0]->lease_booted, 1);

    /* Next pass: PCS says one booted, one failed; the reservation is released. */
    t->r.now = 1030;
    fake_expect(&t->fp, "GET", "/transitions/" TID, 200, JSON,
                "{\"transitionID\":\"" TID "\",\"operation\":\"Init\",\"transitionStatus\":\"completed\","
                "\"taskCounts\":{\"total\":2,\"new\":0,\"in-progress\":0,\"failed\":1,\"succeeded\":1,\"un-supported\":0},"
                "\"tasks\":[{\"xname\":\"" N0 "\",\"taskStatus\":\"succeeded\",\"taskStatusDescription\":\"Transition confirmed, on\"},"
                "{\"xname\":\"" N1 "\",\"taskStatus\":\"failed\",\"taskStatusDescription\":\"Failed to achieve transition\","
                "\"error\":\"Power action not supported for " N1 "\"}]}");
    fake_exchange *rel = fake_expect(&t->fs, "POST", "/locks/service/reservations/release", 200, JSON,
                                     "{\"Counts\":{\"Total\":2,\"Success\":2,\"Failure\":0},"
                                     "\"Success\":{\"ComponentIDs\":[\"" N0 "\",\"" N1 "\"]},\"Failure\":[]}");
    tided_boots_poll(&t->r);
    assert_null(t->r.boots);
    assert_non_null(strstr(rel->sent_body, N0 ":rk:1"));
    assert_true(n[0]->booted);
    assert_int_equal(n[0]->boot_done_at, 1030);
    assert_false(n[0]->boot_pending);
    assert_false(n[1]->booted);
    assert_true(n[1]->failed);
    assert_int_equal(n[1]->strikes, 1);
    assert_string_equal(n[1]->last_error, "PCS: transition " TID " (init) of " N1
                        ": failed: Power action not supported for " N1);
}

static void boot_skips_a_node_someone_else_reserved(void **state)
{
    fixture *t = *state;
    tided_node **n = t->nodes;
    fake_expect(&t->fs, "POST", "/locks/service/reservations", 200, JSON,
                "{\"Success\":[{\"ID\":\"" N0 "\",\"DeputyKey\":\"" N0 ":dk:1\",\"ReservationKey\":\"" N0 ":rk:1\"}],"
                "\"Failure\":[{\"ID\":\"" N1 "\",\"Reason\":\"Reserved\"}]}");
    fake_exchange *tr = fake_expect(&t->fp, "POST", "/transitions", 200, JSON,
                                    "{\"transitionID\":\"" TID "\",\"operation\":\"Init\"}");
    n[1]->acquire_at = 900;   /* BootTimeout (60 s) is over: give up */
    tided_step_boot(&t->r, n, 2, 0);
    fake_assert_json_equal(tr->sent_body, "{\"operation\":\"init\",\"taskDeadlineMinutes\":1,\"location\":["
                                          "{\"xname\":\"" N0 "\",\"deputyKey\":\"" N0 ":dk:1\"}]}");
    assert_true(n[0]->boot_pending);
    assert_true(n[1]->failed);
    assert_string_equal(n[1]->last_error, "SMD: cannot reserve " N1 " for the power step: Reserved");
}

static void boot_waits_for_a_reservation_left_from_before_a_restart(void **state)
{
    fixture *t = *state;
    tided_node *n = t->nodes[0];
    n->acquire_at = 990;
    fake_expect(&t->fs, "POST", "/locks/service/reservations", 200, JSON,
                "{\"Success\":[],\"Failure\":[{\"ID\":\"" N0 "\",\"Reason\":\"Reserved\"}]}");
    tided_step_boot(&t->r, &n, 1, 0);   /* no transition */
    assert_false(n->failed);
    assert_false(n->boot_pending);
    assert_int_equal(n->boot_blocked_at, 1000);
    assert_null(t->r.boots);
}

static void boot_still_running_after_timeout_is_aborted(void **state)
{
    fixture *t = *state;
    tided_node *n = t->nodes[0];
    fake_expect(&t->fs, "POST", "/locks/service/reservations", 200, JSON,
                "{\"Success\":[{\"ID\":\"" N0 "\",\"DeputyKey\":\"" N0 ":dk:1\",\"ReservationKey\":\"" N0 ":rk:1\"}],"
                "\"Failure\":[]}");
    fake_expect(&t->fp, "POST", "/transitions", 200, JSON, "{\"transitionID\":\"" TID "\",\"operation\":\"Init\"}");
    tided_step_boot(&t->r, &n, 1, 0);
    const char *running = "{\"transitionID\":\"" TID "\",\"operation\":\"Init\",\"transitionStatus\":\"in-progress\","
                          "\"taskCounts\":{\"total\":1,\"new\":0,\"in-progress\":1,\"failed\":0,\"succeeded\":0,\"un-supported\":0},"
                          "\"tasks\":[{\"xname\":\"" N0 "\",\"taskStatus\":\"in-progress\"}]}";
    /* Within BootTimeout: keep waiting, and keep the (short) reservation alive. */
    t->r.now = 1030;
    fake_expect(&t->fp, "GET", "/transitions/" TID, 200, JSON, running);
    fake_exchange *renew = fake_expect(&t->fs, "POST", "/locks/service/reservations/renew", 200, JSON,
                                       "{\"Counts\":{\"Total\":1,\"Success\":1,\"Failure\":0},"
                                       "\"Success\":{\"ComponentIDs\":[\"" N0 "\"]},\"Failure\":[]}");
    tided_boots_poll(&t->r);
    fake_assert_json_equal(renew->sent_body, "{\"ReservationKeys\":[{\"ID\":\"" N0 "\",\"Key\":\"" N0 ":rk:1\"}],"
                                             "\"ProcessingModel\":\"rigid\",\"ReservationDuration\":1}");
    t->r.now = 1045;   /* renewed 15 s ago: no renew */
    fake_expect(&t->fp, "GET", "/transitions/" TID, 200, JSON, running);
    tided_boots_poll(&t->r);
    assert_non_null(t->r.boots);
    assert_true(n->boot_pending);
    /* Past it: abort, fail the node, release. */
    t->r.now = 1061;
    fake_expect(&t->fp, "GET", "/transitions/" TID, 200, JSON, running);
    fake_expect(&t->fp, "DELETE", "/transitions/" TID, 202, JSON, "{\"abortStatus\":\"Accepted - abort initiated\"}");
    fake_expect(&t->fs, "POST", "/locks/service/reservations/release", 200, JSON,
                "{\"Counts\":{\"Total\":1,\"Success\":1,\"Failure\":0},\"Success\":{\"ComponentIDs\":[\"" N0 "\"]},\"Failure\":[]}");
    tided_boots_poll(&t->r);
    assert_null(t->r.boots);
    assert_true(n->failed);
    assert_string_equal(n->last_error, "PCS: transition " TID " (init) not finished within BootTimeout=60 s");
}

static void home_power_splits_init_and_off(void **state)
{
    fixture *t = *state;
    tided_node **n = t->nodes;
    n[0]->home = tide_conf_pool(t->d.conf, "k8s");   /* HomeImage=k8s: boot it home */
    /* n[1]: free pool, no HomeImage: off */
    fake_expect(&t->fs, "POST", "/locks/service/reservations", 200, JSON,
                "{\"Success\":[{\"ID\":\"" N0 "\",\"DeputyKey\":\"" N0 ":dk:1\",\"ReservationKey\":\"" N0 ":rk:1\"}],\"Failure\":[]}");
    fake_exchange *init = fake_expect(&t->fp, "POST", "/transitions", 200, JSON,
                                      "{\"transitionID\":\"11111111-5717-4562-b3fc-2c963f66afa6\",\"operation\":\"Init\"}");
    fake_expect(&t->fs, "POST", "/locks/service/reservations", 200, JSON,
                "{\"Success\":[{\"ID\":\"" N1 "\",\"DeputyKey\":\"" N1 ":dk:2\",\"ReservationKey\":\"" N1 ":rk:2\"}],\"Failure\":[]}");
    fake_exchange *off = fake_expect(&t->fp, "POST", "/transitions", 200, JSON,
                                     "{\"transitionID\":\"22222222-5717-4562-b3fc-2c963f66afa6\",\"operation\":\"Off\"}");
    tided_step_boot(&t->r, n, 2, 1);
    assert_non_null(strstr(init->sent_body, "\"init\""));
    assert_non_null(strstr(init->sent_body, N0));
    assert_non_null(strstr(off->sent_body, "\"off\""));
    assert_non_null(strstr(off->sent_body, N1));
    assert_true(n[0]->home_power_pending && n[1]->home_power_pending);
    assert_false(n[0]->boot_pending);
}

/* ---- home group, verify -------------------------------------------------------------------- */

static void verify_resets_strikes_and_progress(void **state)
{
    fixture *t = *state;
    tided_node *n = t->nodes[0];
    n->strikes = 2;
    n->acquiring = 1;
    n->booted = 1;
    n->lease_booted = 1;
    n->image = xstrdup("rocky9");
    n->want_image = "rocky9";
    tided_step_verify(&t->r, &n, 1);
    assert_int_equal(n->strikes, 0);
    assert_false(n->acquiring);
    assert_false(n->booted);
    assert_null(n->image);
    assert_int_equal(n->lease_booted, 1);   /* still needed by the release */
}

static void home_group_label(void **state)
{
    fixture *t = *state;
    char *l = tided_home_group(tide_conf_pool(t->d.conf, "k8s"));
    assert_string_equal(l, "tide-home-k8s");
    free(l);
    assert_ptr_equal(tided_node_find(&t->r, N1), t->nodes[1]);
    assert_null(tided_node_find(&t->r, "x9c0s0b0n0"));
}

/* ---- Kubernetes borrow and return ------------------------------------------------------------ */

#define NODE_UNMARKED "{\"kind\":\"Node\",\"metadata\":{\"name\":\"" N0 "\",\"resourceVersion\":\"41\"," \
    "\"labels\":{\"kubernetes.io/hostname\":\"" N0 "\"}},\"spec\":{\"taints\":[{\"key\":\"node.kubernetes.io/disk-pressure\",\"effect\":\"NoSchedule\"}]}," \
    "\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}],\"nodeInfo\":{\"bootID\":\"boot-1\"}}}"
#define NODE_MARKED "{\"kind\":\"Node\",\"metadata\":{\"name\":\"" N0 "\",\"resourceVersion\":\"42\"," \
    "\"labels\":{\"kubernetes.io/hostname\":\"" N0 "\",\"tide/borrowed\":\"slurm\"},\"annotations\":{\"tide/claimed-boot-id\":\"boot-1\"}}," \
    "\"spec\":{\"unschedulable\":true,\"taints\":[{\"key\":\"node.kubernetes.io/disk-pressure\",\"effect\":\"NoSchedule\"}," \
    "{\"key\":\"tide/borrowed\",\"value\":\"slurm\",\"effect\":\"NoSchedule\"}]}," \
    "\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}],\"nodeInfo\":{\"bootID\":\"boot-2\"}}}"
#define PODS_ONE_WEB "{\"kind\":\"PodList\",\"metadata\":{},\"items\":[" \
    "{\"metadata\":{\"name\":\"web-1\",\"namespace\":\"default\",\"uid\":\"u1\",\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"name\":\"web-7\",\"controller\":true}]},\"status\":{\"phase\":\"Running\"}}," \
    "{\"metadata\":{\"name\":\"cilium-x\",\"namespace\":\"kube-system\",\"uid\":\"u2\",\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":\"DaemonSet\",\"name\":\"cilium\",\"controller\":true}]},\"status\":{\"phase\":\"Running\"}}]}"
#define PODS_DS_ONLY "{\"kind\":\"PodList\",\"metadata\":{},\"items\":[" \
    "{\"metadata\":{\"name\":\"cilium-x\",\"namespace\":\"kube-system\",\"uid\":\"u2\",\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":\"DaemonSet\",\"name\":\"cilium\",\"controller\":true}]},\"status\":{\"phase\":\"Running\"}}]}"
#define PODS_PATH "/api/v1/pods?fieldSelector=spec.nodeName%3D" N0 "&limit=500"

static void drain_marks_evicts_and_honours_budgets(void **state)
{
    fixture *t = *state;
    tided_node *n = t->nodes[0];
    n->drain_at = 1000;

    /* Pass 1: mark in one PATCH (with the resourceVersion read), then the budget refuses. */
    fake_expect(&t->fk, "GET", "/api/v1/nodes/" N0, 200, JSON, NODE_UNMARKED);
    fake_exchange *patch = fake_expect(&t->fk, "PATCH", "/api/v1/nodes/" N0, 200, JSON, NODE_MARKED);
    fake_expect(&t->fk, "GET", PODS_PATH, 200, JSON, PODS_ONE_WEB);
    fake_expect_file(&t->fk, "POST", "/api/v1/namespaces/default/pods/web-1/eviction", 429, "k8s/eviction-429.json");
    tide_err e;
    assert_int_equal(tided_kpool_drain(&t->kp, n, 1002, &e), 0);
    fake_assert_json_equal(patch->sent_body,
                           "{\"metadata\":{\"labels\":{\"tide/borrowed\":\"slurm\"},"
                           "\"annotations\":{\"tide/claimed-boot-id\":\"boot-1\"},\"resourceVersion\":\"41\"},"
                           "\"spec\":{\"unschedulable\":true,\"taints\":["
                           "{\"key\":\"node.kubernetes.io/disk-pressure\",\"effect\":\"NoSchedule\"},"
                           "{\"key\":\"tide/borrowed\",\"value\":\"slurm\",\"effect\":\"NoSchedule\"}]}}");
    assert_true(n->k8s_marked);

    /* Pass 2: already marked (no PATCH), the eviction goes through. */
    fake_expect(&t->fk, "GET", "/api/v1/nodes/" N0, 200, JSON, NODE_MARKED);
    fake_expect(&t->fk, "GET", PODS_PATH, 200, JSON, PODS_ONE_WEB);
    fake_expect_file(&t->fk, "POST", "/api/v1/namespaces/default/pods/web-1/eviction", 201, "k8s/eviction-201.json");
    assert_int_equal(tided_kpool_drain(&t->kp, n, 1004, &e), 0);

    /* Pass 3: only the DaemonSet pod is left: drained. */
    fake_expect(&t->fk, "GET", "/api/v1/nodes/" N0, 200, JSON, NODE_MARKED);
    fake_expect(&t->fk, "GET", PODS_PATH, 200, JSON, PODS_DS_ONLY);
    assert_int_equal(tided_kpool_drain(&t->kp, n, 1006, &e), 1);
}

static void drain_gives_up_cleanly_after_timeout(void **state)
{
    fixture *t = *state;
    tided_node *n = t->nodes[0];
    n->drain_at = 1000;
    fake_expect(&t->fk, "GET", "/api/v1/nodes/" N0, 200, JSON, NODE_MARKED);
    fake_expect(&t->fk, "GET", PODS_PATH, 200, JSON, PODS_ONE_WEB);
    fake_expect_file(&t->fk, "POST", "/api/v1/namespaces/default/pods/web-1/eviction", 429, "k8s/eviction-429.json");
    /* Give up: read again, remove exactly tide's marks, uncordon. */
    fake_expect(&t->fk, "GET", "/api/v1/nodes/" N0, 200, JSON, NODE_MARKED);
    fake_exchange *unmark = fake_expect(&t->fk, "PATCH", "/api/v1/nodes/" N0, 200, JSON, NODE_UNMARKED);
    tide_err e;
    assert_int_equal(tided_kpool_drain(&t->kp, n, 1061, &e), -1);
    assert_non_null(strstr(e.msg, "not drained within DrainTimeout=60 s of Pool=k8s; pods left: default/web-1"));
    assert_non_null(strstr(e.msg, "needs 2 healthy pods"));
    fake_assert_json_equal(unmark->sent_body,
                           "{\"metadata\":{\"labels\":{\"tide/borrowed\":null},"
                           "\"annotations\":{\"tide/claimed-boot-id\":null,\"tide/cordoned-before\":null},"
                           "\"resourceVersion\":\"42\"},"
                           "\"spec\":{\"taints\":[{\"key\":\"node.kubernetes.io/disk-pressure\",\"effect\":\"NoSchedule\"}],"
                           "\"unschedulable\":null}}");
    assert_false(n->k8s_marked);
}

static void unmark_leaves_a_cordon_that_was_there_before(void **state)
{
    fixture *t = *state;
    tided_node *n = t->nodes[0];
    const char *node = "{\"metadata\":{\"name\":\"" N0 "\",\"resourceVersion\":\"7\","
                       "\"labels\":{\"tide/borrowed\":\"slurm\"},\"annotations\":{\"tide/claimed-boot-id\":\"b\","
                       "\"tide/cordoned-before\":\"true\"}},\"spec\":{\"unschedulable\":true,"
                       "\"taints\":[{\"key\":\"tide/borrowed\",\"value\":\"slurm\",\"effect\":\"NoSchedule\"}]}}";
    fake_expect(&t->fk, "GET", "/api/v1/nodes/" N0, 200, JSON, node);
    fake_exchange *p = fake_expect(&t->fk, "PATCH", "/api/v1/nodes/" N0, 200, JSON, node);
    tide_err e;
    assert_int_equal(tided_kpool_unmark(&t->kp, n, &e), 0);
    fake_assert_json_equal(p->sent_body,
                           "{\"metadata\":{\"labels\":{\"tide/borrowed\":null},"
                           "\"annotations\":{\"tide/claimed-boot-id\":null,\"tide/cordoned-before\":null},"
                           "\"resourceVersion\":\"7\"},\"spec\":{\"taints\":null}}");
}

static void unmark_never_touches_a_node_tide_did_not_mark(void **state)
{
    fixture *t = *state;
    tided_node *n = t->nodes[0];
    const char *node = "{\"metadata\":{\"name\":\"" N0 "\",\"resourceVersion\":\"7\"},"
                       "\"spec\":{\"unschedulable\":true}}";
    fake_expect(&t->fk, "GET", "/api/v1/nodes/" N0, 200, JSON, node);   /* and no PATCH */
    tide_err e;
    assert_int_equal(tided_kpool_unmark(&t->kp, n, &e), 0);
}

static void look_reads_marks_ready_and_boot(void **state)
{
    fixture *t = *state;
    tided_node *n = t->nodes[0];
    fake_expect(&t->fk, "GET", "/api/v1/nodes/" N0, 200, JSON, NODE_MARKED);
    tide_err e;
    assert_int_equal(tided_kpool_look(&t->kp, n, &e), 0);
    assert_true(n->k8s_known && n->k8s_marked && n->k8s_ready && n->k8s_new_boot);
    fake_expect(&t->fk, "GET", "/api/v1/nodes/" N0, 404, JSON, "{\"kind\":\"Status\",\"code\":404}");
    assert_int_equal(tided_kpool_look(&t->kp, n, &e), 0);
    assert_false(n->k8s_marked);
    long pods;
    fake_expect(&t->fk, "GET", PODS_PATH, 200, JSON, PODS_ONE_WEB);
    assert_int_equal(tided_kpool_pods(&t->kp, N0, &pods, &e), 0);
    assert_int_equal(pods, 1);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, tided_fixture_setup, tided_fixture_teardown)
    const struct CMUnitTest tests[] = {
        T(image_is_one_put_per_image),
        T(image_home_uses_home_image_and_empty_params),
        T(image_failure_fails_the_batch),
        T(image_unknown_is_no_strike),
        T(boot_is_one_reservation_and_one_transition),
        T(boot_skips_a_node_someone_else_reserved),
        T(boot_waits_for_a_reservation_left_from_before_a_restart),
        T(boot_still_running_after_timeout_is_aborted),
        T(home_power_splits_init_and_off),
        T(verify_resets_strikes_and_progress),
        T(home_group_label),
        T(drain_marks_evicts_and_honours_budgets),
        T(drain_gives_up_cleanly_after_timeout),
        T(unmark_leaves_a_cordon_that_was_there_before),
        T(unmark_never_touches_a_node_tide_did_not_mark),
        T(look_reads_marks_ready_and_boot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_pcs.c - the PCS client against recorded PCS replies: transitions, waiting, power status. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_http.h"
#include "jsonutil.h"
#include "deadline.h"
#include "pcs.h"
#include "strbuf.h"

#define BASE "https://demo.openchami.cluster:8443/power-control/v1"
#define TID "3fa85f64-5717-4562-b3fc-2c963f66afa6"
#define PROBLEM "application/problem+json"

static int setup(void **state)
{
    *state = fake_client_new("PCS", BASE);
    return 0;
}

/* ---- transitions ---------------------------------------------------------- */

static void start_sends_locations_and_deputy_keys(void **state)
{
    fake_client *t = *state;
    const char *xnames[] = { "x1000c0s0b0n0", "x1000c0s0b0n1" };
    const char *keys[] = { "x1000c0s0b0n0:dk:0b3e9a9c-5a57-4c0e-9b43-6f3e1d2f0a11", NULL };
    char *id = NULL;

    fake_exchange *x = fake_expect_file(&t->f, "POST", "/power-control/v1/transitions", 200,
                                        "pcs/transition_start.json");
    assert_int_equal(tide_pcs_transition_start(t->http, "soft-restart", xnames, keys, 2, 5, &id, &t->e), 0);
    assert_string_equal(id, TID);
    free(id);

    json_object *sent = json_tokener_parse(x->sent_body);
    assert_non_null(sent);
    assert_string_equal(tide_json_str(sent, "operation"), "soft-restart");
    assert_int_equal(tide_json_int(sent, "taskDeadlineMinutes", -99), 5);
    json_object *loc = tide_json_array(sent, "location");
    assert_int_equal(json_object_array_length(loc), 2);
    assert_string_equal(tide_json_str(json_object_array_get_idx(loc, 0), "xname"), "x1000c0s0b0n0");
    assert_string_equal(tide_json_str(json_object_array_get_idx(loc, 0), "deputyKey"), keys[0]);
    assert_string_equal(tide_json_str(json_object_array_get_idx(loc, 1), "xname"), "x1000c0s0b0n1");
    assert_null(tide_json_get(json_object_array_get_idx(loc, 1), "deputyKey"));
    json_object_put(sent);
}

static void start_without_deputy_keys(void **state)
{
    fake_client *t = *state;
    const char *xnames[] = { "x1000c0s0b0n0" };
    char *id = NULL;

    fake_exchange *x = fake_expect_file(&t->f, "POST", "/power-control/v1/transitions", 200,
                                        "pcs/transition_start.json");
    assert_int_equal(tide_pcs_transition_start(t->http, "init", xnames, NULL, 1, -1, &id, &t->e), 0);
    free(id);
    assert_string_equal(x->sent_body,
                        "{\"operation\":\"init\",\"taskDeadlineMinutes\":-1,\"location\":[{\"xname\":\"x1000c0s0b0n0\"}]}");
}

static void start_unknown_operation_is_400(void **state)
{
    fake_client *t = *state;
    const char *xnames[] = { "x1000c0s0b0n0" };
    char *id = (char *)"unchanged";

    fake_expect(&t->f, "POST", "/power-control/v1/transitions", 400, PROBLEM,
                "{\"type\":\"about:blank\",\"title\":\"Bad Request\",\"detail\":\"invalid Operation type reboot\","
                "\"status\":400}");
    assert_int_equal(tide_pcs_transition_start(t->http, "reboot", xnames, NULL, 1, 5, &id, &t->e), -1);
    assert_null(id);
    assert_string_equal(t->e.msg, "PCS: POST " BASE "/transitions: HTTP 400 Bad Request: invalid Operation type reboot");
    assert_int_equal(t->e.http_status, 400);
}

static void start_needs_nodes(void **state)
{
    fake_client *t = *state;
    char *id;
    assert_int_equal(tide_pcs_transition_start(t->http, "on", NULL, NULL, 0, 5, &id, &t->e), -1);
    assert_string_equal(t->e.msg, "PCS: no nodes given for the on transition");
}

static void get_in_progress(void **state)
{
    fake_client *t = *state;
    tide_pcs_transition tr;

    fake_expect_file(&t->f, "GET", "/power-control/v1/transitions/" TID, 200, "pcs/transition_in_progress.json");
    assert_int_equal(tide_pcs_transition_get(t->http, TID, &tr, &t->e), 0);
    assert_string_equal(tr.id, TID);
    assert_string_equal(tr.operation, "Soft-Restart");
    assert_string_equal(tr.status, "in-progress");
    assert_false(tide_pcs_transition_done(&tr));
    assert_int_equal(tr.counts.total, 3);
    assert_int_equal(tr.counts.new_, 1);
    assert_int_equal(tr.counts.in_progress, 1);
    assert_int_equal(tr.counts.succeeded, 1);
    assert_int_equal(tr.ntasks, 3);
    assert_string_equal(tr.tasks[0].xname, "x1000c0s0b0n0");
    assert_true(tide_pcs_task_ok(&tr.tasks[0]));
    assert_string_equal(tr.tasks[0].description, "Transition confirmed, on");
    assert_null(tr.tasks[0].error);
    assert_true(tide_pcs_task_pending(&tr.tasks[1]));
    assert_null(tr.tasks[1].error);   /* "" means none */
    assert_string_equal(tr.tasks[2].status, "new");
    tide_pcs_transition_free(&tr);
}

static void get_unknown_id_is_404(void **state)
{
    fake_client *t = *state;
    tide_pcs_transition tr;

    fake_expect(&t->f, "GET", "/transitions/00000000-0000-0000-0000-000000000000", 404, PROBLEM,
                "{\"type\":\"about:blank\",\"title\":\"Not Found\",\"detail\":\"transitionID does not exist\","
                "\"status\":404}");
    assert_int_equal(tide_pcs_transition_get(t->http, "00000000-0000-0000-0000-000000000000", &tr, &t->e), -1);
    assert_string_equal(t->e.msg, "PCS: GET " BASE "/transitions/00000000-0000-0000-0000-000000000000: "
                                  "HTTP 404 Not Found: transitionID does not exist");
    assert_int_equal(tr.ntasks, 0);
    tide_pcs_transition_free(&tr);
}

static void wait_until_completed_with_a_failed_task(void **state)
{
    fake_client *t = *state;
    tide_pcs_transition tr;

    fake_expect_file(&t->f, "GET", "/transitions/" TID, 200, "pcs/transition_in_progress.json");
    fake_expect_file(&t->f, "GET", "/transitions/" TID, 200, "pcs/transition_in_progress.json");
    fake_expect_file(&t->f, "GET", "/transitions/" TID, 200, "pcs/transition_completed.json");
    assert_int_equal(tide_pcs_transition_wait(t->http, TID, 0, 60, &tr, &t->e), 0);
    assert_string_equal(tr.status, "completed");
    assert_true(tide_pcs_transition_done(&tr));
    assert_int_equal(tr.counts.failed, 1);
    assert_int_equal(tr.counts.unsupported, 1);   /* the "un-supported" key */
    assert_int_equal(tr.ntasks, 3);
    assert_true(tide_pcs_task_ok(&tr.tasks[0]));
    assert_false(tide_pcs_task_ok(&tr.tasks[1]));
    assert_string_equal(tr.tasks[1].xname, "x1000c0s0b0n1");
    assert_string_equal(tr.tasks[1].status, "failed");
    assert_string_equal(tr.tasks[1].error, "Unable to reserve component");
    assert_string_equal(tr.tasks[2].status, "unsupported");
    assert_null(tr.tasks[2].error);   /* null */
    tide_pcs_transition_free(&tr);
}

static void wait_deadline_names_transition_and_pending(void **state)
{
    fake_client *t = *state;
    tide_pcs_transition tr;

    fake_expect_file(&t->f, "GET", "/transitions/" TID, 200, "pcs/transition_in_progress.json");
    assert_int_equal(tide_pcs_transition_wait(t->http, TID, 0, 0, &tr, &t->e), -1);
    assert_string_equal(t->e.msg, "PCS: transition " TID " (Soft-Restart) still in-progress after 0 s: "
                                  "2 of 3 task(s) pending: x1000c0s0b0n1, x1000c0s1b0n0");
    /* The last state is kept for the caller. */
    assert_int_equal(tr.ntasks, 3);
    assert_string_equal(tr.tasks[0].status, "succeeded");
    tide_pcs_transition_free(&tr);
}

static void wait_reports_http_errors(void **state)
{
    fake_client *t = *state;
    tide_pcs_transition tr;

    fake_expect(&t->f, "GET", "/transitions/" TID, 0, NULL, NULL);
    assert_int_equal(tide_pcs_transition_wait(t->http, TID, 0, 60, &tr, &t->e), -1);
    assert_string_equal(t->e.msg, "fake: GET " BASE "/transitions/" TID ": Failed to connect: Connection refused");
    tide_pcs_transition_free(&tr);
}

static void abort_is_delete(void **state)
{
    fake_client *t = *state;
    fake_expect(&t->f, "DELETE", "/power-control/v1/transitions/" TID, 202, "application/json",
                "{\"abortStatus\":\"Accepted - abort initiated\"}");
    assert_int_equal(tide_pcs_transition_abort(t->http, TID, &t->e), 0);
}

/* ---- power status ----------------------------------------------------------- */

static void power_status_two_nodes(void **state)
{
    fake_client *t = *state;
    const char *xnames[] = { "x1000c0s0b0n0", "x1000c0s0b0n1" };
    tide_pcs_power_list l;

    fake_expect_file(&t->f, "GET", "/power-control/v1/power-status?xname=x1000c0s0b0n0&xname=x1000c0s0b0n1", 200,
                     "pcs/power_status.json");
    assert_int_equal(tide_pcs_power_status(t->http, xnames, 2, &l, &t->e), 0);
    assert_int_equal(l.n, 2);
    const tide_pcs_power *p = tide_pcs_power_find(&l, "x1000c0s0b0n0");
    assert_non_null(p);
    assert_string_equal(p->power_state, "on");
    assert_string_equal(p->management_state, "available");
    assert_null(p->error);
    p = tide_pcs_power_find(&l, "x1000c0s0b0n1");
    assert_string_equal(p->power_state, "undefined");
    assert_string_equal(p->management_state, "unavailable");
    assert_string_equal(p->error, "permission denied - system credentials failed");
    assert_null(tide_pcs_power_find(&l, "x9"));
    tide_pcs_power_list_free(&l);
}

static void power_status_all(void **state)
{
    fake_client *t = *state;
    tide_pcs_power_list l;
    fake_expect(&t->f, "GET", "/power-control/v1/power-status", 200, "application/json", "{\"status\":[]}");
    assert_int_equal(tide_pcs_power_status(t->http, NULL, 0, &l, &t->e), 0);
    assert_int_equal(l.n, 0);
    tide_pcs_power_list_free(&l);
}

static void power_status_is_chunked(void **state)
{
    fake_client *t = *state;
    enum { N = TIDE_PCS_STATUS_CHUNK + 50 };
    char *names[N];
    strbuf q1 = STRBUF_INIT, q2 = STRBUF_INIT, reply2 = STRBUF_INIT;
    tide_pcs_power_list l;

    for (int i = 0; i < N; i++) {
        names[i] = xasprintf("x1000c0s%db0n%d", i / 2, i % 2);
        strbuf *q = i < TIDE_PCS_STATUS_CHUNK ? &q1 : &q2;
        strbuf_printf(q, "%s%s", q->len ? "&xname=" : "/power-status?xname=", names[i]);
    }
    strbuf_printf(&reply2, "{\"status\":[{\"xname\":\"%s\",\"powerState\":\"off\",\"managementState\":\"available\"}]}",
                  names[N - 1]);
    fake_expect(&t->f, "GET", strbuf_str(&q1), 200, "application/json", "{\"status\":[]}");
    fake_expect(&t->f, "GET", strbuf_str(&q2), 200, "application/json", strbuf_str(&reply2));
    assert_int_equal(tide_pcs_power_status(t->http, (const char *const *)names, N, &l, &t->e), 0);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.items[0].power_state, "off");
    tide_pcs_power_list_free(&l);
    fake_http_done(&t->f);   /* before the URL strings go away */
    for (int i = 0; i < N; i++)
        free(names[i]);
    strbuf_free(&q1);
    strbuf_free(&q2);
    strbuf_free(&reply2);
}

static void power_status_error_frees_partial(void **state)
{
    fake_client *t = *state;
    enum { N = TIDE_PCS_STATUS_CHUNK + 1 };
    const char *names[N];
    tide_pcs_power_list l;

    for (int i = 0; i < N; i++)
        names[i] = "x1000c0s0b0n0";
    fake_expect_file(&t->f, "GET", "b0n0", 200, "pcs/power_status.json");
    fake_expect(&t->f, "GET", "power-status?xname=x1000c0s0b0n0", 500, PROBLEM,
                "{\"type\":\"about:blank\",\"title\":\"Internal Server Error\",\"detail\":\"error getting power status\","
                "\"status\":500}");
    assert_int_equal(tide_pcs_power_status(t->http, names, N, &l, &t->e), -1);
    assert_int_equal(l.n, 0);
    assert_null(l.items);
    assert_string_equal(t->e.msg, "PCS: GET " BASE "/power-status?xname=x1000c0s0b0n0: "
                                  "HTTP 500 Internal Server Error: error getting power status");
}

/* The deadlines every poll loop uses: < 0 never ends, 0 allows no retry, else wall time. */
static void deadline_semantics(void **state)
{
    (void)state;
    tide_deadline d;
    tide_deadline_start(&d, -1);
    assert_true(tide_deadline_allows(&d, 1000000));
    tide_deadline_start(&d, 0);
    assert_false(tide_deadline_allows(&d, 0));
    tide_deadline_start(&d, 2);
    assert_true(tide_deadline_allows(&d, 0));
    assert_true(tide_deadline_allows(&d, 1000));
    assert_false(tide_deadline_allows(&d, 2500));   /* the next try would start too late */
    tide_sleep_ms(0);
    tide_sleep_ms(-5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(start_sends_locations_and_deputy_keys, setup, fake_client_teardown),
        cmocka_unit_test_setup_teardown(start_without_deputy_keys, setup, fake_client_teardown),
        cmocka_unit_test_setup_teardown(start_unknown_operation_is_400, setup, fake_client_teardown),
        cmocka_unit_test_setup_teardown(start_needs_nodes, setup, fake_client_teardown),
        cmocka_unit_test_setup_teardown(get_in_progress, setup, fake_client_teardown),
        cmocka_unit_test_setup_teardown(get_unknown_id_is_404, setup, fake_client_teardown),
        cmocka_unit_test_setup_teardown(wait_until_completed_with_a_failed_task, setup, fake_client_teardown),
        cmocka_unit_test_setup_teardown(wait_deadline_names_transition_and_pending, setup, fake_client_teardown),
        cmocka_unit_test_setup_teardown(wait_reports_http_errors, setup, fake_client_teardown),
        cmocka_unit_test_setup_teardown(abort_is_delete, setup, fake_client_teardown),
        cmocka_unit_test_setup_teardown(power_status_two_nodes, setup, fake_client_teardown),
        cmocka_unit_test_setup_teardown(power_status_all, setup, fake_client_teardown),
        cmocka_unit_test_setup_teardown(power_status_is_chunked, setup, fake_client_teardown),
        cmocka_unit_test_setup_teardown(power_status_error_frees_partial, setup, fake_client_teardown),
        cmocka_unit_test(deadline_semantics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

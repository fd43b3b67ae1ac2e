/* test_proto.c - tided's request bodies (built and checked), Listen= addresses, munge refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <munge.h>

#include "fake_http.h"
#include "proto.h"
#include "strbuf.h"

static const char *body_text(json_object *o)
{
    return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* The JSON body of request r, compared parsed. */
static void assert_request_json(const tide_request *r, const char *want)
{
    json_object *o = tide_request_to_json(r);
    fake_assert_json_equal(body_text(o), want);
    json_object_put(o);
}

static void names_and_paths(void **state)
{
    (void)state;
    tide_req_kind k;
    assert_int_equal(tide_req_from_name("resume-fail", &k), 0);
    assert_int_equal(k, TIDE_REQ_RESUME_FAIL);
    assert_string_equal(tide_req_path(k), "/v1/resume-fail");
    assert_int_equal(tide_req_from_path("/v1/epilog", &k), 0);
    assert_int_equal(k, TIDE_REQ_EPILOG);
    assert_string_equal(tide_req_name(k), "epilog");
    assert_int_equal(tide_req_from_name("reboot-now", &k), -1);
    assert_int_equal(tide_req_from_path("/v1/status", &k), -1);
}

static void resume_body(void **state)
{
    (void)state;
    tide_request r = { .kind = TIDE_REQ_RESUME };
    tide_err e = { 0 };
    assert_int_equal(tide_hostlist_expand("x1000c0s[0-1]b0n0", &r.nodes, &e), 0);
    r.features = xstrdup("a100,rocky9");
    r.job_id = 42;
    r.resume_file = json_tokener_parse("{\"all_nodes\":\"x1000c0s0b0n[0]\",\"jobs\":[{\"job_id\":42,\"nodes\":\"x1000c0s0b0n[0]\"}]}");
    json_object *o = tide_request_to_json(&r);
    fake_assert_json_equal(body_text(o),
                           "{\"nodes\":[\"x1000c0s0b0n0\",\"x1000c0s1b0n0\"],\"features\":\"a100,rocky9\",\"job_id\":42,"
                           "\"resume_file\":{\"all_nodes\":\"x1000c0s0b0n[0]\",\"jobs\":[{\"job_id\":42,\"nodes\":\"x1000c0s0b0n[0]\"}]}}");

    /* And back, as tided reads it. */
    tide_request back;
    const char *text = body_text(o);
    assert_int_equal(tide_request_parse(TIDE_REQ_RESUME, text, strlen(text), &back, &e), 0);
    assert_int_equal(back.nodes.n, 2);
    assert_string_equal(back.nodes.names[1], "x1000c0s1b0n0");
    assert_string_equal(back.features, "a100,rocky9");
    assert_int_equal(back.job_id, 42);
    assert_non_null(back.resume_file);
    assert_string_equal(json_object_get_string(json_object_object_get(back.resume_file, "all_nodes")), "x1000c0s0b0n[0]");
    tide_request_free(&back);
    json_object_put(o);
    tide_request_free(&r);
}

static void resume_body_without_extras(void **state)
{
    (void)state;
    tide_request r = { .kind = TIDE_REQ_RESUME };
    tide_hostlist_push(&r.nodes, "x1000c0s0b0n0");
    assert_request_json(&r, "{\"nodes\":[\"x1000c0s0b0n0\"],\"features\":null,\"job_id\":null,\"resume_file\":null}");
    tide_request_free(&r);
}

static void other_bodies(void **state)
{
    (void)state;
    tide_request r = { .kind = TIDE_REQ_SUSPEND };
    tide_hostlist_push(&r.nodes, "n1");
    assert_request_json(&r, "{\"nodes\":[\"n1\"]}");

    r.kind = TIDE_REQ_REBOOT;
    r.features = xstrdup("sles15");
    assert_request_json(&r, "{\"nodes\":[\"n1\"],\"features\":\"sles15\"}");

    r.kind = TIDE_REQ_EPILOG;
    r.job_id = 7;
    r.constraints = xstrdup("a100&rocky9");
    r.release = 1;
    assert_request_json(&r, "{\"nodes\":[\"n1\"],\"job_id\":7,\"constraints\":\"a100&rocky9\",\"release\":true}");

    r.kind = TIDE_REQ_PROLOG;
    assert_request_json(&r, "{\"nodes\":[\"n1\"],\"job_id\":7,\"constraints\":\"a100&rocky9\"}");
    tide_request_free(&r);
}

static void parse_expands_host_lists(void **state)
{
    (void)state;
    tide_request r;
    tide_err e = { 0 };
    const char *body = "{\"nodes\":[\"x1000c0s[0-7]b0n0\",\"x1001c0s0b0n[0-1]\"]}\n";
    assert_int_equal(tide_request_parse(TIDE_REQ_SUSPEND, body, strlen(body), &r, &e), 0);
    assert_int_equal(r.nodes.n, 10);
    assert_string_equal(r.nodes.names[7], "x1000c0s7b0n0");
    assert_string_equal(r.nodes.names[9], "x1001c0s0b0n1");
    tide_request_free(&r);

    const char *epilog = "{\"nodes\":[\"n1\"],\"job_id\":9,\"constraints\":null,\"release\":false}";
    assert_int_equal(tide_request_parse(TIDE_REQ_EPILOG, epilog, strlen(epilog), &r, &e), 0);
    assert_int_equal(r.job_id, 9);
    assert_null(r.constraints);
    assert_false(r.release);
    tide_request_free(&r);
}

static void assert_refused(tide_req_kind kind, const char *body, const char *expected)
{
    tide_request r;
    tide_err e = { 0 };
    assert_int_equal(tide_request_parse(kind, body, strlen(body), &r, &e), -1);
    assert_string_equal(e.msg, expected);
    assert_int_equal(r.nodes.n, 0);
    assert_null(r.features);
}

static void parse_errors(void **state)
{
    (void)state;
    assert_refused(TIDE_REQ_RESUME, "", "the body of a resume request must be a JSON object");
    assert_refused(TIDE_REQ_RESUME, "[1]", "the body of a resume request must be a JSON object");
    assert_refused(TIDE_REQ_RESUME, "{\"nodes\":[\"n1\"]} x", "the body of a resume request must be a JSON object");
    assert_refused(TIDE_REQ_SUSPEND, "{\"nodes\":[]}", "\"nodes\" must be a non-empty array of node names");
    assert_refused(TIDE_REQ_SUSPEND, "{\"nodes\":\"n1\"}", "\"nodes\" must be a non-empty array of node names");
    assert_refused(TIDE_REQ_SUSPEND, "{\"nodes\":[1]}", "\"nodes\"[0] must be a string");
    assert_refused(TIDE_REQ_SUSPEND, "{\"nodes\":[\"n1\",\"n[1-\"]}",
                   "\"nodes\"[1]: hostlist \"n[1-\": position 2: '[' is never closed");
    assert_refused(TIDE_REQ_SUSPEND, "{\"nodes\":[\"n1;rm\"]}",
                   "\"nodes\": 'n1;rm' is not a node name (letters, digits, - _ . only)");
    assert_refused(TIDE_REQ_SUSPEND, "{\"nodes\":[\"n1\"],\"features\":\"x\"}",
                   "unknown key \"features\" in a suspend request");
    assert_refused(TIDE_REQ_RESUME, "{\"nodes\":[\"n1\"],\"features\":3}", "\"features\" must be a string or null");
    assert_refused(TIDE_REQ_RESUME, "{\"nodes\":[\"n1\"],\"job_id\":-1}",
                   "\"job_id\" must be a job id (a positive integer) or null");
    assert_refused(TIDE_REQ_RESUME, "{\"nodes\":[\"n1\"],\"resume_file\":\"x\"}",
                   "\"resume_file\" must be an object or null");
    assert_refused(TIDE_REQ_PROLOG, "{\"nodes\":[\"n1\"]}", "\"job_id\" is required");
    assert_refused(TIDE_REQ_EPILOG, "{\"nodes\":[\"n1\"],\"job_id\":0}", "\"job_id\" must be a job id (a positive integer)");
    assert_refused(TIDE_REQ_EPILOG, "{\"nodes\":[\"n1\"],\"job_id\":3,\"release\":\"yes\"}",
                   "\"release\" must be true or false");
}

static void listen_addresses(void **state)
{
    (void)state;
    tide_listen_addr *a;
    size_t n;
    tide_err e = { 0 };
    assert_int_equal(tide_listen_parse("unix:/run/tide/tided.sock,tcp:0.0.0.0:6821,tcp:[::1]:7000,tcp:6822", &a, &n, &e), 0);
    assert_int_equal(n, 4);
    assert_int_equal(a[0].kind, TIDE_LISTEN_UNIX);
    assert_string_equal(a[0].path, "/run/tide/tided.sock");
    assert_int_equal(a[1].kind, TIDE_LISTEN_TCP);
    assert_string_equal(a[1].host, "0.0.0.0");
    assert_string_equal(a[1].port, "6821");
    assert_string_equal(a[2].host, "::1");
    assert_string_equal(a[2].port, "7000");
    assert_string_equal(a[3].host, "0.0.0.0");
    assert_string_equal(a[3].port, "6822");
    tide_listen_free(a, n);

    assert_int_equal(tide_listen_parse(NULL, &a, &n, &e), 0);
    assert_int_equal(n, 1);
    assert_string_equal(a[0].path, "/run/tide/tided.sock");
    tide_listen_free(a, n);

    assert_int_equal(tide_listen_parse("unix:tided.sock", &a, &n, &e), -1);
    assert_string_equal(e.msg, "Listen=: 'unix:tided.sock': a Unix socket needs an absolute path (unix:/run/tide/tided.sock)");
    assert_int_equal(tide_listen_parse("tcp:host:99999", &a, &n, &e), -1);
    assert_string_equal(e.msg, "Listen=: 'tcp:host:99999': the port must be a number from 1 to 65535");
    assert_int_equal(tide_listen_parse("http://x", &a, &n, &e), -1);
    assert_string_equal(e.msg, "Listen=: 'http://x': expected unix:PATH or tcp:HOST:PORT");
}

static void image_in_features(void **state)
{
    (void)state;
    tide_err e = { 0 };
    tide_conf *c = tide_conf_parse("Image=rocky9 Kernel=k Initrd=i\nImage=sles15 Kernel=k Initrd=i\n", "test.conf", &e);
    assert_non_null(c);
    /* 22.05 hands ResumeProgram the whole constraint with & turned into commas. */
    assert_string_equal(tide_features_image(c, "a100,rocky9"), "rocky9");
    assert_string_equal(tide_features_image(c, "a100&sles15"), "sles15");
    assert_string_equal(tide_features_image(c, "[sles15*2|rocky9]"), "sles15");
    assert_string_equal(tide_features_image(c, "rocky9"), "rocky9");
    /* Whole words only. */
    assert_null(tide_features_image(c, "rocky9x,xsles15"));
    assert_null(tide_features_image(c, "a100"));
    assert_null(tide_features_image(c, ""));
    assert_null(tide_features_image(c, NULL));
    tide_conf_free(c);
}

static void munge_refusals(void **state)
{
    (void)state;
    int status;
    assert_string_equal(tide_munge_refusal(EMUNGE_CRED_REPLAYED, &status),
                        "munge credential replayed (a credential is good for one request only)");
    assert_int_equal(status, 401);
    assert_non_null(strstr(tide_munge_refusal(EMUNGE_CRED_EXPIRED, &status), "expired"));
    assert_int_equal(status, 401);
    assert_non_null(strstr(tide_munge_refusal(EMUNGE_CRED_REWOUND, &status), "future"));
    assert_int_equal(status, 401);
    assert_non_null(strstr(tide_munge_refusal(EMUNGE_CRED_INVALID, &status), "forged"));
    assert_int_equal(status, 401);
    assert_non_null(strstr(tide_munge_refusal(EMUNGE_BAD_CRED, &status), "malformed"));
    assert_int_equal(status, 401);
    /* tided's own munged being down is not the client's fault. */
    assert_non_null(strstr(tide_munge_refusal(EMUNGE_SOCKET, &status), "cannot reach its munged"));
    assert_int_equal(status, 503);
    tide_munge_refusal(EMUNGE_SNAFU, &status);
    assert_int_equal(status, 503);
}

static void munge_without_munged(void **state)
{
    (void)state;
    tide_err e = { 0 };
    char *cred = tide_munge_encode("/nonexistent/munge.socket", "GET", "/v1/status", NULL, &e);
    assert_null(cred);
    assert_non_null(strstr(e.msg, "munge: cannot make a credential through munged at /nonexistent/munge.socket: "));

    unsigned uid, gid;
    memset(&e, 0, sizeof(e));
    assert_int_equal(tide_munge_verify("/nonexistent/munge.socket", "MUNGE:garbage:", "GET", "/v1/status", NULL, 0,
                                       &uid, &gid, &e), -1);
    assert_int_equal(e.http_status, 503);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_and_paths),
        cmocka_unit_test(resume_body),
        cmocka_unit_test(resume_body_without_extras),
        cmocka_unit_test(other_bodies),
        cmocka_unit_test(parse_expands_host_lists),
        cmocka_unit_test(parse_errors),
        cmocka_unit_test(listen_addresses),
        cmocka_unit_test(image_in_features),
        cmocka_unit_test(munge_refusals),
        cmocka_unit_test(munge_without_munged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

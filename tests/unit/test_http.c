/* test_http.c - the HTTP layer: retries, error lines, JSON handling, tokens. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_http.h"
#include "http.h"
#include "strbuf.h"
#include "token.h"

#define BASE "http://smd.test:27779/hsm/v2"

static void problem_json_becomes_one_line(void **state)
{
    (void)state;
    fake_http f;
    tide_http *h = fake_http_client("SMD", BASE, &f);
    tide_err e = { 0 };
    json_object *out = NULL;

    fake_expect(&f, "GET", "/hsm/v2/groups/foo", 404, "application/problem+json",
                "{\"type\":\"about:blank\",\"title\":\"Not Found\",\"detail\":\"No such group: foo\",\"status\":404}");
    assert_int_equal(tide_http_json(h, "GET", "/groups/foo", NULL, &out, &e), -1);
    assert_null(out);
    assert_string_equal(e.msg, "SMD: GET " BASE "/groups/foo: HTTP 404 Not Found: No such group: foo");
    assert_int_equal(e.http_status, 404);
    fake_http_done(&f);
    tide_http_free(h);
}

static void text_401_is_reported(void **state)
{
    (void)state;
    fake_http f;
    tide_http *h = fake_http_client("BSS", "http://bss.test/boot/v1", &f);
    tide_err e = { 0 };

    fake_expect(&f, "GET", "/boot/v1/bootparameters", 401, "text/plain; charset=utf-8", "no token found\n");
    assert_int_equal(tide_http_json(h, "GET", "/bootparameters", NULL, NULL, &e), -1);
    assert_string_equal(e.msg, "BSS: GET http://bss.test/boot/v1/bootparameters: HTTP 401 Unauthorized: no token found");
    fake_http_done(&f);
    tide_http_free(h);
}

static void garbage_body_is_an_error(void **state)
{
    (void)state;
    fake_http f;
    tide_http *h = fake_http_client("SMD", BASE, &f);
    tide_err e = { 0 };
    json_object *out = NULL;

    fake_expect(&f, "GET", "/groups", 200, "application/json", "{\"label\": [unterminated");
    assert_int_equal(tide_http_json(h, "GET", "/groups", NULL, &out, &e), -1);
    assert_non_null(strstr(e.msg, "SMD: GET " BASE "/groups: HTTP 200 but the body is not JSON"));
    fake_http_done(&f);
    tide_http_free(h);
}

static void null_body_is_no_object(void **state)
{
    (void)state;
    fake_http f;
    tide_http *h = fake_http_client("BSS", "http://bss.test/boot/v1", &f);
    tide_err e = { 0 };
    json_object *out = (json_object *)1;

    fake_expect(&f, "GET", "/bootparameters", 200, "application/json", "null");
    assert_int_equal(tide_http_json(h, "GET", "/bootparameters", NULL, &out, &e), 0);
    assert_null(out);
    fake_http_done(&f);
    tide_http_free(h);
}

static void retries_5xx_on_get_not_on_post(void **state)
{
    (void)state;
    fake_http f;
    tide_http *h = fake_http_client_retries("SMD", BASE, 2, &f);
    tide_err e = { 0 };
    json_object *out = NULL;

    /* GET: a 503 and a refused connect are retried, the third answer counts. */
    fake_expect(&f, "GET", "/groups", 503, "text/plain", "upstream connect error");
    fake_expect(&f, "GET", "/groups", 0, NULL, NULL);
    fake_expect(&f, "GET", "/groups", 200, "application/json", "[]");
    assert_int_equal(tide_http_json(h, "GET", "/groups", NULL, &out, &e), 0);
    assert_non_null(out);
    assert_int_equal(json_object_array_length(out), 0);
    json_object_put(out);

    /* POST: a 500 is final (it may have been done); a 429 is retried (it was not). */
    fake_expect(&f, "POST", "/groups", 500, "application/problem+json",
                "{\"type\":\"about:blank\",\"title\":\"Internal Server Error\",\"detail\":\"operation 'POST' failed during store.\",\"status\":500}");
    assert_int_equal(tide_http_json(h, "POST", "/groups", NULL, NULL, &e), -1);
    assert_int_equal(e.http_status, 500);
    fake_expect(&f, "POST", "/groups", 429, "application/json", "{}");
    fake_expect(&f, "POST", "/groups", 201, "application/json", "[{\"URI\":\"/hsm/v2/groups/a\"}]");
    assert_int_equal(tide_http_json(h, "POST", "/groups", NULL, NULL, &e), 0);

    /* Retries run out: the last failure is the error. */
    fake_expect(&f, "GET", "/groups", 500, "application/problem+json", "{\"detail\":\"db down\",\"status\":500}");
    fake_expect(&f, "GET", "/groups", 500, "application/problem+json", "{\"detail\":\"db down\",\"status\":500}");
    fake_expect(&f, "GET", "/groups", 500, "application/problem+json", "{\"detail\":\"db still down\",\"status\":500}");
    assert_int_equal(tide_http_json(h, "GET", "/groups", NULL, NULL, &e), -1);
    assert_string_equal(e.msg, "SMD: GET " BASE "/groups: HTTP 500 Internal Server Error: db still down");
    assert_int_equal(tide_http_request_count(h), 9);
    fake_http_done(&f);
    tide_http_free(h);
}

static void connect_failure_then_success(void **state)
{
    (void)state;
    fake_http f;
    tide_http *h = fake_http_client("SMD", BASE, &f);
    tide_err e = { 0 };
    json_object *out = NULL;

    /* No retries configured: one refused connect is an error naming the URL. */
    fake_expect(&f, "GET", "/groups", 0, NULL, NULL);
    assert_int_equal(tide_http_json(h, "GET", "/groups", NULL, &out, &e), -1);
    assert_non_null(strstr(e.msg, "GET " BASE "/groups"));
    assert_non_null(strstr(e.msg, "Connection refused"));
    fake_http_done(&f);
    tide_http_free(h);
}

static void token_file_is_reread_when_rotated(void **state)
{
    (void)state;
    char path[] = "/tmp/tide-test-token-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "first\n", 6), 6);
    close(fd);
    tide_token *t = tide_token_from_file(path);
    tide_err e = { 0 };
    assert_string_equal(tide_token_get(t, &e), "first");
    /* Unchanged file: a 401 does not help, no retry. */
    assert_int_equal(tide_token_invalidate(t), 0);
    sleep(1);
    FILE *f = fopen(path, "w");
    fputs("second\n", f);
    fclose(f);
    assert_string_equal(tide_token_get(t, &e), "second");
    tide_token_free(t);
    unlink(path);

    t = tide_token_from_file("/nonexistent/tide-token");
    assert_null(tide_token_get(t, &e));
    assert_non_null(strstr(e.msg, "cannot read token file /nonexistent/tide-token"));
    tide_token_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(problem_json_becomes_one_line),
        cmocka_unit_test(text_401_is_reported),
        cmocka_unit_test(garbage_body_is_an_error),
        cmocka_unit_test(null_body_is_no_object),
        cmocka_unit_test(retries_5xx_on_get_not_on_post),
        cmocka_unit_test(connect_failure_then_success),
        cmocka_unit_test(token_file_is_reread_when_rotated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

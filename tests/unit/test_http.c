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
#define BSS_BASE "http://bss.test/boot/v1"

static int smd(void **state)
{
    *state = fake_client_new("SMD", BASE);
    return 0;
}

static int bss(void **state)
{
    *state = fake_client_new("BSS", BSS_BASE);
    return 0;
}

static void problem_json_becomes_one_line(void **state)
{
    fake_client *t = *state;
    json_object *out = NULL;

    fake_expect(&t->f, "GET", "/hsm/v2/groups/foo", 404, "application/problem+json",
                "{\"type\":\"about:blank\",\"title\":\"Not Found\",\"detail\":\"No such group: foo\",\"status\":404}");
    assert_int_equal(tide_http_json(t->http, "GET", "/groups/foo", NULL, &out, &t->e), -1);
    assert_null(out);
    assert_string_equal(t->e.msg, "SMD: GET " BASE "/groups/foo: HTTP 404 Not Found: No such group: foo");
    assert_int_equal(t->e.http_status, 404);
}

static void text_401_is_reported(void **state)
{
    fake_client *t = *state;

    fake_expect(&t->f, "GET", "/boot/v1/bootparameters", 401, "text/plain; charset=utf-8", "no token found\n");
    assert_int_equal(tide_http_json(t->http, "GET", "/bootparameters", NULL, NULL, &t->e), -1);
    assert_string_equal(t->e.msg, "BSS: GET " BSS_BASE "/bootparameters: HTTP 401 Unauthorized: no token found");
}

static void garbage_body_is_an_error(void **state)
{
    fake_client *t = *state;
    json_object *out = NULL;

    fake_expect(&t->f, "GET", "/groups", 200, "application/json", "{\"label\": [unterminated");
    assert_int_equal(tide_http_json(t->http, "GET", "/groups", NULL, &out, &t->e), -1);
    assert_non_null(strstr(t->e.msg, "SMD: GET " BASE "/groups: HTTP 200 but the body is not JSON"));
}

static void null_body_is_no_object(void **state)
{
    fake_client *t = *state;
    json_object *out = (json_object *)1;

    fake_expect(&t->f, "GET", "/bootparameters", 200, "application/json", "null");
    assert_int_equal(tide_http_json(t->http, "GET", "/bootparameters", NULL, &out, &t->e), 0);
    assert_null(out);
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
    fake_client *t = *state;
    json_object *out = NULL;

    /* No retries configured: one refused connect is an error naming the URL. */
    fake_expect(&t->f, "GET", "/groups", 0, NULL, NULL);
    assert_int_equal(tide_http_json(t->http, "GET", "/groups", NULL, &out, &t->e), -1);
    assert_non_null(strstr(t->e.msg, "GET " BASE "/groups"));
    assert_non_null(strstr(t->e.msg, "Connection refused"));
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
        cmocka_unit_test_setup_teardown(problem_json_becomes_one_line, smd, fake_client_teardown),
        cmocka_unit_test_setup_teardown(text_401_is_reported, bss, fake_client_teardown),
        cmocka_unit_test_setup_teardown(garbage_body_is_an_error, smd, fake_client_teardown),
        cmocka_unit_test_setup_teardown(null_body_is_no_object, bss, fake_client_teardown),
        cmocka_unit_test(retries_5xx_on_get_not_on_post),
        cmocka_unit_test_setup_teardown(connect_failure_then_success, smd, fake_client_teardown),
        cmocka_unit_test(token_file_is_reread_when_rotated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

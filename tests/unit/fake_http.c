/* fake_http.c - see fake_http.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_http.h"
#include "strbuf.h"

char *fake_read_data(const char *rel_path)
{
    char *path = xasprintf("%s/%s", TEST_DATA_DIR, rel_path);
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("test data %s is missing", path);
    strbuf b = STRBUF_INIT;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        strbuf_add(&b, chunk, n);
    fclose(f);
    free(path);
    return strbuf_steal(&b);
}

json_object *fake_load_json(const char *rel_path)
{
    char *text = fake_read_data(rel_path);
    json_object *j = json_tokener_parse(text);
    free(text);
    if (!j)
        fail_msg("test data %s is not JSON", rel_path);
    return j;
}

void fake_assert_json_equal(const char *sent_body, const char *expected)
{
    if (!sent_body)
        fail_msg("no request body was sent; expected %s", expected);
    json_object *got = json_tokener_parse(sent_body), *want = json_tokener_parse(expected);
    if (!want)
        fail_msg("the expected body is not JSON: %s", expected);
    if (!got || !json_object_equal(got, want))
        fail_msg("request body differs:\n  sent:     %s\n  expected: %s", sent_body, expected);
    json_object_put(got);
    json_object_put(want);
}

static int fake_transport(void *ctx, const char *method, const char *url, const char *content_type,
                          const char *body, tide_http_resp *resp, tide_err *e)
{
    fake_http *f = ctx;
    if (f->next >= f->n)
        fail_msg("unexpected request %s %s (no more exchanges queued)", method, url);
    fake_exchange *x = &f->ex[f->next++];
    size_t ul = strlen(url), sl = strlen(x->url_suffix);
    if (strcmp(method, x->method) || ul < sl || strcmp(url + ul - sl, x->url_suffix))
        fail_msg("expected %s ...%s, got %s %s", x->method, x->url_suffix, method, url);
    free(x->sent_body);
    free(x->sent_content_type);
    x->sent_body = body ? xstrdup(body) : NULL;
    x->sent_content_type = content_type ? xstrdup(content_type) : NULL;
    if (x->status == 0)
        return tide_err_set(e, "fake: %s %s: Failed to connect: Connection refused", method, url);
    resp->status = x->status;
    if (x->content_type)
        resp->content_type = xstrdup(x->content_type);
    if (x->location)
        resp->location = xstrdup(x->location);
    if (x->retry_after)
        resp->retry_after = xstrdup(x->retry_after);
    if (x->body)
        strbuf_puts(&resp->body, x->body);
    if (x->body_file) {
        char *data = fake_read_data(x->body_file);
        strbuf_puts(&resp->body, data);
        free(data);
    }
    return 0;
}

tide_http *fake_http_client(const char *service, const char *base_url, fake_http *f)
{
    return fake_http_client_retries(service, base_url, 0, f);
}

tide_http *fake_http_client_retries(const char *service, const char *base_url, int retries, fake_http *f)
{
    tide_http_opts o;
    tide_err e = { 0 };
    memset(f, 0, sizeof(*f));
    tide_http_opts_init(&o, service, base_url);
    o.backoff_ms = 0;
    o.retries = retries;
    tide_http *h = tide_http_new(&o, &e);
    if (!h)
        fail_msg("%s", e.msg);
    tide_http_set_transport(h, fake_transport, f);
    return h;
}

static fake_exchange *push(fake_http *f, const char *method, const char *url_suffix, long status)
{
    if (f->n >= FAKE_HTTP_MAX)
        fail_msg("fake_http: too many exchanges");
    fake_exchange *x = &f->ex[f->n++];
    memset(x, 0, sizeof(*x));
    x->method = method;
    x->url_suffix = url_suffix;
    x->status = status;
    return x;
}

fake_exchange *fake_expect(fake_http *f, const char *method, const char *url_suffix, long status,
                           const char *content_type, const char *body)
{
    fake_exchange *x = push(f, method, url_suffix, status);
    x->content_type = content_type;
    x->body = body;
    return x;
}

fake_exchange *fake_expect_file(fake_http *f, const char *method, const char *url_suffix, long status,
                                const char *body_file)
{
    fake_exchange *x = push(f, method, url_suffix, status);
    x->content_type = "application/json";
    x->body_file = body_file;
    return x;
}

void fake_http_done(fake_http *f)
{
    if (f->next != f->n)
        fail_msg("only %zu of %zu queued exchanges happened; next expected %s ...%s", f->next, f->n,
                 f->ex[f->next].method, f->ex[f->next].url_suffix);
    for (size_t i = 0; i < f->n; i++) {
        free(f->ex[i].sent_body);
        free(f->ex[i].sent_content_type);
    }
    memset(f, 0, sizeof(*f));
}

void fake_client_init(fake_client *c, const char *service, const char *base_url)
{
    memset(c, 0, sizeof(*c));
    c->http = fake_http_client(service, base_url, &c->f);
}

void fake_client_done(fake_client *c)
{
    fake_http_done(&c->f);
    tide_http_free(c->http);
    c->http = NULL;
}

fake_client *fake_client_new(const char *service, const char *base_url)
{
    fake_client *c = xcalloc(1, sizeof(*c));
    fake_client_init(c, service, base_url);
    return c;
}

int fake_client_teardown(void **state)
{
    fake_client *c = *state;
    fake_client_done(c);
    free(c);
    return 0;
}

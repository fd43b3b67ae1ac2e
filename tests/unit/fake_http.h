/*
 * fake_http.h - a scripted transport for unit tests of the service clients.
 *
 * Tests queue the exchanges they expect, in order: the method, the end of the
 * URL, and the response to give (status, content type, body from a string or
 * from a file under tests/unit/data).  Each request is checked against the
 * next entry; its body is kept so the test can assert what was sent.
 */
#ifndef TIDE_FAKE_HTTP_H
#define TIDE_FAKE_HTTP_H

#include "http.h"

#define FAKE_HTTP_MAX 64

typedef struct fake_exchange {
    const char *method;
    const char *url_suffix;     /* the request URL must end with this (query included) */
    long        status;         /* 0 = fail the transport (no response, like a refused connect) */
    const char *content_type;
    const char *body;           /* literal body, or NULL */
    const char *body_file;      /* path relative to TEST_DATA_DIR, or NULL */
    const char *location;       /* Location header to return */
    const char *retry_after;
    char       *sent_body;      /* filled in: what the client sent (owned by the fake) */
    char       *sent_content_type;
} fake_exchange;

typedef struct fake_http {
    fake_exchange ex[FAKE_HTTP_MAX];
    size_t n, next;
} fake_http;

/* Attach a fresh script to h (options with no backoff sleeps). */
tide_http *fake_http_client(const char *service, const char *base_url, fake_http *f);
/* The same with `retries` extra attempts on retryable failures. */
tide_http *fake_http_client_retries(const char *service, const char *base_url, int retries, fake_http *f);
/* Queue an exchange; returns it so a test can read sent_body afterwards. */
fake_exchange *fake_expect(fake_http *f, const char *method, const char *url_suffix, long status,
                           const char *content_type, const char *body);
fake_exchange *fake_expect_file(fake_http *f, const char *method, const char *url_suffix, long status,
                                const char *body_file);
/* Assert every queued exchange happened, then free what the fake kept. */
void fake_http_done(fake_http *f);
/* Assert that a request body is the JSON `expected` (compared parsed: key order and spacing do not matter). */
void fake_assert_json_equal(const char *sent_body, const char *expected);
/* Read a file under TEST_DATA_DIR into a new string (aborts the test if missing). */
char *fake_read_data(const char *rel_path);
/* Parse a file under TEST_DATA_DIR as JSON (aborts the test if missing or not JSON). Caller puts it. */
json_object *fake_load_json(const char *rel_path);

/*
 * The fixture of a client test: a script, the service's client on it, and the
 * error its calls fill.  It must not move once started (the client points at f).
 */
typedef struct fake_client {
    fake_http  f;
    tide_http *http;
    tide_err   e;
} fake_client;

/* Start c in place: an empty script and a client named `service` at base_url (no retries). */
void fake_client_init(fake_client *c, const char *service, const char *base_url);
/* Assert every queued exchange happened, then free the client. */
void fake_client_done(fake_client *c);
/* A started fake_client on the heap, for a cmocka setup (*state = fake_client_new(...)). */
fake_client *fake_client_new(const char *service, const char *base_url);
/* cmocka teardown of a fake_client_new one: fake_client_done, then free. */
int fake_client_teardown(void **state);

#endif

/*
 * http.h - the one way libtide talks HTTP (libcurl underneath).
 *
 * A tide_http is a client for one service at one base URL.  It owns a curl
 * handle (connections are reused), applies connect and total timeouts to
 * every call, retries what is safe to retry with exponential backoff and
 * jitter, adds the bearer token, and turns any failure into one error line
 * that names the service, the method, the URL, the HTTP status and the
 * service's own explanation (RFC 7807 detail, Kubernetes Status message,
 * Redfish error, or the text of a 401).
 *
 * Retries: connect failures and 429 for every method (the request was not
 * processed), 5xx only for GET/HEAD/PUT/DELETE (a repeated POST could do the
 * same thing twice, e.g. start two power transitions).
 *
 * Not thread-safe: one tide_http per thread.
 */
#ifndef TIDE_HTTP_H
#define TIDE_HTTP_H

#include <json-c/json.h>

#include "err.h"
#include "strbuf.h"
#include "token.h"

typedef struct tide_http_opts {
    const char *service;        /* "SMD", "BSS", "PCS", "Kubernetes", "Redfish", ... */
    const char *base_url;       /* paths are appended to it */
    long connect_timeout_s;     /* default 5 */
    long total_timeout_s;       /* default 30 */
    int  retries;               /* extra attempts, default 0 */
    long backoff_ms;            /* first backoff, doubled each try (default 250); 0 = no sleep */
    long backoff_max_ms;        /* cap (default 8000) */
    int  tls_verify;            /* 1 = verify peer and host (default when opts come from tide_http_opts_init) */
    const char *ca_file;        /* CaFile= */
    const char *ca_pem;         /* CA certificates in memory (kubeconfig certificate-authority-data) */
    const char *client_cert_pem;/* client certificate in memory (kubeconfig) */
    const char *client_key_pem;
    const char *client_cert_file;
    const char *client_key_file;
    const char *basic_user;     /* HTTP Basic (Redfish) */
    const char *basic_password;
    tide_token *token;          /* bearer token source, not owned; NULL = none */
    int  no_retry_429;          /* 1: hand 429 to the caller (Kubernetes evictions: a PDB's "not now") */
    const char *unix_socket;    /* connect to this Unix socket; the URL's host then only names the service (tided) */
    /* An extra header made for every attempt, e.g. tided's munge credential, which binds one request and
     * is refused when replayed, so a retry needs a new one.  Returns a malloc'd "Name: value" (the caller
     * wipes and frees it), or NULL with e set.  `path` is the one given to tide_http_send. */
    char *(*header_fn)(void *ctx, const char *method, const char *path, const char *body, tide_err *e);
    void *header_ctx;
} tide_http_opts;

typedef struct tide_http_resp {
    long   status;
    strbuf body;
    char  *content_type;        /* NULL when absent */
    char  *location;            /* Location header, NULL when absent */
    char  *retry_after;         /* Retry-After header */
    char  *referral_token;      /* BSS-Referral-Token header */
} tide_http_resp;

typedef struct tide_http tide_http;

/* Called instead of libcurl when set (unit tests): fill resp and return 0, or
 * return -1 with e set to simulate a connection failure. */
typedef int (*tide_http_transport)(void *ctx, const char *method, const char *url,
                                   const char *content_type, const char *body,
                                   tide_http_resp *resp, tide_err *e);

void tide_http_opts_init(tide_http_opts *o, const char *service, const char *base_url);
tide_http *tide_http_new(const tide_http_opts *o, tide_err *e);
void tide_http_free(tide_http *h);
void tide_http_set_transport(tide_http *h, tide_http_transport fn, void *ctx);
const char *tide_http_service(const tide_http *h);
const char *tide_http_base_url(const tide_http *h);
/* Number of requests sent (attempts included), for benchmarks and tests. */
unsigned long tide_http_request_count(const tide_http *h);

void tide_http_resp_free(tide_http_resp *r);

/*
 * Send one request and wait for the response, retrying as described above.
 * `path` is appended to the base URL (or used as is when it starts with http).
 * Returns 0 when a response arrived, whatever its status; -1 when none did.
 */
int tide_http_send(tide_http *h, const char *method, const char *path, const char *content_type,
                   const char *body, tide_http_resp *resp, tide_err *e);

/* Fill e with the one-line error for a response with status >= 400 and return -1. */
int tide_http_status_error(const tide_http *h, const char *method, const char *path,
                           const tide_http_resp *resp, tide_err *e);

/*
 * JSON round trip: send `body` (may be NULL), require a 2xx, parse the reply
 * into *out (NULL for an empty body; pass out = NULL to ignore the body).
 * A reply that is not JSON is an error that says so.
 */
int tide_http_json(tide_http *h, const char *method, const char *path, json_object *body,
                   json_object **out, tide_err *e);
/* The same, but a 5xx is not retried: for a server error that is an answer, not a passing fault
 * (SMD's PUT members says 500 when the new list conflicts with another exclusive group). */
int tide_http_json_once(tide_http *h, const char *method, const char *path, json_object *body,
                        json_object **out, tide_err *e);
/* The same as tide_http_json with an explicit content type (Kubernetes patches). *status gets the final status. */
int tide_http_json_ct(tide_http *h, const char *method, const char *path, const char *content_type,
                      json_object *body, json_object **out, long *status, tide_err *e);

/* Fail with "<service>: <method> <url>: <problem>" for a 2xx reply tide cannot use. Returns -1. */
int tide_reply_error(const tide_http *h, const char *method, const char *path, const char *problem,
                     tide_err *e);

/* Parse a response body as JSON, or fail naming service, method, URL. */
int tide_http_parse_json(const tide_http *h, const char *method, const char *path,
                         const tide_http_resp *resp, json_object **out, tide_err *e);

#endif

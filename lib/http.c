/*
 * http.c - see http.h.
 */
#include "config.h"

#include "http.h"

#include <stddef.h>
#include <stdint.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "log.h"

struct tide_http {
    char *service;
    char *base_url;
    tide_http_opts opts;      /* string fields point at the copies below */
    char *ca_file, *ca_pem, *cert_pem, *key_pem, *cert_file, *key_file, *user, *password;
    char *unix_socket;
    CURL *curl;
    tide_http_transport transport;
    void *transport_ctx;
    unsigned long requests;
    unsigned int seed;        /* for backoff jitter */
};

static char *dup_or_null(const char *s) { return s ? xstrdup(s) : NULL; }

void tide_http_opts_init(tide_http_opts *o, const char *service, const char *base_url)
{
    memset(o, 0, sizeof(*o));
    o->service = service;
    o->base_url = base_url;
    o->connect_timeout_s = 5;
    o->total_timeout_s = 30;
    o->backoff_ms = 250;
    o->backoff_max_ms = 8000;
    o->tls_verify = 1;
}

tide_http *tide_http_new(const tide_http_opts *o, tide_err *e)
{
    static int curl_ready;
    if (!curl_ready) {
        /* Programs are single-threaded when they first make a client. */
        if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
            tide_err_set(e, "%s: cannot initialise libcurl", o->service);
            return NULL;
        }
        curl_ready = 1;
    }
    if (!o->base_url || !*o->base_url) {
        tide_err_set(e, "%s: no URL configured", o->service);
        return NULL;
    }
    tide_http *h = xcalloc(1, sizeof(*h));
    h->opts = *o;
    h->service = xstrdup(o->service ? o->service : "HTTP");
    /* Keep the base without a trailing slash so paths always start with one. */
    size_t len = strlen(o->base_url);
    while (len > 0 && o->base_url[len - 1] == '/')
        len--;
    h->base_url = xstrndup(o->base_url, len);
    h->opts.service = h->service;
    h->opts.base_url = h->base_url;
    h->opts.ca_file = h->ca_file = dup_or_null(o->ca_file);
    h->opts.ca_pem = h->ca_pem = dup_or_null(o->ca_pem);
    h->opts.client_cert_pem = h->cert_pem = dup_or_null(o->client_cert_pem);
    h->opts.client_key_pem = h->key_pem = dup_or_null(o->client_key_pem);
    h->opts.client_cert_file = h->cert_file = dup_or_null(o->client_cert_file);
    h->opts.client_key_file = h->key_file = dup_or_null(o->client_key_file);
    h->opts.basic_user = h->user = dup_or_null(o->basic_user);
    h->opts.basic_password = h->password = dup_or_null(o->basic_password);
    h->opts.unix_socket = h->unix_socket = dup_or_null(o->unix_socket);
    h->seed = (unsigned int)time(NULL) ^ (unsigned int)(uintptr_t)h;
    h->curl = curl_easy_init();
    if (!h->curl) {
        tide_err_set(e, "%s: cannot create a libcurl handle", h->service);
        tide_http_free(h);
        return NULL;
    }
    return h;
}

void tide_http_free(tide_http *h)
{
    if (!h)
        return;
    if (h->curl)
        curl_easy_cleanup(h->curl);
    free(h->service); free(h->base_url); free(h->ca_file); free(h->ca_pem); free(h->cert_pem);
    free(h->key_pem); free(h->cert_file); free(h->key_file); free(h->user); free(h->unix_socket);
    if (h->password) {
        memset(h->password, 0, strlen(h->password));
        free(h->password);
    }
    free(h);
}

void tide_http_set_transport(tide_http *h, tide_http_transport fn, void *ctx)
{
    h->transport = fn;
    h->transport_ctx = ctx;
}

const char *tide_http_service(const tide_http *h) { return h->service; }
const char *tide_http_base_url(const tide_http *h) { return h->base_url; }
unsigned long tide_http_request_count(const tide_http *h) { return h->requests; }

void tide_http_resp_free(tide_http_resp *r)
{
    strbuf_free(&r->body);
    free(r->content_type);
    free(r->location);
    free(r->retry_after);
    free(r->referral_token);
    memset(r, 0, sizeof(*r));
}

static char *full_url(const tide_http *h, const char *path)
{
    if (!strncmp(path, "http://", 7) || !strncmp(path, "https://", 8))
        return xstrdup(path);
    return xasprintf("%s%s%s", h->base_url, path[0] == '/' ? "" : "/", path);
}

static size_t on_body(char *data, size_t size, size_t n, void *userp)
{
    strbuf_add(userp, data, size * n);
    return size * n;
}

/* Keep the few headers tide acts upon. */
static size_t on_header(char *data, size_t size, size_t n, void *userp)
{
    tide_http_resp *r = userp;
    size_t len = size * n;
    static const struct { const char *name; size_t off; } wanted[] = {
        { "content-type:", offsetof(tide_http_resp, content_type) },
        { "location:", offsetof(tide_http_resp, location) },
        { "retry-after:", offsetof(tide_http_resp, retry_after) },
        { "bss-referral-token:", offsetof(tide_http_resp, referral_token) },
    };
    for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
        size_t nl = strlen(wanted[i].name);
        if (len > nl && !strncasecmp(data, wanted[i].name, nl)) {
            const char *v = data + nl, *end = data + len;
            while (v < end && (*v == ' ' || *v == '\t'))
                v++;
            while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
                end--;
            char **field = (char **)((char *)r + wanted[i].off);
            free(*field);
            *field = xstrndup(v, (size_t)(end - v));
        }
    }
    /* A new status line (redirects, 100-continue) starts a fresh header set. */
    if (len > 5 && !strncmp(data, "HTTP/", 5)) {
        free(r->content_type); free(r->location); free(r->retry_after); free(r->referral_token);
        r->content_type = r->location = r->retry_after = r->referral_token = NULL;
    }
    return len;
}

static void set_blob(CURL *c, CURLoption opt, const char *pem)
{
    struct curl_blob blob = { (void *)pem, strlen(pem), CURL_BLOB_COPY };
    curl_easy_setopt(c, opt, &blob);
}

/* One attempt through libcurl.  Returns 0 with a response, -1 (e set) without one. */
static int curl_attempt(tide_http *h, const char *method, const char *url, const char *content_type,
                        const char *body, const char *bearer, const char *extra_header, tide_http_resp *resp,
                        tide_err *e)
{
    CURL *c = h->curl;
    struct curl_slist *headers = NULL;
    char errbuf[CURL_ERROR_SIZE] = "";

    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, h->opts.connect_timeout_s);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, h->opts.total_timeout_s);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp->body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, resp);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "tide/" PACKAGE_VERSION);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, h->opts.tls_verify ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, h->opts.tls_verify ? 2L : 0L);
    if (h->opts.unix_socket)
        curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, h->opts.unix_socket);
    if (h->opts.ca_file)
        curl_easy_setopt(c, CURLOPT_CAINFO, h->opts.ca_file);
    if (h->opts.ca_pem)
        set_blob(c, CURLOPT_CAINFO_BLOB, h->opts.ca_pem);
    if (h->opts.client_cert_pem) {
        set_blob(c, CURLOPT_SSLCERT_BLOB, h->opts.client_cert_pem);
        curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
    }
    if (h->opts.client_key_pem) {
        set_blob(c, CURLOPT_SSLKEY_BLOB, h->opts.client_key_pem);
        curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
    }
    if (h->opts.client_cert_file)
        curl_easy_setopt(c, CURLOPT_SSLCERT, h->opts.client_cert_file);
    if (h->opts.client_key_file)
        curl_easy_setopt(c, CURLOPT_SSLKEY, h->opts.client_key_file);
    if (h->opts.basic_user) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERNAME, h->opts.basic_user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, h->opts.basic_password ? h->opts.basic_password : "");
    }

    headers = curl_slist_append(headers, "Accept: application/json, */*");
    if (bearer) {
        char *auth = xasprintf("Authorization: Bearer %s", bearer);
        headers = curl_slist_append(headers, auth);
        memset(auth, 0, strlen(auth));
        free(auth);
    }
    if (extra_header)
        headers = curl_slist_append(headers, extra_header);
    if (body) {
        char *ct = xasprintf("Content-Type: %s", content_type ? content_type : "application/json");
        headers = curl_slist_append(headers, ct);
        free(ct);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    /* Let libcurl send no "Expect: 100-continue": the services answer at once anyway. */
    headers = curl_slist_append(headers, "Expect:");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    if (!strcmp(method, "HEAD"))
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    else if (strcmp(method, "GET") || body)
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);

    CURLcode rc = curl_easy_perform(c);
    /* The list holds copies of the bearer token and the extra header: wipe them. */
    for (struct curl_slist *l = headers; l; l = l->next)
        memset(l->data, 0, strlen(l->data));
    curl_slist_free_all(headers);
    if (rc != CURLE_OK) {
        tide_err_set(e, "%s: %s %s: %s", h->service, method, url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
        e->http_status = 0;
        return -1;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
    return 0;
}

static int idempotent(const char *method)
{
    return !strcmp(method, "GET") || !strcmp(method, "HEAD") || !strcmp(method, "PUT") ||
           !strcmp(method, "DELETE");
}

static void backoff_sleep(tide_http *h, int attempt, const tide_http_resp *resp)
{
    long ms = h->opts.backoff_ms;
    if (ms <= 0)
        return;
    for (int i = 0; i < attempt && ms < h->opts.backoff_max_ms; i++)
        ms *= 2;
    if (ms > h->opts.backoff_max_ms)
        ms = h->opts.backoff_max_ms;
    /* Full jitter: many clients retrying at once must not come back in step. */
    ms = ms / 2 + (long)(rand_r(&h->seed) % (unsigned)(ms / 2 + 1));
    if (resp && resp->retry_after) {
        long ra = atol(resp->retry_after);
        if (ra > 0 && ra * 1000 <= h->opts.backoff_max_ms)
            ms = ra * 1000;
    }
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* flags: HTTP_NO_5XX_RETRY, for a 5xx known to be an answer rather than a passing fault. */
#define HTTP_NO_5XX_RETRY 1

static int send_flags(tide_http *h, const char *method, const char *path, const char *content_type,
                      const char *body, int flags, tide_http_resp *resp, tide_err *e)
{
    char *url = full_url(h, path);
    int refreshed = 0, rc = -1;

    for (int attempt = 0;; attempt++) {
        const char *bearer = NULL;
        tide_http_resp_free(resp);
        if (h->opts.token && !(bearer = tide_token_get(h->opts.token, e))) {
            tide_err_prefix(e, "%s: %s %s", h->service, method, url);
            break;
        }
        char *extra = NULL;
        if (h->opts.header_fn && !(extra = h->opts.header_fn(h->opts.header_ctx, method, path, body, e))) {
            tide_err_prefix(e, "%s: %s %s", h->service, method, url);
            rc = -1;
            break;
        }
        h->requests++;
        rc = h->transport ? h->transport(h->transport_ctx, method, url, content_type, body, resp, e)
                          : curl_attempt(h, method, url, content_type, body, bearer, extra, resp, e);
        if (extra) {
            memset(extra, 0, strlen(extra));
            free(extra);
        }
        if (rc == 0)
            tide_debug("%s %s %s -> %ld", h->service, method, url, resp->status);
        else
            tide_debug("%s %s %s -> no response", h->service, method, url);

        /* An expired OAuth2 token: fetch a new one once, then try again at once. */
        if (rc == 0 && resp->status == 401 && h->opts.token && !refreshed && tide_token_invalidate(h->opts.token)) {
            refreshed = 1;
            attempt--;
            continue;
        }
        int retry = rc != 0 || (resp->status == 429 && !h->opts.no_retry_429) ||
                    (resp->status >= 500 && idempotent(method) && !(flags & HTTP_NO_5XX_RETRY));
        if (!retry || attempt >= h->opts.retries)
            break;
        tide_verbose("%s %s %s: %s, retrying (%d of %d)", h->service, method, url,
                     rc ? "no response" : "server busy or failing", attempt + 1, h->opts.retries);
        backoff_sleep(h, attempt, rc == 0 ? resp : NULL);
    }
    free(url);
    return rc;
}

int tide_http_send(tide_http *h, const char *method, const char *path, const char *content_type,
                   const char *body, tide_http_resp *resp, tide_err *e)
{
    return send_flags(h, method, path, content_type, body, 0, resp, e);
}

/* The service's own explanation of an error, from whichever shape it used. */
static char *error_detail(const tide_http_resp *resp)
{
    const char *text = strbuf_str(&resp->body);
    json_object *j = resp->body.len ? json_tokener_parse(text) : NULL;
    char *detail = NULL;

    if (j && json_object_is_type(j, json_type_object)) {
        /* RFC 7807 (SMD/BSS/PCS), Kubernetes Status, Redfish error, OAuth2 error, in that order. */
        static const char *const keys[] = { "detail", "message", "title", "error_description", "Message" };
        json_object *v, *err;
        for (size_t i = 0; !detail && i < sizeof(keys) / sizeof(keys[0]); i++)
            if (json_object_object_get_ex(j, keys[i], &v) && json_object_is_type(v, json_type_string) &&
                json_object_get_string_len(v))
                detail = xstrdup(json_object_get_string(v));
        if (!detail && json_object_object_get_ex(j, "error", &err)) {
            if (json_object_is_type(err, json_type_string))
                detail = xstrdup(json_object_get_string(err));
            else if (json_object_object_get_ex(err, "message", &v))
                detail = xstrdup(json_object_get_string(v));
        }
    }
    json_object_put(j);
    if (!detail && resp->body.len) {
        /* text/plain (a 401 from the OpenCHAMI middleware) or anything else: first line, printable only. */
        strbuf b = STRBUF_INIT;
        for (size_t i = 0; i < resp->body.len && b.len < 200; i++) {
            unsigned char ch = (unsigned char)text[i];
            if (ch == '\n' || ch == '\r') {
                if (b.len)
                    break;
                continue;
            }
            strbuf_add(&b, isprint(ch) ? (const char *)&text[i] : "?", 1);
        }
        detail = strbuf_steal(&b);
    }
    return detail;
}

static const char *reason_phrase(long status)
{
    switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default:  return "";
    }
}

int tide_http_status_error(const tide_http *h, const char *method, const char *path,
                           const tide_http_resp *resp, tide_err *e)
{
    char *url = full_url(h, path);
    char *detail = error_detail(resp);
    const char *phrase = reason_phrase(resp->status);

    tide_err_set(e, "%s: %s %s: HTTP %ld%s%s%s%s", h->service, method, url, resp->status,
                 *phrase ? " " : "", phrase, detail && *detail ? ": " : "", detail ? detail : "");
    if (e) {
        e->http_status = resp->status;
        e->conflict = resp->status == 409;
    }
    free(detail);
    free(url);
    return -1;
}

int tide_http_parse_json(const tide_http *h, const char *method, const char *path,
                         const tide_http_resp *resp, json_object **out, tide_err *e)
{
    *out = NULL;
    if (!resp->body.len)
        return 0;
    json_tokener *tok = json_tokener_new();
    /* Include the terminating NUL so a bare literal like `null` or `42` completes. */
    json_object *j = json_tokener_parse_ex(tok, resp->body.s, (int)resp->body.len + 1);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    json_tokener_free(tok);
    if (!j && jerr == json_tokener_success)
        return 0; /* the literal `null`, as BSS sends for "no entries" */
    if (jerr != json_tokener_success) {
        char *url = full_url(h, path);
        tide_err_set(e, "%s: %s %s: HTTP %ld but the body is not JSON (%s)", h->service, method, url,
                     resp->status, json_tokener_error_desc(jerr));
        free(url);
        json_object_put(j);
        return -1;
    }
    *out = j;
    return 0;
}

static int json_flags(tide_http *h, const char *method, const char *path, const char *content_type,
                      json_object *body, int flags, json_object **out, long *status, tide_err *e)
{
    tide_http_resp resp = { 0 };
    const char *text = body ? json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE) : NULL;
    int rc;

    if (out)
        *out = NULL;
    if (status)
        *status = 0;
    if (send_flags(h, method, path, content_type, text, flags, &resp, e)) {
        tide_http_resp_free(&resp);
        return -1;
    }
    if (status)
        *status = resp.status;
    if (resp.status < 200 || resp.status >= 300)
        rc = tide_http_status_error(h, method, path, &resp, e);
    else if (out)
        rc = tide_http_parse_json(h, method, path, &resp, out, e);
    else
        rc = 0;
    tide_http_resp_free(&resp);
    return rc;
}

int tide_http_json_ct(tide_http *h, const char *method, const char *path, const char *content_type,
                      json_object *body, json_object **out, long *status, tide_err *e)
{
    return json_flags(h, method, path, content_type, body, 0, out, status, e);
}

int tide_http_json(tide_http *h, const char *method, const char *path, json_object *body,
                   json_object **out, tide_err *e)
{
    return json_flags(h, method, path, NULL, body, 0, out, NULL, e);
}

int tide_http_json_once(tide_http *h, const char *method, const char *path, json_object *body,
                        json_object **out, tide_err *e)
{
    return json_flags(h, method, path, NULL, body, HTTP_NO_5XX_RETRY, out, NULL, e);
}

int tide_reply_error(const tide_http *h, const char *method, const char *path, const char *problem,
                     tide_err *e)
{
    return tide_err_set(e, "%s: %s %s%s: %s", tide_http_service(h), method, tide_http_base_url(h), path,
                        problem);
}

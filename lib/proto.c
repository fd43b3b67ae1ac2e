/*
 * proto.c - see proto.h.
 */
#include "proto.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <munge.h>

#include "http.h"
#include "jsonutil.h"
#include "strbuf.h"

/* ---- Listen= ----------------------------------------------------------- */

static int parse_port(const char *s, const char *item, tide_err *e)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 1 || v > 65535)
        return tide_err_set(e, "Listen=: '%s': the port must be a number from 1 to 65535", item);
    return 0;
}

static int parse_listen_item(const char *item, tide_listen_addr *a, tide_err *e)
{
    memset(a, 0, sizeof(*a));
    if (!strncmp(item, "unix:", 5)) {
        if (item[5] != '/')
            return tide_err_set(e, "Listen=: '%s': a Unix socket needs an absolute path (unix:/run/tide/tided.sock)", item);
        a->kind = TIDE_LISTEN_UNIX;
        a->path = xstrdup(item + 5);
        return 0;
    }
    if (strncmp(item, "tcp:", 4))
        return tide_err_set(e, "Listen=: '%s': expected unix:PATH or tcp:HOST:PORT", item);
    const char *hp = item + 4, *colon;
    a->kind = TIDE_LISTEN_TCP;
    if (hp[0] == '[') {   /* [v6-address]:port */
        const char *close = strchr(hp, ']');
        if (!close || close[1] != ':')
            return tide_err_set(e, "Listen=: '%s': expected tcp:[ADDRESS]:PORT", item);
        a->host = xstrndup(hp + 1, (size_t)(close - hp - 1));
        colon = close + 1;
    } else if ((colon = strrchr(hp, ':'))) {
        a->host = xstrndup(hp, (size_t)(colon - hp));
    } else {   /* tcp:PORT */
        a->host = xstrdup("0.0.0.0");
        colon = hp - 1;
    }
    if (!*a->host) {
        free(a->host);
        a->host = xstrdup("0.0.0.0");
    }
    if (parse_port(colon + 1, item, e)) {
        free(a->host);
        a->host = NULL;
        return -1;
    }
    a->port = xstrdup(colon + 1);
    return 0;
}

int tide_listen_parse(const char *listen, tide_listen_addr **out, size_t *n, tide_err *e)
{
    char *copy = xstrdup(listen && *listen ? listen : TIDE_DEFAULT_LISTEN);
    tide_listen_addr *a = NULL;
    size_t count = 0;
    char *save = NULL;

    *out = NULL;
    *n = 0;
    for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        a = xrealloc(a, sizeof(*a) * (count + 1));
        if (parse_listen_item(item, &a[count], e)) {
            tide_listen_free(a, count);
            free(copy);
            return -1;
        }
        count++;
    }
    free(copy);
    if (!count) {
        free(a);
        return tide_err_set(e, "Listen=%s: no address", listen);
    }
    *out = a;
    *n = count;
    return 0;
}

void tide_listen_free(tide_listen_addr *a, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(a[i].path);
        free(a[i].host);
        free(a[i].port);
    }
    free(a);
}

/* ---- requests ---------------------------------------------------------- */

static const char *const req_names[TIDE_REQ_COUNT] = {
    "resume", "suspend", "resume-fail", "reboot", "prolog", "epilog",
};
static const char *const req_paths[TIDE_REQ_COUNT] = {
    "/v1/resume", "/v1/suspend", "/v1/resume-fail", "/v1/reboot", "/v1/prolog", "/v1/epilog",
};

const char *tide_req_name(tide_req_kind k) { return (unsigned)k < TIDE_REQ_COUNT ? req_names[k] : "?"; }
const char *tide_req_path(tide_req_kind k) { return (unsigned)k < TIDE_REQ_COUNT ? req_paths[k] : "/"; }

static int find_in(const char *const *table, const char *s, tide_req_kind *k)
{
    for (int i = 0; i < TIDE_REQ_COUNT; i++)
        if (s && !strcmp(table[i], s)) {
            *k = (tide_req_kind)i;
            return 0;
        }
    return -1;
}

int tide_req_from_name(const char *name, tide_req_kind *k) { return find_in(req_names, name, k); }
int tide_req_from_path(const char *path, tide_req_kind *k) { return find_in(req_paths, path, k); }

static json_object *str_or_null(const char *s) { return s ? json_object_new_string(s) : NULL; }

json_object *tide_request_to_json(const tide_request *r)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "nodes", tide_json_str_array((const char *const *)r->nodes.names, r->nodes.n));
    switch (r->kind) {
    case TIDE_REQ_RESUME:
        json_object_object_add(o, "features", str_or_null(r->features));
        json_object_object_add(o, "job_id", r->job_id ? json_object_new_int64(r->job_id) : NULL);
        json_object_object_add(o, "resume_file", r->resume_file ? json_object_get(r->resume_file) : NULL);
        break;
    case TIDE_REQ_REBOOT:
        json_object_object_add(o, "features", str_or_null(r->features));
        break;
    case TIDE_REQ_PROLOG:
    case TIDE_REQ_EPILOG:
        json_object_object_add(o, "job_id", json_object_new_int64(r->job_id));
        json_object_object_add(o, "constraints", str_or_null(r->constraints));
        if (r->kind == TIDE_REQ_EPILOG)
            json_object_object_add(o, "release", json_object_new_boolean(r->release));
        break;
    case TIDE_REQ_SUSPEND:
    case TIDE_REQ_RESUME_FAIL:
        break;
    }
    return o;
}

/* Node names tided accepts: what Slurm allows in a NodeName, minus what would confuse a host list. */
static int valid_node_name(const char *s)
{
    size_t len = strlen(s);
    if (!len || len > 64)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_' || *s == '.'))
            return 0;
    return 1;
}

static int parse_nodes(json_object *arr, tide_hostlist *out, tide_err *e)
{
    if (!arr || !json_object_is_type(arr, json_type_array) || !json_object_array_length(arr))
        return tide_err_set(e, "\"nodes\" must be a non-empty array of node names");
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        json_object *v = json_object_array_get_idx(arr, i);
        if (!json_object_is_type(v, json_type_string))
            return tide_err_set(e, "\"nodes\"[%zu] must be a string", i);
        if (tide_hostlist_expand(json_object_get_string(v), out, e))
            return tide_err_prefix(e, "\"nodes\"[%zu]", i);
    }
    if (!out->n)
        return tide_err_set(e, "\"nodes\" must be a non-empty array of node names");
    for (size_t i = 0; i < out->n; i++)
        if (!valid_node_name(out->names[i]))
            return tide_err_set(e, "\"nodes\": '%.80s' is not a node name (letters, digits, - _ . only)",
                                out->names[i]);
    return 0;
}

/* A string member that may be null or absent. */
static int opt_string(json_object *o, const char *key, char **out, tide_err *e)
{
    json_object *v = tide_json_get(o, key);
    if (!v)
        return 0;
    if (!json_object_is_type(v, json_type_string))
        return tide_err_set(e, "\"%s\" must be a string or null", key);
    *out = xstrdup(json_object_get_string(v));
    return 0;
}

static int opt_job_id(json_object *o, int required, long *out, tide_err *e)
{
    json_object *v = tide_json_get(o, "job_id");
    if (!v) {
        if (required)
            return tide_err_set(e, "\"job_id\" is required");
        return 0;
    }
    int64_t id = json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : -1;
    if (id < (required ? 1 : 0) || id > UINT32_MAX)
        return tide_err_set(e, "\"job_id\" must be a job id (a positive integer)%s", required ? "" : " or null");
    *out = (long)id;
    return 0;
}

/* The keys a body of each kind may hold. */
static int check_keys(tide_req_kind kind, json_object *o, tide_err *e)
{
    static const char *const allowed[TIDE_REQ_COUNT] = {
        " nodes features job_id resume_file ", " nodes ", " nodes ", " nodes features ",
        " nodes job_id constraints ", " nodes job_id constraints release ",
    };
    json_object_object_foreach(o, key, val) {
        (void)val;
        char *word = xasprintf(" %s ", key);
        int ok = strstr(allowed[kind], word) != NULL;
        free(word);
        if (!ok)
            return tide_err_set(e, "unknown key \"%.64s\" in a %s request", key, req_names[kind]);
    }
    return 0;
}

int tide_request_parse(tide_req_kind kind, const char *body, size_t len, tide_request *r, tide_err *e)
{
    memset(r, 0, sizeof(*r));
    r->kind = kind;
    if ((unsigned)kind >= TIDE_REQ_COUNT)
        return tide_err_set(e, "unknown request kind");

    json_tokener *tok = json_tokener_new();
    json_object *o = len ? json_tokener_parse_ex(tok, body, (int)len) : NULL;
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    /* A complete value must have been read, with nothing but blanks after it. */
    size_t used = len ? json_tokener_get_parse_end(tok) : 0;
    json_tokener_free(tok);
    while (o && used < len && strchr(" \t\r\n", body[used]))
        used++;
    if (!o || jerr != json_tokener_success || used != len || !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        return tide_err_set(e, "the body of a %s request must be a JSON object", req_names[kind]);
    }

    int rc = check_keys(kind, o, e) || parse_nodes(tide_json_get(o, "nodes"), &r->nodes, e);
    if (!rc && (kind == TIDE_REQ_RESUME || kind == TIDE_REQ_REBOOT))
        rc = opt_string(o, "features", &r->features, e);
    if (!rc && (kind == TIDE_REQ_RESUME || kind == TIDE_REQ_PROLOG || kind == TIDE_REQ_EPILOG))
        rc = opt_job_id(o, kind != TIDE_REQ_RESUME, &r->job_id, e);
    if (!rc && (kind == TIDE_REQ_PROLOG || kind == TIDE_REQ_EPILOG))
        rc = opt_string(o, "constraints", &r->constraints, e);
    if (!rc && kind == TIDE_REQ_RESUME) {
        json_object *rf = tide_json_get(o, "resume_file");
        if (rf && !json_object_is_type(rf, json_type_object))
            rc = tide_err_set(e, "\"resume_file\" must be an object or null");
        else if (rf)
            r->resume_file = json_object_get(rf);
    }
    if (!rc && kind == TIDE_REQ_EPILOG) {
        json_object *rel = tide_json_get(o, "release");
        if (rel && !json_object_is_type(rel, json_type_boolean))
            rc = tide_err_set(e, "\"release\" must be true or false");
        else
            r->release = rel && json_object_get_boolean(rel);
    }
    json_object_put(o);
    if (rc) {
        tide_request_free(r);
        return -1;
    }
    return 0;
}

void tide_request_free(tide_request *r)
{
    tide_hostlist_free(&r->nodes);
    free(r->features);
    free(r->constraints);
    json_object_put(r->resume_file);
    r->features = r->constraints = NULL;
    r->resume_file = NULL;
}

const char *tide_features_image(const tide_conf *conf, const char *features)
{
    if (!features)
        return NULL;
    const char *s = features;
    while (*s) {
        /* A word: the characters tide.conf allows in an image name. */
        size_t len = 0;
        while (s[len] && (isalnum((unsigned char)s[len]) || strchr("-_.:", s[len])))
            len++;
        for (size_t i = 0; len && i < conf->nimages; i++)
            if (strlen(conf->images[i].name) == len && !strncmp(conf->images[i].name, s, len))
                return conf->images[i].name;
        s += len ? len : 1;
    }
    return NULL;
}

/* ---- munge ------------------------------------------------------------- */

static munge_ctx_t munge_context(const char *socket, tide_err *e)
{
    munge_ctx_t ctx = munge_ctx_create();
    if (!ctx) {
        tide_err_set(e, "munge: cannot create a context (out of memory)");
        return NULL;
    }
    if (socket && *socket && munge_ctx_set(ctx, MUNGE_OPT_SOCKET, socket) != EMUNGE_SUCCESS) {
        tide_err_set(e, "munge: cannot use socket %s: %s", socket, munge_ctx_strerror(ctx));
        munge_ctx_destroy(ctx);
        return NULL;
    }
    return ctx;
}

/* "METHOD PATH\n" + body: what a credential vouches for. */
static char *request_payload(const char *method, const char *path, const char *body, size_t body_len, size_t *len)
{
    strbuf b = STRBUF_INIT;
    strbuf_printf(&b, "%s %s\n", method, path);
    if (body_len)
        strbuf_add(&b, body, body_len);
    *len = b.len;
    return strbuf_steal(&b);
}

static const char *socket_name(const char *socket) { return socket && *socket ? socket : "libmunge's default socket"; }

char *tide_munge_encode(const char *socket, const char *method, const char *path, const char *body, tide_err *e)
{
    munge_ctx_t ctx = munge_context(socket, e);
    if (!ctx)
        return NULL;
    size_t len;
    char *payload = request_payload(method, path, body, body ? strlen(body) : 0, &len);
    char *cred = NULL;
    munge_err_t err = munge_encode(&cred, ctx, payload, (int)len);
    free(payload);
    if (err != EMUNGE_SUCCESS) {
        tide_err_set(e, "munge: cannot make a credential through munged at %s: %s", socket_name(socket),
                     munge_ctx_strerror(ctx));
        munge_ctx_destroy(ctx);
        free(cred);
        return NULL;
    }
    munge_ctx_destroy(ctx);
    return cred;
}

const char *tide_munge_refusal(int munge_err, int *status)
{
    *status = 401;
    switch (munge_err) {
    case EMUNGE_CRED_EXPIRED:
        return "munge credential expired (older than its time-to-live; are the clocks of the two hosts in step?)";
    case EMUNGE_CRED_REPLAYED:
        return "munge credential replayed (a credential is good for one request only)";
    case EMUNGE_CRED_REWOUND:
        return "munge credential from the future (the clock of the host that made it is ahead)";
    case EMUNGE_CRED_INVALID:
        return "munge credential invalid (forged, or made with another munge key)";
    case EMUNGE_CRED_UNAUTHORIZED:
        return "munge credential not for this host (restricted to another uid or gid)";
    case EMUNGE_BAD_CRED:
    case EMUNGE_BAD_LENGTH:
        return "munge credential malformed (not a credential munge made)";
    case EMUNGE_BAD_VERSION:
    case EMUNGE_BAD_CIPHER:
    case EMUNGE_BAD_MAC:
    case EMUNGE_BAD_ZIP:
        return "munge credential unusable (made by an incompatible munge or with an unsupported cipher, MAC or compression)";
    case EMUNGE_BAD_REALM:
        return "munge credential from an unknown security realm";
    case EMUNGE_SOCKET:
    case EMUNGE_TIMEOUT:
        *status = 503;
        return "tided cannot reach its munged to check the credential";
    default:
        *status = 503;
        return "tided could not check the munge credential (munged failed)";
    }
}

int tide_munge_verify(const char *socket, const char *cred, const char *method, const char *path,
                      const char *body, size_t body_len, unsigned *uid, unsigned *gid, tide_err *e)
{
    munge_ctx_t ctx = munge_context(socket, e);
    if (!ctx) {
        e->http_status = 503;
        return -1;
    }
    void *got = NULL;
    int got_len = 0;
    uid_t u = (uid_t)-1;
    gid_t g = (gid_t)-1;
    munge_err_t err = munge_decode(cred, ctx, &got, &got_len, &u, &g);
    if (err != EMUNGE_SUCCESS) {
        int status;
        const char *why = tide_munge_refusal(err, &status);
        if (status == 503)
            tide_err_set(e, "%s: %s", why, munge_ctx_strerror(ctx));
        else
            tide_err_set(e, "%s", why);
        e->http_status = status;
        free(got);
        munge_ctx_destroy(ctx);
        return -1;
    }
    munge_ctx_destroy(ctx);
    size_t want_len;
    char *want = request_payload(method, path, body, body_len, &want_len);
    int match = got_len >= 0 && (size_t)got_len == want_len && (!want_len || !memcmp(got, want, want_len));
    free(want);
    free(got);
    if (!match) {
        tide_err_set(e, "munge credential made for another request (its payload must be \"%s %s\\n\" and the body)",
                     method, path);
        e->http_status = 401;
        return -1;
    }
    *uid = (unsigned)u;
    *gid = (unsigned)g;
    return 0;
}

/* ---- the client -------------------------------------------------------- */

char *tide_munge_header(void *ctx, const char *method, const char *path, const char *body, tide_err *e)
{
    const char *socket = ctx;
    const char *scheme = strstr(path, "://");
    if (scheme) {   /* a whole URL (the node agents'): the credential names its path */
        path = strchr(scheme + 3, '/');
        if (!path)
            path = "/";
    }
    char *cred = tide_munge_encode(socket, method, path, body, e);
    if (!cred)
        return NULL;
    char *h = xasprintf("Authorization: Munge %s", cred);
    memset(cred, 0, strlen(cred));
    free(cred);
    return h;
}

/* A Unix socket that exists, else the first TCP address, else the first address. */
static const tide_listen_addr *pick_address(const tide_listen_addr *a, size_t n)
{
    struct stat st;
    for (size_t i = 0; i < n; i++)
        if (a[i].kind == TIDE_LISTEN_UNIX && !stat(a[i].path, &st) && S_ISSOCK(st.st_mode))
            return &a[i];
    for (size_t i = 0; i < n; i++)
        if (a[i].kind == TIDE_LISTEN_TCP)
            return &a[i];
    return &a[0];
}

int tide_tided_call(const tide_conf *conf, const char *method, const char *path, json_object *body,
                    json_object **reply, tide_err *e)
{
    tide_listen_addr *addrs;
    size_t naddrs;
    if (reply)
        *reply = NULL;
    if (tide_listen_parse(conf->listen, &addrs, &naddrs, e))
        return tide_err_prefix(e, "%s", conf->path);

    const tide_listen_addr *a = pick_address(addrs, naddrs);
    char *service, *base;
    if (a->kind == TIDE_LISTEN_UNIX) {
        service = xasprintf("tided (unix:%s)", a->path);
        base = xstrdup("http://tided");
    } else {
        /* A wildcard listen address is reached on loopback. */
        const char *host = a->host;
        if (!strcmp(host, "0.0.0.0") || !strcmp(host, "*"))
            host = "127.0.0.1";
        else if (!strcmp(host, "::"))
            host = "::1";
        service = xstrdup("tided");
        base = strchr(host, ':') ? xasprintf("http://[%s]:%s", host, a->port)
                                 : xasprintf("http://%s:%s", host, a->port);
    }
    tide_http_opts o;
    tide_http_opts_init(&o, service, base);
    o.connect_timeout_s = 3;
    o.total_timeout_s = 15;
    o.retries = 1;          /* tided restarting: one more try, then say so */
    o.backoff_ms = 500;
    o.backoff_max_ms = 1000;
    o.unix_socket = a->kind == TIDE_LISTEN_UNIX ? a->path : NULL;
    o.header_fn = tide_munge_header;
    o.header_ctx = conf->munge_socket;

    int rc = -1;
    tide_http *h = tide_http_new(&o, e);
    if (h) {
        rc = tide_http_json(h, method, path, body, reply, e);
        tide_http_free(h);
    }
    free(service);
    free(base);
    tide_listen_free(addrs, naddrs);
    return rc;
}

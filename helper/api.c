/*
 * api.c - see api.h.
 *
 * Request flow: libmicrohttpd calls on_request once with the headers, then
 * with each piece of the body, then once more to answer.  answer() routes:
 * /metrics and /v1/health need no credential; every other /v1 route checks
 * the munge credential against the method, path and body (401 when it fails),
 * and POST routes need uid 0 or SlurmUser (403).  A POST only leaves hints
 * for the reconcile loop, writes one journal line and wakes the loop: the
 * answer is 202 at once, whatever the services are doing.
 */
#include "config.h"

#include "api.h"

#include <errno.h>
#include <netdb.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>
#include <microhttpd.h>

#include "hostlist.h"
#include "journal.h"
#include "jsonutil.h"
#include "log.h"
#include "metrics.h"
#include "proto.h"
#include "strbuf.h"

typedef struct listener {
    tide_listen_addr  addr;        /* a copy; addr.path is unlinked on stop */
    char             *name;        /* "unix:/run/tide/tided.sock", "tcp:0.0.0.0:6821" */
    int               fd;
    struct MHD_Daemon *daemon;
} listener;

struct tided_api {
    tided    *d;
    listener *ls;
    size_t    nls;
    uid_t     slurm_uid;           /* SlurmUser's uid, valid when have_slurm_uid */
    int       have_slurm_uid;
};

/* One request being received. */
typedef struct request {
    strbuf body;
    int    too_big;
} request;

/* ---- sockets ----------------------------------------------------------- */

static int bind_unix(listener *l, tide_err *e)
{
    const char *path = l->addr.path;
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(sa.sun_path))
        return tide_err_set(e, "Listen=%s: the socket path is longer than %zu bytes", l->name, sizeof(sa.sun_path) - 1);
    strcpy(sa.sun_path, path);

    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return tide_err_set(e, "Listen=%s: socket: %s", l->name, strerror(errno));
    /* A socket file left by a tided that died is removed; one a running tided answers on is not. */
    struct stat st;
    if (!lstat(path, &st)) {
        if (!S_ISSOCK(st.st_mode)) {
            close(fd);
            return tide_err_set(e, "Listen=%s: %s exists and is not a socket", l->name, path);
        }
        if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
            close(fd);
            return tide_err_set(e, "Listen=%s: another tided is answering on %s", l->name, path);
        }
        close(fd);
        unlink(path);
        if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
            return tide_err_set(e, "Listen=%s: socket: %s", l->name, strerror(errno));
    }
    /* Make the directory when it is missing (systemd's RuntimeDirectory= normally does). */
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        if (mkdir(dir, 0755) && errno != EEXIST)
            tide_error("Listen=%s: cannot create %s: %s", l->name, dir, strerror(errno));
    }
    free(dir);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || chmod(path, 0666) || listen(fd, 128)) {
        int err = errno;
        close(fd);
        unlink(path);
        return tide_err_set(e, "Listen=%s: cannot listen on %s: %s", l->name, path, strerror(err));
    }
    l->fd = fd;
    return 0;
}

static int bind_tcp(listener *l, tide_err *e)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
    struct addrinfo *res = NULL;
    const char *host = strcmp(l->addr.host, "*") ? l->addr.host : NULL;
    int rc = getaddrinfo(host, l->addr.port, &hints, &res);
    if (rc)
        return tide_err_set(e, "Listen=%s: %s", l->name, gai_strerror(rc));
    int fd = -1, err = 0;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 128)) {
            err = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0)
        return tide_err_set(e, "Listen=%s: cannot listen: %s", l->name, strerror(err));
    l->fd = fd;
    return 0;
}

tided_api *tided_api_bind(tided *d, tide_err *e)
{
    tide_listen_addr *addrs;
    size_t n;
    if (tide_listen_parse(d->conf->listen, &addrs, &n, e)) {
        tide_err_prefix(e, "%s", d->conf->path);
        return NULL;
    }
    tided_api *api = xcalloc(1, sizeof(*api));
    api->d = d;
    api->ls = xcalloc(n, sizeof(*api->ls));
    for (size_t i = 0; i < n; i++) {   /* the strings now belong to the listeners */
        listener *l = &api->ls[api->nls++];
        l->addr = addrs[i];
        l->fd = -1;
        l->name = l->addr.kind == TIDE_LISTEN_UNIX ? xasprintf("unix:%s", l->addr.path)
                                                   : xasprintf("tcp:%s:%s", l->addr.host, l->addr.port);
    }
    free(addrs);
    for (size_t i = 0; i < api->nls; i++) {
        listener *l = &api->ls[i];
        if (l->addr.kind == TIDE_LISTEN_UNIX ? bind_unix(l, e) : bind_tcp(l, e)) {
            tided_api_stop(api);
            return NULL;
        }
    }

    struct passwd pw, *found = NULL;
    char buf[4096];
    if (!getpwnam_r(d->conf->slurm_user, &pw, buf, sizeof(buf), &found) && found) {
        api->slurm_uid = pw.pw_uid;
        api->have_slurm_uid = 1;
    } else {
        tide_info("SlurmUser=%s: no such user; only root may send resume, suspend and other changes",
                  d->conf->slurm_user);
    }
    return api;
}

/* ---- answers ----------------------------------------------------------- */

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status, const char *content_type,
                                 const char *text, const char *extra_name, const char *extra_value)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", content_type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    if (extra_name)
        MHD_add_response_header(r, extra_name, extra_value);
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

/* Send o (consumed) as JSON, with one extra header when extra_name is set. */
static enum MHD_Result send_json_with(struct MHD_Connection *c, unsigned status, json_object *o,
                                      const char *extra_name, const char *extra_value)
{
    strbuf b = STRBUF_INIT;
    strbuf_puts(&b, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    strbuf_puts(&b, "\n");
    json_object_put(o);
    enum MHD_Result rc = send_text(c, status, "application/json", strbuf_str(&b), extra_name, extra_value);
    strbuf_free(&b);
    return rc;
}

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, json_object *o)
{
    return send_json_with(c, status, o, NULL, NULL);
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *msg,
                                  const char *extra_name, const char *extra_value)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "error", json_object_new_string(msg));
    return send_json_with(c, status, o, extra_name, extra_value);
}

/* "root(0)": who asked, for the journal and the log. */
static char *who(unsigned uid)
{
    struct passwd pw, *found = NULL;
    char buf[4096];
    if (!getpwuid_r((uid_t)uid, &pw, buf, sizeof(buf), &found) && found)
        return xasprintf("%s(%u)", pw.pw_name, uid);
    return xasprintf("uid %u", uid);
}

static json_object *str_or_null(const char *s) { return s ? json_object_new_string(s) : NULL; }
static json_object *time_or_null(time_t t) { return t ? json_object_new_int64((int64_t)t) : NULL; }

static enum MHD_Result get_status(tided_api *api, struct MHD_Connection *c, int leases)
{
    tided *d = api->d;
    time_t now = time(NULL);
    json_object *rows = json_object_new_array();
    pthread_mutex_lock(&d->lock);
    for (size_t i = 0; i < d->nstatus; i++) {
        const tided_node_status *s = &d->status[i];
        json_object *o;
        if (leases) {
            if (!s->leased_since)
                continue;
            o = json_object_new_object();
            json_object_object_add(o, "node", str_or_null(s->node));
            json_object_object_add(o, "job", s->job_id ? json_object_new_int64(s->job_id) : NULL);
            json_object_object_add(o, "home", str_or_null(s->home_pool));
            json_object_object_add(o, "pool", str_or_null(s->pool));
            json_object_object_add(o, "image", str_or_null(s->image));
            json_object_object_add(o, "since", time_or_null(s->leased_since));
        } else {
            /* In flight, or with something an admin must see. */
            if (!s->direction && !s->strikes && !s->quarantined)
                continue;
            o = json_object_new_object();
            json_object_object_add(o, "node", str_or_null(s->node));
            json_object_object_add(o, "direction", str_or_null(s->direction));
            json_object_object_add(o, "step", str_or_null(s->step));
            json_object_object_add(o, "image", str_or_null(s->image));
            json_object_object_add(o, "job", s->job_id ? json_object_new_int64(s->job_id) : NULL);
            json_object_object_add(o, "home", str_or_null(s->home_pool));
            json_object_object_add(o, "pool", str_or_null(s->pool));
            json_object_object_add(o, "since", time_or_null(s->step_since));
            json_object_object_add(o, "age", s->step_since ? json_object_new_int64((int64_t)(now - s->step_since)) : NULL);
            json_object_object_add(o, "strikes", json_object_new_int(s->strikes));
            json_object_object_add(o, "quarantined", json_object_new_boolean(s->quarantined));
            json_object_object_add(o, "error", str_or_null(s->last_error));
        }
        json_object_array_add(rows, o);
    }
    time_t last = d->last_pass;
    pthread_mutex_unlock(&d->lock);

    json_object *top = json_object_new_object();
    json_object_object_add(top, "now", json_object_new_int64((int64_t)now));
    json_object_object_add(top, "last_pass", time_or_null(last));
    json_object_object_add(top, leases ? "leases" : "transitions", rows);
    return send_json(c, 200, top);
}

static enum MHD_Result get_health(tided_api *api, struct MHD_Connection *c)
{
    pthread_mutex_lock(&api->d->lock);
    time_t last = api->d->last_pass;
    pthread_mutex_unlock(&api->d->lock);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "status", json_object_new_string("ok"));
    json_object_object_add(o, "version", json_object_new_string(PACKAGE_VERSION));
    json_object_object_add(o, "last_pass", time_or_null(last));
    return send_json(c, 200, o);
}

static enum MHD_Result get_metrics(tided_api *api, struct MHD_Connection *c)
{
    strbuf b = STRBUF_INIT;
    tided_metrics_render(api->d->metrics, &b);
    enum MHD_Result rc = send_text(c, 200, "text/plain; version=0.0.4; charset=utf-8", strbuf_str(&b), NULL, NULL);
    strbuf_free(&b);
    return rc;
}

/* ---- POST: hints ------------------------------------------------------- */

/* SLURM_RESUME_FILE names jobs and their nodes (and from 23.02 their features): per node, the job and
 * image they give.  22.05: {"jobs":[{"job_id","nodes"}]}; 23.02+: "nodes_resume"/"nodes_alloc", "features". */
static void apply_resume_file(const tide_conf *conf, const tide_request *r, long *job, const char **image)
{
    json_object *jobs = tide_json_array(r->resume_file, "jobs");
    for (size_t i = 0; jobs && i < json_object_array_length(jobs); i++) {
        json_object *j = json_object_array_get_idx(jobs, i);
        const char *nodes = tide_json_str(j, "nodes_resume");
        if (!nodes)
            nodes = tide_json_str(j, "nodes");
        if (!nodes)
            nodes = tide_json_str(j, "nodes_alloc");
        tide_hostlist hl = TIDE_HOSTLIST_INIT;
        tide_err e = { 0 };
        if (!nodes || tide_hostlist_expand(nodes, &hl, &e)) {
            if (nodes)
                tide_info("resume file: job %lld: %s", (long long)tide_json_int(j, "job_id", 0), e.msg);
            continue;
        }
        long id = (long)tide_json_int(j, "job_id", 0);
        const char *img = tide_features_image(conf, tide_json_str(j, "features"));
        for (size_t k = 0; k < r->nodes.n; k++) {
            if (!tide_hostlist_contains(&hl, r->nodes.names[k]))
                continue;
            if (id)
                job[k] = id;
            if (img)
                image[k] = img;
        }
        tide_hostlist_free(&hl);
    }
}

static void leave_hints(tided *d, const tide_request *r, unsigned uid)
{
    const tide_conf *conf = d->conf;
    size_t n = r->nodes.n;
    long *job = xcalloc(n, sizeof(*job));
    const char **image = xcalloc(n, sizeof(*image));
    const char *req_image = tide_features_image(conf, r->features);
    for (size_t i = 0; i < n; i++) {
        job[i] = r->job_id;
        image[i] = req_image;
    }
    if (r->kind == TIDE_REQ_RESUME && r->resume_file)
        apply_resume_file(conf, r, job, image);

    for (size_t i = 0; i < n; i++) {
        const char *node = r->nodes.names[i];
        switch (r->kind) {
        case TIDE_REQ_RESUME:
            tided_add_hint(d, node, TIDED_WANT_ACQUIRE, image[i], job[i], uid);
            break;
        case TIDE_REQ_SUSPEND:
            tided_add_hint(d, node, TIDED_WANT_RELEASE, NULL, 0, uid);
            break;
        case TIDE_REQ_RESUME_FAIL:
            tided_add_hint(d, node, TIDED_WANT_FAILED, NULL, 0, uid);
            break;
        case TIDE_REQ_REBOOT:
            tided_add_hint(d, node, TIDED_WANT_REIMAGE, image[i], 0, uid);
            break;
        case TIDE_REQ_EPILOG:
            /* Give the nodes back now rather than after SuspendTime (the job asked: --tide-release). */
            if (r->release)
                tided_add_hint(d, node, TIDED_WANT_RELEASE, NULL, r->job_id, uid);
            break;
        case TIDE_REQ_PROLOG:
            /* Slurm's view of the allocation is read by the loop; the prolog only wakes it. */
            break;
        }
    }
    free(job);
    free(image);
}

static enum MHD_Result post_request(tided_api *api, struct MHD_Connection *c, tide_req_kind kind,
                                    const request *rq, unsigned uid)
{
    tided *d = api->d;
    tide_request r;
    tide_err e = { 0 };
    if (tide_request_parse(kind, strbuf_str(&rq->body), rq->body.len, &r, &e)) {
        tide_info("refused %s from uid %u: %s", tide_req_path(kind), uid, e.msg);
        return send_error(c, 400, e.msg, NULL, NULL);
    }
    leave_hints(d, &r, uid);

    char *nodes = tide_hostlist_compress((const char *const *)r.nodes.names, r.nodes.n);
    char *asker = who(uid);
    const char *image = tide_features_image(d->conf, r.features);
    tided_journal_write(d->journal, asker, r.job_id, nodes, NULL, image, tide_req_name(kind), -1, "accepted", NULL);
    char job[32] = "";
    if (r.job_id)
        snprintf(job, sizeof(job), " job %ld", r.job_id);
    tide_verbose("%s %s%s%s%s from %s: accepted", tide_req_name(kind), nodes, job, r.features ? " features " : "",
                 r.features ? r.features : "", asker);
    free(asker);
    free(nodes);
    tided_wake(d);

    json_object *o = json_object_new_object();
    json_object_object_add(o, "accepted", json_object_new_int64((int64_t)r.nodes.n));
    tide_request_free(&r);
    return send_json(c, 202, o);
}

/* ---- routing ----------------------------------------------------------- */

/* The credential of `Authorization: Munge <cred>`; 0 with the uid, or -1 with the refusal queued. */
static int authenticate(tided_api *api, struct MHD_Connection *c, const char *method, const char *url,
                        const request *rq, unsigned *uid, enum MHD_Result *answered, unsigned *status)
{
    *status = 401;
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (!auth || strncasecmp(auth, "Munge ", 6)) {
        tide_info("refused %s %s: no munge credential", method, url);
        *answered = send_error(c, 401, "missing credential: tided needs \"Authorization: Munge <credential>\" "
                               "on every /v1 request but /v1/health", "WWW-Authenticate", "Munge");
        return -1;
    }
    const char *cred = auth + 6;
    while (*cred == ' ')
        cred++;
    tide_err e = { 0 };
    unsigned gid;
    if (tide_munge_verify(api->d->conf->munge_socket, cred, method, url, strbuf_str(&rq->body), rq->body.len,
                          uid, &gid, &e)) {
        tide_info("refused %s %s: %s", method, url, e.msg);
        *status = (unsigned)e.http_status;
        *answered = send_error(c, (unsigned)e.http_status, e.msg, e.http_status == 401 ? "WWW-Authenticate" : NULL,
                               "Munge");
        return -1;
    }
    return 0;
}

static enum MHD_Result answer(tided_api *api, struct MHD_Connection *c, const char *url, const char *method,
                              const request *rq, const char **route, unsigned *status_out)
{
    int is_get = !strcmp(method, "GET"), is_post = !strcmp(method, "POST");
    tide_req_kind kind;
    enum MHD_Result rc;
    unsigned uid;

    *route = url;
    if (!strcmp(url, "/metrics") || !strcmp(url, "/v1/health")) {
        if (!is_get)
            return *status_out = 405, send_error(c, 405, "use GET", "Allow", "GET");
        *status_out = 200;
        return url[1] == 'm' ? get_metrics(api, c) : get_health(api, c);
    }
    int is_read = !strcmp(url, "/v1/status") || !strcmp(url, "/v1/leases");
    int is_write = !tide_req_from_path(url, &kind);
    if (!is_read && !is_write) {
        *route = "other";
        return *status_out = 404, send_error(c, 404, "no such route (see tided(8))", NULL, NULL);
    }
    if (is_read ? !is_get : !is_post)
        return *status_out = 405, send_error(c, 405, is_read ? "use GET" : "use POST", "Allow", is_read ? "GET" : "POST");
    if (rq->too_big) {
        char msg[128];
        snprintf(msg, sizeof(msg), "request body larger than %d bytes", TIDE_PROTO_MAX_BODY);
        return *status_out = 413, send_error(c, 413, msg, NULL, NULL);
    }
    if (authenticate(api, c, method, url, rq, &uid, &rc, status_out))
        return rc;
    if (is_read) {
        *status_out = 200;
        return get_status(api, c, !strcmp(url, "/v1/leases"));
    }
    if (uid != 0 && !(api->have_slurm_uid && uid == api->slurm_uid)) {
        char msg[256];
        snprintf(msg, sizeof(msg), "uid %u may not %s: only root and SlurmUser=%s may change what tided does", uid,
                 tide_req_name(kind), api->d->conf->slurm_user);
        tide_info("refused %s %s: %s", method, url, msg);
        return *status_out = 403, send_error(c, 403, msg, NULL, NULL);
    }
    *status_out = 202;
    return post_request(api, c, kind, rq, uid);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    tided_api *api = cls;
    request *rq = *con_cls;
    if (!rq) {   /* headers only: set up the body buffer */
        *con_cls = xcalloc(1, sizeof(request));
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (rq->body.len + *upload_data_size > TIDE_PROTO_MAX_BODY)
            rq->too_big = 1;
        else
            strbuf_add(&rq->body, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    const char *route;
    unsigned status = 0;
    enum MHD_Result rc = answer(api, c, url, method, rq, &route, &status);
    tided_metrics_request(api->d->metrics, route, (int)status);
    return rc;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    request *rq = *con_cls;
    if (rq) {
        strbuf_free(&rq->body);
        free(rq);
        *con_cls = NULL;
    }
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t len = strlen(msg);
    while (len && (msg[len - 1] == '\n' || msg[len - 1] == '\r'))
        msg[--len] = '\0';
    tide_error("HTTP server: %s", msg);
}

int tided_api_start(tided_api *api, tide_err *e)
{
    for (size_t i = 0; i < api->nls; i++) {
        listener *l = &api->ls[i];
        unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL |
                         MHD_USE_ERROR_LOG | MHD_USE_ITC;
        l->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, api,
                                     MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, api,   /* must come first */
                                     MHD_OPTION_LISTEN_SOCKET, l->fd,
                                     MHD_OPTION_NOTIFY_COMPLETED, on_completed, api,
                                     MHD_OPTION_CONNECTION_LIMIT, (unsigned)256,
                                     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
                                     /* The munge credential carries the request body, so a resume of
                                      * 1000 nodes (the host list three times over) makes a header far
                                      * beyond libmicrohttpd's 32 KiB default: HTTP 431. */
                                     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(8u << 20),
                                     MHD_OPTION_END);
        if (!l->daemon)
            return tide_err_set(e, "Listen=%s: cannot start the HTTP server (libmicrohttpd)", l->name);
        tide_info("listening on %s", l->name);
    }
    return 0;
}

void tided_api_stop(tided_api *api)
{
    if (!api)
        return;
    for (size_t i = 0; i < api->nls; i++) {
        listener *l = &api->ls[i];
        if (l->daemon)
            MHD_stop_daemon(l->daemon);   /* closes the listening socket too */
        else if (l->fd >= 0)
            close(l->fd);
        if (l->addr.kind == TIDE_LISTEN_UNIX && l->fd >= 0)
            unlink(l->addr.path);
        free(l->addr.path);
        free(l->addr.host);
        free(l->addr.port);
        free(l->name);
    }
    free(api->ls);
    free(api);
}

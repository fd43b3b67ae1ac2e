/*
 * agent.c - see agent.h.
 *
 * One process per node, root, started by systemd next to slurmd
 * (contrib/systemd/tide-node-agent.service).  libmicrohttpd answers on one
 * TCP address; a request is checked (route, method, size, credential, uid,
 * body, node) and an accepted kexec runs in a thread of its own, so the 202
 * goes out at once: tided does not wait for downloads.  One kexec at a
 * time: the same order again while it runs is accepted (tided may repeat
 * itself after a restart), another one is refused with 409.
 */
#include "config.h"

#include "agent.h"

#include <netdb.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <json-c/json.h>
#include <microhttpd.h>

#include "cmdline.h"
#include "conf.h"
#include "log.h"
#include "proto.h"
#include "strbuf.h"
#include "xname.h"

typedef enum { KX_IDLE, KX_RUNNING, KX_DONE, KX_FAILED } kx_state;
static const char *const state_names[] = { "idle", "running", "done", "failed" };

struct tide_agent {
    char *node, *cmdline_path, *munge_socket, *slurm_user, *kexec_command, *ca_file;
    int have_slurm_uid;
    unsigned slurm_uid;
    tide_kexec_env env;     /* how a kexec is done; its strings are the ones above */
    tide_agent_hooks hooks;
    pthread_mutex_t lock;   /* guards the three below */
    kx_state state;
    char *image;            /* of the kexec under way or last done */
    char *error;            /* why the last one failed */
};

static char *dup_or_null(const char *s) { return s ? xstrdup(s) : NULL; }

void tide_agent_kexec_done(tide_agent *a, const char *error)
{
    pthread_mutex_lock(&a->lock);
    a->state = error ? KX_FAILED : KX_DONE;
    free(a->error);
    a->error = dup_or_null(error);
    char *image = dup_or_null(a->image);
    pthread_mutex_unlock(&a->lock);
    if (error)
        tide_error("kexec into %s failed: %s", image ? image : "?", error);
    else
        tide_info("kexec into %s: %s", image ? image : "?", a->kexec_command ? "the kexec command ran"
                                                                               : "systemctl kexec ordered");
    free(image);
}

typedef struct job {
    tide_agent *a;
    tide_agent_kexec k;
} job;

static void *kexec_thread(void *arg)
{
    job *j = arg;
    tide_err e = { 0 };
    int rc = tide_kexec_run(&j->a->env, &j->k, &e);
    tide_agent_kexec_done(j->a, rc ? e.msg : NULL);
    tide_agent_kexec_free(&j->k);
    free(j);
    return NULL;
}

static int default_start(void *ctx, tide_agent *a, const tide_agent_kexec *k, tide_err *e)
{
    (void)ctx;
    job *j = xcalloc(1, sizeof(*j));
    j->a = a;
    j->k = (tide_agent_kexec){ xstrdup(k->node), xstrdup(k->image), xstrdup(k->kernel), xstrdup(k->initrd),
                               xstrdup(k->params) };
    pthread_attr_t attr;
    pthread_t t;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&t, &attr, kexec_thread, j);
    pthread_attr_destroy(&attr);
    if (rc) {
        tide_agent_kexec_free(&j->k);
        free(j);
        return tide_err_set(e, "cannot start the kexec: %s", strerror(rc));
    }
    return 0;
}

static int default_verify(void *ctx, const char *socket, const char *cred, const char *method, const char *path,
                          const char *body, size_t len, unsigned *uid, tide_err *e)
{
    (void)ctx;
    unsigned gid;
    if (!tide_munge_verify(socket, cred, method, path, body, len, uid, &gid, e))
        return 0;
    if (e->http_status == 503)   /* tide_munge_verify speaks for tided */
        tide_err_set(e, "the node agent cannot check the credential: munged at %s does not answer",
                     socket && *socket ? socket : "libmunge's default socket");
    e->http_status = e->http_status ? e->http_status : 401;
    return -1;
}

/* ---- the agent ---------------------------------------------------------------------- */

tide_agent *tide_agent_new(const tide_agent_settings *s, const tide_agent_hooks *h)
{
    tide_agent *a = xcalloc(1, sizeof(*a));
    a->env = s->kexec;
    a->env.node = a->node = xstrdup(s->kexec.node);
    a->env.cmdline_path = a->cmdline_path =
        xstrdup(s->kexec.cmdline_path ? s->kexec.cmdline_path : tide_node_cmdline_path());
    a->env.kexec_command = a->kexec_command = dup_or_null(s->kexec.kexec_command);
    a->env.ca_file = a->ca_file = dup_or_null(s->kexec.ca_file);
    a->munge_socket = dup_or_null(s->munge_socket);
    a->slurm_user = xstrdup(s->slurm_user ? s->slurm_user : "slurm");
    a->have_slurm_uid = s->have_slurm_uid;
    a->slurm_uid = s->slurm_uid;
    if (h)
        a->hooks = *h;
    if (!a->hooks.verify)
        a->hooks.verify = default_verify;
    if (!a->hooks.start)
        a->hooks.start = default_start;
    pthread_mutex_init(&a->lock, NULL);
    return a;
}

void tide_agent_free(tide_agent *a)
{
    if (!a)
        return;
    free(a->node);
    free(a->cmdline_path);
    free(a->munge_socket);
    free(a->slurm_user);
    free(a->kexec_command);
    free(a->ca_file);
    free(a->image);
    free(a->error);
    pthread_mutex_destroy(&a->lock);
    free(a);
}

void tide_agent_reply_free(tide_agent_reply *r)
{
    free(r->body);
    memset(r, 0, sizeof(*r));
}

/* Reply with o (consumed). */
static void reply_json(tide_agent_reply *out, unsigned status, json_object *o)
{
    out->status = status;
    out->body = xasprintf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                                        JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
}

static void refuse(tide_agent_reply *out, unsigned status, const char *method, const char *path, const char *msg,
                   const char *header_name, const char *header_value)
{
    tide_info("refused %s %s: %s", method, path, msg);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "error", json_object_new_string(msg));
    reply_json(out, status, o);
    out->header_name = header_name;
    out->header_value = header_value;
}

static json_object *str_or_null(const char *s) { return s ? json_object_new_string(s) : NULL; }

static void info(tide_agent *a, tide_agent_reply *out)
{
    tide_err e = { 0 };
    char *cmdline = tide_node_read_cmdline(a->cmdline_path, &e);
    char *image = cmdline ? tide_node_cmdline_value(cmdline, TIDE_IMAGE_KEY) : NULL;
    json_object *o = json_object_new_object(), *k = json_object_new_object();
    json_object_object_add(o, "node", json_object_new_string(a->node));
    json_object_object_add(o, "image", str_or_null(image));
    pthread_mutex_lock(&a->lock);
    json_object_object_add(k, "state", json_object_new_string(state_names[a->state]));
    json_object_object_add(k, "image", str_or_null(a->image));
    json_object_object_add(k, "error", str_or_null(a->error));
    pthread_mutex_unlock(&a->lock);
    json_object_object_add(o, "kexec", k);
    reply_json(out, 200, o);
    free(image);
    free(cmdline);
}

/* Is `named` this node?  xnames compare in their normal form (x1000c0s0b0n0), other names as written. */
static int is_me(const tide_agent *a, const char *named)
{
    char *x = tide_xname_normalize(named), *me = tide_xname_normalize(a->node);
    int same = x && me ? !strcmp(x, me) : !strcasecmp(named, a->node);
    free(x);
    free(me);
    return same;
}

static void order_kexec(tide_agent *a, const char *method, const char *path, const char *authorization,
                        const char *body, size_t len, tide_agent_reply *out)
{
    char msg[TIDE_ERR_MAX + 200];
    tide_err e = { 0 };
    unsigned uid;
    if (!authorization || strncasecmp(authorization, "Munge ", 6))
        return refuse(out, 401, method, path, "missing credential: the node agent needs \"Authorization: Munge "
                      "<credential>\" on POST /v1/kexec", "WWW-Authenticate", "Munge");
    const char *cred = authorization + 6;
    while (*cred == ' ')
        cred++;
    if (a->hooks.verify(a->hooks.ctx, a->munge_socket, cred, method, path, body, len, &uid, &e))
        return refuse(out, (unsigned)e.http_status, method, path, e.msg, e.http_status == 401 ? "WWW-Authenticate"
                      : NULL, "Munge");
    if (uid != 0 && !(a->have_slurm_uid && uid == a->slurm_uid)) {
        snprintf(msg, sizeof(msg), "uid %u may not order a kexec: only root and SlurmUser=%s may", uid, a->slurm_user);
        return refuse(out, 403, method, path, msg, NULL, NULL);
    }
    tide_agent_kexec k;
    if (tide_agent_parse_kexec(body, len, &k, &e))
        return refuse(out, 400, method, path, e.msg, NULL, NULL);
    if (!is_me(a, k.node)) {
        snprintf(msg, sizeof(msg), "this is the agent of %s, not of %s", a->node, k.node);
        refuse(out, 421, method, path, msg, NULL, NULL);
    } else if (!a->kexec_command && !*k.kernel) {
        refuse(out, 400, method, path, "\"kernel\" is required: the node agent downloads it", NULL, NULL);
    } else {
        /* Taken under the lock, started outside it: the start hook may report the end at once. */
        pthread_mutex_lock(&a->lock);
        int running = a->state == KX_RUNNING, same = running && a->image && !strcmp(a->image, k.image);
        if (running && !same) {
            snprintf(msg, sizeof(msg), "a kexec into %s is under way", a->image ? a->image : "?");
        } else if (!running) {
            a->state = KX_RUNNING;
            free(a->image);
            a->image = xstrdup(k.image);
            free(a->error);
            a->error = NULL;
        }
        pthread_mutex_unlock(&a->lock);
        if (running && !same) {
            refuse(out, 409, method, path, msg, NULL, NULL);
        } else if (!running && a->hooks.start(a->hooks.ctx, a, &k, &e)) {
            tide_agent_kexec_done(a, e.msg);
            refuse(out, 503, method, path, e.msg, NULL, NULL);
        } else {
            tide_info("kexec into %s ordered by uid %u%s", k.image, uid, same ? " (already under way)" : "");
            json_object *o = json_object_new_object();
            json_object_object_add(o, "accepted", json_object_new_boolean(1));
            json_object_object_add(o, "node", json_object_new_string(a->node));
            json_object_object_add(o, "image", json_object_new_string(k.image));
            reply_json(out, 202, o);
        }
    }
    tide_agent_kexec_free(&k);
}

void tide_agent_answer(tide_agent *a, const char *method, const char *path, const char *authorization,
                       const char *body, size_t len, int too_big, tide_agent_reply *out)
{
    memset(out, 0, sizeof(*out));
    if (!strcmp(path, TIDE_AGENT_INFO_PATH)) {
        if (strcmp(method, "GET"))
            return refuse(out, 405, method, path, "use GET", "Allow", "GET");
        return info(a, out);
    }
    if (strcmp(path, TIDE_AGENT_KEXEC_PATH))
        return refuse(out, 404, method, path, "no such route: the node agent has GET " TIDE_AGENT_INFO_PATH
                      " and POST " TIDE_AGENT_KEXEC_PATH " (tide-node(8))", NULL, NULL);
    if (strcmp(method, "POST"))
        return refuse(out, 405, method, path, "use POST", "Allow", "POST");
    if (too_big) {
        char msg[96];
        snprintf(msg, sizeof(msg), "request body larger than %d bytes", TIDE_AGENT_MAX_BODY);
        return refuse(out, 413, method, path, msg, NULL, NULL);
    }
    order_kexec(a, method, path, authorization, body, len, out);
}

/* ---- the server: `tide-node agent` ---------------------------------------------------- */

static const char agent_usage[] =
    "Usage: tide-node agent [--listen ADDR[:PORT]] [--kexec-command CMD] [--node NAME]\n"
    "                       [--download-timeout SECONDS] [-c FILE] [-v]\n"
    "\n"
    "The node agent: tided switches this node to another image through it, by kexec\n"
    "(POST /v1/kexec, munge-authenticated; GET /v1/agent says it is there).\n"
    "  --listen ADDR[:PORT]   where to answer (default: every IPv4 address, port AgentPort=\n"
    "                         of tide.conf, 6820 when unset); [ADDR]:PORT for IPv6\n"
    "  --kexec-command CMD    run CMD through /bin/sh instead of the kexec (testbeds), with\n"
    "                         TIDE_KEXEC_NODE, _IMAGE, _KERNEL, _INITRD, _PARAMS set\n"
    "  --node NAME            this node's Slurm name (default: xname= of the kernel command\n"
    "                         line, else the host name)\n"
    "  --download-timeout S   per file, for kernel and initrd (default 600)\n"
    "  -c, --config FILE      tide.conf (default $TIDE_CONF, else " TIDE_DEFAULT_CONF ")\n"
    "  -v, --verbose          log more (twice: every HTTP request)\n"
    "See tide-node(8).\n";

typedef struct conn {
    strbuf body;
    int too_big;
} conn;

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    tide_agent *a = cls;
    conn *rq = *con_cls;
    if (!rq) {
        *con_cls = xcalloc(1, sizeof(conn));
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (rq->body.len + *upload_data_size > TIDE_AGENT_MAX_BODY)
            rq->too_big = 1;
        else
            strbuf_add(&rq->body, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    tide_agent_reply out;
    tide_agent_answer(a, method, url, MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization"),
                      strbuf_str(&rq->body), rq->body.len, rq->too_big, &out);
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(out.body), out.body, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result rc = MHD_NO;
    if (r) {
        MHD_add_response_header(r, "Content-Type", "application/json");
        MHD_add_response_header(r, "Cache-Control", "no-store");
        if (out.header_name)
            MHD_add_response_header(r, out.header_name, out.header_value);
        rc = MHD_queue_response(c, out.status, r);
        MHD_destroy_response(r);
    }
    tide_agent_reply_free(&out);
    return rc;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    conn *rq = *con_cls;
    if (rq) {
        strbuf_free(&rq->body);
        free(rq);
        *con_cls = NULL;
    }
}

/* Start libmicrohttpd on ADDR[:PORT] ("*" or "" = every IPv4 address).  NULL with e set. */
static struct MHD_Daemon *serve(tide_agent *a, const char *listen, int default_port, tide_err *e)
{
    char *host = xstrdup(listen ? listen : "*"), *port = NULL;
    char *colon = strrchr(host, ':');
    if (host[0] == '[') {   /* [v6] or [v6]:port */
        char *close = strchr(host, ']');
        if (!close || (close[1] && close[1] != ':')) {
            free(host);
            tide_err_set(e, "--listen %s: want ADDR[:PORT] or [IPV6]:PORT", listen);
            return NULL;
        }
        *close = '\0';
        port = close[1] ? close + 2 : NULL;
        memmove(host, host + 1, strlen(host));
    } else if (colon && colon == strchr(host, ':')) {   /* one colon: host:port (more: a bare IPv6 address) */
        *colon = '\0';
        port = colon + 1;
    }
    char portbuf[16];
    snprintf(portbuf, sizeof(portbuf), "%d", default_port);
    const char *node = !*host || !strcmp(host, "*") ? NULL : host;
    struct addrinfo hints = { .ai_family = node ? AF_UNSPEC : AF_INET, .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
    struct addrinfo *res = NULL;
    int g = getaddrinfo(node, port && *port ? port : portbuf, &hints, &res);
    if (g) {
        tide_err_set(e, "--listen %s: %s", listen ? listen : "*", gai_strerror(g));
        free(host);
        return NULL;
    }
    /* MHD_USE_ERROR_LOG: libmicrohttpd's own messages go to standard error, the agent's log. */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG;
    if (res->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    struct MHD_Daemon *d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, a,
                                            MHD_OPTION_SOCK_ADDR, res->ai_addr,
                                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, a,
                                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
                                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
                                            MHD_OPTION_END);
    if (!d)
        tide_err_set(e, "--listen %s: cannot listen on %s port %s (in use? see the log)", listen ? listen : "*",
                     node ? node : "every IPv4 address", port && *port ? port : portbuf);
    else
        tide_info("node agent of %s listening on %s port %s%s", a->node, node ? node : "*",
                  port && *port ? port : portbuf, a->kexec_command ? " (kexec command mode)" : "");
    freeaddrinfo(res);
    free(host);
    return d;
}

/* This node's name: --node, else the xname of the command line or host name, else the host name. */
static char *node_name(const char *given, const char *cmdline_path)
{
    if (given)
        return xstrdup(given);
    tide_err e = { 0 };
    char *cmdline = tide_node_read_cmdline(cmdline_path, &e);
    char *x = cmdline ? tide_node_xname(cmdline, &e) : NULL;
    free(cmdline);
    if (x)
        return x;
    char host[256] = "";
    if (gethostname(host, sizeof(host) - 1))
        return NULL;
    tide_info("%s: this node is %s (its host name)", e.msg, host);
    return xstrdup(host);
}

int tide_agent_main(int argc, char **argv)
{
    const char *listen = NULL, *command = NULL, *node = NULL, *conf_path = NULL;
    int verbose = 0, timeout = 600;
    tide_log_open("tide-node-agent", TIDE_LOG_INFO, 0);
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        const char **dst = !strcmp(o, "--listen") ? &listen : !strcmp(o, "--kexec-command") ? &command
                           : !strcmp(o, "--node") ? &node : !strcmp(o, "-c") || !strcmp(o, "--config") ? &conf_path
                           : NULL;
        if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
            fputs(agent_usage, stdout);
            return 0;
        } else if (!strcmp(o, "-v") || !strcmp(o, "--verbose")) {
            verbose++;
        } else if ((dst || !strcmp(o, "--download-timeout")) && i + 1 < argc) {
            if (dst)
                *dst = argv[++i];
            else if ((timeout = atoi(argv[++i])) <= 0) {
                tide_error("--download-timeout %s: want a number of seconds", argv[i]);
                return 2;
            }
        } else {
            tide_error("agent: %s %s (see 'tide-node agent --help')", dst ? "missing value for" : "unknown option", o);
            return 2;
        }
    }
    tide_log_set_level(verbose > 1 ? TIDE_LOG_DEBUG : verbose ? TIDE_LOG_VERBOSE : TIDE_LOG_INFO);

    /* tide.conf gives AgentPort=, MungeSocket=, SlurmUser=, CaFile=; a node without one uses the defaults. */
    tide_err e = { 0 };
    const char *path = tide_conf_path(conf_path);
    tide_conf *conf = NULL;
    if (conf_path || getenv("TIDE_CONF") || access(path, F_OK) == 0) {
        if (!(conf = tide_conf_load(path, &e))) {
            tide_error("%s", e.msg);
            return 1;
        }
    } else {
        tide_info("no %s: AgentPort=%d, SlurmUser=slurm, libmunge's default socket", path, TIDE_DEFAULT_AGENT_PORT);
    }
    tide_agent_settings s = {
        .munge_socket = conf ? conf->munge_socket : NULL,
        .slurm_user = conf ? conf->slurm_user : "slurm",
        .kexec = {
            .cmdline_path = tide_node_cmdline_path(),
            .kexec_command = command,
            .ca_file = conf ? conf->ca_file : NULL,
            .tls_verify = conf ? conf->tls_verify : 1,
            .download_timeout = timeout,
        },
    };
    struct passwd pw, *found = NULL;
    char buf[4096];
    if (!getpwnam_r(s.slurm_user, &pw, buf, sizeof(buf), &found) && found) {
        s.have_slurm_uid = 1;
        s.slurm_uid = pw.pw_uid;
    }
    char *me = node_name(node, s.kexec.cmdline_path);
    if (!me) {
        tide_error("cannot tell this node's name: give --node");
        tide_conf_free(conf);
        return 1;
    }
    s.kexec.node = me;
    tide_agent *a = tide_agent_new(&s, NULL);

    /* SIGTERM and SIGINT are taken by sigwait below, in this thread only: block them before any thread
     * starts.  A client hanging up must not kill the agent. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    struct MHD_Daemon *d = serve(a, listen, conf ? conf->agent_port : TIDE_DEFAULT_AGENT_PORT, &e);
    int status = 1;
    if (!d) {
        tide_error("%s", e.msg);
    } else {
        int sig = 0;
        sigwait(&stop, &sig);
        tide_info("signal %d: stopping", sig);
        MHD_stop_daemon(d);
        status = 0;
    }
    /* A kexec thread still running uses the agent (and its jump ends the process anyway): then the
     * agent is left to the exit.  No new one can start: the daemon is stopped. */
    pthread_mutex_lock(&a->lock);
    int busy = a->state == KX_RUNNING;
    pthread_mutex_unlock(&a->lock);
    if (!busy)
        tide_agent_free(a);
    free(me);
    tide_conf_free(conf);
    return status;
}

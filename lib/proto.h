/*
 * proto.h - tided's API, both ends: where tided listens, the request bodies
 * of its endpoints, munge credentials bound to one request, and the small
 * client every thin program (`tide slurm ...`, `tide status`) uses.
 *
 * The API (tided(8)): HTTP/1.1 + JSON on a Unix socket and on TCP.
 *
 *   POST /v1/resume       {"nodes":[..],"features":S|null,"job_id":N|null,"resume_file":{..}|null}
 *   POST /v1/suspend      {"nodes":[..]}
 *   POST /v1/resume-fail  {"nodes":[..]}
 *   POST /v1/reboot       {"nodes":[..],"features":S|null}
 *   POST /v1/prolog       {"job_id":N,"nodes":[..],"constraints":S|null}
 *   POST /v1/epilog       {"job_id":N,"nodes":[..],"constraints":S|null,"release":true|false}
 *      -> 202 {"accepted":<number of nodes>}
 *   GET  /v1/status, GET /v1/leases, GET /v1/health, GET /metrics
 *   errors: {"error":"..."} with 400, 401, 403, 404, 405, 413, 500, 503
 *
 * Every /v1 request but health carries `Authorization: Munge <credential>`
 * whose payload is `METHOD PATH\n` followed by the body: munge refuses a
 * forged, expired or replayed credential, and the payload ties it to this
 * one request.
 */
#ifndef TIDE_PROTO_H
#define TIDE_PROTO_H

#include <stddef.h>

#include <json-c/json.h>

#include "conf.h"
#include "err.h"
#include "hostlist.h"

/* Listen= when tide.conf has none. */
#define TIDE_DEFAULT_LISTEN "unix:/run/tide/tided.sock"
/* The largest request body tided reads. */
#define TIDE_PROTO_MAX_BODY (1024 * 1024)

/* ---- Listen= ----------------------------------------------------------- */

typedef enum { TIDE_LISTEN_UNIX, TIDE_LISTEN_TCP } tide_listen_kind;

typedef struct tide_listen_addr {
    tide_listen_kind kind;
    char *path;          /* unix: the socket */
    char *host, *port;   /* tcp: host as written ("0.0.0.0", "[::1]" without brackets), port */
} tide_listen_addr;

/* Parse "unix:PATH,tcp:HOST:PORT,..." (NULL or "" = TIDE_DEFAULT_LISTEN).  -1 with e set. */
int tide_listen_parse(const char *listen, tide_listen_addr **out, size_t *n, tide_err *e);
void tide_listen_free(tide_listen_addr *a, size_t n);

/* ---- requests ---------------------------------------------------------- */

typedef enum {
    TIDE_REQ_RESUME,
    TIDE_REQ_SUSPEND,
    TIDE_REQ_RESUME_FAIL,
    TIDE_REQ_REBOOT,
    TIDE_REQ_PROLOG,
    TIDE_REQ_EPILOG,
} tide_req_kind;

#define TIDE_REQ_COUNT 6

typedef struct tide_request {
    tide_req_kind kind;
    tide_hostlist nodes;        /* expanded */
    char         *features;     /* resume, reboot: Slurm's feature string; NULL when none */
    long          job_id;       /* 0 when none */
    json_object  *resume_file;  /* resume: SLURM_RESUME_FILE's JSON as Slurm wrote it (owned), or NULL */
    char         *constraints;  /* prolog, epilog: SLURM_JOB_CONSTRAINTS, or NULL */
    int           release;      /* epilog: give the nodes back now (SPANK_TIDE_RELEASE) */
} tide_request;

/* "resume", "resume-fail", ... (also the `tide slurm` program names). */
const char *tide_req_name(tide_req_kind k);
/* "/v1/resume", ... */
const char *tide_req_path(tide_req_kind k);
/* The kind for a name ("resume-fail") or a path ("/v1/resume-fail"); -1 when none. */
int tide_req_from_name(const char *name, tide_req_kind *k);
int tide_req_from_path(const char *path, tide_req_kind *k);

/* The JSON body (new reference). */
json_object *tide_request_to_json(const tide_request *r);
/*
 * Parse and check a body (tided's side).  Every entry of "nodes" may be a
 * host list expression; they are expanded.  Errors are one line, fit for a
 * 400: `"nodes" must be a non-empty array of node names`, ...
 */
int tide_request_parse(tide_req_kind kind, const char *body, size_t len, tide_request *r, tide_err *e);
void tide_request_free(tide_request *r);

/*
 * The first word of a Slurm feature string or constraint ("a100,rocky9",
 * "a100&rocky9", "[rocky9*2|sles15]") that names an Image= of conf: the image
 * a request asks for.  Points into conf; NULL when no word names an image.
 */
const char *tide_features_image(const tide_conf *conf, const char *features);

/* ---- munge ------------------------------------------------------------- */

/*
 * A credential for one request (payload `METHOD PATH\n` + body), from the
 * munged at `socket` (NULL: libmunge's default).  malloc'd; NULL with e set.
 */
char *tide_munge_encode(const char *socket, const char *method, const char *path, const char *body, tide_err *e);

/*
 * Check a credential against the request tided received.  Returns 0 with the
 * uid and gid munge vouches for; -1 with e set to the reason and
 * e->http_status to 401 (the client's fault: forged, expired, replayed, made
 * for another request) or 503 (tided cannot reach its munged).
 */
int tide_munge_verify(const char *socket, const char *cred, const char *method, const char *path,
                      const char *body, size_t body_len, unsigned *uid, unsigned *gid, tide_err *e);

/*
 * tide_http's header_fn (http.h) for tided's API and the node agents: a fresh
 * "Authorization: Munge <credential>" for every attempt (a retry must not
 * replay one), from the munged at the socket ctx (NULL: libmunge's default),
 * for method, path and body; of a whole URL only the path counts.
 */
char *tide_munge_header(void *ctx, const char *method, const char *path, const char *body, tide_err *e);

/* Why munge refused a credential, in words an admin can act on; *status gets 401 or 503. */
const char *tide_munge_refusal(int munge_err, int *status);

/* ---- the client -------------------------------------------------------- */

/*
 * One request to tided at the first usable Listen= address of conf (a Unix
 * socket that exists, else TCP), with a munge credential, short timeouts and
 * one retry.  body may be NULL (GET).  *reply gets the parsed reply (may be
 * NULL for an empty one; pass reply = NULL to ignore it).  Errors name tided,
 * its socket or URL, the method and path, the status and tided's reason.
 */
int tide_tided_call(const tide_conf *conf, const char *method, const char *path, json_object *body,
                    json_object **reply, tide_err *e);

#endif

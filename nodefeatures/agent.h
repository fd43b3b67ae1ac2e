/*
 * agent.h - `tide-node agent`, the node agent: a small HTTP server on the
 * node through which tided switches a running node to another image by
 * kexec, without a power cycle (tide-node(8), AGENT).
 *
 *   GET  /v1/agent  -> 200 {"node":N,"image":I|null,
 *                           "kexec":{"state":"idle|running|done|failed","image":I|null,"error":E|null}}
 *                      without a credential (it tells what /proc/cmdline tells)
 *   POST /v1/kexec  {"node":N,"image":I,"kernel":URL,"initrd":URL|"","params":S}
 *                   -> 202 {"accepted":true,"node":N,"image":I}, then the kexec
 *   errors: {"error":"..."} with 400, 401, 403, 404, 405, 409, 413, 421, 503
 *
 * POST needs `Authorization: Munge <credential>` whose payload is
 * `POST /v1/kexec\n` + the body, as tided's own API (proto.h): the node's
 * munged refuses a forged, expired or replayed credential, and only uid 0
 * and SlurmUser= may order a kexec.  "node" must name this node, so that a
 * credential made for one node's agent is refused by another's (munged's
 * replay cache is per host).
 *
 * The kexec itself, after the 202: with a kexec command (the testbed,
 * tests) run it through /bin/sh with TIDE_KEXEC_NODE, _IMAGE, _KERNEL,
 * _INITRD and _PARAMS in its environment; otherwise download kernel and
 * initrd (libcurl, lib/http.c), check their magic numbers,
 * kexec_file_load(2) them with tide_agent_cmdline()'s command line, and
 * run `systemctl kexec` (an orderly shutdown, then the jump).
 */
#ifndef TIDE_NODE_AGENT_H
#define TIDE_NODE_AGENT_H

#include <stddef.h>

#include "err.h"
#include "http.h"

#define TIDE_AGENT_KEXEC_PATH "/v1/kexec"
#define TIDE_AGENT_INFO_PATH "/v1/agent"
#define TIDE_AGENT_MAX_BODY (64 * 1024)

/* A kexec order, as POST /v1/kexec carries it. */
typedef struct tide_agent_kexec {
    char *node, *image, *kernel, *initrd, *params;   /* initrd and params "" when none */
} tide_agent_kexec;

/* Parse and check a body; errors are one line, fit for a 400.  kernel must be an http(s) URL
 * (or empty, with a kexec command); image a name without blanks. */
int tide_agent_parse_kexec(const char *body, size_t len, tide_agent_kexec *k, tide_err *e);
void tide_agent_kexec_free(tide_agent_kexec *k);

/*
 * The command line the new kernel gets: `params` without iPXE's leftovers (a
 * leading `kernel` word, `initrd=` parameters: kexec loads the initrd
 * itself), with tide.image=IMAGE (added when missing; an error when params
 * name another image), and, when params lack them, the running command
 * line's xname=, nid=, BOOTIF= and ds= (BSS adds these per node to the
 * boot script; tide.conf's Params= cannot hold them).  NULL with e set.
 */
char *tide_agent_cmdline(const char *params, const char *image, const char *running, tide_err *e);

/* Does buf look like a kernel kexec_file_load takes on `arch` ("x86_64": a bzImage, "HdrS" at
 * 0x202; "aarch64": an Image, "ARM\x64" at 0x38, or an EFI zboot image)?  Other arches: not checked. */
int tide_agent_check_kernel(const void *buf, size_t len, const char *arch, tide_err *e);
/* Does buf look like an initramfs (cpio, or gzip, zstd, xz, lzma, bzip2, lz4 compressed)? */
int tide_agent_check_initrd(const void *buf, size_t len, tide_err *e);

/* How an accepted kexec is carried out (agent_kexec.c). */
typedef struct tide_kexec_env {
    const char *node;            /* this node's name (the Slurm NodeName tided knows it by) */
    const char *cmdline_path;    /* the running kernel's command line (xname=, ... carried over) */
    const char *kexec_command;   /* NULL: the real kexec */
    tide_http *http;             /* downloads (not owned); NULL: one is opened per kexec */
    const char *ca_file;         /* CaFile= for https downloads */
    int tls_verify;
    int download_timeout;        /* seconds per file (0: 600) */
    /* What tests replace (NULL: the real one).  load: kexec_file_load(2) of the kernel and initrd
     * (initrd_fd -1: none) with cmdline, then a check that /sys/kernel/kexec_loaded reads 1.
     * jump: `systemctl kexec`. */
    int (*load)(void *ctx, int kernel_fd, int initrd_fd, const char *cmdline, tide_err *e);
    int (*jump)(void *ctx, tide_err *e);
    void *ctx;
} tide_kexec_env;

/* Carry out a kexec order now.  0 once the command ran or the jump was ordered; -1 with e set. */
int tide_kexec_run(const tide_kexec_env *env, const tide_agent_kexec *k, tide_err *e);

typedef struct tide_agent tide_agent;

/* What tests replace in the agent.  NULL members: the default. */
typedef struct tide_agent_hooks {
    /* Check a credential for method, path and body with the munged at munge_socket: 0 with the uid
     * munge vouches for, or -1 with e set and e->http_status 401 (the client's fault) or 503.
     * Default: tide_munge_verify. */
    int (*verify)(void *ctx, const char *munge_socket, const char *cred, const char *method, const char *path,
                  const char *body, size_t len, unsigned *uid, tide_err *e);
    /* Start an accepted kexec and return at once (k is the caller's: copy it), then report its end
     * with tide_agent_kexec_done.  Default: a thread running tide_kexec_run. */
    int (*start)(void *ctx, tide_agent *a, const tide_agent_kexec *k, tide_err *e);
    void *ctx;
} tide_agent_hooks;

typedef struct tide_agent_settings {
    const char *munge_socket;    /* NULL: libmunge's default */
    const char *slurm_user;      /* SlurmUser=, for messages */
    int have_slurm_uid;
    unsigned slurm_uid;          /* may order a kexec, besides uid 0 */
    tide_kexec_env kexec;        /* node and cmdline_path also serve GET /v1/agent */
} tide_agent_settings;

tide_agent *tide_agent_new(const tide_agent_settings *s, const tide_agent_hooks *h);
void tide_agent_free(tide_agent *a);

typedef struct tide_agent_reply {
    unsigned status;
    char *body;                  /* JSON text (malloc'd) */
    const char *header_name;     /* Allow or WWW-Authenticate, NULL when none */
    const char *header_value;
} tide_agent_reply;

/* Answer one request (authorization: the Authorization header, NULL when absent; too_big: the body
 * was cut at TIDE_AGENT_MAX_BODY).  Starts the kexec of an accepted POST. */
void tide_agent_answer(tide_agent *a, const char *method, const char *path, const char *authorization,
                       const char *body, size_t len, int too_big, tide_agent_reply *out);
void tide_agent_reply_free(tide_agent_reply *r);

/* The kexec under way ended (error NULL: it did); another may be ordered now. */
void tide_agent_kexec_done(tide_agent *a, const char *error);

/* `tide-node agent [OPTIONS]`: argv[0] is "agent".  Returns the exit status. */
int tide_agent_main(int argc, char **argv);

#endif

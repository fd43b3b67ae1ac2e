/*
 * bss.h - the Boot Script Service client: boot parameters (which kernel,
 * initrd and command line a node boots), the boot script BSS would serve,
 * and when a node last asked for it.
 *
 * `bss` is a tide_http whose base URL ends in /boot/v1 (BssUrl=).  Errors
 * name BSS, the method, the URL, the status and BSS's own detail.
 * Behaviour follows the real server code: writes answer with empty bodies,
 * a GET that matches nothing answers 404 (read here as "no entries"), and the
 * Postgres backend groups hosts that share kernel, initrd and params into one
 * element, in random order.
 */
#ifndef TIDE_BSS_H
#define TIDE_BSS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "http.h"

/* ---- boot parameters -------------------------------------------------- */

typedef struct tide_bootparams {
    char **hosts; size_t nhosts;   /* normalised xnames */
    char **macs;  size_t nmacs;
    long  *nids;  size_t nnids;
    char  *kernel, *initrd, *params;   /* "" when absent */
} tide_bootparams;

typedef struct tide_bootparams_list {
    tide_bootparams *items;
    size_t           n;
} tide_bootparams_list;

void tide_bootparams_free(tide_bootparams *p);   /* frees the members of p */
void tide_bootparams_list_free(tide_bootparams_list *l);

/* Names per GET ?name= (URL length), and hosts per PUT/PATCH/DELETE body. */
#define TIDE_BSS_GET_CHUNK 100
#define TIDE_BSS_WRITE_CHUNK 500

/* GET /bootparameters: every entry (an empty list when BSS has none). */
int tide_bss_get_all(tide_http *bss, tide_bootparams_list *out, tide_err *e);
/* GET /bootparameters?name=x1,x2 in chunks of TIDE_BSS_GET_CHUNK names, results appended.
 * Names without an entry are simply absent; look nodes up with tide_bss_params_for. */
int tide_bss_get(tide_http *bss, const char *const *names, size_t n, tide_bootparams_list *out,
                 tide_err *e);
/* The element whose hosts include xname (any spelling), or NULL. Scans every element. */
const tide_bootparams *tide_bss_params_for(const tide_bootparams_list *l, const char *xname);

/* PUT /bootparameters {"hosts":[..],"kernel","initrd","params"}: create or replace, one call per
 * TIDE_BSS_WRITE_CHUNK hosts.  NULL strings are sent as "". */
int tide_bss_put(tide_http *bss, const char *const *hosts, size_t n, const char *kernel, const char *initrd,
                 const char *params, tide_err *e);
/* PATCH /bootparameters: change only the non-empty fields.  A host without an entry is an error
 * with e->http_status 404 (earlier chunks stay applied). */
int tide_bss_patch(tide_http *bss, const char *const *hosts, size_t n, const char *kernel,
                   const char *initrd, const char *params, tide_err *e);
/* DELETE /bootparameters {"hosts":[..]}. */
int tide_bss_delete(tide_http *bss, const char *const *hosts, size_t n, tide_err *e);

/* ---- boot script ------------------------------------------------------ */

typedef struct tide_bootscript {
    char *kernel;   /* kernel URL as served (CSM: often presigned S3) */
    char *initrd;   /* initrd URL; "" when the script loads none */
    char *params;   /* the kernel command line as served, BSS's additions included:
                     * "initrd=initrd <params> xname=.. nid=.. bss_referral_token=.. ds=.." */
} tide_bootscript;

void tide_bootscript_free(tide_bootscript *s);

/*
 * GET /bootscript?name=X (iPXE text), or with `json` GET /bootscript?name=X&json=1 (OpenCHAMI
 * only).  Both give the same struct: in the JSON form BSS writes params as "kernel <cmdline>",
 * the iPXE image name first, which is dropped.  A script with no `kernel` line (BSS's
 * discovery script for a node it does not know) is an error.
 */
int tide_bss_bootscript(tide_http *bss, const char *xname, int json, tide_bootscript *out, tide_err *e);
/* Parse an iPXE script or a json=1 body (for tests and `tide dump`); -1 when it has no kernel. */
int tide_bootscript_parse_ipxe(const char *text, tide_bootscript *out);
int tide_bootscript_parse_json(json_object *j, tide_bootscript *out);

/* The value of the `tide.image=<name>` token in a command line (new string), or NULL. */
char *tide_params_image(const char *params);

/* ---- endpoint history --------------------------------------------------- */

typedef struct tide_endpoint_access {
    char   *name;        /* normalised xname */
    char   *endpoint;    /* "bootscript", "user-data" */
    int64_t last_epoch;  /* Unix time of the last request; 0 = never */
} tide_endpoint_access;

void tide_endpoint_access_free(tide_endpoint_access *a, size_t n);

/* GET /endpoint-history[?name=X][&endpoint=E] (NULL = any); *out is NULL when empty. */
int tide_bss_endpoint_history(tide_http *bss, const char *xname, const char *endpoint,
                              tide_endpoint_access **out, size_t *n, tide_err *e);
/* When xname last fetched its boot script (*epoch = 0 when never). */
int tide_bss_last_bootscript(tide_http *bss, const char *xname, int64_t *epoch, tide_err *e);

#endif

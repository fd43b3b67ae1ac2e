/*
 * kubeconfig.h - read a kubeconfig file the way kubectl does, for one context.
 *
 * The file is YAML (read with libyaml) or JSON.  The chosen context (the
 * file's current-context unless one is named) gives the cluster (server,
 * certificate-authority or certificate-authority-data, insecure-skip-tls-verify)
 * and the user (token or tokenFile, client-certificate(-data) and
 * client-key(-data)).  As in kubectl, relative file names are relative to the
 * kubeconfig's directory, the -data fields win over the file fields, and
 * tokenFile wins over token.  Exec plugins and auth providers are not run.
 */
#ifndef TIDE_KUBECONFIG_H
#define TIDE_KUBECONFIG_H

#include <stddef.h>

#include "err.h"
#include "http.h"
#include "token.h"

typedef struct tide_kubeconfig {
    char *path;               /* the file read */
    char *context;            /* the context used */
    char *cluster;            /* its cluster's name */
    char *user;               /* its user's name, NULL when the context names none */
    char *namespace_;         /* the context's namespace, NULL when none */
    char *server;             /* API server URL */
    int   insecure;           /* insecure-skip-tls-verify: true */
    char *ca_file;            /* certificate-authority, resolved; NULL when -data is given or none */
    char *ca_pem;             /* certificate-authority-data, decoded */
    char *client_cert_file, *client_key_file;   /* resolved paths */
    char *client_cert_pem, *client_key_pem;     /* decoded -data fields */
    char *token;              /* static bearer token */
    char *token_file;         /* tokenFile, resolved; re-read when it changes */
} tide_kubeconfig;

/* Read `path`, resolve `context` (NULL = current-context) and check it is usable. */
int tide_kubeconfig_load(const char *path, const char *context, tide_kubeconfig *out, tide_err *e);
void tide_kubeconfig_free(tide_kubeconfig *kc);  /* frees the members */

/*
 * Point o (already filled by tide_http_opts_init or tide_conf_http_opts) at
 * the API server: base URL, TLS settings and client certificate.  The strings
 * stay owned by kc (tide_http_new copies them).  *token gets a new token
 * source for the user's token or tokenFile, or NULL; the caller frees it after
 * the client.
 */
void tide_kubeconfig_apply(const tide_kubeconfig *kc, tide_http_opts *o, tide_token **token);

#endif

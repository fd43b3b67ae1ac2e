/*
 * client.h - build service clients from tide.conf.
 *
 * Every service client in libtide is a plain tide_http pointed at the
 * service's base URL; the functions in smd.h, bss.h, pcs.h ... take it as
 * their first argument.  This file holds the one place where tide.conf's
 * URLs, timeouts, retries, TLS and token settings become such a client.
 */
#ifndef TIDE_CLIENT_H
#define TIDE_CLIENT_H

#include "conf.h"
#include "http.h"
#include "token.h"

/* The clients one program needs, sharing one token source. */
typedef struct tide_clients {
    tide_token *token;   /* NULL when tide.conf names no token */
    tide_http  *smd, *bss, *pcs;  /* NULL when the URL is not configured */
} tide_clients;

/* The bearer token tide.conf asks for (TokenFile= or TokenUrl=...); *out = NULL when none. */
int tide_conf_token(const tide_conf *c, tide_token **out, tide_err *e);

/* Fill o for `service` at `url` with tide.conf's timeouts, retries and TLS settings. */
void tide_conf_http_opts(const tide_conf *c, const char *service, const char *url, tide_token *token,
                         tide_http_opts *o);

/* Open the SMD, BSS and PCS clients that tide.conf has URLs for. */
int tide_clients_open(const tide_conf *c, tide_clients *out, tide_err *e);
void tide_clients_close(tide_clients *cl);

#endif

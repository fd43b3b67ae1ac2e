/*
 * token.h - where the bearer token comes from.
 *
 * Either a file an admin (or a sidecar) keeps fresh (TokenFile=), re-read when
 * it changes, or OAuth2 client credentials (TokenUrl=, ClientId=,
 * ClientSecretFile=) fetched on first use and again before they expire or
 * after a 401.  The token is never logged.
 */
#ifndef TIDE_TOKEN_H
#define TIDE_TOKEN_H

#include "err.h"

typedef struct tide_token tide_token;
struct tide_http_opts;

/* A token read from a file. */
tide_token *tide_token_from_file(const char *path);
/* OAuth2 client credentials; `http` carries the timeouts and TLS settings for the token URL. */
tide_token *tide_token_oauth2(const char *token_url, const char *client_id, const char *secret_file,
                              const struct tide_http_opts *http);
/* A fixed token (tests, kubeconfig tokens). */
tide_token *tide_token_static(const char *value);

/* The current token; NULL with e set when it cannot be had.  Owned by the token. */
const char *tide_token_get(tide_token *t, tide_err *e);
/* Forget a cached token after the service said 401, so the next get fetches anew.
 * Returns 1 when a fresh token may help (OAuth2 or a changed file), 0 otherwise. */
int tide_token_invalidate(tide_token *t);
void tide_token_free(tide_token *t);

#endif

/*
 * api.h - tided's HTTP API (libmicrohttpd): the listening sockets, the
 * routes, munge authentication.  The routes are listed in proto.h and
 * tided(8).
 *
 * Sockets are made before tided detaches (so an address in use is an error
 * the admin sees at once); the server threads start afterwards.
 */
#ifndef TIDED_API_H
#define TIDED_API_H

#include "err.h"
#include "tided.h"

typedef struct tided_api tided_api;

/* Bind every Listen= address of d->conf (Unix sockets mode 0666: the credential is the access control). */
tided_api *tided_api_bind(tided *d, tide_err *e);
/* Start serving (one libmicrohttpd daemon per socket, a thread per connection). */
int tided_api_start(tided_api *api, tide_err *e);
/* Stop serving, close the sockets, remove the Unix socket files.  api may be NULL. */
void tided_api_stop(tided_api *api);

#endif

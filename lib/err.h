/*
 * err.h - one error value that travels up the call chain.
 *
 * Every fallible libtide call takes a `tide_err *` last and returns -1 (or NULL)
 * after filling it in.  The message is complete and admin-readable on its own:
 * callers print it as one line and never need to add context they cannot know.
 */
#ifndef TIDE_ERR_H
#define TIDE_ERR_H

#include <stdarg.h>

#define TIDE_ERR_MAX 1024

typedef struct tide_err {
    char msg[TIDE_ERR_MAX];
    long http_status;   /* HTTP status of the failing call, 0 when not an HTTP error */
    int  conflict;      /* set when the service said 409: another party won a race */
} tide_err;

/* Set the message (printf-style) and return -1, so error paths read `return tide_err_set(...)`. */
int tide_err_set(tide_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int tide_err_vset(tide_err *e, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Prefix the existing message with more context: "<prefix>: <old message>". Returns -1. */
int tide_err_prefix(tide_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void tide_err_clear(tide_err *e);

#endif

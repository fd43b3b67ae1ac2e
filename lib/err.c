/* err.c - see err.h. */
#include "err.h"

#include <stdio.h>
#include <string.h>

int tide_err_vset(tide_err *e, const char *fmt, va_list ap)
{
    if (!e)
        return -1;
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    return -1;
}

int tide_err_set(tide_err *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tide_err_vset(e, fmt, ap);
    va_end(ap);
    return -1;
}

int tide_err_prefix(tide_err *e, const char *fmt, ...)
{
    char prefix[TIDE_ERR_MAX], old[TIDE_ERR_MAX];
    va_list ap;

    if (!e)
        return -1;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    char joined[2 * TIDE_ERR_MAX + 2];
    memcpy(old, e->msg, sizeof(old));
    snprintf(joined, sizeof(joined), "%s: %s", prefix, old);
    snprintf(e->msg, sizeof(e->msg), "%.*s", TIDE_ERR_MAX - 1, joined);
    return -1;
}

void tide_err_clear(tide_err *e)
{
    if (e)
        memset(e, 0, sizeof(*e));
}

/*
 * log.c - see log.h.
 *
 * The log settings are the one piece of process state outside the config: a
 * logger that needs a handle passed to every function would be threaded through
 * every client call for no gain.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

static struct {
    const char *ident;
    tide_log_level level;
    int use_syslog;
} logger = { "tide", TIDE_LOG_ERROR, 0 };

void tide_log_open(const char *ident, tide_log_level level, int use_syslog)
{
    logger.ident = ident ? ident : "tide";
    logger.level = level;
    logger.use_syslog = use_syslog;
    if (use_syslog)
        openlog(logger.ident, LOG_PID, LOG_DAEMON);
}

void tide_log_set_level(tide_log_level level) { logger.level = level; }
tide_log_level tide_log_get_level(void) { return logger.level; }

void tide_log(tide_log_level level, const char *fmt, ...)
{
    static const char *const prefix[] = { "", "error: ", "", "", "debug: " };
    static const int priority[] = { LOG_ERR, LOG_ERR, LOG_INFO, LOG_INFO, LOG_DEBUG };
    char line[2048];
    va_list ap;

    if (level > logger.level || level == TIDE_LOG_QUIET)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (logger.use_syslog)
        syslog(priority[level], "%s%s", prefix[level], line);
    else
        fprintf(stderr, "%s: %s%s\n", logger.ident, prefix[level], line);
}

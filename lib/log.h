/*
 * log.h - logging to stderr or syslog, Slurm-style levels.
 *
 * The level and destination are process settings chosen once by main(); the
 * library only calls tide_log().  Secrets never reach this file: callers log
 * URLs and statuses, never headers or tokens.
 */
#ifndef TIDE_LOG_H
#define TIDE_LOG_H

typedef enum {
    TIDE_LOG_QUIET = 0,
    TIDE_LOG_ERROR,
    TIDE_LOG_INFO,
    TIDE_LOG_VERBOSE,
    TIDE_LOG_DEBUG,
} tide_log_level;

/* ident: program name used as prefix; use_syslog: send to syslog(3) instead of stderr. */
void tide_log_open(const char *ident, tide_log_level level, int use_syslog);
void tide_log_set_level(tide_log_level level);
tide_log_level tide_log_get_level(void);
void tide_log(tide_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define tide_error(...)   tide_log(TIDE_LOG_ERROR, __VA_ARGS__)
#define tide_info(...)    tide_log(TIDE_LOG_INFO, __VA_ARGS__)
#define tide_verbose(...) tide_log(TIDE_LOG_VERBOSE, __VA_ARGS__)
#define tide_debug(...)   tide_log(TIDE_LOG_DEBUG, __VA_ARGS__)

#endif

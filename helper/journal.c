/*
 * journal.c - see journal.h.
 */
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "jsonutil.h"
#include "log.h"
#include "strbuf.h"

struct tided_journal {
    char           *path;
    FILE           *f;
    pthread_mutex_t lock;
    int             failed;   /* a write error was logged already */
};

static FILE *open_append(const char *path, tide_err *e)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        tide_err_set(e, "cannot open the journal %s: %s", path, strerror(errno));
        return NULL;
    }
    FILE *f = fdopen(fd, "a");
    if (!f) {
        tide_err_set(e, "cannot open the journal %s: %s", path, strerror(errno));
        close(fd);
    }
    return f;
}

tided_journal *tided_journal_open(const char *path, tide_err *e)
{
    FILE *f = open_append(path, e);
    if (!f)
        return NULL;
    tided_journal *j = xcalloc(1, sizeof(*j));
    j->path = xstrdup(path);
    j->f = f;
    pthread_mutex_init(&j->lock, NULL);
    return j;
}

void tided_journal_close(tided_journal *j)
{
    if (!j)
        return;
    if (j->f)
        fclose(j->f);
    pthread_mutex_destroy(&j->lock);
    free(j->path);
    free(j);
}

const char *tided_journal_path(const tided_journal *j) { return j ? j->path : NULL; }

int tided_journal_reopen(tided_journal *j, tide_err *e)
{
    FILE *f = open_append(j->path, e);
    if (!f)
        return -1;
    pthread_mutex_lock(&j->lock);
    if (j->f)
        fclose(j->f);
    j->f = f;
    j->failed = 0;
    pthread_mutex_unlock(&j->lock);
    return 0;
}

/* RFC 3339, UTC, milliseconds: sortable and readable. */
static void format_ts(char *buf, size_t size)
{
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, size - n, ".%03ldZ", now.tv_nsec / 1000000);
}

static void add_str(json_object *o, const char *key, const char *value)
{
    json_object_object_add(o, key, value ? json_object_new_string(value) : NULL);
}

void tided_journal_write(tided_journal *j, const char *who, long job, const char *node, const char *from,
                         const char *to, const char *step, long duration_ms, const char *result,
                         const char *error)
{
    if (!j)
        return;
    char ts[64];
    format_ts(ts, sizeof(ts));
    json_object *o = json_object_new_object();
    add_str(o, "ts", ts);
    add_str(o, "who", who);
    json_object_object_add(o, "job", job ? json_object_new_int64(job) : NULL);
    add_str(o, "node", node);
    add_str(o, "from", from);
    add_str(o, "to", to);
    add_str(o, "step", step);
    json_object_object_add(o, "duration_ms", duration_ms >= 0 ? json_object_new_int64(duration_ms) : NULL);
    add_str(o, "result", result);
    add_str(o, "error", error);
    /* Plain JSON escapes every newline: one object is always one line. */
    const char *line = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

    pthread_mutex_lock(&j->lock);
    int bad = !j->f || fputs(line, j->f) == EOF || fputc('\n', j->f) == EOF || fflush(j->f) == EOF;
    int report = bad && !j->failed;
    if (bad)
        j->failed = 1;
    else
        j->failed = 0;
    int err = errno;
    pthread_mutex_unlock(&j->lock);
    if (report)
        tide_error("cannot write the journal %s: %s (going on without it)", j->path, strerror(err));
    json_object_put(o);
}

/* "2024-05-01T12:00:00.123Z" (or a number) -> seconds since the epoch; 0 when unreadable. */
static double parse_ts(json_object *v)
{
    if (!v)
        return 0;
    if (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int))
        return json_object_get_double(v);
    const char *s = json_object_get_string(v);
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    const char *rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!rest)
        return 0;
    double t = (double)timegm(&tm);
    if (*rest == '.')
        t += strtod(rest, NULL);
    return t;
}

int tided_journal_read(const char *path, tided_journal_fn fn, void *ctx, tide_err *e)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return tide_err_set(e, "cannot read the journal %s: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = 0;
    while (!rc && (len = getline(&line, &cap, f)) >= 0) {
        json_object *o = json_tokener_parse(line);
        if (!o || !json_object_is_type(o, json_type_object)) {
            json_object_put(o);   /* a torn line: skipped */
            continue;
        }
        tided_journal_entry ent = {
            .ts = parse_ts(tide_json_get(o, "ts")),
            .who = tide_json_str(o, "who"),
            .job = (long)tide_json_int(o, "job", 0),
            .node = tide_json_str(o, "node"),
            .from = tide_json_str(o, "from"),
            .to = tide_json_str(o, "to"),
            .step = tide_json_str(o, "step"),
            .duration_ms = (long)tide_json_int(o, "duration_ms", -1),
            .result = tide_json_str(o, "result"),
            .error = tide_json_str(o, "error"),
        };
        rc = fn(ctx, &ent);
        json_object_put(o);
    }
    int bad = ferror(f);
    free(line);
    fclose(f);
    if (bad && !rc)
        return tide_err_set(e, "cannot read the journal %s: read error", path);
    return rc;
}

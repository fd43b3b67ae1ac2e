/*
 * journal.h - tided's journal: one JSON object per line in
 * StateDir/journal.jsonl, one line per mutation tided makes or is asked for.
 *
 *   {"ts":"2024-05-01T12:00:00.123Z","who":"uid 0 resume","job":42,
 *    "node":"x1000c0s0b0n0","from":"nodes_free","to":"slurm","step":"claim",
 *    "duration_ms":12,"result":"ok","error":null}
 *
 * The journal explains what happened (`tide status` ages, the demo's
 * narration); it is never the only copy of a decision: tided converges from
 * Slurm and the services with the journal deleted.  Writes are thread-safe
 * and flushed per line (not fsync'd: losing the last lines in a crash costs
 * nothing but narration).
 */
#ifndef TIDED_JOURNAL_H
#define TIDED_JOURNAL_H

#include "err.h"

typedef struct tided_journal tided_journal;

/* Open `path` for appending (created mode 0640).  NULL with e set. */
tided_journal *tided_journal_open(const char *path, tide_err *e);
void tided_journal_close(tided_journal *j);
const char *tided_journal_path(const tided_journal *j);
/* Open the path again (after logrotate moved the file; tided does it on SIGHUP). */
int tided_journal_reopen(tided_journal *j, tide_err *e);

/*
 * Append one line.  Every string may be NULL (written as JSON null); job 0 and
 * duration_ms < 0 are written as null.  `result` is "ok", "failed", "skipped",
 * "accepted", ...; `error` the one-line error when the step failed.  A write
 * error is logged once, never fatal: the journal is not the source of truth.
 * j may be NULL (no journal): then nothing happens.
 */
void tided_journal_write(tided_journal *j, const char *who, long job, const char *node, const char *from,
                         const char *to, const char *step, long duration_ms, const char *result,
                         const char *error);

/* One line as read back; strings are NULL when null or absent, valid during the callback only. */
typedef struct tided_journal_entry {
    double      ts;           /* seconds since the epoch (with milliseconds) */
    const char *who;
    long        job;          /* 0 when none */
    const char *node, *from, *to, *step;
    long        duration_ms;  /* -1 when none */
    const char *result, *error;
} tided_journal_entry;

/* Return non-zero to stop reading (that value is returned by tided_journal_read). */
typedef int (*tided_journal_fn)(void *ctx, const tided_journal_entry *entry);

/*
 * Read `path` from the start and call fn for every well-formed line (lines
 * that are not JSON objects, e.g. a torn last line after a crash, are
 * skipped).  Returns 0 at the end, fn's non-zero value when it stopped, -1
 * with e set when the file cannot be read.
 */
int tided_journal_read(const char *path, tided_journal_fn fn, void *ctx, tide_err *e);

#endif

/*
 * tided.h - the state shared inside tided: the API threads (api.c) and the
 * reconcile loop (reconcile.c) meet here and nowhere else.
 *
 * Ownership: the reconcile loop is the only writer of the node table and the
 * only user of the service clients.  API threads leave hints and wake the
 * loop; they read the status snapshot.  Everything below `lock` is guarded
 * by it.  Hints are only hints: the loop decides from Slurm and the services
 * (level-triggered), so a lost hint costs at most one pass of latency.
 */
#ifndef TIDED_H
#define TIDED_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <time.h>

#include "client.h"
#include "conf.h"

typedef enum {
    TIDED_WANT_ACQUIRE,   /* resume: bring into Slurm in an image */
    TIDED_WANT_RELEASE,   /* suspend: give back to its home pool */
    TIDED_WANT_REIMAGE,   /* reboot: boot again in an image */
    TIDED_WANT_FAILED,    /* resume-fail: Slurm gave up on it; strike and put it back safe */
} tided_want;

typedef struct tided_hint {
    char      *node;      /* xname */
    tided_want want;
    char      *image;     /* NULL: decide from Slurm (job constraint, ActiveFeatures, DefaultImage) */
    long       job_id;    /* 0 when none */
    time_t     at;
    unsigned   uid;       /* who asked (for the journal) */
} tided_hint;

/* One row of `tide status` / `tide leases`, published by the reconcile loop. */
typedef struct tided_node_status {
    char  *node;
    char  *direction;     /* "acquire", "release", "reimage", or NULL when idle */
    char  *step;          /* "claim", "drain", "image", "boot", "verify", ... */
    char  *image;
    char  *home_pool;
    char  *pool;          /* the pool whose SMD group holds it now */
    long   job_id;
    time_t step_since;    /* when the current step began */
    time_t leased_since;  /* when Slurm got it, 0 when not leased */
    int    strikes;
    int    quarantined;
    char  *last_error;
} tided_node_status;

typedef struct tided_journal tided_journal;
typedef struct tided_metrics tided_metrics;

typedef struct tided {
    tide_conf    *conf;
    tide_clients  clients;      /* reconcile thread only */
    tided_journal *journal;     /* thread-safe (journal.c) */
    tided_metrics *metrics;     /* thread-safe (metrics.c) */
    volatile sig_atomic_t stop;

    pthread_mutex_t lock;
    pthread_cond_t  wake_cond;
    int             wake_pending;
    tided_hint     *hints;   size_t nhints;
    tided_node_status *status; size_t nstatus;   /* replaced whole by the loop each pass */
    time_t          last_pass;
} tided;

/* api side */
void tided_wake(tided *d);
void tided_add_hint(tided *d, const char *node, tided_want want, const char *image, long job_id, unsigned uid);
/* reconcile side: take every pending hint (caller frees with tided_hints_free) */
tided_hint *tided_take_hints(tided *d, size_t *n);
void tided_hints_free(tided_hint *h, size_t n);
/* Wait until woken or `seconds` pass; returns at once when stop is set. */
void tided_wait(tided *d, int seconds);
/* Replace the published status (takes ownership of rows). */
void tided_publish_status(tided *d, tided_node_status *rows, size_t n);
void tided_status_free(tided_node_status *rows, size_t n);

/* reconcile.c: run passes until d->stop.  Returns 0 on a clean stop. */
int tided_reconcile_run(tided *d);

#endif

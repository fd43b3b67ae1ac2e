/*
 * transition.h - the node state machine's steps, and the node table they act on.
 *
 * decide.c chooses a step per node; reconcile.c collects the nodes that take
 * the same step in a pass and calls one function here per step with all of
 * them, so that every step is batched: one BSS PUT per image, one SMD
 * reservation and one PCS transition per batch, and the SMD group moves in
 * bulk (group_moves.c; node by node where a node must win or lose a race
 * of its own: 409).
 *
 * Every step checks the facts it was chosen on (decide.c did, from this
 * pass's reads) and is idempotent: doing it twice changes nothing more.  A
 * step that fails on a node marks the node failed (tided_node_fail); the
 * next decision undoes the acquire.  Every mutation is journaled and counted
 * in the metrics.
 */
#ifndef TIDED_TRANSITION_H
#define TIDED_TRANSITION_H

#include <stddef.h>
#include <time.h>

#include "decide.h"
#include "slurm.h"
#include "smd.h"
#include "tided.h"

typedef struct tided_kpool tided_kpool;

/* One node tide manages: this pass's facts plus tided's memory of its transition. */
typedef struct tided_node {
    char *name;

    /* ---- facts, refreshed every pass by reconcile.c ---- */
    const tide_pool_conf *home;      /* its home pool (tide-home-<pool>), NULL when unknown */
    const tide_pool_conf *pool;      /* the pool whose group holds it now, NULL when none */
    tided_where where;
    char *bss_image;                 /* tide.image= in BSS, NULL when none */
    int cloud_init_known;            /* the images' cloud-init groups were read this pass */
    char *cloud_init;                /* the one it is in, NULL when none */
    int cloud_init_count;            /* how many of them it is in */
    const tided_slurm_node *slurm;   /* NULL when Slurm does not know it */
    const tided_slurm_job *job;      /* the job allocated to it, NULL when none */
    const char *want_image;          /* what Slurm wants it to run (decide.c) */
    int seen;                        /* managed in this pass */

    /* ---- memory: the transition under way ---- */
    tided_step step;                 /* the last step decided */
    time_t step_since;
    int acquiring;                   /* an acquire (or re-image) is under way */
    time_t acquire_at;
    double acquire_mono;             /* the same on CLOCK_MONOTONIC (tided_mono), for durations */
    char *image;                     /* the image this acquire boots */
    long job_id;                     /* the job it is for (journal), 0 when unknown */
    char *who;                       /* "uid 0 resume", "tided" */
    int failed;                      /* the acquire failed: undo under way */
    char *last_error;
    int drained;                     /* Kubernetes drain finished */
    time_t drain_at;
    int boot_pending;                /* an acquire boot was issued, PCS has not answered */
    int booted;                      /* an acquire boot succeeded */
    time_t boot_at, boot_done_at;
    double boot_done_mono;           /* boot_done_at on CLOCK_MONOTONIC, for the verify's duration */
    time_t boot_blocked_at;          /* the power step found the node reserved (by tide before a restart?) */
    int lease_booted;                /* 1 booted for Slurm this lease, 0 not, -1 unknown */
    int home_power_pending, home_powered;
    time_t home_power_at;
    time_t leased_since;             /* in the Slurm pool since (0: not) */

    /* ---- Kubernetes facts (home pool of Kind=kubernetes) ---- */
    int k8s_known;                   /* looked at since the last change */
    int k8s_marked, k8s_ready, k8s_new_boot;
    long k8s_pods;                   /* pods on it at the last look (pricing), -1 unknown */
    time_t k8s_pods_at;

    /* ---- strikes ---- */
    int strikes;                     /* consecutive failed acquires */
    int quarantine_due;              /* QuarantineAfter reached: drain once Slurm stops waiting for it */
    int quarantined;                 /* drained by tide after QuarantineAfter strikes */
    unsigned long quarantined_pass;  /* the pass that drained it */

    /* ---- the last request about it (a hint) ---- */
    tided_want hint_want;
    int has_hint;
    char *hint_image;                /* the features of the request, NULL when none */
    long hint_job;
    unsigned hint_uid;
    time_t hint_at;

    /* ---- what tide last told Slurm (not to repeat itself) ---- */
    unsigned long weight_set;        /* 0: never set */
} tided_node;

/* A PCS transition in flight: the acquire boots of one pass, or the release power steps. */
typedef struct tided_boot {
    char *id;                        /* PCS transition id */
    char *operation;                 /* "init" or "off" */
    int   release;                   /* a release power step, not an acquire boot */
    char **nodes; size_t n;
    tide_reservations res;           /* our SMD reservation (deputy keys) */
    time_t started;
    double started_mono;             /* the same on CLOCK_MONOTONIC, for the boot's duration */
    time_t renewed;                  /* when the reservation was taken or last renewed */
    struct tided_boot *next;
} tided_boot;

/*
 * SMD reservations for the power step are short and renewed while PCS works,
 * so that the ones a crashed tided leaves behind expire soon.
 */
#define TIDED_RESERVATION_MINUTES 1
#define TIDED_RESERVATION_RENEW   30   /* seconds */
/* How long a boot waits before trying again when SMD says the node is reserved. */
#define TIDED_RESERVED_RETRY      5

/*
 * SMD group moves node by node (CSM, BulkGroupMoves=no, or a bulk move that
 * met a rival) run on parallel connections for large batches: one SMD client
 * and one token source per worker thread (neither is thread-safe).
 */
#define TIDED_SMD_WORKERS   16
#define TIDED_PARALLEL_MIN  8    /* fewer nodes than this: one connection, no threads */
/* From this many nodes on, a group move is two PUTs per group rather than two requests a node. */
#define TIDED_BULK_MIN      3

typedef struct tided_smd_worker {
    tide_token *token;
    tide_http  *smd;
} tided_smd_worker;

/* Everything one pass works with. */
typedef struct tided_run {
    tided *d;
    tided_node **nodes;  size_t nnodes;   /* sorted by name */
    tided_boot *boots;                    /* in flight */
    tided_kpool *kpools; size_t nkpools;  /* one per Kind=kubernetes pool */
    const char *slurm_group;              /* the Slurm pool's SMD group */
    tided_smd_worker *workers; size_t nworkers;   /* parallel SMD connections (may be none) */
    time_t now;
    unsigned long pass;                   /* passes so far */
    int boot_timeout;                     /* BootTimeout= */
    int bulk_off;                         /* SMD has no PUT members (405): group moves node by node */
    tide_http *agent;                     /* the node agents' client (kexec.c); NULL: one is opened per
                                           * use, with tided's munge credential (unit tests set a script) */
} tided_run;

tided_node *tided_node_new(const char *name);
void tided_node_free(tided_node *n);
tided_node *tided_node_find(const tided_run *r, const char *name);
/* The node's record, created (in name order) when it has none. */
tided_node *tided_node_get(tided_run *r, const char *name);

/* Label of the SMD group that records a node's home pool. */
char *tided_home_group(const tide_pool_conf *pool);
#define TIDED_HOME_GROUP_PREFIX "tide-home-"

/* Journal and metrics for one step of one node (seconds < 0: no duration). */
void tided_record(tided_run *r, tided_node *n, const char *step, const char *from, const char *to,
                  double seconds, const char *result, const char *error);
/* Give up the acquire: remember the error, count a strike when asked (QuarantineAfter strikes make
 * the node due for quarantine: upkeep.c drains it once Slurm stops waiting for it), journal it and
 * count the failed step (seconds: how long it took, 0 when not measured). */
void tided_node_fail(tided_run *r, tided_node *n, const char *step, const char *error, int strike, double seconds);
/* The acquire (or the undo) is over: forget its progress. */
void tided_node_reset(tided_node *n);

/* Seconds on CLOCK_MONOTONIC, for step durations. */
double tided_mono(void);

/* Open up to n parallel SMD connections from tide.conf (0 on success; on error fewer or none). */
int tided_workers_open(tided_run *r, size_t n, tide_err *e);
void tided_workers_close(tided_run *r);

/* ---- steps (each takes the nodes that take it in this pass) ---- */
/* group_moves.c: home group -> Slurm pool group, and back. */
void tided_step_claim(tided_run *r, tided_node **nodes, size_t n);
void tided_step_home_group(tided_run *r, tided_node **nodes, size_t n);
/* Put the nodes in img's CloudInitGroup= and out of every other image's (one read of those
 * groups, then a PUT or per-node writes for each that changes; a missing group is created). */
int tided_cloud_init_groups(tided_run *r, tided_node **nodes, size_t n, const tide_image_conf *img, tide_err *e);
/* Is the node in image's CloudInitGroup= and in no other image's?  Yes when unknown. */
int tided_cloud_init_matches(const tided_run *r, const tided_node *n, const char *image);
/* transition.c */
/* The kernel command line of img: its Params= and tide.image=<name> (malloc'd). */
char *tided_image_params(const tide_image_conf *img);
void tided_step_image(tided_run *r, tided_node **nodes, size_t n, int home);
void tided_step_boot(tided_run *r, tided_node **nodes, size_t n, int home);
void tided_step_verify(tided_run *r, tided_node **nodes, size_t n);
void tided_step_slurm(tided_run *r, tided_node **nodes, size_t n, tided_step step);
/* Look at the PCS transitions in flight (one GET each) and settle the finished ones. */
void tided_boots_poll(tided_run *r);
void tided_boots_free(tided_boot *b);

#endif

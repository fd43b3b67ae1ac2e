/*
 * slurm.h - tided's window on Slurm through libslurm: read the nodes and the
 * jobs, and change what tide is allowed to change on a node (weight,
 * ActiveFeatures, a drain tide owns, power state).
 *
 * The types here carry no libslurm type, so the pure decision code
 * (decide.c) and its tests need no Slurm headers.  Node states are decoded
 * into plain flags once, in slurm.c.
 *
 * Version notes: built and tested against Slurm 22.05; the calls used have
 * the same prototypes up to 25.11 (slurm_load_node, slurm_load_jobs,
 * slurm_update_node); update_node_msg_t grows, so it is always initialised
 * with slurm_init_update_node_msg().  Job node lists are expanded by tide's
 * own hostlist code (libslurm 22.05 cannot parse every xname form).
 */
#ifndef TIDED_SLURM_H
#define TIDED_SLURM_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "err.h"

/* The base state, as Slurm's NODE_STATE_* enum. */
typedef enum {
    TIDED_SLURM_UNKNOWN, TIDED_SLURM_DOWN, TIDED_SLURM_IDLE, TIDED_SLURM_ALLOCATED,
    TIDED_SLURM_ERROR, TIDED_SLURM_MIXED, TIDED_SLURM_FUTURE,
} tided_slurm_base;

typedef struct tided_slurm_node {
    char    *name;
    tided_slurm_base base;
    /* the flags tide reads (NODE_STATE_*) */
    int      powered_down, powering_up, powering_down;
    int      power_up, power_down;          /* requested by an admin (scontrol power up/down) */
    int      reboot_requested, reboot_issued;
    int      drain, completing, not_responding, fail, invalid_reg, cloud;
    char    *state;        /* readable: "IDLE+CLOUD+POWERED_DOWN" */
    char    *reason;       /* NULL when none */
    char    *features;     /* AvailableFeatures, "" when none */
    char    *features_act; /* ActiveFeatures, "" when none (Slurm's NULL: the same as available) */
    uint32_t weight;
    uint32_t cpus;         /* configured CPUs */
    time_t   boot_time;
    char    *addr;         /* NodeAddr (where the node agent listens), NULL when Slurm has none */
} tided_slurm_node;

typedef struct tided_slurm_nodes {
    tided_slurm_node *items;   /* sorted by name (strcmp) */
    size_t n;
} tided_slurm_nodes;

typedef struct tided_slurm_job {
    uint32_t id;
    int      pending, running, configuring;   /* JOB_PENDING, JOB_RUNNING, JOB_CONFIGURING (nodes booting) */
    char    *nodes;        /* as Slurm wrote it, "" when none */
    char   **node_list;  size_t nnodes;       /* expanded */
    char    *features;     /* the constraint (Slurm writes ',' as '&'), "" when none */
    /* pending jobs: what they wait for (upkeep.c's holds) */
    int      waits_for_nodes;   /* pending with reason Resources, ReqNodeNotAvail or NodeDown */
    uint32_t min_nodes, min_cpus, priority;
    time_t   eligible_time;     /* since when it may run (0: not yet) */
    char   **req_list;  size_t nreq;   /* the nodes it requires (-w), expanded */
    char   **exc_list;  size_t nexc;   /* the nodes it excludes (-x), expanded */
} tided_slurm_job;

typedef struct tided_slurm_jobs {
    tided_slurm_job *items;
    size_t n;
} tided_slurm_jobs;

/* slurm_init(NULL) once per process (thread-safe). */
void tided_slurm_init(void);

/* Every node Slurm knows (SHOW_ALL: powered-down CLOUD nodes need PrivateData=cloud on 22.05). */
int  tided_slurm_load_nodes(tided_slurm_nodes *out, tide_err *e);
void tided_slurm_nodes_free(tided_slurm_nodes *l);
const tided_slurm_node *tided_slurm_node_find(const tided_slurm_nodes *l, const char *name);

/* Jobs that hold or wait for nodes (pending, running, configuring); finished ones are left out. */
int  tided_slurm_load_jobs(tided_slurm_jobs *out, tide_err *e);
void tided_slurm_jobs_free(tided_slurm_jobs *l);
/* The job allocated `node` (a configuring one first), or NULL. */
const tided_slurm_job *tided_slurm_job_on(const tided_slurm_jobs *l, const char *node);

/* Updates.  `nodes` is a comma list of node names (never a bracket form: see hostlist.h). */
int tided_slurm_set_weight(const char *nodes, uint32_t weight, tide_err *e);
int tided_slurm_set_active_features(const char *nodes, const char *features, tide_err *e);
/* DRAIN with a reason; tide's reasons start with TIDED_SLURM_REASON_PREFIX. */
int tided_slurm_drain(const char *nodes, const char *reason, tide_err *e);
/* Remove a drain (State=UNDRAIN): only ever called for drains whose reason tide wrote. */
int tided_slurm_undrain(const char *nodes, tide_err *e);
/*
 * Back to POWERED_DOWN.  force: POWER_DOWN_FORCE, for a node tide gave up on while Slurm waits for it
 * (its job is requeued); else POWER_DOWN, for an idle node tide is asked to give back.
 * See slurm.c for what 22.05 honours.
 */
int tided_slurm_power_down(const char *nodes, int force, tide_err *e);
/* State=RESUME on a DOWN node (Slurm's own "ResumeTimeout reached" after a boot tide undid). */
int tided_slurm_resume(const char *nodes, tide_err *e);

#define TIDED_SLURM_REASON_PREFIX "tide:"
/* 1 when the node is drained (or down) with a reason tide wrote. */
int tided_slurm_tide_reason(const tided_slurm_node *n);

#endif

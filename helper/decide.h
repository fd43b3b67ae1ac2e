/*
 * decide.h - the next step for one node, from what Slurm wants and what the
 * services say.  Pure logic, no I/O: reconcile.c gathers the facts, this
 * file decides, transition.c acts.
 *
 * The goal comes from Slurm (design: level-triggered):
 *   POWERING_UP, REBOOT_ISSUED         -> ACQUIRE: in the Slurm pool, image I, booted, registered in I
 *     (reconcile.c counts a POWERED_DOWN node allocated to a starting job as POWERING_UP: Slurm
 *     resumes it at its power-save thread's next look, up to a second later)
 *   POWERED_DOWN, POWERING_DOWN        -> HOME: back in its home pool
 *   up and registered                  -> SLURM: stays, nothing to do
 * The steps in order, each checked against the facts before it is chosen:
 *   acquire: claim -> drain (Kubernetes) -> image -> boot -> verify
 *   release: image home -> power (boot home or off) -> group home -> Kubernetes return
 *   failure: Slurm POWERED_DOWN (POWER_DOWN_FORCE), then the release steps
 * Only what the services cannot tell comes from tided's memory (a boot
 * issued and not yet answered, a drain in progress, a failure being undone);
 * after a restart that memory is empty and the worst case is one more boot.
 */
#ifndef TIDED_DECIDE_H
#define TIDED_DECIDE_H

#include <stddef.h>
#include <time.h>

typedef enum {
    TIDED_GOAL_NONE,      /* not ours, or Slurm does not know it */
    TIDED_GOAL_SLURM,     /* Slurm runs it: keep it */
    TIDED_GOAL_ACQUIRE,   /* Slurm wants it up in an image */
    TIDED_GOAL_HOME,      /* Slurm does not want it: give it back */
} tided_goal;

typedef enum {
    TIDED_AT_HOME,        /* in its home pool's group */
    TIDED_AT_SLURM,       /* in the Slurm pool's group */
    TIDED_AT_NONE,        /* in no pool group at all (a move that stopped half-way) */
    TIDED_AT_OTHER,       /* in another group of the exclusive set (another party holds it) */
} tided_where;

typedef enum {
    TIDED_STEP_NONE,         /* nothing to do */
    TIDED_STEP_WAIT,         /* something is in flight; look again next pass */
    TIDED_STEP_CLAIM,        /* SMD: home group -> Slurm pool group */
    TIDED_STEP_DRAIN,        /* Kubernetes: cordon, taint, label, evict (over several passes) */
    TIDED_STEP_IMAGE,        /* BSS: the wanted image */
    TIDED_STEP_BOOT,         /* PCS init */
    TIDED_STEP_VERIFY,       /* registered in the wanted image: the acquire is done */
    TIDED_STEP_FAIL,         /* give up the acquire (reason in the decision) */
    TIDED_STEP_SLURM_DOWN,   /* Slurm still wants it after a failure: POWER_DOWN_FORCE */
    TIDED_STEP_SLURM_IDLE_DOWN, /* release asked for an idle node Slurm runs: POWER_DOWN */
    TIDED_STEP_SLURM_RESUME, /* Slurm left a powered-down node DOWN (ResumeTimeout, Not responding); it is home: RESUME */
    TIDED_STEP_HOME_IMAGE,   /* BSS: the home pool's image */
    TIDED_STEP_HOME_POWER,   /* PCS: init into the home image, or off */
    TIDED_STEP_HOME_GROUP,   /* SMD: Slurm pool group -> home group */
    TIDED_STEP_K8S_RETURN,   /* Kubernetes: Ready again: untaint, unlabel, uncordon */
    TIDED_STEP_COUNT
} tided_step;

const char *tided_step_name(tided_step s);

/* The facts about one node that a decision needs. */
typedef struct tided_facts {
    /* Slurm */
    int slurm_known;
    int powered_down, powering_up, powering_down, reboot_issued;
    int power_down_asked;       /* POWER_DOWN requested: Slurm's power-save thread will take it */
    int down;                   /* base state DOWN */
    int resume_timeout_down;    /* DOWN+POWERED_DOWN with Slurm's "ResumeTimeout reached": a failed boot */
    int not_responding_down;    /* DOWN+POWERED_DOWN "Not responding": Slurm pinged a node tide had powered off */
    int idle;                   /* no job on it */
    const char *active_image;   /* the image among ActiveFeatures, NULL when none */
    const char *want_image;     /* resolved by tided_want_image(); NULL: nothing to boot */

    /* requests (hints) not yet acted on */
    int release_asked;          /* epilog asked to give it back now */

    /* SMD */
    tided_where where;
    int have_home;              /* it has a home pool */
    int home_kubernetes;        /* its home pool is Kind=kubernetes */
    const char *home_image;     /* the home pool's HomeImage, NULL when none */
    int home_power_off;         /* release powers it off (Park=on, or no HomeImage) */

    /* BSS, and the images' cloud-init groups in SMD */
    const char *bss_image;      /* tide.image= of its boot parameters, NULL when none */
    int cloud_init_wrong;       /* not in want_image's CloudInitGroup= alone (0 when unknown) */
    int home_cloud_init_wrong;  /* the same for home_image */

    /* Kubernetes (home_kubernetes only) */
    int k8s_marked;             /* carries tide's borrowed label */
    int k8s_ready;              /* Ready=True */
    int k8s_new_boot;           /* bootID differs from the one recorded at claim */

    /* tided's memory of the current transition */
    int acquiring;              /* an acquire is under way (started this lease) */
    int failed;                 /* the acquire failed: undo */
    int drained;                /* the Kubernetes drain finished */
    int boot_pending;           /* a boot was issued and PCS has not answered */
    int booted;                 /* a boot of this acquire succeeded */
    time_t boot_done_at;        /* when PCS said it was done */
    int lease_booted;           /* 1 tide booted it this lease, 0 it did not, -1 unknown (after a restart) */
    int home_power_pending;     /* the release power step was issued, not answered */
    int home_powered;           /* the release power step is done */

    time_t now;
    int register_timeout;       /* seconds from boot done to Slurm registration */
} tided_facts;

typedef struct tided_decision {
    tided_goal  goal;
    tided_step  step;
    const char *why;            /* static text: why this step (or why it fails) */
    int         strike;         /* FAIL: counts as a strike */
} tided_decision;

tided_goal tided_goal_of(const tided_facts *f);
tided_decision tided_decide(const tided_facts *f);

/*
 * The image a node should boot for Slurm, in this order:
 *   1. the request's feature string (ResumeProgram/RebootProgram features), if it names an image;
 *   2. the constraint of the job allocated to the node: among the images it names and the
 *      node offers, one that makes the node match (the active image first);
 *   3. the node's active image; 4. the default image.
 * `images` are tide's image names; `node_features` the node's available features (comma
 * list, images included).  Returns a pointer into `images` (or default_image), or NULL.
 */
const char *tided_want_image(const char *request_features, const char *job_constraint,
                             const char *node_features, const char *active_image,
                             const char *default_image, const char *const *images, size_t nimages);

/* The first of `images` among the comma-separated `features`, or NULL. */
const char *tided_image_in(const char *features, const char *const *images, size_t nimages);

/* ---- what tide keeps in line on POWERED_DOWN nodes ----------------------------- */

/* The pull cost of a powered-down node, which tided writes as its Slurm Weight: the home pool's
 * Cost, plus the pods a drain would evict, plus 1 when it must switch image; a quarantined node
 * costs TIDED_PRICE_MAX.  Never below 1. */
#define TIDED_PRICE_MAX 1000000UL
unsigned long tided_price(int pool_cost, long pods, int image_switch, int quarantined);

/* The ActiveFeatures a powered-down node should show: its static features (available minus
 * every image, duplicates dropped, in order) plus `image` when the node offers it.  Caller frees. */
char *tided_active_features(const char *available, const char *image, const char *const *images, size_t nimages);
/* 1 when two comma lists hold the same features (order and duplicates ignored). */
int tided_features_equal(const char *a, const char *b);

/* How many of a Kubernetes pool's `size` nodes may be lent at once: MaxBorrow=N or N%;
 * -1 when there is no limit (MaxBorrow unset or 0). */
long tided_max_borrow(int max_borrow, int percent, long size);

/* ---- holds: the cheapest pool first on Slurm 22.05 ------------------------------------------ */

/*
 * slurmctld 22.05 sorts its node table by name and ignores Weight for powered-down nodes, so
 * among those it takes the lowest-named one that fits, whatever its pool costs.  tided
 * therefore drains ("holds") powered-down nodes of a pool when an equivalent node of a
 * cheaper pool could serve instead, and lets them go as soon as it cannot, or as soon as a
 * waiting job needs more than the cheaper nodes offer.  23.02 and later honour Weight for
 * powered-down nodes: no holds there (`weights_work`).
 *
 * The rule (tided(8), HOLDS):
 *   1. a node is held when it is resting (POWERED_DOWN at home, not claimed), usable, and
 *      a usable resting node with the same hardware (static features: AvailableFeatures
 *      minus the images) has a lower pool Cost;
 *   2. each waiting job (pending for Resources, ReqNodeNotAvail or NodeDown), in priority
 *      order, takes the usable unheld nodes it matches (constraint, -w, -x; the powered-up
 *      ones first)
 *      until it has its minimum node and CPU count; if they are too few, the held nodes it
 *      matches are let go, cheapest first, until it has them (the nodes it requires by
 *      name are let go at once).  Nodes one job takes do not count for the next;
 *   3. a job that has waited TIDED_HOLD_PATIENCE seconds lets go of every held node it
 *      matches (whatever else it waits for, tide's holds never keep it waiting for long).
 */
#define TIDED_HOLD_REASON "tide: held while cheaper nodes can serve"
#define TIDED_HOLD_PATIENCE 60

typedef struct tided_hold_node {
    const char   *name;
    const char   *features;   /* Slurm's AvailableFeatures (images included) */
    int           cost;       /* the Cost of its home pool */
    unsigned long price;      /* its pull cost: the cheapest held node is let go first */
    unsigned      cpus;
    int           resting;    /* POWERED_DOWN at home, not claimed: a hold applies to it */
    int           usable;     /* Slurm could give it to a job now, were it not for tide's hold */
} tided_hold_node;

typedef struct tided_hold_job {
    const char   *constraint;  /* Slurm's Features= of the job; NULL or "": any node */
    unsigned      nodes, cpus; /* the least it needs */
    const char *const *required; size_t nrequired;   /* -w */
    const char *const *excluded; size_t nexcluded;   /* -x */
    long          waited;      /* seconds it has been waiting for nodes */
} tided_hold_job;

/* hold[i] = 1 when nodes[i] is to be held, else 0.  `jobs`: the waiting jobs, highest
 * priority first.  Without weights_work nothing is held. */
void tided_holds(const tided_hold_node *nodes, size_t n, const tided_hold_job *jobs, size_t njobs,
                 const char *const *images, size_t nimages, int weights_work, int *hold);

/* 1 when a node with these AvailableFeatures can run a job with this constraint, in one of
 * the images it offers (or none).  An empty constraint matches every node; one that does not
 * parse too (never keep a job from a node on a doubt). */
int tided_node_matches(const char *constraint, const char *features, const char *const *images, size_t nimages);

/* ---- tide's drains on a node: MaxBorrow and holds, one reason each --------------------------- */

typedef enum {
    TIDED_DRAINED_NO,          /* not drained */
    TIDED_DRAINED_MAXBORROW,   /* drained with exactly its pool's MaxBorrow reason */
    TIDED_DRAINED_HOLD,        /* drained with exactly TIDED_HOLD_REASON */
    TIDED_DRAINED_OTHER,       /* drained by someone else, or for another reason: never touched */
} tided_drained;

typedef enum {
    TIDED_DRAIN_KEEP,          /* leave it as it is */
    TIDED_DRAIN_MAXBORROW,     /* drain (or re-drain) with the MaxBorrow reason */
    TIDED_DRAIN_HOLD,          /* drain (or re-drain) with the hold reason */
    TIDED_DRAIN_UNDRAIN,       /* lift tide's drain */
} tided_drain_action;

/* What to do with a node's drain: MaxBorrow wins over a hold; only tide's own drains move. */
tided_drain_action tided_drain_want(tided_drained now, int maxborrow, int hold);

#endif

/*
 * reconcile.c - tided's loop: every 2 s, or at once when a request wakes it,
 * one pass that reads what Slurm wants and what the services hold, decides
 * per node (decide.c) and acts in batches (transition.c, kpool.c).
 *
 * A pass:
 *   1. take the requests' hints (they only add an image or a job id);
 *   2. read Slurm (nodes, jobs), SMD (every pool group and home group in one
 *      GET), BSS (one GET), the PCS transitions in flight, and the Kubernetes
 *      nodes that are being moved;
 *   3. decide per node, then run every step that some nodes need, each once
 *      for all of them; repeat while a node moves on (a node that is claimed
 *      is imaged and booted in the same pass);
 *   4. keep Slurm in line for the nodes at home: Weight = pull cost,
 *      ActiveFeatures = the image BSS would boot, MaxBorrow drains, holds
 *      (cheapest pool first on 22.05), and notice a quarantine an admin lifted;
 *   5. publish the status rows and the metrics.
 * Nothing here is the only copy of a decision: deleting the journal, or
 * killing tided at any point, costs at most one more boot of a node.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bss.h"
#include "journal.h"
#include "kpool.h"
#include "log.h"
#include "metrics.h"
#include "observe.h"
#include "smd.h"
#include "strbuf.h"
#include "tided.h"
#include "transition.h"
#include "upkeep.h"

#define PASS_SECONDS       2     /* a pass at least this often */
#define BUSY_PASS_SECONDS  1     /* ... and this often while nodes move */
#define MAX_ROUNDS         4     /* sweeps through the steps per pass */
#define POWER_RETRY        30    /* seconds before a failed release power step is tried again */
#define DEFAULT_BOOT_TIMEOUT 300
#define RESUME_TIMEOUT_REASON "ResumeTimeout reached"
#define NOT_RESPONDING_REASON "Not responding"

typedef struct rec {
    tided_run run;
    const char **images; size_t nimages;   /* tide.conf's image names */
    int groups_ok;                         /* the Slurm pool group and the home groups exist */
    tided_slurm_nodes snodes;              /* this pass's Slurm view */
    tided_slurm_jobs sjobs;
} rec;

/* ---- the node table ------------------------------------------------------------ */

static void set_str(char **dst, const char *s)
{
    free(*dst);
    *dst = s ? xstrdup(s) : NULL;
}

/* ---- strikes survive a restart: read back from the journal (a hint, not a decision) ---- */

static int journal_strike(void *ctx, const tided_journal_entry *en)
{
    rec *rc = ctx;
    if (!en->node || !en->step)
        return 0;
    if (!strcmp(en->step, "strike") && en->to) {
        tided_node_get(&rc->run, en->node)->strikes = atoi(en->to);
    } else if ((!strcmp(en->step, "verify") && en->result && !strcmp(en->result, "ok")) ||
               !strcmp(en->step, "unquarantine")) {
        tided_node *n = tided_node_find(&rc->run, en->node);
        if (n)
            n->strikes = 0;
    }
    return 0;
}

static void read_strikes(rec *rc)
{
    tided *d = rc->run.d;
    tide_err e;
    if (!d->journal)
        return;
    if (tided_journal_read(tided_journal_path(d->journal), journal_strike, rc, &e))
        tide_verbose("no strikes read back: %s", e.msg);
    for (size_t i = 0; i < rc->run.nnodes; i++)
        if (rc->run.nodes[i]->strikes)
            tide_info("%s: %d strike(s) from the journal", rc->run.nodes[i]->name, rc->run.nodes[i]->strikes);
}

/* ---- hints ---------------------------------------------------------------------- */

static const char *want_name(tided_want w)
{
    switch (w) {
    case TIDED_WANT_ACQUIRE: return "resume";
    case TIDED_WANT_RELEASE: return "suspend";
    case TIDED_WANT_REIMAGE: return "reboot";
    case TIDED_WANT_FAILED: return "resume-fail";
    }
    return "?";
}

/* A request older than this is stale: Slurm has moved on (or it was never acted on). */
#define HINT_TTL 600

static void apply_hints(rec *rc)
{
    size_t nh = 0;
    tided_hint *h = tided_take_hints(rc->run.d, &nh);
    for (size_t i = 0; i < nh; i++) {
        tided_node *n = tided_node_get(&rc->run, h[i].node);
        n->has_hint = 1;
        n->hint_want = h[i].want;
        set_str(&n->hint_image, h[i].image);
        n->hint_job = h[i].job_id;
        n->hint_uid = h[i].uid;
        n->hint_at = h[i].at;
        tide_verbose("%s: %s request (features %s, job %ld)", n->name, want_name(h[i].want),
                     h[i].image ? h[i].image : "none", h[i].job_id);
    }
    tided_hints_free(h, nh);
    for (size_t i = 0; i < rc->run.nnodes; i++) {
        tided_node *n = rc->run.nodes[i];
        if (n->has_hint && rc->run.now - n->hint_at > HINT_TTL)
            n->has_hint = 0;
    }
}

/* ---- deciding ------------------------------------------------------------------- */

/*
 * Slurm has given a powered-down node to a job but has not said so yet.  slurmctld's
 * power-save thread looks for such nodes once a second (a sleep(1) loop in 22.05, whatever
 * power_save_interval says), and only then marks the node POWERING_UP and runs
 * ResumeProgram: up to a second after the allocation.  PrologSlurmctld wakes tided at the
 * allocation itself, so tided starts the acquire then.  Slurm resumes every such node at
 * its next look (ResumeRate=0, power.conf), so tided boots nothing Slurm would not; a job
 * cancelled meanwhile leaves the node IDLE+POWERED_DOWN, and the node goes home.
 */
static int resume_due(const tided_node *n)
{
    const tided_slurm_node *s = n->slurm;
    return s && s->powered_down && !s->powering_down && !s->power_down &&
           (s->base == TIDED_SLURM_ALLOCATED || s->base == TIDED_SLURM_MIXED) && n->job && n->job->configuring;
}

static void facts_of(rec *rc, tided_node *n, tided_facts *f)
{
    const tided_slurm_node *s = n->slurm;
    const tide_conf *c = rc->run.d->conf;

    memset(f, 0, sizeof(*f));
    if (s) {
        int due = resume_due(n);
        f->slurm_known = 1;
        f->powered_down = s->powered_down && !due;
        f->powering_up = s->powering_up || due;
        f->powering_down = s->powering_down;
        f->reboot_issued = s->reboot_issued;
        f->power_down_asked = s->power_down;
        f->down = s->base == TIDED_SLURM_DOWN;
        f->resume_timeout_down = f->down && s->powered_down && s->reason &&
                                 !strncmp(s->reason, RESUME_TIMEOUT_REASON, strlen(RESUME_TIMEOUT_REASON));
        f->not_responding_down = f->down && s->powered_down && s->reason &&
                                 !strncmp(s->reason, NOT_RESPONDING_REASON, strlen(NOT_RESPONDING_REASON));
        f->idle = s->base == TIDED_SLURM_IDLE && !s->completing;
        f->active_image = tided_image_in(s->features_act, rc->images, rc->nimages);
    }
    f->want_image = n->acquiring && n->image ? n->image : n->want_image;
    f->release_asked = n->has_hint && n->hint_want == TIDED_WANT_RELEASE;
    f->where = n->where;
    f->have_home = n->home != NULL;
    f->home_kubernetes = n->home && n->home->kind == TIDE_POOL_KUBERNETES;
    f->home_image = n->home ? n->home->home_image : NULL;
    f->home_power_off = n->home && (n->home->park || !n->home->home_image);
    f->bss_image = n->bss_image;
    f->cloud_init_wrong = !tided_cloud_init_matches(&rc->run, n, f->want_image);
    f->home_cloud_init_wrong = !tided_cloud_init_matches(&rc->run, n, f->home_image);
    f->k8s_marked = n->k8s_marked;
    f->k8s_ready = n->k8s_ready;
    f->k8s_new_boot = n->k8s_new_boot;
    f->acquiring = n->acquiring;
    f->failed = n->failed;
    f->drained = n->drained;
    f->boot_pending = n->boot_pending;
    f->booted = n->booted;
    f->boot_done_at = n->boot_done_at;
    f->lease_booted = n->lease_booted;
    f->home_power_pending = n->home_power_pending;
    f->home_powered = n->home_powered;
    f->now = rc->run.now;
    f->register_timeout = rc->run.boot_timeout;
    (void)c;
}

/* Slurm's view, the job and the wanted image of every managed node. */
static void refresh_slurm(rec *rc)
{
    const tide_conf *c = rc->run.d->conf;
    for (size_t i = 0; i < rc->run.nnodes; i++) {
        tided_node *n = rc->run.nodes[i];
        n->slurm = tided_slurm_node_find(&rc->snodes, n->name);
        n->job = n->slurm ? tided_slurm_job_on(&rc->sjobs, n->name) : NULL;
        n->want_image = NULL;
        if (!n->slurm)
            continue;
        const char *active = tided_image_in(n->slurm->features_act, rc->images, rc->nimages);
        const char *req = n->has_hint && (n->hint_want == TIDED_WANT_ACQUIRE || n->hint_want == TIDED_WANT_REIMAGE)
                              ? n->hint_image : NULL;
        n->want_image = tided_want_image(req, n->job ? n->job->features : NULL, n->slurm->features, active,
                                         c->default_image, rc->images, rc->nimages);
    }
}

/* An acquire starts: fix the image it boots and whom it is for (journal). */
static void start_acquire(rec *rc, tided_node *n)
{
    n->acquiring = 1;
    n->acquire_at = rc->run.now;
    n->acquire_mono = tided_mono();
    /* Taken back while it was being released: that release is over. */
    n->home_powered = 0;
    n->home_power_at = 0;
    set_str(&n->image, n->want_image);
    int asked = n->has_hint && (n->hint_want == TIDED_WANT_ACQUIRE || n->hint_want == TIDED_WANT_REIMAGE);
    n->job_id = n->job ? (long)n->job->id : asked ? n->hint_job : 0;
    free(n->who);
    n->who = asked ? xasprintf("uid %u %s", n->hint_uid, want_name(n->hint_want)) : xstrdup("tided");
    tide_info("%s: acquire in image %s%s", n->name, n->image ? n->image : "(none)",
              n->job_id ? "" : " (no job)");
}

/* How many nodes of pool p are lent now. */
static long lent(const tided_run *r, const tide_pool_conf *p, long *size)
{
    long l = 0, s = 0;
    for (size_t i = 0; i < r->nnodes; i++) {
        const tided_node *n = r->nodes[i];
        if (!n->seen || n->home != p)
            continue;
        s++;
        l += n->where == TIDED_AT_SLURM;
    }
    if (size)
        *size = s;
    return l;
}

/* Claims that MaxBorrow forbids fail here (no strike: the node is fine, the pool is full).
 * The claims of this pass count as lent already, so one pass cannot overshoot. */
static size_t maxborrow_filter(tided_run *r, tided_node **nodes, size_t n)
{
    const tide_conf *c = r->d->conf;
    long *claimed = xcalloc(c->npools + 1, sizeof(*claimed));
    size_t kept = 0;

    for (size_t i = 0; i < n; i++) {
        const tide_pool_conf *p = nodes[i]->home;
        if (p && p->kind == TIDE_POOL_KUBERNETES) {
            size_t pi = (size_t)(p - c->pools);
            long size, now_lent = lent(r, p, &size) + claimed[pi];
            long max = tided_max_borrow(p->max_borrow, p->max_borrow_percent, size);
            if (max >= 0 && now_lent >= max) {
                char *msg = xasprintf("pool %s has lent %ld of its %ld nodes: MaxBorrow reached", p->name,
                                      now_lent, size);
                tided_node_fail(r, nodes[i], "claim", msg, 0, 0);
                free(msg);
                continue;
            }
            claimed[pi]++;
        }
        nodes[kept++] = nodes[i];
    }
    free(claimed);
    return kept;
}

static void run_drains(rec *rc, tided_node **nodes, size_t n)
{
    tided_run *r = &rc->run;
    for (size_t i = 0; i < n; i++) {
        tided_node *node = nodes[i];
        tided_kpool *kp = tided_kpool_of(r, node->home);
        tide_err e;
        if (!kp) {
            tided_node_fail(r, node, "drain", "no Kubernetes client for the node's home pool (see Kubeconfig=)",
                            0, 0);
            continue;
        }
        if (!node->drain_at) {
            node->drain_at = r->now;
            tided_record(r, node, "drain", node->home->name, "cordoned", -1, "started", NULL);
        }
        int st = tided_kpool_drain(kp, node, r->now, &e);
        if (st > 0) {
            node->drained = 1;
            tided_record(r, node, "drain", node->home->name, "drained", (double)(r->now - node->drain_at), "ok", NULL);
        } else if (st < 0) {
            tided_node_fail(r, node, "drain", e.msg, 1, (double)(r->now - node->drain_at));
        }
    }
}

static void run_k8s_returns(rec *rc, tided_node **nodes, size_t n)
{
    tided_run *r = &rc->run;
    for (size_t i = 0; i < n; i++) {
        tided_node *node = nodes[i];
        tided_kpool *kp = tided_kpool_of(r, node->home);
        tide_err e;
        if (!kp)
            continue;
        if (tided_kpool_unmark(kp, node, &e)) {
            tide_error("%s: %s", node->name, e.msg);
            tided_record(r, node, "k8s-return", NULL, node->home->name, -1, "failed", e.msg);
            continue;
        }
        tided_record(r, node, "k8s-return", NULL, node->home->name, -1, "ok", NULL);
        node->lease_booted = 0;
    }
}

/* A powered-down node at home that Slurm left DOWN: RESUME it; a ResumeTimeout is a strike. */
static void run_resumes(rec *rc, tided_node **nodes, size_t n)
{
    tided_run *r = &rc->run;
    for (size_t i = 0; i < n; i++) {
        const tided_slurm_node *s = nodes[i]->slurm;
        if (s && s->reason && !strncmp(s->reason, RESUME_TIMEOUT_REASON, strlen(RESUME_TIMEOUT_REASON))) {
            char *msg = xasprintf("%s: Slurm: ResumeTimeout reached before slurmd registered", nodes[i]->name);
            tided_node_fail(r, nodes[i], "resume", msg, 1, 0);
            free(msg);
            nodes[i]->failed = 0;
        }
    }
    tided_step_slurm(r, nodes, n, TIDED_STEP_SLURM_RESUME);
}

/* Decide for one node, with the bookkeeping a decision implies.  Returns the step. */
static tided_step decide_node(rec *rc, tided_node *n)
{
    tided_run *r = &rc->run;
    tided_facts f;
    facts_of(rc, n, &f);
    tided_decision d = tided_decide(&f);

    if (d.goal == TIDED_GOAL_HOME || d.goal == TIDED_GOAL_NONE) {
        /* Slurm let go of it: whatever acquire was under way is over (a boot in flight is still awaited). */
        if (n->acquiring || n->failed)
            tide_verbose("%s: acquire over (Slurm %s)", n->name, n->slurm ? n->slurm->state : "?");
        n->acquiring = 0;
        n->failed = 0;
        n->drained = 0;
        n->booted = 0;
        if (n->has_hint && n->hint_want != TIDED_WANT_RELEASE)
            n->has_hint = 0;
    }
    if (d.step != n->step) {
        tide_debug("%s: %s -> %s (%s)", n->name, tided_step_name(n->step), tided_step_name(d.step), d.why);
        n->step = d.step;
        n->step_since = r->now;
    }
    if (d.step == TIDED_STEP_NONE || d.step == TIDED_STEP_WAIT)
        return d.step;
    if (d.step == TIDED_STEP_HOME_POWER && n->home_power_at && r->now - n->home_power_at < POWER_RETRY)
        return TIDED_STEP_WAIT;   /* failed a moment ago: do not hammer PCS */
    if (d.step == TIDED_STEP_BOOT && n->boot_blocked_at && r->now - n->boot_blocked_at < TIDED_RESERVED_RETRY)
        return TIDED_STEP_WAIT;   /* reserved a moment ago: try again shortly */
    if (d.goal == TIDED_GOAL_ACQUIRE && !n->acquiring && d.step != TIDED_STEP_FAIL)
        start_acquire(rc, n);
    if (d.goal == TIDED_GOAL_HOME && n->where == TIDED_AT_SLURM && !n->who)
        n->who = n->has_hint && n->hint_want == TIDED_WANT_RELEASE
                     ? xasprintf("uid %u %s", n->hint_uid, want_name(n->hint_want)) : xstrdup("tided");
    if (d.step == TIDED_STEP_FAIL) {
        /* Failing is a decision, not a request: record it now; the undo follows. */
        char *why;
        if (d.goal == TIDED_GOAL_SLURM)
            why = xasprintf("%s: slurmd registered in image %s, not %s", n->name,
                            f.active_image ? f.active_image : "(none)", f.want_image ? f.want_image : "?");
        else if (n->booted)
            why = xasprintf("%s: booted in %s, but slurmd did not register within BootTimeout=%d s", n->name,
                            f.want_image ? f.want_image : "?", r->boot_timeout);
        else
            why = xasprintf("%s: %s", n->name, d.why);
        tided_node_fail(r, n, "acquire", why, d.strike,
                        n->acquire_mono ? tided_mono() - n->acquire_mono : 0);
        free(why);
        return TIDED_STEP_FAIL;
    }
    return d.step;
}

static void run_step(rec *rc, tided_step s, tided_node **nodes, size_t n)
{
    tided_run *r = &rc->run;
    switch (s) {
    case TIDED_STEP_SLURM_DOWN:
    case TIDED_STEP_SLURM_IDLE_DOWN:
        tided_step_slurm(r, nodes, n, s);
        break;
    case TIDED_STEP_CLAIM:
        tided_step_claim(r, nodes, maxborrow_filter(r, nodes, n));
        break;
    case TIDED_STEP_DRAIN:
        run_drains(rc, nodes, n);
        break;
    case TIDED_STEP_IMAGE:
        tided_step_image(r, nodes, n, 0);
        break;
    case TIDED_STEP_BOOT:
        tided_step_boot(r, nodes, n, 0);
        break;
    case TIDED_STEP_VERIFY:
        tided_step_verify(r, nodes, n);
        break;
    case TIDED_STEP_HOME_IMAGE:
        tided_step_image(r, nodes, n, 1);
        break;
    case TIDED_STEP_HOME_POWER:
        tided_step_boot(r, nodes, n, 1);
        break;
    case TIDED_STEP_HOME_GROUP:
        tided_step_home_group(r, nodes, n);
        break;
    case TIDED_STEP_K8S_RETURN:
        run_k8s_returns(rc, nodes, n);
        break;
    case TIDED_STEP_SLURM_RESUME:
        run_resumes(rc, nodes, n);
        break;
    default:
        break;
    }
}

/*
 * One sweep through the steps in the order a node goes through them.  Before
 * each step every node is decided again, so a node claimed a moment ago is
 * imaged with the others in the same BSS PUT and booted in the same PCS
 * transition.  A node takes each step at most once per pass (`done`).
 * Returns how many steps were taken.
 */
static size_t sweep(rec *rc, unsigned *done)
{
    static const tided_step order[] = {
        TIDED_STEP_SLURM_DOWN, TIDED_STEP_SLURM_IDLE_DOWN, TIDED_STEP_CLAIM, TIDED_STEP_DRAIN,
        TIDED_STEP_IMAGE, TIDED_STEP_BOOT, TIDED_STEP_VERIFY, TIDED_STEP_HOME_IMAGE,
        TIDED_STEP_HOME_POWER, TIDED_STEP_HOME_GROUP, TIDED_STEP_K8S_RETURN, TIDED_STEP_SLURM_RESUME,
    };
    tided_run *r = &rc->run;
    tided_node **batch = xcalloc(r->nnodes + 1, sizeof(*batch));
    size_t taken = 0;

    for (size_t o = 0; o < sizeof(order) / sizeof(order[0]); o++) {
        size_t nb = 0;
        for (size_t i = 0; i < r->nnodes; i++) {
            tided_node *n = r->nodes[i];
            if (!n->seen || (done[i] & (1u << order[o])))
                continue;
            tided_step s = decide_node(rc, n);
            if (s == TIDED_STEP_FAIL && !(done[i] & (1u << TIDED_STEP_FAIL))) {
                done[i] |= 1u << TIDED_STEP_FAIL;
                taken++;
                s = decide_node(rc, n);   /* the undo starts at once */
            }
            if (s != order[o])
                continue;
            done[i] |= 1u << s;
            batch[nb++] = n;
        }
        if (nb)
            run_step(rc, order[o], batch, nb);
        taken += nb;
    }
    free(batch);
    return taken;
}

/* ---- status ------------------------------------------------------------------------ */

static const char *direction_of(const tided_node *n)
{
    if (n->acquiring || (n->slurm && (n->slurm->powering_up || n->slurm->reboot_issued)))
        return n->where == TIDED_AT_SLURM && !n->acquire_at ? "reimage" : "acquire";
    if (n->where == TIDED_AT_SLURM && n->slurm && (n->slurm->powered_down || n->slurm->powering_down))
        return "release";
    if (n->where != TIDED_AT_SLURM && n->k8s_marked)
        return "release";
    return NULL;
}

/* The step a node is in, for `tide status`: while it waits, what it waits for. */
static const char *status_step(const tided_node *n)
{
    if (n->step != TIDED_STEP_WAIT)
        return tided_step_name(n->step);
    if (n->boot_pending)
        return "boot";
    if (n->booted)
        return "verify";
    if (n->home_power_pending)
        return "home-power";
    if (n->where == TIDED_AT_HOME && n->k8s_marked)
        return "k8s-return";
    if (n->failed)
        return "slurm-power-down";
    return "wait";
}

static void publish(rec *rc)
{
    tided_run *r = &rc->run;
    tided_node_status *rows = xcalloc(r->nnodes + 1, sizeof(*rows));
    size_t n = 0;

    for (size_t i = 0; i < r->nnodes; i++) {
        const tided_node *node = r->nodes[i];
        if (!node->seen)
            continue;
        tided_node_status *s = &rows[n++];
        const char *dir = direction_of(node);
        s->node = xstrdup(node->name);
        s->direction = dir ? xstrdup(dir) : NULL;
        s->step = dir && node->step != TIDED_STEP_NONE ? xstrdup(status_step(node)) : NULL;
        const char *img = node->image ? node->image : node->want_image;
        s->image = img ? xstrdup(img) : NULL;
        s->home_pool = node->home ? xstrdup(node->home->name) : NULL;
        s->pool = node->pool ? xstrdup(node->pool->name) : NULL;
        s->job_id = node->job_id ? node->job_id : (node->job ? (long)node->job->id : 0);
        s->step_since = node->step_since;
        s->leased_since = node->where == TIDED_AT_SLURM ? node->leased_since : 0;
        s->strikes = node->strikes;
        s->quarantined = node->quarantined;
        s->last_error = node->last_error ? xstrdup(node->last_error) : NULL;
    }
    tided_publish_status(r->d, rows, n);
}

/* ---- one pass ---------------------------------------------------------------------- */

static int busy(const rec *rc)
{
    const tided_run *r = &rc->run;
    if (r->boots)
        return 1;
    for (size_t i = 0; i < r->nnodes; i++) {
        const tided_node *n = r->nodes[i];
        if (n->seen && n->step != TIDED_STEP_NONE)
            return 1;
    }
    return 0;
}

static void pass(rec *rc)
{
    tided_run *r = &rc->run;
    tide_err e;

    r->now = time(NULL);
    r->pass++;
    apply_hints(rc);
    tided_slurm_nodes_free(&rc->snodes);
    tided_slurm_jobs_free(&rc->sjobs);
    if (tided_slurm_load_nodes(&rc->snodes, &e)) {
        tide_error("%s", e.msg);
        return;   /* without Slurm's view there is nothing to decide */
    }
    int jobs_ok = tided_slurm_load_jobs(&rc->sjobs, &e) == 0;
    if (!jobs_ok)
        tide_error("%s (images are chosen without the jobs' constraints this pass)", e.msg);
    if (tided_observe_smd(r, &rc->snodes, &rc->groups_ok))
        return;   /* where the nodes are is the one fact every step needs */
    refresh_slurm(rc);
    if (tided_observe_bss(r))
        return;
    tided_observe_cloud_init(r);
    tided_boots_poll(r);
    r->now = time(NULL);
    tided_observe_k8s(r);

    unsigned *done = xcalloc(r->nnodes + 1, sizeof(*done));
    for (int round = 0; round < MAX_ROUNDS; round++)
        if (!sweep(rc, done))
            break;
    free(done);

    tided_upkeep(r, jobs_ok ? &rc->sjobs : NULL, rc->images, rc->nimages);
    publish(rc);
    tided_metrics_pass(r->d->metrics, (double)time(NULL));
}

/* ---- the loop ------------------------------------------------------------------------ */

int tided_reconcile_run(tided *d)
{
    rec rc;
    const tide_conf *c = d->conf;
    int status = 0;

    memset(&rc, 0, sizeof(rc));
    rc.run.d = d;
    rc.run.boot_timeout = c->boot_timeout > 0 ? c->boot_timeout : DEFAULT_BOOT_TIMEOUT;
    const tide_pool_conf *sp = c->slurm_pool ? tide_conf_pool(c, c->slurm_pool) : NULL;
    if (!sp) {
        tide_error("tide.conf %s names no SlurmPool=: tided has nowhere to put the nodes Slurm takes", c->path);
        return -1;
    }
    if (!d->clients.smd || !d->clients.bss || !d->clients.pcs) {
        tide_error("tide.conf %s needs SmdUrl=, BssUrl= and PcsUrl= for tided", c->path);
        return -1;
    }
    rc.run.slurm_group = sp->group;
    rc.images = xcalloc(c->nimages + 1, sizeof(*rc.images));
    for (size_t i = 0; i < c->nimages; i++)
        rc.images[rc.nimages++] = c->images[i].name;
    rc.run.kpools = xcalloc(c->npools + 1, sizeof(*rc.run.kpools));
    for (size_t i = 0; i < c->npools; i++) {
        if (c->pools[i].kind != TIDE_POOL_KUBERNETES)
            continue;
        tide_err e;
        tided_kpool *kp = &rc.run.kpools[rc.run.nkpools];
        if (tided_kpool_open(kp, c, &c->pools[i], &e)) {
            /* The pool's nodes cannot be drained: their acquires fail, the rest works. */
            tide_error("%s", e.msg);
            continue;
        }
        rc.run.nkpools++;
    }
    tide_err we;
    if (tided_workers_open(&rc.run, TIDED_SMD_WORKERS, &we))
        tide_error("only %zu parallel SMD connection(s): %s", rc.run.nworkers, we.msg);
    tided_slurm_init();
    read_strikes(&rc);

    while (!d->stop) {
        pass(&rc);
        if (d->stop)
            break;
        tided_wait(d, busy(&rc) ? BUSY_PASS_SECONDS : PASS_SECONDS);
    }

    tided_boots_free(rc.run.boots);
    tided_workers_close(&rc.run);
    for (size_t i = 0; i < rc.run.nnodes; i++)
        tided_node_free(rc.run.nodes[i]);
    free(rc.run.nodes);
    for (size_t i = 0; i < rc.run.nkpools; i++)
        tided_kpool_close(&rc.run.kpools[i]);
    free(rc.run.kpools);
    free(rc.images);
    tided_slurm_nodes_free(&rc.snodes);
    tided_slurm_jobs_free(&rc.sjobs);
    return status;
}

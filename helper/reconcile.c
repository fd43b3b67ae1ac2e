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
 *      ActiveFeatures = the image BSS would boot, MaxBorrow drains, and
 *      notice a quarantine an admin lifted;
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
#include "smd.h"
#include "strbuf.h"
#include "tided.h"
#include "transition.h"
#include "upkeep.h"

#define PASS_SECONDS       2     /* a pass at least this often */
#define BUSY_PASS_SECONDS  1     /* ... and this often while nodes move */
#define MAX_ROUNDS         4     /* sweeps through the steps per pass */
#define PODS_EVERY         30    /* seconds between pod counts of a Kubernetes node (pricing) */
#define POWER_RETRY        30    /* seconds before a failed release power step is tried again */
#define DEFAULT_BOOT_TIMEOUT 300
#define RESUME_TIMEOUT_REASON "ResumeTimeout reached"

typedef struct rec {
    tided_run run;
    const char **images; size_t nimages;   /* tide.conf's image names */
    int groups_ok;                         /* the Slurm pool group and the home groups exist */
    tided_slurm_nodes snodes;              /* this pass's Slurm view */
    tided_slurm_jobs sjobs;
} rec;

/* ---- the node table ------------------------------------------------------------ */

static tided_node *node_get(rec *rc, const char *name)
{
    tided_run *r = &rc->run;
    size_t lo = 0, hi = r->nnodes;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(name, r->nodes[mid]->name);
        if (!c)
            return r->nodes[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    r->nodes = xrealloc(r->nodes, sizeof(*r->nodes) * (r->nnodes + 1));
    memmove(&r->nodes[lo + 1], &r->nodes[lo], sizeof(*r->nodes) * (r->nnodes - lo));
    r->nodes[lo] = tided_node_new(name);
    r->nnodes++;
    return r->nodes[lo];
}

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
        node_get(rc, en->node)->strikes = atoi(en->to);
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
        tided_node *n = node_get(rc, h[i].node);
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

/* ---- reading the services ------------------------------------------------------- */

static int lends(const tide_pool_conf *p)
{
    return p->kind == TIDE_POOL_FREE || p->kind == TIDE_POOL_KUBERNETES;
}

/* Create the Slurm pool group (in the exclusive set) and the home groups (outside it) if missing. */
static void ensure_groups(rec *rc, const tide_group_list *have)
{
    const tide_conf *c = rc->run.d->conf;
    tide_http *smd = rc->run.d->clients.smd;
    int ok = 1;

    for (size_t i = 0; i < c->npools; i++) {
        const tide_pool_conf *p = &c->pools[i];
        int slurm = p->kind == TIDE_POOL_SLURM && c->slurm_pool && !strcmp(p->name, c->slurm_pool);
        if (!slurm && !lends(p))
            continue;
        char *label = slurm ? xstrdup(p->group) : tided_home_group(p);
        int found = 0;
        for (size_t k = 0; k < have->n && !found; k++)
            found = !strcasecmp(have->groups[k].label, label);
        if (!found) {
            tide_group g = { 0 };
            g.label = label;
            g.description = slurm ? xstrdup("tide: the nodes Slurm uses now")
                                  : xasprintf("tide: nodes whose home is pool %s", p->name);
            g.exclusive_group = slurm ? c->exclusive_group : NULL;
            tide_err e;
            tide_err_clear(&e);
            if (tide_smd_group_create(smd, &g, &e) && !e.conflict) {
                tide_error("%s", e.msg);
                ok = 0;
            } else {
                tide_info("SMD group %s created", label);
            }
            free(g.description);
        }
        free(label);
    }
    rc->groups_ok = ok;
}

/* Put n's home right: a node in a lending pool's group has that pool as home. */
static void fix_home(rec *rc, tided_node *n, const tide_group_list *groups)
{
    const tide_conf *c = rc->run.d->conf;
    if (!n->pool || !lends(n->pool) || n->home == n->pool)
        return;
    tide_http *smd = rc->run.d->clients.smd;
    char *label = tided_home_group(n->pool);
    tide_err e;
    tide_err_clear(&e);
    if (tide_smd_group_add_member(smd, label, n->name, &e) && !e.conflict) {
        tide_error("%s", e.msg);
        free(label);
        return;
    }
    tide_info("%s: home pool is %s", n->name, n->pool->name);
    free(label);
    /* It left its former home pool for good (an admin moved it): forget that one. */
    for (size_t i = 0; i < c->npools; i++) {
        if (!lends(&c->pools[i]) || &c->pools[i] == n->pool)
            continue;
        char *other = tided_home_group(&c->pools[i]);
        for (size_t g = 0; g < groups->n; g++)
            if (!strcasecmp(groups->groups[g].label, other) && tide_group_has_member(&groups->groups[g], n->name) &&
                tide_smd_group_remove_member(smd, other, n->name, &e))
                tide_error("%s", e.msg);
        free(other);
    }
    n->home = n->pool;
}

/* Read SMD: where every node is and where its home is.  Returns -1 when SMD cannot be read. */
static int read_smd(rec *rc)
{
    tided_run *r = &rc->run;
    const tide_conf *c = r->d->conf;
    const char **labels = xcalloc(2 * c->npools + 1, sizeof(*labels));
    char **owned = xcalloc(c->npools + 1, sizeof(*owned));
    size_t nl = 0, no = 0;
    tide_group_list groups = { 0 };
    tide_err e;

    for (size_t i = 0; i < c->npools; i++) {
        labels[nl++] = c->pools[i].group;
        if (lends(&c->pools[i]))
            labels[nl++] = owned[no++] = tided_home_group(&c->pools[i]);
    }
    int rcode = tide_smd_groups_list(r->d->clients.smd, labels, nl, &groups, &e);
    if (rcode) {
        tide_error("%s", e.msg);
        goto out;
    }
    if (!rc->groups_ok)
        ensure_groups(rc, &groups);

    for (size_t i = 0; i < r->nnodes; i++) {
        tided_node *n = r->nodes[i];
        n->home = NULL;
        n->pool = NULL;
        n->where = TIDED_AT_NONE;
    }
    for (size_t g = 0; g < groups.n; g++) {
        const tide_group *grp = &groups.groups[g];
        const tide_pool_conf *pool = tide_conf_pool_by_group(c, grp->label);
        const tide_pool_conf *home = NULL;
        if (!pool && !strncasecmp(grp->label, TIDED_HOME_GROUP_PREFIX, strlen(TIDED_HOME_GROUP_PREFIX)))
            home = tide_conf_pool(c, grp->label + strlen(TIDED_HOME_GROUP_PREFIX));
        for (size_t m = 0; m < grp->nmembers; m++) {
            /* Only Slurm nodes are tide's to move. */
            if (!tided_slurm_node_find(&rc->snodes, grp->members[m]))
                continue;
            tided_node *n = node_get(rc, grp->members[m]);
            if (pool)
                n->pool = pool;
            else if (home && lends(home))
                n->home = home;
        }
    }
    for (size_t i = 0; i < r->nnodes; i++) {
        tided_node *n = r->nodes[i];
        fix_home(rc, n, &groups);
        if (!n->pool)
            n->where = TIDED_AT_NONE;
        else if (n->pool == n->home)
            n->where = TIDED_AT_HOME;
        else if (c->slurm_pool && !strcmp(n->pool->name, c->slurm_pool))
            n->where = TIDED_AT_SLURM;
        else
            n->where = TIDED_AT_OTHER;
        n->seen = n->home || n->where == TIDED_AT_SLURM;
        if (n->where == TIDED_AT_SLURM && !n->leased_since)
            n->leased_since = r->now;
    }
out:
    tide_group_list_free(&groups);
    for (size_t i = 0; i < no; i++)
        free(owned[i]);
    free(owned);
    free(labels);
    return rcode;
}

static int read_bss(rec *rc)
{
    tided_run *r = &rc->run;
    const char **names = xcalloc(r->nnodes + 1, sizeof(*names));
    size_t n = 0;
    tide_bootparams_list l = { 0 };
    tide_err e;
    int rcode;

    for (size_t i = 0; i < r->nnodes; i++)
        if (r->nodes[i]->seen)
            names[n++] = r->nodes[i]->name;
    /* Past two chunks one GET of everything is cheaper than many by name. */
    if (n > 2 * TIDE_BSS_GET_CHUNK)
        rcode = tide_bss_get_all(r->d->clients.bss, &l, &e);
    else
        rcode = n ? tide_bss_get(r->d->clients.bss, names, n, &l, &e) : 0;
    if (rcode)
        tide_error("%s", e.msg);
    else
        for (size_t i = 0; i < r->nnodes; i++) {
            tided_node *node = r->nodes[i];
            const tide_bootparams *bp = node->seen ? tide_bss_params_for(&l, node->name) : NULL;
            free(node->bss_image);
            node->bss_image = bp ? tide_params_image(bp->params) : NULL;
        }
    tide_bootparams_list_free(&l);
    free(names);
    return rcode;
}

/* The Kubernetes nodes that are being moved (or were, before a restart) are looked at. */
static void read_k8s(rec *rc)
{
    tided_run *r = &rc->run;
    for (size_t i = 0; i < r->nnodes; i++) {
        tided_node *n = r->nodes[i];
        if (!n->seen || !n->home || n->home->kind != TIDE_POOL_KUBERNETES)
            continue;
        int moving = n->acquiring || n->where != TIDED_AT_HOME || n->k8s_marked || !n->k8s_known;
        tided_kpool *kp = tided_kpool_of(r, n->home);
        tide_err e;
        if (!kp)
            continue;
        if (moving && tided_kpool_look(kp, n, &e))
            tide_error("%s", e.msg);
        /* Pricing: the pods a drain would evict, refreshed now and then for nodes at home. */
        if (n->where == TIDED_AT_HOME && r->now - n->k8s_pods_at >= PODS_EVERY) {
            long pods;
            if (tided_kpool_pods(kp, n->name, &pods, &e) == 0) {
                n->k8s_pods = pods;
                n->k8s_pods_at = r->now;
            } else {
                tide_error("%s", e.msg);
            }
        }
    }
}

/* ---- deciding ------------------------------------------------------------------- */

static void facts_of(rec *rc, tided_node *n, tided_facts *f)
{
    const tided_slurm_node *s = n->slurm;
    const tide_conf *c = rc->run.d->conf;

    memset(f, 0, sizeof(*f));
    if (s) {
        f->slurm_known = 1;
        f->powered_down = s->powered_down;
        f->powering_up = s->powering_up;
        f->powering_down = s->powering_down;
        f->reboot_issued = s->reboot_issued;
        f->power_down_asked = s->power_down;
        f->down = s->base == TIDED_SLURM_DOWN;
        f->resume_timeout_down = f->down && s->powered_down && s->reason &&
                                 !strncmp(s->reason, RESUME_TIMEOUT_REASON, strlen(RESUME_TIMEOUT_REASON));
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
                tided_node_fail(r, nodes[i], "claim", msg, 0);
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
            tided_node_fail(r, node, "drain", "no Kubernetes client for the node's home pool (see Kubeconfig=)", 0);
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
            tided_metrics_step(r->d->metrics, "drain", "failed", (double)(r->now - node->drain_at));
            tided_node_fail(r, node, "drain", e.msg, 1);
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

/* The Slurm side of a resume that timed out: a strike, then RESUME (after a quarantine drain). */
static void run_resume_timeouts(rec *rc, tided_node **nodes, size_t n)
{
    tided_run *r = &rc->run;
    for (size_t i = 0; i < n; i++) {
        tided_node_fail(r, nodes[i], "resume", "Slurm: ResumeTimeout reached before slurmd registered", 1);
        nodes[i]->failed = 0;
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
    if (d.goal == TIDED_GOAL_ACQUIRE && !n->acquiring && d.step != TIDED_STEP_FAIL)
        start_acquire(rc, n);
    if (d.goal == TIDED_GOAL_HOME && n->where == TIDED_AT_SLURM && !n->who)
        n->who = n->has_hint && n->hint_want == TIDED_WANT_RELEASE
                     ? xasprintf("uid %u %s", n->hint_uid, want_name(n->hint_want)) : xstrdup("tided");
    if (d.step == TIDED_STEP_FAIL) {
        /* Failing is a decision, not a request: record it now; the undo follows. */
        tided_node_fail(r, n, "acquire", d.why, d.strike);
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
        run_resume_timeouts(rc, nodes, n);
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
        s->step = dir && node->step != TIDED_STEP_NONE ? xstrdup(tided_step_name(node->step)) : NULL;
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
    apply_hints(rc);
    tided_slurm_nodes_free(&rc->snodes);
    tided_slurm_jobs_free(&rc->sjobs);
    if (tided_slurm_load_nodes(&rc->snodes, &e)) {
        tide_error("%s", e.msg);
        return;   /* without Slurm's view there is nothing to decide */
    }
    if (tided_slurm_load_jobs(&rc->sjobs, &e))
        tide_error("%s (images are chosen without the jobs' constraints this pass)", e.msg);
    if (read_smd(rc))
        return;   /* where the nodes are is the one fact every step needs */
    refresh_slurm(rc);
    if (read_bss(rc))
        return;
    tided_boots_poll(r);
    r->now = time(NULL);
    read_k8s(rc);

    unsigned *done = xcalloc(r->nnodes + 1, sizeof(*done));
    for (int round = 0; round < MAX_ROUNDS; round++)
        if (!sweep(rc, done))
            break;
    free(done);

    tided_upkeep(r, rc->images, rc->nimages);
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
    tided_slurm_init();
    read_strikes(&rc);

    while (!d->stop) {
        pass(&rc);
        if (d->stop)
            break;
        tided_wait(d, busy(&rc) ? BUSY_PASS_SECONDS : PASS_SECONDS);
    }

    tided_boots_free(rc.run.boots);
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

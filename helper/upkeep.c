/* upkeep.c - Weight, ActiveFeatures, MaxBorrow, holds and quarantine upkeep in Slurm.  See upkeep.h. */
#include "upkeep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <slurm/slurm_version.h>

#include "log.h"
#include "metrics.h"
#include "strbuf.h"

/* A node at home as Slurm sees it: powered down and not on its way up. */
static int resting(const tided_node *n)
{
    const tided_slurm_node *s = n->slurm;
    return n->seen && s && n->where == TIDED_AT_HOME && s->powered_down && !s->powering_up && !s->powering_down;
}

/* One Slurm update for many nodes: the nodes that share one value. */
typedef struct group {
    char  *value;
    tided_node **nodes;
    size_t n;
} group;

static void group_add(group **gs, size_t *n, const char *value, tided_node *node)
{
    group *g = NULL;
    for (size_t i = 0; i < *n && !g; i++)
        if (!strcmp((*gs)[i].value, value))
            g = &(*gs)[i];
    if (!g) {
        *gs = xrealloc(*gs, sizeof(**gs) * (*n + 1));
        g = &(*gs)[(*n)++];
        g->value = xstrdup(value);
        g->nodes = NULL;
        g->n = 0;
    }
    g->nodes = xrealloc(g->nodes, sizeof(*g->nodes) * (g->n + 1));
    g->nodes[g->n++] = node;
}

/* The group's nodes as a comma list (never a bracket form: every Slurm version parses it). */
static char *group_list(const group *g)
{
    strbuf b = STRBUF_INIT;
    for (size_t i = 0; i < g->n; i++)
        strbuf_printf(&b, "%s%s", i ? "," : "", g->nodes[i]->name);
    return strbuf_steal(&b);
}

static void groups_free(group *gs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(gs[i].value);
        free(gs[i].nodes);
    }
    free(gs);
}

/* ---- quarantine ------------------------------------------------------------------ */

static void sync_quarantine(tided_run *r)
{
    const tide_conf *c = r->d->conf;
    long quarantined = 0;

    for (size_t i = 0; i < r->nnodes; i++) {
        tided_node *n = r->nodes[i];
        const tided_slurm_node *s = n->slurm;
        if (!n->seen || !s)
            continue;
        int drained = s->drain && s->reason &&
                      !strncmp(s->reason, TIDED_QUARANTINE_REASON, strlen(TIDED_QUARANTINE_REASON));
        if (drained) {
            /* Quarantined (maybe before a restart: Slurm remembers it). */
            n->quarantined = 1;
            n->quarantine_due = 0;
            if (n->strikes < c->quarantine_after)
                n->strikes = c->quarantine_after;
        } else if (n->quarantine_due && !s->powering_up && !s->reboot_issued && !n->acquiring) {
            /* Slurm no longer waits for it: drain it, with a reason an admin reads in `sinfo -R`. */
            char *reason = xasprintf(TIDED_QUARANTINE_REASON " after %d failed attempts: %.300s", n->strikes,
                                     n->last_error ? n->last_error : "unknown error");
            tide_err e;
            if (tided_slurm_drain(n->name, reason, &e) == 0) {
                n->quarantined = 1;
                n->quarantine_due = 0;
                n->quarantined_pass = r->pass;
                tide_error("%s: quarantined after %d failed attempts", n->name, n->strikes);
                tided_record(r, n, "quarantine", NULL, "drained", -1, "ok", reason);
            } else {
                tide_error("%s: %s", n->name, e.msg);
                tided_record(r, n, "quarantine", NULL, "drained", -1, "failed", e.msg);
            }
            free(reason);
        } else if (n->quarantined && !s->drain && n->quarantined_pass != r->pass) {
            /* An admin undrained it (this pass's Slurm view is newer than the drain): a fresh start. */
            n->quarantined = 0;
            n->strikes = 0;
            tided_record(r, n, "unquarantine", NULL, NULL, -1, "ok", NULL);
            tide_info("%s: quarantine lifted in Slurm; strikes reset", n->name);
        }
        quarantined += n->quarantined;
    }
    tided_metrics_set_quarantined(r->d->metrics, quarantined);
}

/* ---- Weight and ActiveFeatures ------------------------------------------------------ */

static void keep_weights(tided_run *r)
{
    const tide_conf *c = r->d->conf;
    group *gs = NULL;
    size_t ng = 0;

    for (size_t i = 0; i < r->nnodes; i++) {
        tided_node *n = r->nodes[i];
        if (!resting(n) || !n->home)
            continue;
        long pods = n->home->kind == TIDE_POOL_KUBERNETES ? n->k8s_pods : 0;
        int sw = c->default_image && (!n->bss_image || strcmp(n->bss_image, c->default_image));
        unsigned long price = tided_price(n->home->cost, pods, sw, n->quarantined);
        if (price == n->slurm->weight)
            continue;
        char v[32];
        snprintf(v, sizeof(v), "%lu", price);
        group_add(&gs, &ng, v, n);
    }
    for (size_t i = 0; i < ng; i++) {
        tide_err e;
        char *list = group_list(&gs[i]);
        int rc = tided_slurm_set_weight(list, (uint32_t)strtoul(gs[i].value, NULL, 10), &e);
        if (rc)
            tide_error("%s", e.msg);
        else
            tide_verbose("Weight=%s for %s", gs[i].value, list);
        for (size_t k = 0; k < gs[i].n; k++) {
            char old[32];
            snprintf(old, sizeof(old), "%lu", (unsigned long)gs[i].nodes[k]->slurm->weight);
            tided_record(r, gs[i].nodes[k], "weight", old, gs[i].value, -1, rc ? "failed" : "ok", rc ? e.msg : NULL);
        }
        free(list);
    }
    groups_free(gs, ng);
}

static void keep_active_features(tided_run *r, const char *const *images, size_t nimages)
{
    group *gs = NULL;
    size_t ng = 0;

    for (size_t i = 0; i < r->nnodes; i++) {
        tided_node *n = r->nodes[i];
        if (!resting(n))
            continue;
        char *want = tided_active_features(n->slurm->features, n->bss_image, images, nimages);
        if (!tided_features_equal(want, n->slurm->features_act))
            group_add(&gs, &ng, want, n);
        free(want);
    }
    for (size_t i = 0; i < ng; i++) {
        tide_err e;
        char *list = group_list(&gs[i]);
        int rc = tided_slurm_set_active_features(list, gs[i].value, &e);
        if (rc)
            tide_error("%s", e.msg);
        else
            tide_info("ActiveFeatures=%s for %s", gs[i].value, list);
        for (size_t k = 0; k < gs[i].n; k++)
            tided_record(r, gs[i].nodes[k], "active-features", gs[i].nodes[k]->slurm->features_act, gs[i].value, -1,
                         rc ? "failed" : "ok", rc ? e.msg : NULL);
        free(list);
    }
    groups_free(gs, ng);
}

/* ---- MaxBorrow and pool gauges -------------------------------------------------------- */

/* The pool gauges; returns, per pool of tide.conf, 1 when it is a Kubernetes pool that has lent MaxBorrow
 * nodes (its resting nodes are to be drained).  Caller frees. */
static int *keep_pools(tided_run *r)
{
    const tide_conf *c = r->d->conf;
    int *full = xcalloc(c->npools + 1, sizeof(*full));

    for (size_t p = 0; p < c->npools; p++) {
        const tide_pool_conf *pool = &c->pools[p];
        long size = 0, out = 0;
        for (size_t i = 0; i < r->nnodes; i++) {
            const tided_node *n = r->nodes[i];
            if (n->seen && n->home == pool) {
                size++;
                out += n->where == TIDED_AT_SLURM;
            }
        }
        if (pool->kind != TIDE_POOL_FREE && pool->kind != TIDE_POOL_KUBERNETES)
            continue;
        tided_metrics_set_pool(r->d->metrics, pool->name, size, out);
        if (pool->kind != TIDE_POOL_KUBERNETES)
            continue;
        long max = tided_max_borrow(pool->max_borrow, pool->max_borrow_percent, size);
        full[p] = max >= 0 && out >= max;
        if (full[p])
            tide_verbose("pool %s lent %ld of %ld nodes (MaxBorrow)", pool->name, out, size);
    }
    return full;
}

/* ---- tide's drains: MaxBorrow and holds ------------------------------------------------- */

/*
 * Slurm 23.02 and later honour Weight for powered-down nodes: the pull cost alone puts the
 * cheapest pool first, and no node is held (holds left by an older Slurm are lifted).
 */
#if SLURM_VERSION_NUMBER >= SLURM_VERSION_NUM(23, 2, 0)
#define WEIGHTS_WORK 1
#else
#define WEIGHTS_WORK 0
#endif

static char *maxborrow_reason(const tide_pool_conf *pool)
{
    return xasprintf(TIDED_SLURM_REASON_PREFIX " pool %s at MaxBorrow", pool->name);
}

/* Whose drain is on the node: only a reason tide wrote, exactly, is tide's. */
static tided_drained drained_as(const tided_slurm_node *s, const char *mb_reason)
{
    if (!s->drain)
        return TIDED_DRAINED_NO;
    if (s->reason && mb_reason && !strcmp(s->reason, mb_reason))
        return TIDED_DRAINED_MAXBORROW;
    if (s->reason && !strcmp(s->reason, TIDED_HOLD_REASON))
        return TIDED_DRAINED_HOLD;
    return TIDED_DRAINED_OTHER;
}

/* Slurm could give the node to a job now, were it not for tide's own drains. */
static int usable(const tided_node *n, tided_drained dr, int maxborrow)
{
    const tided_slurm_node *s = n->slurm;
    if (!n->seen || !s || maxborrow || n->quarantined || n->quarantine_due || dr == TIDED_DRAINED_OTHER)
        return 0;
    if (s->base != TIDED_SLURM_IDLE || s->completing || s->fail || s->invalid_reg)
        return 0;
    if (s->powering_up || s->powering_down || s->power_down || s->reboot_requested || s->reboot_issued)
        return 0;
    /* Powered down, NOT_RESPONDING is no obstacle: 22.05 sets it on an undrain or a resume of a node that is
     * off, and allocates the node all the same. */
    if (resting(n))
        return 1;
    /* Up and idle in the Slurm pool (Slurm prefers these to powered-down nodes). */
    return !s->powered_down && !s->not_responding && n->where == TIDED_AT_SLURM && dr == TIDED_DRAINED_NO;
}

static int job_order(const void *a, const void *b)
{
    const tided_slurm_job *x = *(const tided_slurm_job *const *)a, *y = *(const tided_slurm_job *const *)b;
    if (x->priority != y->priority)
        return x->priority > y->priority ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* The jobs waiting for nodes, highest priority first, as decide.c takes them.  Returns how many. */
static size_t waiting_jobs(const tided_run *r, const tided_slurm_jobs *jobs, tided_hold_job **out)
{
    const tided_slurm_job **w = xcalloc(jobs->n + 1, sizeof(*w));
    size_t nw = 0;
    for (size_t i = 0; i < jobs->n; i++)
        if (jobs->items[i].pending && jobs->items[i].waits_for_nodes)
            w[nw++] = &jobs->items[i];
    if (nw)
        qsort(w, nw, sizeof(*w), job_order);
    *out = xcalloc(nw + 1, sizeof(**out));
    for (size_t i = 0; i < nw; i++) {
        const tided_slurm_job *j = w[i];
        tided_hold_job *h = &(*out)[i];
        h->constraint = j->features;
        h->nodes = j->min_nodes;
        h->cpus = j->min_cpus;
        h->required = (const char *const *)j->req_list;
        h->nrequired = j->nreq;
        h->excluded = (const char *const *)j->exc_list;
        h->nexcluded = j->nexc;
        h->waited = j->eligible_time > 0 && j->eligible_time < r->now ? (long)(r->now - j->eligible_time) : 0;
    }
    free(w);
    return nw;
}

/* One Slurm update for a group of nodes, journaled per node. */
static void apply_drains(tided_run *r, const group *g, int undrain)
{
    tide_err e;
    char *list = group_list(g);
    const char *step = undrain ? g->value : !strcmp(g->value, TIDED_HOLD_REASON) ? "hold" : "maxborrow-drain";
    int rc = undrain ? tided_slurm_undrain(list, &e) : tided_slurm_drain(list, g->value, &e);
    if (rc)
        tide_error("%s", e.msg);
    else if (undrain)
        tide_info("%s: undrained %s", step, list);
    else
        tide_info("drained %s: %s", list, g->value);
    for (size_t k = 0; k < g->n; k++) {
        const tided_node *n = g->nodes[k];
        const char *to = n->home ? n->home->name : NULL;
        tided_record(r, g->nodes[k], step, NULL, to, -1, rc ? "failed" : "ok", rc ? e.msg : NULL);
    }
    free(list);
}

static void keep_drains(tided_run *r, const tided_slurm_jobs *jobs, const int *full, const char *const *images,
                        size_t nimages)
{
    const tide_conf *c = r->d->conf;
    size_t n = r->nnodes;
    tided_hold_node *hn = xcalloc(n + 1, sizeof(*hn));
    tided_drained *dr = xcalloc(n + 1, sizeof(*dr));
    int *mb = xcalloc(n + 1, sizeof(*mb)), *hold = xcalloc(n + 1, sizeof(*hold));

    for (size_t i = 0; i < n; i++) {
        const tided_node *node = r->nodes[i];
        const tided_slurm_node *s = node->slurm;
        hn[i].name = node->name;
        if (!node->seen || !s)
            continue;
        char *mbr = node->home ? maxborrow_reason(node->home) : NULL;
        dr[i] = drained_as(s, mbr);
        free(mbr);
        mb[i] = node->home && full[node->home - c->pools] && resting(node);
        hn[i].features = s->features;
        hn[i].cost = node->home ? node->home->cost : 0;
        long pods = node->home && node->home->kind == TIDE_POOL_KUBERNETES ? node->k8s_pods : 0;
        hn[i].price = tided_price(hn[i].cost, pods, 0, 0);
        hn[i].cpus = s->cpus;
        hn[i].resting = resting(node);
        hn[i].usable = usable(node, dr[i], mb[i]);
    }
    if (jobs) {
        tided_hold_job *wj = NULL;
        size_t nj = waiting_jobs(r, jobs, &wj);
        tided_holds(hn, n, wj, nj, images, nimages, WEIGHTS_WORK, hold);
        free(wj);
    } else {
        /* Without the jobs a hold could keep one waiting: change no hold this pass. */
        for (size_t i = 0; i < n; i++)
            hold[i] = dr[i] == TIDED_DRAINED_HOLD;
    }

    group *gd = NULL, *gu = NULL;   /* drains by reason, undrains by journal step */
    size_t nd = 0, nu = 0;
    for (size_t i = 0; i < n; i++) {
        tided_node *node = r->nodes[i];
        if (!node->seen || !node->slurm)
            continue;
        switch (tided_drain_want(dr[i], mb[i], hold[i])) {
        case TIDED_DRAIN_KEEP:
            break;
        case TIDED_DRAIN_MAXBORROW: {
            char *reason = maxborrow_reason(node->home);
            group_add(&gd, &nd, reason, node);
            free(reason);
            break;
        }
        case TIDED_DRAIN_HOLD:
            group_add(&gd, &nd, TIDED_HOLD_REASON, node);
            break;
        case TIDED_DRAIN_UNDRAIN:
            group_add(&gu, &nu, dr[i] == TIDED_DRAINED_HOLD ? "unhold" : "maxborrow-undrain", node);
            break;
        }
    }
    for (size_t i = 0; i < nu; i++)
        apply_drains(r, &gu[i], 1);
    for (size_t i = 0; i < nd; i++)
        apply_drains(r, &gd[i], 0);
    groups_free(gd, nd);
    groups_free(gu, nu);
    free(hn);
    free(dr);
    free(mb);
    free(hold);
}

void tided_upkeep(tided_run *r, const tided_slurm_jobs *jobs, const char *const *images, size_t nimages)
{
    sync_quarantine(r);
    int *full = keep_pools(r);
    keep_drains(r, jobs, full, images, nimages);
    free(full);
    keep_weights(r);
    keep_active_features(r, images, nimages);
}

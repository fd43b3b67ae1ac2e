/* upkeep.c - Weight, ActiveFeatures, MaxBorrow and quarantine upkeep in Slurm.  See upkeep.h. */
#include "upkeep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void keep_pools(tided_run *r)
{
    const tide_conf *c = r->d->conf;

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
        int full = max >= 0 && out >= max;
        char *reason = xasprintf(TIDED_SLURM_REASON_PREFIX " pool %s at MaxBorrow", pool->name);
        group *gd = NULL, *gu = NULL;   /* one group each: "drain", "undrain" */
        size_t nd = 0, nu = 0;
        for (size_t i = 0; i < r->nnodes; i++) {
            tided_node *n = r->nodes[i];
            if (n->home != pool || !resting(n))
                continue;
            /* Only a drain with exactly tide's reason is ever lifted. */
            int ours = n->slurm->drain && n->slurm->reason && !strcmp(n->slurm->reason, reason);
            if (full && !n->slurm->drain)
                group_add(&gd, &nd, "drain", n);
            else if (!full && ours)
                group_add(&gu, &nu, "undrain", n);
        }
        for (int pass = 0; pass < 2; pass++) {
            const group *g = pass ? gu : gd;
            if (!(pass ? nu : nd))
                continue;
            tide_err e;
            char *list = group_list(g);
            int rc = pass ? tided_slurm_undrain(list, &e) : tided_slurm_drain(list, reason, &e);
            if (rc)
                tide_error("%s", e.msg);
            else if (pass)
                tide_info("pool %s below MaxBorrow again: undrained %s", pool->name, list);
            else
                tide_info("pool %s lent %ld of %ld nodes (MaxBorrow): drained %s", pool->name, out, size, list);
            for (size_t k = 0; k < g->n; k++)
                tided_record(r, g->nodes[k], pass ? "maxborrow-undrain" : "maxborrow-drain", NULL, pool->name, -1,
                             rc ? "failed" : "ok", rc ? e.msg : NULL);
            free(list);
        }
        groups_free(gd, nd);
        groups_free(gu, nu);
        free(reason);
    }
}

void tided_upkeep(tided_run *r, const char *const *images, size_t nimages)
{
    sync_quarantine(r);
    keep_pools(r);
    keep_weights(r);
    keep_active_features(r, images, nimages);
}

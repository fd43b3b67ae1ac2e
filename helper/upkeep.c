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
    strbuf nodes;
} group;

static void group_add(group **gs, size_t *n, const char *value, const char *node)
{
    for (size_t i = 0; i < *n; i++)
        if (!strcmp((*gs)[i].value, value)) {
            strbuf_printf(&(*gs)[i].nodes, ",%s", node);
            return;
        }
    *gs = xrealloc(*gs, sizeof(**gs) * (*n + 1));
    group *g = &(*gs)[(*n)++];
    g->value = xstrdup(value);
    memset(&g->nodes, 0, sizeof(g->nodes));
    strbuf_puts(&g->nodes, node);
}

static void groups_free(group *gs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(gs[i].value);
        strbuf_free(&gs[i].nodes);
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
        if (drained && !n->quarantined) {
            /* Quarantined before a restart: Slurm remembers it. */
            n->quarantined = 1;
            if (n->strikes < c->quarantine_after)
                n->strikes = c->quarantine_after;
        } else if (!drained && n->quarantined && !s->drain) {
            /* An admin undrained it: a fresh start. */
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
        group_add(&gs, &ng, v, n->name);
    }
    for (size_t i = 0; i < ng; i++) {
        tide_err e;
        if (tided_slurm_set_weight(strbuf_str(&gs[i].nodes), (uint32_t)strtoul(gs[i].value, NULL, 10), &e))
            tide_error("%s", e.msg);
        else
            tide_verbose("Weight=%s for %s", gs[i].value, strbuf_str(&gs[i].nodes));
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
            group_add(&gs, &ng, want, n->name);
        free(want);
    }
    for (size_t i = 0; i < ng; i++) {
        tide_err e;
        if (tided_slurm_set_active_features(strbuf_str(&gs[i].nodes), gs[i].value, &e))
            tide_error("%s", e.msg);
        else
            tide_info("ActiveFeatures=%s for %s", gs[i].value, strbuf_str(&gs[i].nodes));
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
        strbuf drain = STRBUF_INIT, undrain = STRBUF_INIT;
        for (size_t i = 0; i < r->nnodes; i++) {
            const tided_node *n = r->nodes[i];
            if (n->home != pool || !resting(n))
                continue;
            int ours = n->slurm->drain && n->slurm->reason && !strcmp(n->slurm->reason, reason);
            if (full && !n->slurm->drain)
                strbuf_printf(&drain, "%s%s", drain.len ? "," : "", n->name);
            else if (!full && ours)
                strbuf_printf(&undrain, "%s%s", undrain.len ? "," : "", n->name);
        }
        tide_err e;
        if (drain.len) {
            if (tided_slurm_drain(strbuf_str(&drain), reason, &e))
                tide_error("%s", e.msg);
            else
                tide_info("pool %s lent %ld of %ld nodes (MaxBorrow): drained %s", pool->name, out, size,
                          strbuf_str(&drain));
        }
        if (undrain.len) {
            if (tided_slurm_undrain(strbuf_str(&undrain), &e))
                tide_error("%s", e.msg);
            else
                tide_info("pool %s below MaxBorrow again: undrained %s", pool->name, strbuf_str(&undrain));
        }
        strbuf_free(&drain);
        strbuf_free(&undrain);
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

/*
 * observe.c - one pass's reads of the services: where every node is (SMD
 * groups, one GET), its image (BSS, one GET), and the Kubernetes nodes being
 * moved.  See observe.h.
 */
#include "observe.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bss.h"
#include "kpool.h"
#include "log.h"
#include "smd.h"
#include "strbuf.h"

int tided_pool_lends(const tide_pool_conf *p)
{
    return p->kind == TIDE_POOL_FREE || p->kind == TIDE_POOL_KUBERNETES;
}

/* Create the Slurm pool group (in the exclusive set) and the home groups (outside it) if missing. */
static int ensure_groups(tided_run *r, const tide_group_list *have)
{
    const tide_conf *c = r->d->conf;
    tide_http *smd = r->d->clients.smd;
    int ok = 1;

    for (size_t i = 0; i < c->npools; i++) {
        const tide_pool_conf *p = &c->pools[i];
        int slurm = p->kind == TIDE_POOL_SLURM && c->slurm_pool && !strcmp(p->name, c->slurm_pool);
        if (!slurm && !tided_pool_lends(p))
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
            if (tide_smd_group_create(smd, &g, &e) == 0)
                tide_info("SMD group %s created", label);
            else if (!e.conflict) {   /* 409: someone created it meanwhile */
                tide_error("%s", e.msg);
                ok = 0;
            }
            free(g.description);
        }
        free(label);
    }
    return ok;
}

/* Put n's home right: a node in a lending pool's group has that pool as home. */
static void fix_home(tided_run *r, tided_node *n, const tide_group_list *groups)
{
    const tide_conf *c = r->d->conf;
    if (!n->pool || !tided_pool_lends(n->pool) || n->home == n->pool)
        return;
    tide_http *smd = r->d->clients.smd;
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
        if (!tided_pool_lends(&c->pools[i]) || &c->pools[i] == n->pool)
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

int tided_observe_smd(tided_run *r, const tided_slurm_nodes *sn, int *groups_ok)
{
    const tide_conf *c = r->d->conf;
    const char **labels = xcalloc(2 * c->npools + 1, sizeof(*labels));
    char **owned = xcalloc(c->npools + 1, sizeof(*owned));
    size_t nl = 0, no = 0;
    tide_group_list groups = { 0 };
    tide_err e;

    for (size_t i = 0; i < c->npools; i++) {
        labels[nl++] = c->pools[i].group;
        if (tided_pool_lends(&c->pools[i]))
            labels[nl++] = owned[no++] = tided_home_group(&c->pools[i]);
    }
    int rcode = tide_smd_groups_list(r->d->clients.smd, labels, nl, &groups, &e);
    if (rcode) {
        tide_error("%s", e.msg);
        goto out;
    }
    if (!*groups_ok)
        *groups_ok = ensure_groups(r, &groups);

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
            if (!tided_slurm_node_find(sn, grp->members[m]))
                continue;
            tided_node *n = tided_node_get(r, grp->members[m]);
            if (pool)
                n->pool = pool;
            else if (home && tided_pool_lends(home))
                n->home = home;
        }
    }
    for (size_t i = 0; i < r->nnodes; i++) {
        tided_node *n = r->nodes[i];
        fix_home(r, n, &groups);
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

int tided_observe_bss(tided_run *r)
{
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

int tided_observe_cloud_init(tided_run *r)
{
    const tide_conf *c = r->d->conf;
    const char **labels = xcalloc(c->nimages + 1, sizeof(*labels));
    size_t nl = 0;
    tide_group_list l = { 0 };
    tide_err e;
    int rcode = 0;

    for (size_t i = 0; i < c->nimages; i++)
        if (c->images[i].cloud_init_group && *c->images[i].cloud_init_group)
            labels[nl++] = c->images[i].cloud_init_group;
    /* No CloudInitGroup= anywhere: nothing to read, every node is right. */
    if (nl && (rcode = tide_smd_groups_list(r->d->clients.smd, labels, nl, &l, &e)))
        tide_error("%s", e.msg);
    for (size_t i = 0; i < r->nnodes; i++) {
        tided_node *node = r->nodes[i];
        free(node->cloud_init);
        node->cloud_init = NULL;
        node->cloud_init_count = 0;
        node->cloud_init_known = !rcode;
        for (size_t g = 0; g < l.n && !rcode; g++) {
            if (!tide_group_has_member(&l.groups[g], node->name))
                continue;
            if (!node->cloud_init_count++)
                node->cloud_init = xstrdup(l.groups[g].label);
        }
    }
    tide_group_list_free(&l);
    free(labels);
    return rcode;
}

void tided_observe_k8s(tided_run *r)
{
    size_t counted = 0;
    for (size_t i = 0; i < r->nnodes; i++) {
        tided_node *n = r->nodes[i];
        if (!n->seen || !n->home || n->home->kind != TIDE_POOL_KUBERNETES || n->where != TIDED_AT_HOME)
            continue;   /* lent nodes need no look: the drain reads the node itself */
        tided_kpool *kp = tided_kpool_of(r, n->home);
        tide_err e;
        if (!kp)
            continue;
        /* Home and still marked (waiting to be Ready again), or never looked at since tided started. */
        if ((n->k8s_marked || !n->k8s_known) && tided_kpool_look(kp, n, &e))
            tide_error("%s", e.msg);
        /* Pricing: the pods a drain would evict, refreshed now and then, a few nodes per pass. */
        if (counted < TIDED_PODS_PER_PASS && r->now - n->k8s_pods_at >= TIDED_PODS_EVERY) {
            counted++;
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

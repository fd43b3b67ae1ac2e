/*
 * group_moves.c - moving nodes between SMD groups: the claim (home pool ->
 * Slurm pool), the way back (Slurm pool -> home pool), and the cloud-init
 * group of the image a node boots.  See transition.h.
 *
 * Two ways to the same outcome:
 *
 *   per node   DELETE from the source group, POST to the target.  Each node
 *              wins or loses its own race (the shared exclusiveGroup makes a
 *              rival's POST a 409).  Two requests a node, spread over parallel
 *              connections for large batches.
 *   in bulk    (BulkGroupMoves=yes, the default; batches of TIDED_BULK_MIN
 *              nodes or more) read each group afresh, PUT the source without
 *              the batch, then PUT the target with it: OpenCHAMI's PUT members
 *              replaces a group in one database transaction.  Two requests per
 *              group touched, whatever the batch size.
 *
 * Why the bulk way is as safe as the per-node one against the race that
 * matters, a rival claiming the same node: a PUT that would put a node in a
 * group while it is in another group of the exclusiveGroup fails as a whole
 * (SMD answers 500, not 409) and changes nothing.  So if a rival took a node of
 * the batch, or took a node of the source group that our PUT would put back,
 * the PUT fails and the batch goes the per-node way, where each node wins or
 * loses alone.  A rival that has only deleted the node when our PUT puts it
 * back loses: its POST gets the 409.  Every node stays in exactly one group.
 *
 * What a PUT cannot see is a node another party adds to the group in the
 * milliseconds between our read and our PUT: the PUT drops it, and it is in no
 * group.  tided puts any Slurm node it finds in no pool back in its home pool
 * on its next pass (the tide-home-<pool> groups remember homes), but a node
 * Slurm does not know would stay out.  Sites where other tools write tide's
 * pool groups while tided runs set BulkGroupMoves=no.  CSM has no PUT members
 * (405): the first 405 turns the bulk way off until tided restarts.
 */
#include "transition.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "strbuf.h"

/* ---- one node's move, the per-node way --------------------------------------------------- */

/* Source group of a claim: its home pool's group, NULL when it is in no pool. */
static const char *claim_source(const tided_node *n)
{
    return n->where == TIDED_AT_HOME && n->pool ? n->pool->group : NULL;
}

static void claimed(tided_run *r, tided_node *n, const char *from, double t0)
{
    n->where = TIDED_AT_SLURM;
    n->pool = tide_conf_pool(r->d->conf, r->d->conf->slurm_pool);
    n->lease_booted = 0;
    n->leased_since = r->now;
    tided_record(r, n, "claim", from, r->slurm_group, tided_mono() - t0, "ok", NULL);
}

/* The POST half of a claim: the node is out of `from` (NULL: it was in no group). */
static void claim_add(tided_run *r, tide_http *smd, tided_node *n, const char *from, double t0)
{
    tide_err e;
    tide_err_clear(&e);
    if (!tide_smd_group_add_member(smd, r->slurm_group, n->name, &e)) {
        claimed(r, n, from, t0);
        return;
    }
    if (e.conflict) {
        /* Lost the race: another claimer put it in its own group since it left ours. */
        tided_node_fail(r, n, "claim", e.msg, 0, tided_mono() - t0);
        return;
    }
    /* Not in any group now: put it back where it was (the next pass repairs it otherwise). */
    tide_err e2;
    if (from && tide_smd_group_add_member(smd, from, n->name, &e2))
        tide_error("%s: cannot put it back in %s: %s", n->name, from, e2.msg);
    tided_node_fail(r, n, "claim", e.msg, 1, tided_mono() - t0);
}

static void claim_one(tided_run *r, tide_http *smd, tided_node *n)
{
    const char *from = claim_source(n);
    double t0 = tided_mono();
    tide_err e;

    tide_err_clear(&e);
    if (from && tide_smd_group_remove_member(smd, from, n->name, &e)) {
        /* 404: it left the group since we read it: someone else took it. */
        tided_node_fail(r, n, "claim", e.msg, e.http_status != 404, tided_mono() - t0);
        return;
    }
    claim_add(r, smd, n, from, t0);
}

static void homed(tided_run *r, tided_node *node, const char *from, double t0)
{
    const char *to = node->home->group;
    tided_record(r, node, "home-group", from, to, tided_mono() - t0, "ok", NULL);
    node->where = TIDED_AT_HOME;
    node->pool = node->home;
    node->leased_since = 0;
    node->has_hint = 0;
    tided_node_reset(node);
    if (!node->home || node->home->kind != TIDE_POOL_KUBERNETES)
        node->lease_booted = 0;   /* a Kubernetes node still needs it for its return */
    tide_info("%s: back in %s", node->name, to);
}

/* The POST half of the way home: the node is out of the Slurm pool (from: where it was). */
static void home_add(tided_run *r, tide_http *smd, tided_node *node, const char *from, double t0)
{
    tide_err e;
    tide_err_clear(&e);
    if (!tide_smd_group_add_member(smd, node->home->group, node->name, &e)) {
        homed(r, node, from, t0);
        return;
    }
    /* 409: someone else took it as soon as it left Slurm: it is theirs, and not ours to fix. */
    tide_error("%s: %s", node->name, e.msg);
    tided_record(r, node, "home-group", r->slurm_group, node->home->group, tided_mono() - t0, "failed", e.msg);
    node->where = e.conflict ? TIDED_AT_OTHER : TIDED_AT_NONE;
}

static void home_one(tided_run *r, tide_http *smd, tided_node *node)
{
    int in_slurm = node->where == TIDED_AT_SLURM;
    double t0 = tided_mono();
    tide_err e;
    tide_err_clear(&e);
    if (in_slurm && tide_smd_group_remove_member(smd, r->slurm_group, node->name, &e) && e.http_status != 404) {
        tide_error("%s: %s", node->name, e.msg);
        tided_record(r, node, "home-group", r->slurm_group, node->home->group, tided_mono() - t0, "failed",
                     e.msg);
        return;
    }
    home_add(r, smd, node, in_slurm ? r->slurm_group : NULL, t0);
}

/* ---- per-node moves on parallel connections for large batches ------------------------------ */

int tided_workers_open(tided_run *r, size_t n, tide_err *e)
{
    const tide_conf *c = r->d->conf;
    r->workers = xcalloc(n ? n : 1, sizeof(*r->workers));
    for (size_t i = 0; i < n; i++) {
        tided_smd_worker *w = &r->workers[i];
        tide_http_opts o;
        if (tide_conf_token(c, &w->token, e))
            return -1;
        tide_conf_http_opts(c, "SMD", c->smd_url, w->token, &o);
        if (!(w->smd = tide_http_new(&o, e))) {
            tide_token_free(w->token);
            w->token = NULL;
            return -1;
        }
        r->nworkers++;
    }
    return 0;
}

void tided_workers_close(tided_run *r)
{
    for (size_t i = 0; i < r->nworkers; i++) {
        tide_http_free(r->workers[i].smd);
        tide_token_free(r->workers[i].token);
    }
    free(r->workers);
    r->workers = NULL;
    r->nworkers = 0;
}

typedef void (*move_fn)(tided_run *r, tide_http *smd, tided_node *n);

typedef struct move_job {
    tided_run *r;
    tide_http *smd;
    move_fn fn;
    tided_node **nodes;
    size_t n, first, step;   /* nodes first, first+step, ... */
} move_job;

static void *move_thread(void *arg)
{
    move_job *j = arg;
    for (size_t i = j->first; i < j->n; i += j->step)
        j->fn(j->r, j->smd, j->nodes[i]);
    return NULL;
}

/* Run fn for every node: on the main connection, or spread over the workers.  Each node is
 * touched by one thread only; the journal and the metrics are thread-safe. */
static void move_all(tided_run *r, move_fn fn, tided_node **nodes, size_t n)
{
    size_t nw = r->nworkers < n ? r->nworkers : n;
    if (n < TIDED_PARALLEL_MIN || nw < 2) {
        for (size_t i = 0; i < n; i++)
            fn(r, r->d->clients.smd, nodes[i]);
        return;
    }
    pthread_t *th = xcalloc(nw, sizeof(*th));
    move_job *jobs = xcalloc(nw, sizeof(*jobs));
    size_t started = 0;
    for (size_t k = 0; k < nw; k++) {
        jobs[k] = (move_job){ r, r->workers[k].smd, fn, nodes, n, k, nw };
        if (pthread_create(&th[k], NULL, move_thread, &jobs[k]) != 0)
            break;
        started++;
    }
    for (size_t k = 0; k < started; k++)
        pthread_join(th[k], NULL);
    /* Threads that could not start: their share runs here. */
    for (size_t k = started; k < nw; k++)
        move_thread(&jobs[k]);
    free(th);
    free(jobs);
}

/* ---- the bulk way ------------------------------------------------------------------------ */

static int bulk_wanted(const tided_run *r, size_t n)
{
    return n >= TIDED_BULK_MIN && r->d->conf->bulk_group_moves && !r->bulk_off;
}

/* A PUT members that failed: 405 is a server without PUT members (CSM). */
static void bulk_failed(tided_run *r, const char *label, const tide_err *e)
{
    if (e->http_status == 405) {
        tide_info("SMD has no PUT of group members (CSM?): group moves go node by node from now on");
        r->bulk_off = 1;
        return;
    }
    tide_info("group %s: bulk move refused (%s): node by node instead", label, e->msg);
}

/* PUT group g's members (as read) less `out` plus `in`: one request whatever the numbers.  A
 * refusal changes nothing; it is logged, and a 405 turns bulk moves off. */
static int put_changed(tided_run *r, const tide_group *g, const char *const *out, size_t nout,
                       const char *const *in, size_t nin, tide_err *e)
{
    const char **ids = xcalloc(g->nmembers + nin + 1, sizeof(*ids));
    size_t nids = 0;
    for (size_t m = 0; m < g->nmembers; m++) {
        int leaving = 0;
        for (size_t i = 0; i < nout && !leaving; i++)
            leaving = !strcmp(g->members[m], out[i]);
        if (!leaving)
            ids[nids++] = g->members[m];
    }
    for (size_t i = 0; i < nin; i++)
        if (!tide_group_has_member(g, in[i]))
            ids[nids++] = in[i];
    int rc = tide_smd_group_set_members(r->d->clients.smd, g->label, ids, nids, e);
    if (rc)
        bulk_failed(r, g->label, e);
    free(ids);
    return rc;
}

static const char **names_of(tided_node **nodes, size_t n)
{
    const char **names = xcalloc(n + 1, sizeof(*names));
    for (size_t i = 0; i < n; i++)
        names[i] = nodes[i]->name;
    return names;
}

/*
 * Replace group `label` by its current members (read now), less the nodes in `out`, plus
 * the nodes in `in`.  Returns 0 when SMD took the new list; -1 (logged) when nothing changed.
 * `present[i]` (when not NULL) tells whether out[i] was still a member.
 */
static int bulk_put(tided_run *r, const char *label, tided_node **out, size_t nout, unsigned char *present,
                    tided_node **in, size_t nin)
{
    tide_group g;
    tide_err e;

    memset(&g, 0, sizeof(g));
    if (tide_smd_group_get(r->d->clients.smd, label, &g, &e)) {
        tide_info("group %s: %s: node by node instead", label, e.msg);
        return -1;
    }
    for (size_t i = 0; i < nout && present; i++)
        present[i] = (unsigned char)tide_group_has_member(&g, out[i]->name);
    const char **out_names = names_of(out, nout), **in_names = names_of(in, nin);
    int rc = put_changed(r, &g, out_names, nout, in_names, nin, &e);
    free(out_names);
    free(in_names);
    tide_group_free(&g);
    return rc;
}

/* The claim of nodes[0..n) from one source group (NULL: in no group) in bulk.  Nodes still
 * to be claimed the per-node way are left in *rest. */
static void bulk_claim(tided_run *r, tided_node **nodes, size_t n, tided_node **rest, size_t *nrest)
{
    double t0 = tided_mono();
    tided_node **in = xcalloc(n, sizeof(*in));
    const char **from = xcalloc(n, sizeof(*from));
    unsigned char *done = xcalloc(n, 1), *present = xcalloc(n, 1);
    size_t nin = 0;

    /* The sources, one PUT each. */
    for (size_t i = 0; i < n; i++) {
        const char *src = claim_source(nodes[i]);
        if (done[i])
            continue;
        if (!src) {
            done[i] = 1;
            in[nin++] = nodes[i];
            continue;
        }
        tided_node **batch = xcalloc(n, sizeof(*batch));
        size_t nb = 0;
        for (size_t k = i; k < n; k++) {
            const char *other = claim_source(nodes[k]);
            if (!done[k] && other && !strcmp(other, src)) {
                done[k] = 1;
                batch[nb++] = nodes[k];
            }
        }
        if (bulk_put(r, src, batch, nb, present, NULL, 0)) {
            for (size_t k = 0; k < nb; k++)
                rest[(*nrest)++] = batch[k];
        } else {
            for (size_t k = 0; k < nb; k++) {
                if (present[k]) {
                    from[nin] = src;
                    in[nin++] = batch[k];
                } else {
                    tided_node_fail(r, batch[k], "claim", "SMD: it left its home group since tided read it "
                                    "(another party took it)", 0, tided_mono() - t0);
                }
            }
        }
        free(batch);
    }

    /* The target: one PUT; if it fails, every node that left its source goes on alone. */
    if (nin && !r->bulk_off && !bulk_put(r, r->slurm_group, NULL, 0, NULL, in, nin)) {
        for (size_t i = 0; i < nin; i++)
            claimed(r, in[i], from[i], t0);
        tide_info("claimed %zu node(s) into %s in bulk", nin, r->slurm_group);
    } else {
        for (size_t i = 0; i < nin; i++)
            claim_add(r, r->d->clients.smd, in[i], from[i], t0);
    }
    free(in);
    free(from);
    free(done);
    free(present);
}

/* The way home of nodes[0..n) in bulk: out of the Slurm pool in one PUT, into each home
 * group in one PUT.  Nodes still to be moved the per-node way are left in *rest. */
static void bulk_home(tided_run *r, tided_node **nodes, size_t n, tided_node **rest, size_t *nrest)
{
    double t0 = tided_mono();
    tided_node **out = xcalloc(n, sizeof(*out));
    unsigned char *done = xcalloc(n, 1);
    size_t nout = 0;

    for (size_t i = 0; i < n; i++)
        if (nodes[i]->where == TIDED_AT_SLURM)
            out[nout++] = nodes[i];
    if (nout && bulk_put(r, r->slurm_group, out, nout, NULL, NULL, 0)) {
        /* Nothing changed: all of them go node by node. */
        for (size_t i = 0; i < n; i++)
            rest[(*nrest)++] = nodes[i];
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (done[i])
            continue;
        const char *to = nodes[i]->home->group;
        tided_node **batch = xcalloc(n, sizeof(*batch));
        size_t nb = 0;
        for (size_t k = i; k < n; k++)
            if (!done[k] && !strcmp(nodes[k]->home->group, to)) {
                done[k] = 1;
                batch[nb++] = nodes[k];
            }
        int ok = !bulk_put(r, to, NULL, 0, NULL, batch, nb);
        for (size_t k = 0; k < nb; k++) {
            const char *from = batch[k]->where == TIDED_AT_SLURM ? r->slurm_group : NULL;
            if (ok)
                homed(r, batch[k], from, t0);
            else
                home_add(r, r->d->clients.smd, batch[k], from, t0);
        }
        if (ok)
            tide_info("moved %zu node(s) back into %s in bulk", nb, to);
        free(batch);
    }
out:
    free(out);
    free(done);
}

/* ---- cloud-init groups -------------------------------------------------------------------- */

/* Add `add` to group g and take `del` out of it: one PUT of the new list (bulk), or one POST or
 * DELETE a node.  These groups are not exclusive: a member added twice (409) or removed twice
 * (404) is already where it should be. */
static int group_change(tided_run *r, const tide_group *g, const char **add, size_t nadd, const char **del,
                        size_t ndel, tide_err *e)
{
    tide_http *smd = r->d->clients.smd;

    if (!nadd && !ndel)
        return 0;
    if (bulk_wanted(r, nadd + ndel) && !put_changed(r, g, del, ndel, add, nadd, e))
        return 0;
    for (size_t i = 0; i < nadd; i++) {
        tide_err_clear(e);
        if (tide_smd_group_add_member(smd, g->label, add[i], e) && !e->conflict)
            return -1;
    }
    for (size_t i = 0; i < ndel; i++) {
        tide_err_clear(e);
        if (tide_smd_group_remove_member(smd, g->label, del[i], e) && e->http_status != 404)
            return -1;
    }
    return 0;
}

int tided_cloud_init_groups(tided_run *r, tided_node **nodes, size_t n, const tide_image_conf *img, tide_err *e)
{
    const tide_conf *c = r->d->conf;
    const char **labels = xcalloc(c->nimages + 1, sizeof(*labels));
    size_t nl = 0;
    tide_group_list have = { 0 };
    int rc = 0;

    for (size_t i = 0; i < c->nimages; i++) {
        const char *g = c->images[i].cloud_init_group;
        int dup = 0;
        for (size_t k = 0; k < nl && !dup && g; k++)
            dup = !strcasecmp(labels[k], g);
        if (g && *g && !dup)
            labels[nl++] = g;
    }
    if (!nl || !n)
        goto out;
    if ((rc = tide_smd_groups_list(r->d->clients.smd, labels, nl, &have, e)))
        goto out;

    const char *want = img->cloud_init_group && *img->cloud_init_group ? img->cloud_init_group : NULL;
    const char **ids = xcalloc(n, sizeof(*ids));
    int found = 0;
    for (size_t gi = 0; gi < have.n && !rc; gi++) {
        const tide_group *g = &have.groups[gi];
        int target = want && !strcasecmp(g->label, want);
        size_t nids = 0;
        found |= target;
        for (size_t i = 0; i < n; i++)
            if (target != tide_group_has_member(g, nodes[i]->name))
                ids[nids++] = nodes[i]->name;
        rc = target ? group_change(r, g, ids, nids, NULL, 0, e) : group_change(r, g, NULL, 0, ids, nids, e);
    }
    if (!rc && want && !found) {
        /* The image's group does not exist yet: created with the nodes in it. */
        tide_group g = { 0 };
        g.label = (char *)want;
        g.description = xasprintf("tide: the nodes running image %s (cloud-init)", img->name);
        g.members = (char **)ids;
        for (size_t i = 0; i < n; i++)
            ids[g.nmembers++] = nodes[i]->name;
        tide_err_clear(e);
        if ((rc = tide_smd_group_create(r->d->clients.smd, &g, e)) == 0)
            tide_info("SMD group %s created (CloudInitGroup of image %s)", want, img->name);
        free(g.description);
    }
    free(ids);
out:
    tide_group_list_free(&have);
    free(labels);
    return rc;
}

int tided_cloud_init_matches(const tided_run *r, const tided_node *n, const char *image)
{
    const tide_image_conf *img = image ? tide_conf_image(r->d->conf, image) : NULL;
    if (!img || !n->cloud_init_known)
        return 1;
    if (!img->cloud_init_group || !*img->cloud_init_group)
        return n->cloud_init_count == 0;
    return n->cloud_init_count == 1 && !strcasecmp(n->cloud_init, img->cloud_init_group);
}

/* ---- the steps ------------------------------------------------------------------------------ */

typedef void (*bulk_fn)(tided_run *r, tided_node **nodes, size_t n, tided_node **rest, size_t *nrest);

/* In bulk when it pays, then node by node for what the bulk way left. */
static void move_step(tided_run *r, tided_node **nodes, size_t n, bulk_fn bulk, move_fn one)
{
    if (!bulk_wanted(r, n)) {
        move_all(r, one, nodes, n);
        return;
    }
    tided_node **rest = xcalloc(n, sizeof(*rest));
    size_t nrest = 0;
    bulk(r, nodes, n, rest, &nrest);
    move_all(r, one, rest, nrest);
    free(rest);
}

void tided_step_claim(tided_run *r, tided_node **nodes, size_t n)
{
    move_step(r, nodes, n, bulk_claim, claim_one);
}

void tided_step_home_group(tided_run *r, tided_node **nodes, size_t n)
{
    move_step(r, nodes, n, bulk_home, home_one);
}

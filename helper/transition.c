/*
 * transition.c - the steps of a node's move, batched.  See transition.h.
 * The SMD group moves (claim, home group) are in group_moves.c.
 *
 * Requests per batch of N nodes moved into Slurm: SMD 4 for the group moves
 * in bulk (2N node by node), BSS 1 per image, SMD 1 reservation + PCS 1
 * transition + PCS 1 GET per pass while it runs + SMD 1 release.  The release
 * costs the same.  A running node switched by kexec (kexec.c) costs one POST
 * to its node agent instead of the reservation and the transition.
 */
#include "transition.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bss.h"
#include "client.h"
#include "hostlist.h"
#include "journal.h"
#include "kexec.h"
#include "log.h"
#include "metrics.h"
#include "pcs.h"
#include "strbuf.h"

/* ---- the node table ---------------------------------------------------------- */

tided_node *tided_node_new(const char *name)
{
    tided_node *n = xcalloc(1, sizeof(*n));
    n->name = xstrdup(name);
    n->lease_booted = -1;
    n->k8s_pods = -1;
    return n;
}

void tided_node_free(tided_node *n)
{
    if (!n)
        return;
    free(n->name);
    free(n->bss_image);
    free(n->cloud_init);
    free(n->image);
    free(n->who);
    free(n->last_error);
    free(n->hint_image);
    free(n);
}

static int node_cmp(const void *key, const void *elem)
{
    return strcmp(key, (*(tided_node *const *)elem)->name);
}

tided_node *tided_node_find(const tided_run *r, const char *name)
{
    if (!r->nnodes)
        return NULL;
    tided_node **found = bsearch(name, r->nodes, r->nnodes, sizeof(*r->nodes), node_cmp);
    return found ? *found : NULL;
}

tided_node *tided_node_get(tided_run *r, const char *name)
{
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

char *tided_home_group(const tide_pool_conf *pool)
{
    return xasprintf(TIDED_HOME_GROUP_PREFIX "%s", pool->name);
}

static void set_str(char **dst, const char *s)
{
    free(*dst);
    *dst = s ? xstrdup(s) : NULL;
}

/* ---- journal, metrics, failure -------------------------------------------------- */

void tided_record(tided_run *r, tided_node *n, const char *step, const char *from, const char *to,
                  double seconds, const char *result, const char *error)
{
    tided_journal_write(r->d->journal, n->who ? n->who : "tided", n->job_id, n->name, from, to, step,
                        seconds < 0 ? -1 : (long)(seconds * 1000.0), result, error);
    if (seconds >= 0)
        tided_metrics_step(r->d->metrics, step, result, seconds);
}

void tided_node_fail(tided_run *r, tided_node *n, const char *step, const char *error, int strike, double seconds)
{
    const tide_conf *c = r->d->conf;

    tide_error("%s: %s failed: %s", n->name, step, error);
    n->failed = 1;
    set_str(&n->last_error, error);
    tided_record(r, n, step, NULL, n->image, seconds < 0 ? 0 : seconds, "failed", error);
    if (!strike)
        return;
    n->strikes++;
    char count[32];
    snprintf(count, sizeof(count), "%d", n->strikes);
    tided_record(r, n, "strike", NULL, count, -1, "failed", error);
    if (n->strikes < c->quarantine_after || n->quarantined || n->quarantine_due)
        return;
    /* Not drained here: Slurm's POWER_DOWN_FORCE of the undo would clear the drain again. */
    n->quarantine_due = 1;
    tide_error("%s: %d failed attempts in a row: to be quarantined", n->name, n->strikes);
}

void tided_node_reset(tided_node *n)
{
    n->acquiring = 0;
    n->acquire_at = 0;
    n->acquire_mono = 0;
    n->failed = 0;
    n->drained = 0;
    n->drain_at = 0;
    n->boot_pending = 0;
    n->booted = 0;
    n->boot_at = n->boot_done_at = 0;
    n->boot_done_mono = 0;
    n->boot_blocked_at = 0;
    n->home_power_pending = n->home_powered = 0;
    n->home_power_at = 0;
    n->job_id = 0;
    set_str(&n->image, NULL);
    set_str(&n->who, NULL);
}

double tided_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

char *tided_image_params(const tide_image_conf *img)
{
    return img->params && *img->params ? xasprintf("%s tide.image=%s", img->params, img->name)
                                       : xasprintf("tide.image=%s", img->name);
}

/* ---- image: one BSS PUT per image -------------------------------------------------- */

/* The image node i is to get in this step. */
static const char *target_image(const tided_node *n, int home)
{
    return home ? (n->home ? n->home->home_image : NULL) : n->image;
}

void tided_step_image(tided_run *r, tided_node **nodes, size_t n, int home)
{
    unsigned char *done = xcalloc(n ? n : 1, 1);

    for (size_t i = 0; i < n; i++) {
        if (done[i])
            continue;
        const char *name = target_image(nodes[i], home);
        const tide_image_conf *img = name ? tide_conf_image(r->d->conf, name) : NULL;
        /* Every node of this pass that wants the same image goes into one PUT. */
        const char **hosts = xcalloc(n, sizeof(*hosts));
        tided_node **batch = xcalloc(n, sizeof(*batch));
        size_t nb = 0;
        for (size_t k = i; k < n; k++) {
            const char *other = target_image(nodes[k], home);
            if (done[k] || !other || !name || strcmp(other, name))
                continue;
            done[k] = 1;
            batch[nb] = nodes[k];
            hosts[nb++] = nodes[k]->name;
        }
        done[i] = 1;
        if (!img) {
            char *msg = xasprintf("image %s has no Image= record in %s", name ? name : "(none)",
                                  r->d->conf->path);
            if (nb == 0)
                batch[nb++] = nodes[i];
            for (size_t k = 0; k < nb; k++)
                if (!home)
                    tided_node_fail(r, batch[k], "image", msg, 0, 0);
                else
                    tide_error("%s: %s", batch[k]->name, msg);
            free(msg);
        } else {
            char *params = tided_image_params(img);
            double t0 = tided_mono();
            tide_err e;
            /* The image's cloud-init configuration first, then BSS points the nodes at the image. */
            int rc = tided_cloud_init_groups(r, batch, nb, img, &e) ||
                     tide_bss_put(r->d->clients.bss, hosts, nb, img->kernel, img->initrd, params, &e);
            double dt = tided_mono() - t0;
            for (size_t k = 0; k < nb; k++) {
                tided_node *node = batch[k];
                const char *step = home ? "home-image" : "image";
                if (rc == 0) {
                    tided_record(r, node, step, node->bss_image, img->name, dt, "ok", NULL);
                    set_str(&node->bss_image, img->name);
                    set_str(&node->cloud_init, img->cloud_init_group && *img->cloud_init_group
                                                   ? img->cloud_init_group : NULL);
                    node->cloud_init_count = node->cloud_init != NULL;
                } else if (!home) {
                    tided_node_fail(r, node, step, e.msg, 1, dt);
                } else {
                    tide_error("%s: %s", node->name, e.msg);
                    tided_record(r, node, step, node->bss_image, img->name, dt, "failed", e.msg);
                }
            }
            free(params);
        }
        free(hosts);
        free(batch);
    }
    free(done);
}

/* ---- boot: kexec through the node agents (kexec.c), else one SMD reservation and one PCS
 * transition per operation ------------------------------------------------------------------ */

static int minutes_for(int seconds)
{
    int m = (seconds + 59) / 60;
    return m < 1 ? 1 : m;
}

static void boot_fail_node(tided_run *r, tided_node *n, int home, const char *op, const char *error)
{
    if (home) {
        n->home_power_pending = 0;
        n->home_power_at = r->now;
        tide_error("%s: home-power (%s) failed: %s", n->name, op, error);
        tided_record(r, n, "home-power", NULL, op, -1, "failed", error);
    } else {
        n->boot_pending = 0;
        tided_node_fail(r, n, "boot", error, 1, 0);
    }
}

static void boot_batch(tided_run *r, tided_node **nodes, size_t n, int home, const char *op)
{
    tide_http *smd = r->d->clients.smd, *pcs = r->d->clients.pcs;
    const char **ids = xcalloc(n, sizeof(*ids));
    const char **keys = xcalloc(n, sizeof(*keys));
    tided_node **ok = xcalloc(n, sizeof(*ok));
    size_t nok = 0;
    tide_reservations res = { 0 };
    tide_err e;

    for (size_t i = 0; i < n; i++)
        ids[i] = nodes[i]->name;
    /* Flexible: a node someone else holds fails alone, the others boot. */
    if (tide_smd_reserve(smd, ids, n, 0, TIDED_RESERVATION_MINUTES, &res, &e)) {
        for (size_t i = 0; i < n; i++)
            boot_fail_node(r, nodes[i], home, op, e.msg);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const tide_reservation *mine = NULL;
        for (size_t k = 0; k < res.nok && !mine; k++)
            if (!strcmp(res.ok[k].id, nodes[i]->name))
                mine = &res.ok[k];
        if (!mine) {
            const char *why = "not reserved";
            for (size_t k = 0; k < res.nfailed; k++)
                if (!strcmp(res.failed[k].id, nodes[i]->name))
                    why = res.failed[k].reason;
            char *msg = xasprintf("SMD: cannot reserve %s for the power step: %s", nodes[i]->name, why);
            tided_node *node = nodes[i];
            if (!home && !strcmp(why, "Reserved") && r->now - node->acquire_at <= r->boot_timeout) {
                /* Most likely tide's own reservation from before a restart: it expires within
                 * TIDED_RESERVATION_MINUTES.  Wait for it rather than fail the node. */
                if (!node->boot_blocked_at)
                    tide_info("%s: %s; trying again", node->name, msg);
                node->boot_blocked_at = r->now;
            } else {
                boot_fail_node(r, node, home, op, msg);
            }
            free(msg);
            continue;
        }
        ids[nok] = nodes[i]->name;
        keys[nok] = mine->deputy_key;
        ok[nok++] = nodes[i];
    }
    if (!nok) {
        tide_smd_reserve_release(smd, &res, &e);
        goto out;
    }
    char *id = NULL;
    if (tide_pcs_transition_start(pcs, op, ids, keys, nok, minutes_for(r->boot_timeout), &id, &e)) {
        for (size_t i = 0; i < nok; i++)
            boot_fail_node(r, ok[i], home, op, e.msg);
        tide_err e2;
        if (tide_smd_reserve_release(smd, &res, &e2))
            tide_error("%s", e2.msg);
        goto out;
    }
    tided_boot *b = xcalloc(1, sizeof(*b));
    b->id = id;
    b->operation = xstrdup(op);
    b->release = home;
    b->nodes = xcalloc(nok, sizeof(*b->nodes));
    b->n = nok;
    b->res = res;
    memset(&res, 0, sizeof(res));
    b->started = b->renewed = r->now;
    b->started_mono = tided_mono();
    b->next = r->boots;
    r->boots = b;
    for (size_t i = 0; i < nok; i++) {
        tided_node *node = ok[i];
        b->nodes[i] = xstrdup(node->name);
        if (home) {
            node->home_power_pending = 1;
            node->home_power_at = r->now;
        } else {
            node->boot_pending = 1;
            node->boot_at = r->now;
            node->boot_blocked_at = 0;
            node->lease_booted = 1;
        }
        tided_record(r, node, home ? "home-power" : "boot", home ? NULL : "pcs", home ? op : node->image, -1,
                     "started", NULL);
    }
    tide_info("PCS transition %s (%s) started for %zu node(s)", id, op, nok);
out:
    tide_reservations_free(&res);
    free(ids);
    free(keys);
    free(ok);
}

void tided_step_boot(tided_run *r, tided_node **nodes, size_t n, int home)
{
    if (!n)
        return;
    if (!home) {
        /* Nodes up in Slurm whose image allows it switch by kexec through their agent; the others,
         * and those whose agent does not accept, power-cycle through PCS in this same pass. */
        size_t left = tided_kexec_boot(r, nodes, n);
        if (left)
            boot_batch(r, nodes, left, 0, "init");
        return;
    }
    /* Release: boot into the home image, or power off (Park=on, or no HomeImage). */
    tided_node **init = xcalloc(n, sizeof(*init)), **off = xcalloc(n, sizeof(*off));
    size_t ni = 0, no = 0;
    for (size_t i = 0; i < n; i++) {
        const tide_pool_conf *p = nodes[i]->home;
        if (p && p->home_image && !p->park)
            init[ni++] = nodes[i];
        else
            off[no++] = nodes[i];
    }
    if (ni)
        boot_batch(r, init, ni, 1, "init");
    if (no)
        boot_batch(r, off, no, 1, "off");
    free(init);
    free(off);
}

/* ---- PCS transitions in flight ----------------------------------------------------- */

static const tide_pcs_task *task_of(const tide_pcs_transition *t, const char *xname)
{
    for (size_t i = 0; i < t->ntasks; i++)
        if (t->tasks[i].xname && !strcasecmp(t->tasks[i].xname, xname))
            return &t->tasks[i];
    return NULL;
}

static void settle(tided_run *r, tided_boot *b, const tide_pcs_transition *t, const char *error)
{
    double dt = tided_mono() - b->started_mono;
    for (size_t i = 0; i < b->n; i++) {
        tided_node *n = tided_node_find(r, b->nodes[i]);
        if (!n)
            continue;
        const tide_pcs_task *task = t ? task_of(t, b->nodes[i]) : NULL;
        int ok;
        char *msg = NULL;
        if (error) {
            ok = 0;
            msg = xstrdup(error);
        } else if (task) {
            ok = tide_pcs_task_ok(task);
            if (!ok)
                msg = xasprintf("PCS: transition %s (%s) of %s: %s%s%s", b->id, b->operation, n->name,
                                task->status, task->error ? ": " : "", task->error ? task->error : "");
        } else {
            /* PCS compressed the record: only the counts are left. */
            ok = t->counts.failed == 0 && t->counts.unsupported == 0;
            if (!ok)
                msg = xasprintf("PCS: transition %s (%s): %d of %d task(s) failed", b->id, b->operation,
                                t->counts.failed + t->counts.unsupported, t->counts.total);
        }
        if (b->release) {
            n->home_power_pending = 0;
            if (ok) {
                n->home_powered = 1;
                tided_record(r, n, "home-power", NULL, b->operation, dt, "ok", NULL);
            } else {
                n->home_power_at = r->now;
                tide_error("%s: %s", n->name, msg);
                tided_record(r, n, "home-power", NULL, b->operation, dt, "failed", msg);
            }
        } else {
            n->boot_pending = 0;
            if (ok) {
                n->booted = 1;
                n->boot_done_at = r->now;
                n->boot_done_mono = tided_mono();
                tided_record(r, n, "boot", "pcs", n->image, dt, "ok", NULL);
            } else {
                tided_node_fail(r, n, "boot", msg, 1, dt);
            }
            tided_metrics_boot(r->d->metrics, "pcs", ok ? "ok" : "failed");
        }
        free(msg);
    }
}

void tided_boots_free(tided_boot *b)
{
    while (b) {
        tided_boot *next = b->next;
        free(b->id);
        free(b->operation);
        for (size_t i = 0; i < b->n; i++)
            free(b->nodes[i]);
        free(b->nodes);
        tide_reservations_free(&b->res);
        free(b);
        b = next;
    }
}

void tided_boots_poll(tided_run *r)
{
    tided_boot **link = &r->boots;

    while (*link) {
        tided_boot *b = *link;
        tide_pcs_transition t;
        tide_err e;
        int finished = 0;
        int late = r->now - b->started > r->boot_timeout;

        memset(&t, 0, sizeof(t));
        if (tide_pcs_transition_get(r->d->clients.pcs, b->id, &t, &e)) {
            tide_error("%s", e.msg);
            if (late) {
                settle(r, b, NULL, e.msg);
                finished = 1;
            }
        } else if (tide_pcs_transition_done(&t)) {
            settle(r, b, &t, NULL);
            finished = 1;
        } else if (late) {
            char *msg = xasprintf("PCS: transition %s (%s) not finished within BootTimeout=%d s",
                                  b->id, b->operation, r->boot_timeout);
            tide_err e2;
            if (tide_pcs_transition_abort(r->d->clients.pcs, b->id, &e2))
                tide_error("%s", e2.msg);
            settle(r, b, NULL, msg);
            free(msg);
            finished = 1;
        }
        tide_pcs_transition_free(&t);
        if (!finished) {
            if (r->now - b->renewed >= TIDED_RESERVATION_RENEW) {
                if (tide_smd_reserve_renew(r->d->clients.smd, &b->res, TIDED_RESERVATION_MINUTES, &e))
                    tide_error("%s", e.msg);
                else
                    b->renewed = r->now;
            }
            link = &b->next;
            continue;
        }
        if (b->res.nok && tide_smd_reserve_release(r->d->clients.smd, &b->res, &e))
            tide_error("%s", e.msg);
        *link = b->next;
        b->next = NULL;
        tided_boots_free(b);
    }
}

/* ---- verify, home group ---------------------------------------------------------- */

void tided_step_verify(tided_run *r, tided_node **nodes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        tided_node *node = nodes[i];
        const char *img = node->image ? node->image : node->want_image;
        double dt = node->boot_done_mono ? tided_mono() - node->boot_done_mono : -1;
        tided_record(r, node, "verify", NULL, img, dt, "ok", NULL);
        if (node->acquire_at)
            tided_record(r, node, "acquire", node->home ? node->home->name : NULL, img,
                         node->acquire_mono ? tided_mono() - node->acquire_mono : -1, "ok", NULL);
        tide_info("%s: up in Slurm in image %s", node->name, img ? img : "?");
        node->strikes = 0;
        node->has_hint = 0;
        tided_node_reset(node);
    }
}

/* ---- Slurm state ------------------------------------------------------------------ */

void tided_step_slurm(tided_run *r, tided_node **nodes, size_t n, tided_step step)
{
    if (!n)
        return;
    const char **names = xcalloc(n, sizeof(*names));
    for (size_t i = 0; i < n; i++)
        names[i] = nodes[i]->name;
    /* A comma list, not a bracket form: every Slurm version parses it. */
    strbuf list = STRBUF_INIT;
    for (size_t i = 0; i < n; i++) {
        if (i)
            strbuf_puts(&list, ",");
        strbuf_puts(&list, names[i]);
    }
    const char *what = step == TIDED_STEP_SLURM_RESUME ? "RESUME"
                     : step == TIDED_STEP_SLURM_DOWN ? "POWER_DOWN_FORCE" : "POWER_DOWN";
    double t0 = tided_mono();
    tide_err e;
    int rc;
    if (step == TIDED_STEP_SLURM_RESUME)
        rc = tided_slurm_resume(strbuf_str(&list), &e);
    else
        rc = tided_slurm_power_down(strbuf_str(&list), step == TIDED_STEP_SLURM_DOWN, &e);
    double dt = tided_mono() - t0;
    for (size_t i = 0; i < n; i++) {
        tided_node *node = nodes[i];
        tided_record(r, node, tided_step_name(step), node->slurm ? node->slurm->state : NULL, what, dt,
                     rc ? "failed" : "ok", rc ? e.msg : NULL);
        if (rc)
            tide_error("%s", e.msg);
        else
            tide_info("%s: Slurm State=%s", node->name, what);
    }
    strbuf_free(&list);
    free(names);
}

/*
 * slurm.c - libslurm glue for tided.  See slurm.h.
 *
 * What Slurm 22.05 honours when tide puts a node back (observed on the
 * testbed, slurmctld 22.05.8 with power saving on and State=CLOUD nodes):
 * see the comment above tided_slurm_power_down().
 */
#include "slurm.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>

#include "hostlist.h"
#include "strbuf.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init_slurm(void)
{
    slurm_init(NULL);
}

void tided_slurm_init(void)
{
    pthread_once(&init_once, init_slurm);
}

static int slurm_error(tide_err *e, const char *what)
{
    int err = slurm_get_errno();
    return tide_err_set(e, "Slurm: %s: %s", what, slurm_strerror(err));
}

static char *dup_or_empty(const char *s)
{
    return xstrdup(s ? s : "");
}

/* ---- nodes ---------------------------------------------------------------- */

static void state_add(strbuf *b, int on, const char *name)
{
    if (on) {
        strbuf_puts(b, "+");
        strbuf_puts(b, name);
    }
}

static void decode_node(const node_info_t *ni, tided_slurm_node *out)
{
    static const char *const bases[] = { "UNKNOWN", "DOWN", "IDLE", "ALLOCATED", "ERROR", "MIXED", "FUTURE" };
    uint32_t st = ni->node_state;
    uint32_t base = st & NODE_STATE_BASE;

    memset(out, 0, sizeof(*out));
    out->name = xstrdup(ni->name);
    out->base = base <= NODE_STATE_FUTURE ? (tided_slurm_base)base : TIDED_SLURM_UNKNOWN;
    out->powered_down = !!(st & NODE_STATE_POWERED_DOWN);
    out->powering_up = !!(st & NODE_STATE_POWERING_UP);
    out->powering_down = !!(st & NODE_STATE_POWERING_DOWN);
    out->power_up = !!(st & NODE_STATE_POWER_UP);
    out->power_down = !!(st & NODE_STATE_POWER_DOWN);
    out->reboot_requested = !!(st & NODE_STATE_REBOOT_REQUESTED);
    out->reboot_issued = !!(st & NODE_STATE_REBOOT_ISSUED);
    out->drain = !!(st & NODE_STATE_DRAIN);
    out->completing = !!(st & NODE_STATE_COMPLETING);
    out->not_responding = !!(st & NODE_STATE_NO_RESPOND);
    out->fail = !!(st & NODE_STATE_FAIL);
    out->invalid_reg = !!(st & NODE_STATE_INVALID_REG);
    out->cloud = !!(st & NODE_STATE_CLOUD);

    strbuf s = STRBUF_INIT;
    strbuf_puts(&s, base <= NODE_STATE_FUTURE ? bases[base] : "?");
    state_add(&s, out->cloud, "CLOUD");
    state_add(&s, out->drain, "DRAIN");
    state_add(&s, out->completing, "COMPLETING");
    state_add(&s, out->not_responding, "NOT_RESPONDING");
    state_add(&s, out->fail, "FAIL");
    state_add(&s, out->invalid_reg, "INVALID_REG");
    state_add(&s, out->reboot_requested, "REBOOT_REQUESTED");
    state_add(&s, out->reboot_issued, "REBOOT_ISSUED");
    state_add(&s, out->power_down, "POWER_DOWN");
    state_add(&s, out->power_up, "POWER_UP");
    state_add(&s, out->powering_down, "POWERING_DOWN");
    state_add(&s, out->powered_down, "POWERED_DOWN");
    state_add(&s, out->powering_up, "POWERING_UP");
    out->state = strbuf_steal(&s);

    out->reason = ni->reason && *ni->reason ? xstrdup(ni->reason) : NULL;
    out->features = dup_or_empty(ni->features);
    /* Slurm sends NULL active features when they equal the available ones. */
    out->features_act = dup_or_empty(ni->features_act ? ni->features_act : ni->features);
    out->weight = ni->weight;
    out->cpus = ni->cpus;
    out->boot_time = ni->boot_time;
    out->addr = ni->node_addr && *ni->node_addr ? xstrdup(ni->node_addr) : NULL;
}

static int node_cmp(const void *a, const void *b)
{
    return strcmp(((const tided_slurm_node *)a)->name, ((const tided_slurm_node *)b)->name);
}

int tided_slurm_load_nodes(tided_slurm_nodes *out, tide_err *e)
{
    node_info_msg_t *msg = NULL;

    memset(out, 0, sizeof(*out));
    tided_slurm_init();
    if (slurm_load_node((time_t)0, &msg, SHOW_ALL) != SLURM_SUCCESS)
        return slurm_error(e, "cannot load the nodes (slurm_load_node)");
    out->items = msg->record_count ? xcalloc(msg->record_count, sizeof(*out->items)) : NULL;
    for (uint32_t i = 0; i < msg->record_count; i++) {
        const node_info_t *ni = &msg->node_array[i];
        if (!ni->name)   /* a hidden record */
            continue;
        decode_node(ni, &out->items[out->n++]);
    }
    slurm_free_node_info_msg(msg);
    if (out->n)
        qsort(out->items, out->n, sizeof(*out->items), node_cmp);
    return 0;
}

void tided_slurm_nodes_free(tided_slurm_nodes *l)
{
    for (size_t i = 0; i < l->n; i++) {
        tided_slurm_node *n = &l->items[i];
        free(n->name); free(n->state); free(n->reason); free(n->features); free(n->features_act);
        free(n->addr);
    }
    free(l->items);
    memset(l, 0, sizeof(*l));
}

const tided_slurm_node *tided_slurm_node_find(const tided_slurm_nodes *l, const char *name)
{
    tided_slurm_node key = { .name = (char *)name };
    if (!l->n)
        return NULL;
    return bsearch(&key, l->items, l->n, sizeof(*l->items), node_cmp);
}

int tided_slurm_tide_reason(const tided_slurm_node *n)
{
    return n->reason && !strncmp(n->reason, TIDED_SLURM_REASON_PREFIX, strlen(TIDED_SLURM_REASON_PREFIX));
}

/* ---- jobs ----------------------------------------------------------------- */

/* A host list Slurm wrote, expanded by tide's own code (libslurm 22.05 cannot parse every xname form). */
static void expand(const char *expr, char ***names, size_t *n)
{
    tide_hostlist hl = TIDE_HOSTLIST_INIT;
    tide_err he;
    *names = NULL;
    *n = 0;
    if (!expr || !*expr)
        return;
    if (tide_hostlist_expand(expr, &hl, &he) == 0) {
        *names = hl.names;
        *n = hl.n;
    } else {
        /* Slurm wrote it, so this should not happen; the job is still listed. */
        tide_hostlist_free(&hl);
    }
}

int tided_slurm_load_jobs(tided_slurm_jobs *out, tide_err *e)
{
    job_info_msg_t *msg = NULL;

    memset(out, 0, sizeof(*out));
    tided_slurm_init();
    if (slurm_load_jobs((time_t)0, &msg, SHOW_ALL) != SLURM_SUCCESS)
        return slurm_error(e, "cannot load the jobs (slurm_load_jobs)");
    out->items = msg->record_count ? xcalloc(msg->record_count, sizeof(*out->items)) : NULL;
    for (uint32_t i = 0; i < msg->record_count; i++) {
        const slurm_job_info_t *ji = &msg->job_array[i];
        uint32_t base = ji->job_state & JOB_STATE_BASE;
        if (base != JOB_PENDING && base != JOB_RUNNING)
            continue;
        tided_slurm_job *j = &out->items[out->n++];
        j->id = ji->job_id;
        j->pending = base == JOB_PENDING;
        j->running = base == JOB_RUNNING;
        j->configuring = !!(ji->job_state & JOB_CONFIGURING);
        j->nodes = dup_or_empty(ji->nodes);
        j->features = dup_or_empty(ji->features);
        expand(j->nodes, &j->node_list, &j->nnodes);
        if (j->pending) {
            /* Resources, ReqNodeNotAvail, and NodeDown (requeued after a node failed). */
            j->waits_for_nodes = ji->state_reason == WAIT_RESOURCES || ji->state_reason == WAIT_NODE_NOT_AVAIL ||
                                 ji->state_reason == FAIL_DOWN_NODE;
            j->min_nodes = ji->num_nodes;
            j->min_cpus = ji->num_cpus;
            j->priority = ji->priority;
            j->eligible_time = ji->eligible_time;
            expand(ji->req_nodes, &j->req_list, &j->nreq);
            expand(ji->exc_nodes, &j->exc_list, &j->nexc);
        }
    }
    slurm_free_job_info_msg(msg);
    return 0;
}

void tided_slurm_jobs_free(tided_slurm_jobs *l)
{
    for (size_t i = 0; i < l->n; i++) {
        tided_slurm_job *j = &l->items[i];
        tide_hostlist hl = { j->node_list, j->nnodes };
        tide_hostlist_free(&hl);
        tide_hostlist req = { j->req_list, j->nreq };
        tide_hostlist_free(&req);
        tide_hostlist exc = { j->exc_list, j->nexc };
        tide_hostlist_free(&exc);
        free(j->nodes);
        free(j->features);
    }
    free(l->items);
    memset(l, 0, sizeof(*l));
}

const tided_slurm_job *tided_slurm_job_on(const tided_slurm_jobs *l, const char *node)
{
    const tided_slurm_job *found = NULL;
    for (size_t i = 0; i < l->n; i++) {
        const tided_slurm_job *j = &l->items[i];
        for (size_t k = 0; k < j->nnodes; k++) {
            if (strcmp(j->node_list[k], node))
                continue;
            if (j->configuring)
                return j;
            if (!found)
                found = j;
        }
    }
    return found;
}

/* ---- updates -------------------------------------------------------------- */

static int update(update_node_msg_t *msg, const char *nodes, const char *what, tide_err *e)
{
    msg->node_names = (char *)nodes;
    tided_slurm_init();
    if (slurm_update_node(msg) == SLURM_SUCCESS)
        return 0;
    char *w = xasprintf("cannot set %s of %s (slurm_update_node)", what, nodes);
    slurm_error(e, w);
    free(w);
    return -1;
}

int tided_slurm_set_weight(const char *nodes, uint32_t weight, tide_err *e)
{
    update_node_msg_t msg;
    slurm_init_update_node_msg(&msg);
    msg.weight = weight;
    return update(&msg, nodes, "Weight", e);
}

int tided_slurm_set_active_features(const char *nodes, const char *features, tide_err *e)
{
    update_node_msg_t msg;
    slurm_init_update_node_msg(&msg);
    msg.features_act = (char *)features;
    return update(&msg, nodes, "ActiveFeatures", e);
}

int tided_slurm_drain(const char *nodes, const char *reason, tide_err *e)
{
    update_node_msg_t msg;
    slurm_init_update_node_msg(&msg);
    msg.node_state = NODE_STATE_DRAIN;
    msg.reason = (char *)reason;
    msg.reason_uid = getuid();
    return update(&msg, nodes, "State=DRAIN", e);
}

int tided_slurm_undrain(const char *nodes, tide_err *e)
{
    update_node_msg_t msg;
    slurm_init_update_node_msg(&msg);
    msg.node_state = NODE_STATE_UNDRAIN;
    return update(&msg, nodes, "State=UNDRAIN", e);
}

int tided_slurm_resume(const char *nodes, tide_err *e)
{
    update_node_msg_t msg;
    slurm_init_update_node_msg(&msg);
    msg.node_state = NODE_RESUME;
    return update(&msg, nodes, "State=RESUME", e);
}

/*
 * What slurmctld 22.05.8 does with the forms a client can send, observed on
 * the testbed (State=CLOUD node, power saving on, its job configuring):
 *
 *   POWER_DOWN|POWERED_DOWN ("power_down_force"): the job is requeued at
 *     once, the node goes POWERING_DOWN, SuspendProgram runs, and after
 *     SuspendTimeout it is IDLE+CLOUD+POWERED_DOWN.  Clean: this is what
 *     tide uses to undo a failed acquire.  The requeued job becomes eligible
 *     again only about 120 s later (Slurm's requeue hold, BeginTime).
 *   POWER_DOWN|POWER_UP (capmc_resume's "clear POWERING_UP"): POWERING_UP is
 *     cleared but the job stays CONFIGURING on a node that is now simply
 *     NOT_RESPONDING; when the job is then killed it stays COMPLETING until
 *     SlurmdTimeout, and the node ends DOWN "Not responding".  Not usable.
 *   POWER_DOWN alone on an idle, registered node: SuspendProgram runs, the
 *     node goes POWERING_DOWN then POWERED_DOWN (the graceful release).
 *   RESUME on DOWN+POWERED_DOWN ("ResumeTimeout reached" or "Not
 *     responding"): IDLE+POWERED_DOWN (+NOT_RESPONDING until it registers).
 */
int tided_slurm_power_down(const char *nodes, int force, tide_err *e)
{
    update_node_msg_t msg;
    slurm_init_update_node_msg(&msg);
    msg.node_state = NODE_STATE_POWER_DOWN | (force ? NODE_STATE_POWERED_DOWN : 0);
    return update(&msg, nodes, force ? "State=POWER_DOWN_FORCE" : "State=POWER_DOWN", e);
}

/* decide.c - see decide.h.  Pure logic: no I/O, no clock, no allocation that outlives a call. */
#include "decide.h"

#include <stdlib.h>
#include <string.h>

#include "constraint.h"
#include "err.h"
#include "strbuf.h"

const char *tided_step_name(tided_step s)
{
    static const char *const names[TIDED_STEP_COUNT] = {
        [TIDED_STEP_NONE] = "none",
        [TIDED_STEP_WAIT] = "wait",
        [TIDED_STEP_CLAIM] = "claim",
        [TIDED_STEP_DRAIN] = "drain",
        [TIDED_STEP_IMAGE] = "image",
        [TIDED_STEP_BOOT] = "boot",
        [TIDED_STEP_VERIFY] = "verify",
        [TIDED_STEP_FAIL] = "fail",
        [TIDED_STEP_SLURM_DOWN] = "slurm-power-down",
        [TIDED_STEP_SLURM_IDLE_DOWN] = "slurm-power-down",
        [TIDED_STEP_SLURM_RESUME] = "slurm-resume",
        [TIDED_STEP_HOME_IMAGE] = "home-image",
        [TIDED_STEP_HOME_POWER] = "home-power",
        [TIDED_STEP_HOME_GROUP] = "home-group",
        [TIDED_STEP_K8S_RETURN] = "k8s-return",
    };
    return (unsigned)s < TIDED_STEP_COUNT ? names[s] : "?";
}

tided_goal tided_goal_of(const tided_facts *f)
{
    if (!f->slurm_known)
        return TIDED_GOAL_NONE;
    if (f->powering_up || f->reboot_issued)
        return TIDED_GOAL_ACQUIRE;
    if (f->powered_down || f->powering_down)
        return TIDED_GOAL_HOME;
    return TIDED_GOAL_SLURM;
}

static int same(const char *a, const char *b)
{
    return a && b && !strcmp(a, b);
}

static tided_decision step(tided_goal goal, tided_step s, const char *why, int strike)
{
    tided_decision d = { goal, s, why, strike };
    return d;
}

/* Slurm runs the node (registered, not powering). */
static tided_decision decide_slurm(const tided_facts *f)
{
    const tided_goal g = TIDED_GOAL_SLURM;

    if (f->failed && f->power_down_asked)
        return step(g, TIDED_STEP_WAIT, "the acquire failed; Slurm is about to power the node down", 0);
    if (f->failed)
        return step(g, TIDED_STEP_SLURM_DOWN, "the acquire failed but Slurm counts the node up", 0);
    if (f->acquiring) {
        /* Registered: slurmd came up after the boot.  The image it reports is the proof. */
        if (f->want_image && !same(f->active_image, f->want_image))
            return step(g, TIDED_STEP_FAIL, "the node registered in another image than the one it was booted for", 1);
        return step(g, TIDED_STEP_VERIFY, "registered in the wanted image", 0);
    }
    if (f->where != TIDED_AT_SLURM) {
        /* Slurm runs a node tide does not hold for it (booted by hand, or moved by an admin). */
        if (f->idle)
            return step(g, TIDED_STEP_SLURM_IDLE_DOWN, "Slurm runs a node that is not in the Slurm pool", 0);
        return step(g, TIDED_STEP_NONE, "Slurm runs a node that is not in the Slurm pool, with jobs: left alone", 0);
    }
    if (f->release_asked && f->idle)
        return step(g, TIDED_STEP_SLURM_IDLE_DOWN, "release asked for an idle node", 0);
    return step(g, TIDED_STEP_NONE, "in use by Slurm", 0);
}

/* Slurm wants the node up (POWERING_UP or REBOOT_ISSUED). */
static tided_decision decide_acquire(const tided_facts *f)
{
    const tided_goal g = TIDED_GOAL_ACQUIRE;

    if (f->failed && f->power_down_asked)
        return step(g, TIDED_STEP_WAIT, "the acquire failed; Slurm is about to power the node down", 0);
    if (f->failed)
        return step(g, TIDED_STEP_SLURM_DOWN, "the acquire failed: Slurm must stop waiting for the node", 0);
    switch (f->where) {
    case TIDED_AT_OTHER:
        return step(g, TIDED_STEP_FAIL, "the node is not in its home pool (another party holds it)", 0);
    case TIDED_AT_NONE:
        if (!f->have_home)
            return step(g, TIDED_STEP_FAIL, "the node is in none of tide's pools", 0);
        return step(g, TIDED_STEP_CLAIM, "in no pool: claim it", 0);
    case TIDED_AT_HOME:
        return step(g, TIDED_STEP_CLAIM, "in its home pool", 0);
    case TIDED_AT_SLURM:
        break;
    }
    if (!f->want_image)
        return step(g, TIDED_STEP_FAIL, "no image to boot (no DefaultImage and none requested)", 0);
    if (f->boot_pending)
        return step(g, TIDED_STEP_WAIT, "the boot is in progress", 0);
    if (f->home_power_pending)
        return step(g, TIDED_STEP_WAIT, "the power step of its release is still in progress", 0);
    if (!f->booted) {
        if (f->home_kubernetes && !f->drained)
            return step(g, TIDED_STEP_DRAIN, "borrowed from Kubernetes: drain first", 0);
        if (!same(f->bss_image, f->want_image))
            return step(g, TIDED_STEP_IMAGE, "BSS names another image", 0);
        if (f->cloud_init_wrong)
            return step(g, TIDED_STEP_IMAGE, "not in the image's cloud-init group (alone)", 0);
        return step(g, TIDED_STEP_BOOT, "imaged, not booted", 0);
    }
    if (f->now - f->boot_done_at > f->register_timeout)
        return step(g, TIDED_STEP_FAIL, "booted, but slurmd did not register in time", 1);
    return step(g, TIDED_STEP_WAIT, "booted, waiting for slurmd to register", 0);
}

/* Slurm does not want the node (POWERED_DOWN or POWERING_DOWN). */
static tided_decision decide_home(const tided_facts *f)
{
    const tided_goal g = TIDED_GOAL_HOME;

    switch (f->where) {
    case TIDED_AT_SLURM:
        if (!f->have_home)
            return step(g, TIDED_STEP_NONE, "no home pool known: left in the Slurm pool", 0);
        if (f->boot_pending)
            return step(g, TIDED_STEP_WAIT, "a boot is still in progress", 0);
        if (f->home_image && !same(f->bss_image, f->home_image))
            return step(g, TIDED_STEP_HOME_IMAGE, "BSS names another image than the home one", 0);
        if (f->home_image && f->home_cloud_init_wrong)
            return step(g, TIDED_STEP_HOME_IMAGE, "not in the home image's cloud-init group (alone)", 0);
        if (f->home_power_pending)
            return step(g, TIDED_STEP_WAIT, "the power step is in progress", 0);
        if (!f->home_powered && f->lease_booted != 0)
            return step(g, TIDED_STEP_HOME_POWER, "booted for Slurm: boot home or power off", 0);
        return step(g, TIDED_STEP_HOME_GROUP, "imaged and powered for home", 0);
    case TIDED_AT_HOME:
        if (f->home_kubernetes && f->k8s_marked) {
            if (f->k8s_ready && (f->k8s_new_boot || f->lease_booted != 1))
                return step(g, TIDED_STEP_K8S_RETURN, "Ready in Kubernetes again", 0);
            return step(g, TIDED_STEP_WAIT, "waiting for the Kubernetes node to be Ready after its boot", 0);
        }
        if (f->resume_timeout_down)
            return step(g, TIDED_STEP_SLURM_RESUME, "home, but Slurm left it DOWN after ResumeTimeout", 1);
        if (f->not_responding_down)
            return step(g, TIDED_STEP_SLURM_RESUME, "powered down at home, but Slurm set it DOWN: not responding",
                        0);
        return step(g, TIDED_STEP_NONE, "at home", 0);
    case TIDED_AT_NONE:
        if (f->have_home && !f->boot_pending && !f->home_power_pending)
            return step(g, TIDED_STEP_HOME_GROUP, "in no pool: put it back home", 0);
        break;
    case TIDED_AT_OTHER:
        break;
    }
    return step(g, TIDED_STEP_NONE, "not in a pool of tide's", 0);
}

tided_decision tided_decide(const tided_facts *f)
{
    switch (tided_goal_of(f)) {
    case TIDED_GOAL_SLURM:
        return decide_slurm(f);
    case TIDED_GOAL_ACQUIRE:
        return decide_acquire(f);
    case TIDED_GOAL_HOME:
        return decide_home(f);
    case TIDED_GOAL_NONE:
        break;
    }
    return step(TIDED_GOAL_NONE, TIDED_STEP_NONE, "not a Slurm node", 0);
}

/* ---- which image ------------------------------------------------------------ */

static int is_name_char(char c)
{
    return c && !strchr(",&|[]()* \t\n:", c);
}

/* Does the comma-separated (or constraint-like) list s hold the word w? */
static int list_has(const char *s, const char *w)
{
    size_t wl = strlen(w);
    if (!s)
        return 0;
    for (const char *p = s; *p;) {
        while (*p && !is_name_char(*p))
            p++;
        const char *start = p;
        while (is_name_char(*p))
            p++;
        if ((size_t)(p - start) == wl && !strncmp(start, w, wl))
            return 1;
    }
    return 0;
}

const char *tided_image_in(const char *features, const char *const *images, size_t nimages)
{
    const char *first = NULL;
    size_t first_pos = (size_t)-1;
    if (!features)
        return NULL;
    /* The first image in the order the string names them. */
    for (size_t i = 0; i < nimages; i++) {
        size_t wl = strlen(images[i]);
        for (const char *p = features; *p;) {
            while (*p && !is_name_char(*p))
                p++;
            const char *start = p;
            while (is_name_char(*p))
                p++;
            if ((size_t)(p - start) == wl && !strncmp(start, images[i], wl)) {
                if ((size_t)(start - features) < first_pos) {
                    first_pos = (size_t)(start - features);
                    first = images[i];
                }
                break;
            }
        }
    }
    return first;
}

typedef struct match_ctx {
    const char *node_features;
    const char *const *images;
    size_t nimages;
    const char *image;   /* the candidate */
} match_ctx;

static int is_image(const match_ctx *m, const char *f)
{
    for (size_t i = 0; i < m->nimages; i++)
        if (!strcmp(m->images[i], f))
            return 1;
    return 0;
}

/* The node's static features plus the candidate image (none when NULL). */
static int has_feature(const char *feature, void *arg)
{
    const match_ctx *m = arg;
    if (is_image(m, feature))
        return m->image && !strcmp(feature, m->image);
    return list_has(m->node_features, feature);
}

static const char *from_constraint(const char *constraint, const char *node_features, const char *active_image,
                                   const char *const *images, size_t nimages)
{
    tide_constraint c;
    tide_err e;
    const char *found = NULL;

    if (!constraint || !*constraint)
        return NULL;
    if (tide_constraint_parse(constraint, &c, &e))
        /* Slurm accepted it, so this is unlikely; fall back to the first image named. */
        return tided_image_in(constraint, images, nimages);
    match_ctx m = { node_features, images, nimages, NULL };
    /* The active image first: no switch when it will do. */
    if (active_image && list_has(constraint, active_image) && list_has(node_features, active_image)) {
        m.image = active_image;
        if (tide_constraint_node_match(&c, has_feature, &m))
            found = active_image;
    }
    for (size_t i = 0; !found && i < nimages; i++) {
        if (!list_has(constraint, images[i]) || !list_has(node_features, images[i]))
            continue;
        m.image = images[i];
        if (tide_constraint_node_match(&c, has_feature, &m))
            found = images[i];
    }
    tide_constraint_free(&c);
    return found;
}

const char *tided_want_image(const char *request_features, const char *job_constraint,
                             const char *node_features, const char *active_image,
                             const char *default_image, const char *const *images, size_t nimages)
{
    const char *img;

    /* Slurm's feature string (22.05: the whole constraint with & written as ,): its image. */
    if ((img = tided_image_in(request_features, images, nimages)))
        return img;
    if ((img = from_constraint(job_constraint, node_features, active_image, images, nimages)))
        return img;
    if (active_image) {
        for (size_t i = 0; i < nimages; i++)
            if (!strcmp(images[i], active_image))
                return images[i];
    }
    return default_image;
}

/* ---- pricing and ActiveFeatures ------------------------------------------------ */

unsigned long tided_price(int pool_cost, long pods, int image_switch, int quarantined)
{
    if (quarantined)
        return TIDED_PRICE_MAX;
    unsigned long p = pool_cost > 0 ? (unsigned long)pool_cost : 0;
    p += pods > 0 ? (unsigned long)pods : 0;
    p += image_switch ? 1 : 0;
    if (p < 1)
        p = 1;
    return p < TIDED_PRICE_MAX ? p : TIDED_PRICE_MAX - 1;
}

static int in_images(const char *w, size_t len, const char *const *images, size_t nimages)
{
    for (size_t i = 0; i < nimages; i++)
        if (strlen(images[i]) == len && !strncmp(images[i], w, len))
            return 1;
    return 0;
}

/* Append word w (len bytes) to b unless b's comma list holds it already. */
static void add_unique(strbuf *b, const char *w, size_t len)
{
    char *word = xstrndup(w, len);
    if (!list_has(strbuf_str(b), word)) {
        if (b->len)
            strbuf_puts(b, ",");
        strbuf_puts(b, word);
    }
    free(word);
}

char *tided_active_features(const char *available, const char *image, const char *const *images, size_t nimages)
{
    strbuf b = STRBUF_INIT;
    for (const char *p = available ? available : ""; *p;) {
        while (*p == ',' || *p == ' ')
            p++;
        const char *start = p;
        while (*p && *p != ',' && *p != ' ')
            p++;
        size_t len = (size_t)(p - start);
        if (len && !in_images(start, len, images, nimages))
            add_unique(&b, start, len);
    }
    if (image && list_has(available, image))
        add_unique(&b, image, strlen(image));
    char *out = strbuf_steal(&b);
    return out ? out : xstrdup("");
}

/* Every word of a is in b. */
static int subset(const char *a, const char *b)
{
    for (const char *p = a ? a : ""; *p;) {
        while (*p == ',' || *p == ' ')
            p++;
        const char *start = p;
        while (*p && *p != ',' && *p != ' ')
            p++;
        if (p == start)
            continue;
        char *w = xstrndup(start, (size_t)(p - start));
        int has = list_has(b, w);
        free(w);
        if (!has)
            return 0;
    }
    return 1;
}

int tided_features_equal(const char *a, const char *b)
{
    return subset(a, b) && subset(b, a);
}

long tided_max_borrow(int max_borrow, int percent, long size)
{
    if (max_borrow <= 0)
        return -1;   /* unset or 0: no limit (tide.conf(5)) */
    return percent ? size * max_borrow / 100 : max_borrow;
}

/* ---- holds ---------------------------------------------------------------------- */

/* Whether a node can match a parsed constraint, in one of the images it offers or none. */
static int matches_parsed(const tide_constraint *c, const char *features, const char *const *images,
                          size_t nimages)
{
    match_ctx m = { features, images, nimages, NULL };
    if (!c->root || tide_constraint_node_match(c, has_feature, &m))
        return 1;
    for (size_t i = 0; i < nimages; i++) {
        if (!list_has(features, images[i]))
            continue;
        m.image = images[i];
        if (tide_constraint_node_match(c, has_feature, &m))
            return 1;
    }
    return 0;
}

int tided_node_matches(const char *constraint, const char *features, const char *const *images, size_t nimages)
{
    tide_constraint c;
    tide_err e;
    if (!constraint || !*constraint || tide_constraint_parse(constraint, &c, &e))
        return 1;
    int ok = matches_parsed(&c, features, images, nimages);
    tide_constraint_free(&c);
    return ok;
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A node's hardware: its static features (no image), sorted, without duplicates. Caller frees. */
static char *hardware_of(const char *available, const char *const *images, size_t nimages)
{
    char **words = NULL;
    size_t n = 0;
    for (const char *p = available ? available : ""; *p;) {
        while (*p == ',' || *p == ' ')
            p++;
        const char *start = p;
        while (*p && *p != ',' && *p != ' ')
            p++;
        size_t len = (size_t)(p - start);
        if (!len || in_images(start, len, images, nimages))
            continue;
        words = xrealloc(words, sizeof(*words) * (n + 1));
        words[n++] = xstrndup(start, len);
    }
    if (n)
        qsort(words, n, sizeof(*words), str_cmp);
    strbuf b = STRBUF_INIT;
    for (size_t i = 0; i < n; i++)
        if (!i || strcmp(words[i], words[i - 1]))
            strbuf_printf(&b, "%s%s", b.len ? "," : "", words[i]);
    for (size_t i = 0; i < n; i++)
        free(words[i]);
    free(words);
    char *out = strbuf_steal(&b);
    return out ? out : xstrdup("");
}

typedef struct hw_entry {
    char  *hw;
    int    cost;
    size_t node;
} hw_entry;

static int hw_cmp(const void *a, const void *b)
{
    const hw_entry *x = a, *y = b;
    int c = strcmp(x->hw, y->hw);
    if (c)
        return c;
    if (x->cost != y->cost)
        return x->cost < y->cost ? -1 : 1;
    return x->node < y->node ? -1 : x->node > y->node;
}

/* Rule 1: resting usable nodes with a cheaper resting usable twin are held.  Returns how many. */
static size_t hold_dearer_twins(const tided_hold_node *nodes, size_t n, const char *const *images, size_t nimages,
                                int *hold)
{
    hw_entry *es = xcalloc(n + 1, sizeof(*es));
    size_t ne = 0, held = 0;

    for (size_t i = 0; i < n; i++)
        if (nodes[i].resting && nodes[i].usable)
            es[ne++] = (hw_entry){ hardware_of(nodes[i].features, images, nimages), nodes[i].cost, i };
    if (ne)
        qsort(es, ne, sizeof(*es), hw_cmp);
    /* Sorted by hardware then cost: the first of each run is the cheapest twin. */
    for (size_t i = 0, first = 0; i < ne; i++) {
        if (strcmp(es[i].hw, es[first].hw))
            first = i;
        if (es[i].cost > es[first].cost) {
            hold[es[i].node] = 1;
            held++;
        }
    }
    for (size_t i = 0; i < ne; i++)
        free(es[i].hw);
    free(es);
    return held;
}

static int named(const char *name, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] && !strcmp(list[i], name))
            return 1;
    return 0;
}

/* What one waiting job has taken so far. */
typedef struct job_take {
    unsigned nodes, cpus;
    unsigned need_nodes, need_cpus;
} job_take;

static int satisfied(const job_take *t)
{
    return t->nodes >= t->need_nodes && t->cpus >= t->need_cpus;
}

static void take(job_take *t, const tided_hold_node *node, int *taken)
{
    *taken = 1;
    t->nodes++;
    t->cpus += node->cpus;
}

/* Rules 2 and 3 for one job. */
static void job_lets_go(const tided_hold_node *nodes, size_t n, const tided_hold_job *job, const char *const *images,
                        size_t nimages, int *hold, int *taken)
{
    tide_constraint c = { NULL };
    tide_err e;
    int *fits = xcalloc(n + 1, sizeof(*fits));
    job_take t = { 0, 0, job->nodes ? job->nodes : 1, job->cpus };

    /* A constraint that does not parse keeps the job from no node. */
    if (job->constraint && *job->constraint && tide_constraint_parse(job->constraint, &c, &e))
        c.root = NULL;
    for (size_t i = 0; i < n; i++)
        fits[i] = nodes[i].usable && !taken[i] && !named(nodes[i].name, job->excluded, job->nexcluded) &&
                  matches_parsed(&c, nodes[i].features, images, nimages);
    tide_constraint_free(&c);

    /* The nodes it names are its own: let them go, whatever they cost. */
    for (size_t i = 0; i < n; i++)
        if (fits[i] && named(nodes[i].name, job->required, job->nrequired)) {
            hold[i] = 0;
            take(&t, &nodes[i], &taken[i]);
        }
    /* It has waited long enough: nothing of tide's stands in its way any more. */
    if (job->waited >= TIDED_HOLD_PATIENCE)
        for (size_t i = 0; i < n; i++)
            if (fits[i])
                hold[i] = 0;
    /* What Slurm gives it first: the powered-up nodes, then the powered-down ones tide does not hold. */
    for (int resting = 0; resting < 2; resting++)
        for (size_t i = 0; i < n && !satisfied(&t); i++)
            if (fits[i] && !taken[i] && !hold[i] && nodes[i].resting == resting)
                take(&t, &nodes[i], &taken[i]);
    /* Too few: let held nodes go, the cheapest first. */
    while (!satisfied(&t)) {
        size_t best = n;
        for (size_t i = 0; i < n; i++)
            if (fits[i] && !taken[i] && hold[i] && (best == n || nodes[i].price < nodes[best].price))
                best = i;
        if (best == n)
            break;   /* not even every node it matches is enough: it waits for busy ones */
        hold[best] = 0;
        take(&t, &nodes[best], &taken[best]);
    }
    free(fits);
}

void tided_holds(const tided_hold_node *nodes, size_t n, const tided_hold_job *jobs, size_t njobs,
                 const char *const *images, size_t nimages, int weights_work, int *hold)
{
    for (size_t i = 0; i < n; i++)
        hold[i] = 0;
    if (weights_work || !hold_dearer_twins(nodes, n, images, nimages, hold))
        return;
    int *taken = xcalloc(n + 1, sizeof(*taken));
    for (size_t j = 0; j < njobs; j++)
        job_lets_go(nodes, n, &jobs[j], images, nimages, hold, taken);
    free(taken);
}

tided_drain_action tided_drain_want(tided_drained now, int maxborrow, int hold)
{
    if (now == TIDED_DRAINED_OTHER)
        return TIDED_DRAIN_KEEP;   /* not tide's: never touched */
    if (maxborrow)
        return now == TIDED_DRAINED_MAXBORROW ? TIDED_DRAIN_KEEP : TIDED_DRAIN_MAXBORROW;
    if (hold)
        return now == TIDED_DRAINED_HOLD ? TIDED_DRAIN_KEEP : TIDED_DRAIN_HOLD;
    return now == TIDED_DRAINED_NO ? TIDED_DRAIN_KEEP : TIDED_DRAIN_UNDRAIN;
}

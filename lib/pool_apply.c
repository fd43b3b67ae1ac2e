/* pool_apply.c - see pool_apply.h. */
#include "pool_apply.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "jsonutil.h"
#include "log.h"
#include "strbuf.h"
#include "xname.h"

void tide_pool_apply_opts_init(tide_pool_apply_opts *o, const char *exclusive_group)
{
    memset(o, 0, sizeof(*o));
    o->exclusive_group = exclusive_group;
    o->max_plans = 4;
    o->reserve_minutes = 15;
    o->put_back_tries = 3;
    o->put_back_delay_ms = 200;
}

const char *tide_pool_move_result_name(tide_pool_move_result r)
{
    switch (r) {
    case TIDE_MOVE_DONE:     return "moved";
    case TIDE_MOVE_NOT_DONE: return "not moved";
    case TIDE_MOVE_TAKEN:    return "taken";
    case TIDE_MOVE_STRANDED: return "stranded";
    default:                 return "not tried";
    }
}

/* How one step of a round ended. */
enum { STEP_OK = 0, STEP_RACE, STEP_ERROR };

/* One apply in progress. */
typedef struct applier {
    tide_http                  *smd;
    const tide_inventory       *inv;
    const tide_pattern         *pat;
    const tide_pool_apply_opts *o;
    const char                **labels;    /* the managed groups: the target, then the parents */
    size_t                      nlabels;
    tide_pool_apply_report     *r;
    tide_reservations           res;       /* held while a round moves nodes */
    double                      reserved_at;
    size_t                      round_start;  /* the first move of this round in r->moves */
} applier;

static double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static void note(tide_pool_apply_report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(tide_pool_apply_report *r, const char *fmt, ...)
{
    char line[2 * TIDE_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    r->notes = xrealloc(r->notes, sizeof(char *) * (r->nnotes + 1));
    r->notes[r->nnotes++] = xstrdup(line);
    tide_verbose("pool apply: %s", line);
}

static int in_labels(char *const *v, size_t n, const char *label)
{
    for (size_t i = 0; i < n; i++)
        if (!strcasecmp(v[i], label))
            return 1;
    return 0;
}

static int cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_xname_ptr(const void *a, const void *b)
{
    return tide_xname_cmp(*(char *const *)a, *(char *const *)b);
}

/* x among the sorted (strcmp) names v[0..n). */
static int sorted_has(char *const *v, size_t n, const char *x)
{
    return n && bsearch(&x, v, n, sizeof(char *), cmp_str_ptr) != NULL;
}

/* ---- the calls of a dry run ------------------------------------------ */

/* The paths smd.c builds for these calls. */
static char *group_path(const char *label, const char *suffix, const char *xname)
{
    strbuf b = STRBUF_INIT;
    strbuf_puts(&b, "/groups/");
    tide_urlencode_segment(&b, label);
    strbuf_puts(&b, suffix);
    if (xname)
        tide_urlencode_segment(&b, xname);
    return strbuf_steal(&b);
}

/* Record a call; takes path and body (put). */
static void record(tide_pool_apply_report *r, const char *method, char *path, json_object *body)
{
    r->calls = xrealloc(r->calls, sizeof(*r->calls) * (r->ncalls + 1));
    tide_pool_call *c = &r->calls[r->ncalls++];
    c->method = xstrdup(method);
    c->path = path;
    c->body = body ? xstrdup(json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN |
                                                                      JSON_C_TO_STRING_NOSLASHESCAPE))
                   : NULL;
    json_object_put(body);
}

static char *groups_query(const applier *a)
{
    strbuf b = STRBUF_INIT;
    strbuf_puts(&b, "/groups");
    for (size_t i = 0; i < a->nlabels; i++) {
        strbuf_puts(&b, i ? "&group=" : "?group=");
        strbuf_urlencode(&b, a->labels[i]);
    }
    return strbuf_steal(&b);
}

/* ---- reading the managed groups --------------------------------------- */

static tide_group *find_group(tide_group_list *l, const char *label)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->groups[i].label && !strcasecmp(l->groups[i].label, label))
            return &l->groups[i];
    return NULL;
}

/*
 * Read the managed groups: *target (NULL when SMD has none) and parents[] (shallow copies of the
 * list's entries, which keeps them).  A missing parent is an error.
 */
static int read_groups(applier *a, tide_group_list *l, tide_group **target, tide_group *parents, tide_err *e)
{
    if (tide_smd_groups_list(a->smd, a->labels, a->nlabels, l, e))
        return -1;
    *target = find_group(l, a->labels[0]);
    for (size_t p = 1; p < a->nlabels; p++) {
        tide_group *g = find_group(l, a->labels[p]);
        if (!g)
            return tide_err_set(e, "SMD at %s has no group %s (a parent group of pool %s)",
                                tide_http_base_url(a->smd), a->labels[p], a->labels[0]);
        parents[p - 1] = *g;
    }
    return 0;
}

/* Every managed group SMD has must be in the configured exclusiveGroup. */
static int check_exclusive(applier *a, const tide_group *target, const tide_group *parents, tide_err *e)
{
    const char *want = a->o->exclusive_group;
    for (size_t i = 0; i < a->nlabels; i++) {
        const tide_group *g = i ? &parents[i - 1] : target;
        if (!g || (g->exclusive_group && !strcasecmp(g->exclusive_group, want)))
            continue;
        char have[256];
        if (g->exclusive_group)
            snprintf(have, sizeof(have), "has exclusiveGroup \"%s\"", g->exclusive_group);
        else
            snprintf(have, sizeof(have), "has no exclusiveGroup");
        return tide_err_set(e, "SMD group %s %s; tide pool apply needs the target and parent groups in exclusiveGroup "
                            "\"%s\" (ExclusiveGroup= in tide.conf), so that SMD refuses to put a node in two of "
                            "them; SMD cannot change the exclusiveGroup of an existing group and tide will not "
                            "delete and re-create it (its members would be lost if that failed half-way): "
                            "re-create %s with \"exclusiveGroup\":\"%s\" and the same members, or set "
                            "ExclusiveGroup= to the one its groups share", g->label, have, want, g->label, want);
    }
    return 0;
}

/* ---- where is a node --------------------------------------------------- */

/* The node's groups as SMD says now; -1 when SMD cannot say (e filled). */
static int where_is(applier *a, const char *x, char ***labels, size_t *n, tide_err *e)
{
    return tide_smd_memberships(a->smd, x, labels, n, e);
}

static char *join_labels(char *const *v, size_t n)
{
    strbuf b = STRBUF_INIT;
    for (size_t i = 0; i < n; i++)
        strbuf_printf(&b, "%s%s", i ? "," : "", v[i]);
    return b.s ? strbuf_steal(&b) : NULL;
}

static void set_now(tide_pool_move *mv, const char *label)
{
    free(mv->now);
    mv->now = label ? xstrdup(label) : NULL;
}

/* Classify the move from the node's groups; 0 when it is in none of the managed groups. */
static int classify(applier *a, tide_pool_move *mv, char *const *labels, size_t n)
{
    if (in_labels(labels, n, mv->to)) {
        mv->result = TIDE_MOVE_DONE;
        set_now(mv, mv->to);
    } else if (in_labels(labels, n, mv->from)) {
        mv->result = TIDE_MOVE_NOT_DONE;
        set_now(mv, mv->from);
    } else {
        for (size_t i = 0; i < a->nlabels; i++)
            if (in_labels(labels, n, a->labels[i])) {
                mv->result = TIDE_MOVE_TAKEN;
                set_now(mv, a->labels[i]);
                return 1;
            }
        return 0;
    }
    return 1;
}

static void add_error(tide_pool_move *mv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_error(tide_pool_move *mv, const char *fmt, ...)
{
    char line[TIDE_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    char *old = mv->error;
    mv->error = old ? xasprintf("%s; %s", old, line) : xstrdup(line);
    free(old);
}

/*
 * The node is in no managed group as far as tide knows: POST it back to `from`.  Safe whatever
 * the truth: if it is in a group of the exclusiveGroup (ours or another party's), SMD answers 409
 * and nothing changes; then ask SMD where it is.
 */
static void put_back(applier *a, tide_pool_move *mv)
{
    tide_err e;
    long delay = a->o->put_back_delay_ms;
    char last[TIDE_ERR_MAX] = "";

    for (int t = 0; t < a->o->put_back_tries; t++) {
        if (t && delay > 0) {
            sleep_ms(delay);
            delay *= 2;
        }
        tide_err_clear(&e);
        if (!tide_smd_group_add_member(a->smd, mv->from, mv->node, &e)) {
            mv->result = TIDE_MOVE_NOT_DONE;
            mv->put_back = 1;
            set_now(mv, mv->from);
            tide_verbose("pool apply: %s put back in %s", mv->node, mv->from);
            return;
        }
        if (e.conflict) {
            char **labels = NULL;
            size_t n = 0;
            tide_err e2;
            tide_err_clear(&e2);
            if (where_is(a, mv->node, &labels, &n, &e2)) {
                mv->result = TIDE_MOVE_TAKEN;
                set_now(mv, NULL);
                add_error(mv, "SMD refused to put it back in %s (409: it is in another group of exclusiveGroup "
                          "\"%s\") and cannot say where: %s", mv->from, a->o->exclusive_group, e2.msg);
            } else if (!classify(a, mv, labels, n)) {
                mv->result = TIDE_MOVE_TAKEN;
                free(mv->now);
                mv->now = join_labels(labels, n);
            }
            tide_strv_free(labels, n);
            return;
        }
        snprintf(last, sizeof(last), "%s", e.msg);
    }
    mv->result = TIDE_MOVE_STRANDED;
    set_now(mv, NULL);
    add_error(mv, "it is in no group: tide could not put it back in %s (%s); put it back with "
              "POST /groups/%s/members {\"id\":\"%s\"} then run the same command again", mv->from, last, mv->from,
              mv->node);
}

/* After a failed call: find out where the node is; put it back if it is in no group. */
static void settle(applier *a, tide_pool_move *mv)
{
    char **labels = NULL;
    size_t n = 0;
    tide_err e;
    tide_err_clear(&e);
    if (where_is(a, mv->node, &labels, &n, &e) || !classify(a, mv, labels, n))
        put_back(a, mv);
    tide_strv_free(labels, n);
}

/* ---- one move ----------------------------------------------------------- */

/* Keep the reservation alive: renew it once half of it has run out. */
static int keep_reserved(applier *a, tide_err *e)
{
    double half = (double)a->o->reserve_minutes * 30e3;
    if (!a->res.nok || mono_ms() - a->reserved_at < half)
        return 0;
    double t0 = mono_ms();
    int rc = tide_smd_reserve_renew(a->smd, &a->res, a->o->reserve_minutes, e);
    a->r->reserve_ms += mono_ms() - t0;
    if (rc)
        return tide_err_prefix(e, "renewing the reservation of the nodes to move");
    a->reserved_at = mono_ms();
    return 0;
}

/* DELETE the node from `from`, POST it to `to`.  STEP_OK, or STEP_RACE / STEP_ERROR with e set. */
static int move_one(applier *a, tide_pool_move *mv, tide_err *e)
{
    double t0 = mono_ms();
    tide_err err;
    int step = STEP_OK;

    tide_err_clear(&err);
    if (tide_smd_group_remove_member(a->smd, mv->from, mv->node, &err)) {
        /* 404: it is not in `from` any more, so another party moved it since we read the groups. */
        int gone = err.http_status == 404;
        add_error(mv, "%s", err.msg);
        settle(a, mv);
        if (mv->result == TIDE_MOVE_DONE && gone) {
            free(mv->error);
            mv->error = NULL;   /* somebody did this very move: nothing lost */
        } else {
            step = gone ? STEP_RACE : STEP_ERROR;
        }
    } else if (tide_smd_group_add_member(a->smd, mv->to, mv->node, &err)) {
        /* 409: another party put the node in a group of the exclusiveGroup after our DELETE. */
        int conflict = err.conflict;
        add_error(mv, "%s", err.msg);
        settle(a, mv);
        if (mv->result == TIDE_MOVE_DONE && conflict) {
            free(mv->error);
            mv->error = NULL;
        } else {
            step = conflict && mv->result != TIDE_MOVE_STRANDED ? STEP_RACE : STEP_ERROR;
        }
    } else {
        mv->result = TIDE_MOVE_DONE;
        set_now(mv, mv->to);
    }
    mv->ms = mono_ms() - t0;

    if (step == STEP_RACE) {
        if (mv->result == TIDE_MOVE_TAKEN)
            tide_err_set(e, "%s was taken by another party while moving it from %s to %s (it is now in %s)",
                         mv->node, mv->from, mv->to, mv->now ? mv->now : "no group tide can see");
        else
            tide_err_set(e, "another party changed %s while tide moved it from %s to %s (%s)", mv->node, mv->from,
                         mv->to, mv->error);
    } else if (step == STEP_ERROR) {
        tide_err_set(e, "moving %s from %s to %s: %s", mv->node, mv->from, mv->to, mv->error);
    } else {
        tide_verbose("pool apply: %s moved from %s to %s (%.1f ms)", mv->node, mv->from, mv->to, mv->ms);
    }
    return step;
}

/* ---- a round -------------------------------------------------------------- */

static void add_move(tide_pool_apply_report *r, const char *node, const char *from, const char *to, int plan)
{
    r->moves = xrealloc(r->moves, sizeof(*r->moves) * (r->nmoves + 1));
    tide_pool_move *mv = &r->moves[r->nmoves++];
    memset(mv, 0, sizeof(*mv));
    mv->node = xstrdup(node);
    mv->from = xstrdup(from);
    mv->to = xstrdup(to);
    mv->plan = plan;
    mv->now = xstrdup(from);
}

static void move_free(tide_pool_move *mv)
{
    free(mv->node);
    free(mv->from);
    free(mv->to);
    free(mv->now);
    free(mv->error);
}

/* The moves of the plan just made: additions first (the target gains before it loses). */
static void plan_moves(applier *a)
{
    const tide_pool_planned *p = &a->r->plan;
    for (size_t i = 0; i < p->plan.nadd; i++)
        add_move(a->r, p->plan.add[i], p->add_from[i], p->target, (int)a->r->nplans);
    for (size_t i = 0; i < p->plan.nremove; i++)
        add_move(a->r, p->plan.remove[i], p->target, p->remove_to, (int)a->r->nplans);
}

/* A round that stopped for a race: forget the moves it did not try (the next plan replaces them). */
static void drop_untried(applier *a)
{
    size_t keep = a->round_start;
    for (size_t i = a->round_start; i < a->r->nmoves; i++) {
        if (a->r->moves[i].result == TIDE_MOVE_PENDING)
            move_free(&a->r->moves[i]);
        else
            a->r->moves[keep++] = a->r->moves[i];
    }
    a->r->nmoves = keep;
}

static int reserve(applier *a, tide_err *e)
{
    size_t n = a->r->nmoves - a->round_start;
    const char **ids = xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        ids[i] = a->r->moves[a->round_start + i].node;
    double t0 = mono_ms();
    int rc = tide_smd_reserve(a->smd, ids, n, 1, a->o->reserve_minutes, &a->res, e);
    a->r->reserve_ms += mono_ms() - t0;
    a->reserved_at = mono_ms();
    free(ids);
    if (rc)
        return tide_err_prefix(e, "cannot reserve the %zu node%s to move (another service, e.g. tided or PCS, may be "
                               "working on some of them; try again later)", n, n == 1 ? "" : "s");
    return 0;
}

/* Release the round's reservation; a failure is noted and returned (e), the reservation forgotten. */
static int release(applier *a, tide_err *e)
{
    if (!a->res.nok)
        return 0;
    double t0 = mono_ms();
    int rc = tide_smd_reserve_release(a->smd, &a->res, e);
    a->r->reserve_ms += mono_ms() - t0;
    if (rc) {
        tide_err_prefix(e, "releasing the reservation of the moved nodes (SMD drops it by itself at %s)",
                        a->res.ok[0].expires);
        note(a->r, "%s", e->msg);
    }
    tide_reservations_free(&a->res);
    return rc;
}

/* Create the missing target group in the exclusiveGroup (no members: the moves fill it). */
static int create_target(applier *a, tide_err *e)
{
    char *desc = a->o->description ? xstrdup(a->o->description) : xasprintf("tide pool %s", a->labels[0]);
    tide_group g = { 0 };
    g.label = (char *)a->labels[0];
    g.description = desc;
    g.exclusive_group = (char *)a->o->exclusive_group;
    int rc = 0;
    if (a->o->dry_run) {
        json_object *body = json_object_new_object(), *members = json_object_new_object();
        json_object_object_add(body, "label", json_object_new_string(g.label));
        json_object_object_add(body, "description", json_object_new_string(desc));
        json_object_object_add(body, "exclusiveGroup", json_object_new_string(g.exclusive_group));
        json_object_object_add(members, "ids", json_object_new_array());
        json_object_object_add(body, "members", members);
        record(a->r, "POST", xstrdup("/groups"), body);
    } else {
        rc = tide_smd_group_create(a->smd, &g, e);
        if (!rc) {
            a->r->created_target = 1;
            note(a->r, "created SMD group %s with exclusiveGroup \"%s\"", g.label, g.exclusive_group);
        }
    }
    free(desc);
    return rc;
}

/* The calls a dry run lists: reservation, moves, release, read-back. */
static void record_round(applier *a)
{
    tide_pool_apply_report *r = a->r;
    size_t n = r->nmoves - a->round_start;
    if (n) {
        const char **ids = xcalloc(n, sizeof(char *));
        for (size_t i = 0; i < n; i++)
            ids[i] = r->moves[a->round_start + i].node;
        json_object *body = json_object_new_object();
        json_object_object_add(body, "ComponentIDs", tide_json_str_array(ids, n));
        json_object_object_add(body, "ProcessingModel", json_object_new_string("rigid"));
        json_object_object_add(body, "ReservationDuration", json_object_new_int(a->o->reserve_minutes));
        record(r, "POST", xstrdup("/locks/service/reservations"), body);
        free(ids);
    }
    for (size_t i = a->round_start; i < r->nmoves; i++) {
        const tide_pool_move *mv = &r->moves[i];
        record(r, "DELETE", group_path(mv->from, "/members/", mv->node), NULL);
        json_object *body = json_object_new_object();
        json_object_object_add(body, "id", json_object_new_string(mv->node));
        record(r, "POST", group_path(mv->to, "/members", NULL), body);
    }
    if (n) {
        /* The keys are SMD's answer to the reservation; the body shows their shape. */
        json_object *body = json_object_new_object(), *keys = json_object_new_array(), *k = json_object_new_object();
        json_object_object_add(k, "ID", json_object_new_string("<each node reserved>"));
        json_object_object_add(k, "Key", json_object_new_string("<its ReservationKey>"));
        json_object_array_add(keys, k);
        json_object_object_add(body, "ReservationKeys", keys);
        json_object_object_add(body, "ProcessingModel", json_object_new_string("flexible"));
        record(r, "POST", xstrdup("/locks/service/reservations/release"), body);
    }
    record(r, "GET", groups_query(a), NULL);
}

/* Move every node of the round.  STEP_OK, STEP_RACE or STEP_ERROR (e set). */
static int run_moves(applier *a, tide_err *e)
{
    double t0 = mono_ms();
    int step = STEP_OK;
    for (size_t i = a->round_start; i < a->r->nmoves && step == STEP_OK; i++) {
        if (keep_reserved(a, e))
            step = STEP_ERROR;
        else
            step = move_one(a, &a->r->moves[i], e);
    }
    a->r->move_ms += mono_ms() - t0;
    return step;
}

/* ---- read-back ----------------------------------------------------------- */

/* The sorted (strcmp) member list of a group, borrowed. */
static char **sorted_members(const tide_group *g)
{
    char **v = xcalloc(g->nmembers + 1, sizeof(char *));
    memcpy(v, g->members, sizeof(char *) * g->nmembers);
    qsort(v, g->nmembers, sizeof(char *), cmp_str_ptr);
    return v;
}

/*
 * Read the managed groups back: fill r->members, the `now` of every move, and check SMD against
 * the plan (*matches; e says the first difference).  -1 when the groups cannot be read.
 */
static int read_back(applier *a, int *matches, tide_err *e)
{
    tide_pool_apply_report *r = a->r;
    tide_group_list l = { 0 };
    double t0 = mono_ms();

    *matches = 0;
    if (tide_smd_groups_list(a->smd, a->labels, a->nlabels, &l, e)) {
        r->verify_ms += mono_ms() - t0;
        return -1;
    }
    char ***sorted = xcalloc(a->nlabels, sizeof(char **));
    size_t *count = xcalloc(a->nlabels, sizeof(size_t));
    for (size_t i = 0; i < a->nlabels; i++) {
        tide_group *g = find_group(&l, a->labels[i]);
        sorted[i] = g ? sorted_members(g) : NULL;
        count[i] = g ? g->nmembers : 0;
    }

    tide_strv_free(r->members, r->nmembers);
    r->nmembers = count[0];
    r->members = xcalloc(count[0] + 1, sizeof(char *));
    for (size_t i = 0; i < count[0]; i++)
        r->members[i] = xstrdup(sorted[0][i]);
    qsort(r->members, r->nmembers, sizeof(char *), cmp_xname_ptr);
    r->members_read = 1;

    /* Where each moved node is now; one GET /memberships for a node in none of the groups. */
    for (size_t m = 0; m < r->nmoves; m++) {
        tide_pool_move *mv = &r->moves[m];
        size_t i = 0;
        while (i < a->nlabels && !sorted_has(sorted[i], count[i], mv->node))
            i++;
        if (i < a->nlabels) {
            set_now(mv, a->labels[i]);
            continue;
        }
        char **labels = NULL;
        size_t n = 0;
        tide_err e2;
        tide_err_clear(&e2);
        if (!where_is(a, mv->node, &labels, &n, &e2)) {
            free(mv->now);
            mv->now = join_labels(labels, n);
        }
        tide_strv_free(labels, n);
    }

    /* The plan: the target is exactly the chosen nodes, and the nodes let go are in the first parent. */
    const tide_pool_plan *p = &r->plan.plan;
    char **chosen = xcalloc(p->nchosen + 1, sizeof(char *));
    memcpy(chosen, p->chosen, sizeof(char *) * p->nchosen);
    qsort(chosen, p->nchosen, sizeof(char *), cmp_str_ptr);
    const char *extra = NULL, *missing = NULL, *not_returned = NULL;
    for (size_t i = 0; i < count[0] && !extra; i++)
        if (!sorted_has(chosen, p->nchosen, sorted[0][i]))
            extra = sorted[0][i];
    for (size_t i = 0; i < p->nchosen && !missing; i++)
        if (!sorted_has(sorted[0], count[0], chosen[i]))
            missing = chosen[i];
    for (size_t i = 0; i < p->nremove && !not_returned; i++)
        if (!sorted_has(sorted[1], count[1], p->remove[i]))
            not_returned = p->remove[i];
    if (extra)
        tide_err_set(e, "after the moves SMD's group %s holds %s, which the plan does not choose", a->labels[0], extra);
    else if (missing)
        tide_err_set(e, "after the moves SMD's group %s lacks %s, which the plan chooses", a->labels[0], missing);
    else if (not_returned)
        tide_err_set(e, "after the moves %s is not in SMD's group %s, where the plan puts it", not_returned,
                     a->labels[1]);
    else
        *matches = 1;

    free(chosen);
    for (size_t i = 0; i < a->nlabels; i++)
        free(sorted[i]);
    free(sorted);
    free(count);
    tide_group_list_free(&l);
    r->verify_ms += mono_ms() - t0;
    return 0;
}

/* ---- the apply ------------------------------------------------------------ */

/* Plan from SMD's groups as they are now (creating the target group if needed).
 * STEP_OK, STEP_RACE (the target appeared meanwhile) or STEP_ERROR. */
static int plan_round(applier *a, tide_err *e)
{
    tide_pool_apply_report *r = a->r;
    tide_group_list l = { 0 };
    tide_group *target = NULL, *parents = xcalloc(a->nlabels, sizeof(*parents));
    tide_pool_planned plan;
    double t0 = mono_ms();
    int step = STEP_ERROR;

    a->round_start = r->nmoves;
    if (read_groups(a, &l, &target, parents, e) || check_exclusive(a, target, parents, e))
        goto out;
    if (tide_pool_plan_groups(a->pat, a->o->keep, target, parents, a->nlabels - 1, a->inv, &plan, e))
        goto out;   /* the report keeps the last plan made */
    tide_pool_planned_free(&r->plan);
    r->plan = plan;
    if (r->nplans == 1) {
        strbuf b = STRBUF_INIT;
        for (size_t i = target ? 0 : 1; i < a->nlabels; i++)
            strbuf_printf(&b, "%s%s", b.len ? ", " : "", a->labels[i]);
        note(r, "SMD group%s %s %s exclusiveGroup \"%s\"", a->nlabels - !target > 1 ? "s" : "", strbuf_str(&b),
             a->nlabels - !target > 1 ? "share" : "has", a->o->exclusive_group);
        strbuf_free(&b);
    }
    step = STEP_OK;
    if (!target && create_target(a, e))
        step = e->conflict ? STEP_RACE : STEP_ERROR;   /* 409: another party created it meanwhile */
out:
    free(parents);
    tide_group_list_free(&l);
    r->plan_ms += mono_ms() - t0;
    return step;
}

/* Stop: release what is held and, if any node was touched, read where every node is (the caller's
 * error stands). */
static void stop(applier *a)
{
    tide_err e2;
    int matches;
    tide_err_clear(&e2);
    release(a, &e2);
    tide_err_clear(&e2);
    size_t tried = 0;
    for (size_t i = 0; i < a->r->nmoves; i++)
        tried += a->r->moves[i].result != TIDE_MOVE_PENDING;
    if (tried && read_back(a, &matches, &e2))
        note(a->r, "cannot read the groups back to say where the nodes are: %s", e2.msg);
}

int tide_pool_apply(tide_http *smd, const tide_inventory *inv, const tide_pattern *pat,
                    const char *const *parents, size_t nparents, const tide_pool_apply_opts *o,
                    tide_pool_apply_report *r, tide_err *e)
{
    double t0 = mono_ms();
    applier a = { smd, inv, pat, o, NULL, nparents + 1, r, { 0 }, 0, 0 };
    int rc = -1;

    memset(r, 0, sizeof(*r));
    a.labels = xcalloc(nparents + 1, sizeof(char *));
    a.labels[0] = pat->group;
    for (size_t i = 0; i < nparents; i++)
        a.labels[i + 1] = parents[i];
    if (!o->exclusive_group || !*o->exclusive_group) {
        tide_err_set(e, "tide pool apply needs an exclusiveGroup for the managed groups (ExclusiveGroup=)");
        goto out;
    }

    for (;;) {
        r->nplans++;
        int step = plan_round(&a, e);
        if (step == STEP_ERROR) {
            stop(&a);
            goto out;
        }
        if (step == STEP_OK) {
            plan_moves(&a);
            if (o->dry_run) {
                record_round(&a);
                rc = 0;
                goto out;
            }
            if (r->nmoves > a.round_start && reserve(&a, e)) {
                stop(&a);
                goto out;
            }
            step = run_moves(&a, e);
            if (step == STEP_ERROR) {
                stop(&a);
                goto out;
            }
            tide_err rel;
            tide_err_clear(&rel);
            if (release(&a, &rel) && step == STEP_OK) {
                *e = rel;
                stop(&a);
                goto out;
            }
        }
        if (step == STEP_OK) {
            int matches;
            if (read_back(&a, &matches, e)) {
                tide_err_prefix(e, "reading the groups back after the moves");
                goto out;
            }
            if (matches) {
                r->verified = 1;
                rc = 0;
                goto out;
            }
        }
        /* Another party changed the groups: plan again from what SMD holds now. */
        drop_untried(&a);
        if (r->nplans >= (size_t)o->max_plans) {
            tide_err_prefix(e, "gave up after %zu plans, as other parties kept changing the groups; the last change",
                            r->nplans);
            stop(&a);
            goto out;
        }
        note(r, "plan %zu stopped: %s; planning again from SMD's groups as they are now", r->nplans, e->msg);
        tide_err_clear(e);
    }
out:
    free(a.labels);
    r->total_ms = mono_ms() - t0;
    return rc;
}

void tide_pool_apply_report_free(tide_pool_apply_report *r)
{
    if (!r)
        return;
    tide_pool_planned_free(&r->plan);
    tide_strv_free(r->notes, r->nnotes);
    for (size_t i = 0; i < r->nmoves; i++)
        move_free(&r->moves[i]);
    free(r->moves);
    for (size_t i = 0; i < r->ncalls; i++) {
        free(r->calls[i].method);
        free(r->calls[i].path);
        free(r->calls[i].body);
    }
    free(r->calls);
    tide_strv_free(r->members, r->nmembers);
    memset(r, 0, sizeof(*r));
}

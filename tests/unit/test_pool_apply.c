/*
 * test_pool_apply.c - pool plans against groups (candidates, where each node
 * comes from) and the apply engine against scripted SMD replies: the exact
 * calls of a clean apply, a 409 race and the re-plan, a 500 and the put-back,
 * a node SMD refuses to take back, a DELETE that finds the node gone, the
 * exclusiveGroup checks, the target created, reservation failures, the read-
 * back check, and the dry run.
 *
 * The site: four nodes of chassis x1000c0, two with four A100 each.  The
 * target "pool" holds the CPU-only x1000c0s0b0n0; nodes_free holds the rest.
 * pool:nvidia:4 takes the first A100 node and lets x1000c0s0b0n0 go.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_http.h"
#include "pool_apply.h"
#include "pool_plan.h"
#include "strbuf.h"

#define BASE "http://smd.test:27779/hsm/v2"
#define JSON "application/json"
#define PROBLEM "application/problem+json"

#define CPU0 "x1000c0s0b0n0"   /* CPU only, in pool */
#define GPU1 "x1000c0s0b0n1"   /* 4 A100, in nodes_free */
#define CPU2 "x1000c0s1b0n0"   /* CPU only, in nodes_free */
#define GPU3 "x1000c0s1b0n1"   /* 4 A100, in nodes_free */

#define GROUPS_Q "/hsm/v2/groups?group=pool&group=nodes_free"
#define RESERVE "/hsm/v2/locks/service/reservations"
#define RELEASE RESERVE "/release"
#define POOL_MEMBERS "/hsm/v2/groups/pool/members"
#define FREE_MEMBERS "/hsm/v2/groups/nodes_free/members"
#define WHERE_IS(x) "/hsm/v2/memberships/" x
#define GROUP(label, excl, ids) \
    "{\"label\":\"" label "\",\"description\":\"\",\"exclusiveGroup\":\"" excl "\",\"members\":{\"ids\":[" ids "]}}"
#define Q(x) "\"" x "\""
/* SMD's answer to GROUPS_Q: the members of pool and of nodes_free, both in exclusiveGroup tide. */
#define GROUPS(pool, free) "[" GROUP("pool", "tide", pool) "," GROUP("nodes_free", "tide", free) "]"
#define BEFORE GROUPS(Q(CPU0), Q(GPU1) "," Q(CPU2) "," Q(GPU3))
#define AFTER GROUPS(Q(GPU1), Q(CPU0) "," Q(CPU2) "," Q(GPU3))
#define GPU1_TAKEN GROUPS(Q(CPU0), Q(CPU2) "," Q(GPU3))   /* another party took GPU1 */

#define RESERVED(a, b) "{\"Success\":[" \
    "{\"ID\":\"" a "\",\"DeputyKey\":\"" a ":dk:1\",\"ReservationKey\":\"" a ":rk:1\",\"ExpirationTime\":\"2026-01-01T10:15:00Z\"}," \
    "{\"ID\":\"" b "\",\"DeputyKey\":\"" b ":dk:2\",\"ReservationKey\":\"" b ":rk:2\",\"ExpirationTime\":\"2026-01-01T10:15:00Z\"}]," \
    "\"Failure\":[]}"
#define RELEASED "{\"Counts\":{\"Total\":2,\"Success\":2,\"Failure\":0},\"Success\":{\"ComponentIDs\":[]},\"Failure\":[]}"
#define DELETED "{\"code\":0,\"message\":\"deleted 1 entry\"}"
#define CREATED(label, x) "[{\"URI\":\"/hsm/v2/groups/" label "/members/" x "\"}]"
#define MEMBERSHIPS(x, labels) "{\"id\":\"" x "\",\"groupLabels\":[" labels "],\"partitionName\":\"\"}"
#define PROBLEM_BODY(status, title, detail) \
    "{\"type\":\"about:blank\",\"title\":\"" title "\",\"detail\":\"" detail "\",\"status\":" #status "}"
#define CONFLICT PROBLEM_BODY(409, "Conflict", "operation would conflict with an existing member in another exclusive group.")

typedef struct fixture {
    fake_http              f;
    tide_http             *smd;
    tide_inventory         inv;
    tide_pattern           pat;
    tide_pool_apply_opts   o;
    tide_pool_apply_report r;
    tide_err               e;
} fixture;

static void add_node(tide_inventory *inv, const char *xname, int gpus)
{
    inv->nodes = xrealloc(inv->nodes, sizeof(*inv->nodes) * (inv->n + 1));
    tide_node_hw *n = &inv->nodes[inv->n++];
    memset(n, 0, sizeof(*n));
    n->xname = xstrdup(xname);
    tide_counts_add(&n->processors, "AMD EPYC 7742 64-Core Processor", 2);
    if (gpus)
        tide_counts_add(&n->accelerators, "NVIDIA_A100-SXM4-80GB", gpus);
    tide_counts_add(&n->dimms, "16384", 16);
    n->memory_mib = 16 * 16384;
}

static int setup(void **state)
{
    fixture *t = xcalloc(1, sizeof(*t));
    t->smd = fake_http_client("SMD", BASE, &t->f);
    add_node(&t->inv, CPU0, 0);   /* in tide_xname_cmp order */
    add_node(&t->inv, GPU1, 4);
    add_node(&t->inv, CPU2, 0);
    add_node(&t->inv, GPU3, 4);
    if (tide_pattern_parse("pool:nvidia:4", &t->pat, &t->e))
        fail_msg("%s", t->e.msg);
    tide_pool_apply_opts_init(&t->o, "tide");
    t->o.put_back_delay_ms = 0;
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    fixture *t = *state;
    fake_http_done(&t->f);
    tide_http_free(t->smd);
    tide_inventory_free(&t->inv);
    tide_pattern_free(&t->pat);
    tide_pool_apply_report_free(&t->r);
    free(t);
    return 0;
}

static const char *const free_parent[] = { "nodes_free" };

static int apply(fixture *t)
{
    return tide_pool_apply(t->smd, &t->inv, &t->pat, free_parent, 1, &t->o, &t->r, &t->e);
}

static void assert_move(const tide_pool_move *mv, const char *node, const char *from, const char *to,
                        tide_pool_move_result result, const char *now)
{
    assert_string_equal(mv->node, node);
    assert_string_equal(mv->from, from);
    assert_string_equal(mv->to, to);
    assert_string_equal(tide_pool_move_result_name(mv->result), tide_pool_move_result_name(result));
    if (now)
        assert_string_equal(mv->now, now);
    else
        assert_null(mv->now);
}

/* ---- plans from groups ------------------------------------------------------------------- */

static tide_group group(const char *label, const char *const *members, size_t n)
{
    tide_group g = { 0 };
    g.label = xstrdup(label);
    g.description = xstrdup("");
    g.exclusive_group = xstrdup("tide");
    g.members = xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        g.members[g.nmembers++] = xstrdup(members[i]);
    return g;
}

static void plan_candidates_and_sources(void **state)
{
    fixture *t = *state;
    /* GPU3 is in both parents: it comes from the first one listed.  CPU2 is in the target and a
     * parent (groups without a shared exclusiveGroup): it counts once, as a member. */
    const char *const pool_m[] = { CPU0, CPU2 }, *const a_m[] = { GPU3, CPU2 }, *const b_m[] = { GPU1, GPU3 };
    tide_group target = group("pool", pool_m, 2);
    tide_group parents[2] = { group("spare", a_m, 2), group("nodes_free", b_m, 2) };
    tide_pattern pat;
    tide_pool_planned p;
    assert_int_equal(tide_pattern_parse("pool:nvidia:8", &pat, &t->e), 0);
    assert_int_equal(tide_pool_plan_groups(&pat, 0, &target, parents, 2, &t->inv, &p, &t->e), 0);
    assert_string_equal(p.target, "pool");
    assert_int_equal(p.target_exists, 1);
    assert_int_equal(p.nparents, 2);
    assert_string_equal(p.parents[0], "spare");
    assert_string_equal(p.remove_to, "spare");
    assert_int_equal(p.ncandidates, 4);
    assert_int_equal(p.plan.nadd, 2);
    assert_string_equal(p.plan.add[0], GPU1);
    assert_string_equal(p.add_from[0], "nodes_free");
    assert_string_equal(p.plan.add[1], GPU3);
    assert_string_equal(p.add_from[1], "spare");
    assert_int_equal(p.plan.nremove, 2);
    assert_string_equal(p.plan.remove[0], CPU0);
    assert_string_equal(p.plan.remove[1], CPU2);
    tide_pool_planned_free(&p);

    /* A target SMD does not have yet: planned empty. */
    assert_int_equal(tide_pool_plan_groups(&pat, 0, NULL, parents, 2, &t->inv, &p, &t->e), 0);
    assert_int_equal(p.target_exists, 0);
    assert_int_equal(p.plan.nadd, 2);
    assert_int_equal(p.plan.nremove, 0);
    tide_pool_planned_free(&p);

    /* Errors leave *out empty. */
    tide_group same[2] = { parents[0], target };
    same[1].label = (char *)"POOL";
    assert_int_equal(tide_pool_plan_groups(&pat, 0, &target, same, 2, &t->inv, &p, &t->e), -1);
    assert_string_equal(t->e.msg, "pool pool: the target group cannot also be a parent group");
    assert_null(p.target);
    tide_group twice[2] = { parents[0], parents[0] };
    assert_int_equal(tide_pool_plan_groups(&pat, 0, &target, twice, 2, &t->inv, &p, &t->e), -1);
    assert_string_equal(t->e.msg, "pool pool: parent group spare is given twice");
    tide_pattern_free(&pat);
    assert_int_equal(tide_pattern_parse("pool:nvidia:9", &pat, &t->e), 0);
    assert_int_equal(tide_pool_plan_groups(&pat, 0, &target, parents, 2, &t->inv, &p, &t->e), -1);
    assert_string_equal(t->e.msg, "not enough hardware for pool pool among the 4 candidate nodes: nvidia wanted 9, "
                                  "available 8");
    assert_null(p.plan.chosen);

    tide_pattern_free(&pat);
    tide_group_free(&target);
    tide_group_free(&parents[0]);
    tide_group_free(&parents[1]);
}

/* ---- a clean apply ----------------------------------------------------------------------- */

/* SMD's replies to a plan of pool:nvidia:4 from BEFORE, in the order tide asks. */

static void expect_groups(fixture *t, const char *body)
{
    fake_expect(&t->f, "GET", GROUPS_Q, 200, JSON, body);
}

static fake_exchange *expect_release(fixture *t)
{
    return fake_expect(&t->f, "POST", RELEASE, 200, JSON, RELEASED);
}

/* Read BEFORE, reserve GPU1 and CPU0, take GPU1 out of nodes_free: returns the reservation. */
static fake_exchange *expect_plan_start(fixture *t)
{
    expect_groups(t, BEFORE);
    fake_exchange *res = fake_expect(&t->f, "POST", RESERVE, 200, JSON, RESERVED(GPU1, CPU0));
    fake_expect(&t->f, "DELETE", FREE_MEMBERS "/" GPU1, 200, JSON, DELETED);
    return res;
}

/* After expect_plan_start, the rest of both moves: posts[0] puts GPU1 in pool, posts[1] CPU0 in nodes_free. */
static void expect_plan_moves(fixture *t, fake_exchange **posts)
{
    posts[0] = fake_expect(&t->f, "POST", POOL_MEMBERS, 201, JSON, CREATED("pool", GPU1));
    fake_expect(&t->f, "DELETE", POOL_MEMBERS "/" CPU0, 200, JSON, DELETED);
    posts[1] = fake_expect(&t->f, "POST", FREE_MEMBERS, 201, JSON, CREATED("nodes_free", CPU0));
}

/* A clean plan up to the read-back: returns the reservation; posts[2] is the release. */
static fake_exchange *expect_clean_round(fixture *t, fake_exchange **posts)
{
    fake_exchange *res = expect_plan_start(t);
    expect_plan_moves(t, posts);
    posts[2] = expect_release(t);
    return res;
}

/* SMD says GPU1 is in the group batch. */
static void expect_gpu1_in_batch(fixture *t)
{
    fake_expect(&t->f, "GET", WHERE_IS(GPU1), 200, JSON, MEMBERSHIPS(GPU1, "\"batch\""));
}

/* GPU1 was lost on its way to pool: it is in batch, SMD refuses to put it back, it is still in batch.
 * Returns the put-back. */
static fake_exchange *expect_gpu1_taken(fixture *t)
{
    expect_gpu1_in_batch(t);
    fake_exchange *back = fake_expect(&t->f, "POST", FREE_MEMBERS, 409, PROBLEM, CONFLICT);
    expect_gpu1_in_batch(t);
    return back;
}

static void apply_clean(void **state)
{
    fixture *t = *state;
    fake_exchange *posts[3];
    fake_exchange *res = expect_clean_round(t, posts);
    expect_groups(t, AFTER);

    assert_int_equal(apply(t), 0);
    fake_assert_json_equal(res->sent_body, "{\"ComponentIDs\":[\"" GPU1 "\",\"" CPU0 "\"],\"ProcessingModel\":\"rigid\","
                                           "\"ReservationDuration\":15}");
    fake_assert_json_equal(posts[0]->sent_body, "{\"id\":\"" GPU1 "\"}");
    fake_assert_json_equal(posts[1]->sent_body, "{\"id\":\"" CPU0 "\"}");
    fake_assert_json_equal(posts[2]->sent_body, "{\"ReservationKeys\":[{\"ID\":\"" GPU1 "\",\"Key\":\"" GPU1 ":rk:1\"},"
                                                "{\"ID\":\"" CPU0 "\",\"Key\":\"" CPU0 ":rk:2\"}],"
                                                "\"ProcessingModel\":\"flexible\"}");
    tide_pool_apply_report *r = &t->r;
    assert_int_equal(r->nplans, 1);
    assert_int_equal(r->verified, 1);
    assert_int_equal(r->created_target, 0);
    assert_int_equal(r->nmoves, 2);
    assert_move(&r->moves[0], GPU1, "nodes_free", "pool", TIDE_MOVE_DONE, "pool");
    assert_move(&r->moves[1], CPU0, "pool", "nodes_free", TIDE_MOVE_DONE, "nodes_free");
    assert_null(r->moves[0].error);
    assert_int_equal(r->members_read, 1);
    assert_int_equal(r->nmembers, 1);
    assert_string_equal(r->members[0], GPU1);
    assert_int_equal(r->nnotes, 1);
    assert_string_equal(r->notes[0], "SMD groups pool, nodes_free share exclusiveGroup \"tide\"");
    assert_int_equal(r->ncalls, 0);
    assert_true(r->total_ms >= r->move_ms);
}

static void apply_nothing_to_do(void **state)
{
    fixture *t = *state;
    expect_groups(t, AFTER);
    expect_groups(t, AFTER);   /* read back: no reservation, no move */
    assert_int_equal(apply(t), 0);
    assert_int_equal(t->r.nmoves, 0);
    assert_int_equal(t->r.verified, 1);
}

static void apply_dry_run(void **state)
{
    fixture *t = *state;
    t->o.dry_run = 1;
    expect_groups(t, BEFORE);
    assert_int_equal(apply(t), 0);
    tide_pool_apply_report *r = &t->r;
    assert_int_equal(r->ncalls, 7);
    static const char *const want[][3] = {
        { "POST", "/locks/service/reservations",
          "{\"ComponentIDs\":[\"" GPU1 "\",\"" CPU0 "\"],\"ProcessingModel\":\"rigid\",\"ReservationDuration\":15}" },
        { "DELETE", "/groups/nodes_free/members/" GPU1, NULL },
        { "POST", "/groups/pool/members", "{\"id\":\"" GPU1 "\"}" },
        { "DELETE", "/groups/pool/members/" CPU0, NULL },
        { "POST", "/groups/nodes_free/members", "{\"id\":\"" CPU0 "\"}" },
        { "POST", "/locks/service/reservations/release", NULL },
        { "GET", "/groups?group=pool&group=nodes_free", NULL },
    };
    for (size_t i = 0; i < 7; i++) {
        assert_string_equal(r->calls[i].method, want[i][0]);
        assert_string_equal(r->calls[i].path, want[i][1]);
        if (want[i][2])
            assert_string_equal(r->calls[i].body, want[i][2]);
        else if (i != 5)
            assert_null(r->calls[i].body);
    }
    assert_non_null(strstr(r->calls[5].body, "\"ReservationKeys\""));
    assert_int_equal(r->nmoves, 2);
    assert_int_equal(r->moves[0].result, TIDE_MOVE_PENDING);
    assert_int_equal(r->verified, 0);
}

/* ---- races ----------------------------------------------------------------------------- */

static void race_on_post_replans(void **state)
{
    fixture *t = *state;
    expect_plan_start(t);
    fake_expect(&t->f, "POST", POOL_MEMBERS, 409, PROBLEM, CONFLICT);
    /* Where is it?  In another party's group: a put-back is refused (409), so it is theirs. */
    fake_exchange *back = expect_gpu1_taken(t);
    expect_release(t);
    /* Plan 2, from SMD's new state: the other A100 node. */
    expect_groups(t, GPU1_TAKEN);
    fake_expect(&t->f, "POST", RESERVE, 200, JSON, RESERVED(GPU3, CPU0));
    fake_expect(&t->f, "DELETE", FREE_MEMBERS "/" GPU3, 200, JSON, DELETED);
    fake_expect(&t->f, "POST", POOL_MEMBERS, 201, JSON, CREATED("pool", GPU3));
    fake_expect(&t->f, "DELETE", POOL_MEMBERS "/" CPU0, 200, JSON, DELETED);
    fake_expect(&t->f, "POST", FREE_MEMBERS, 201, JSON, CREATED("nodes_free", CPU0));
    expect_release(t);
    expect_groups(t, GROUPS(Q(GPU3), Q(CPU0) "," Q(CPU2)));
    /* GPU1 is in no managed group: ask SMD where it is for the report. */
    expect_gpu1_in_batch(t);

    assert_int_equal(apply(t), 0);
    fake_assert_json_equal(back->sent_body, "{\"id\":\"" GPU1 "\"}");
    tide_pool_apply_report *r = &t->r;
    assert_int_equal(r->nplans, 2);
    assert_int_equal(r->verified, 1);
    assert_int_equal(r->nmoves, 3);
    assert_move(&r->moves[0], GPU1, "nodes_free", "pool", TIDE_MOVE_TAKEN, "batch");
    assert_int_equal(r->moves[0].plan, 1);
    assert_int_equal(r->moves[0].put_back, 0);
    assert_string_equal(r->moves[0].error, "SMD: POST " BASE "/groups/pool/members: HTTP 409 Conflict: operation would "
                                           "conflict with an existing member in another exclusive group.");
    assert_move(&r->moves[1], GPU3, "nodes_free", "pool", TIDE_MOVE_DONE, "pool");
    assert_int_equal(r->moves[1].plan, 2);
    assert_move(&r->moves[2], CPU0, "pool", "nodes_free", TIDE_MOVE_DONE, "nodes_free");
    assert_int_equal(r->nnotes, 2);
    assert_string_equal(r->notes[1], "plan 1 stopped: " GPU1 " was taken by another party while moving it from "
                                     "nodes_free to pool (it is now in batch); planning again from SMD's groups as "
                                     "they are now");
}

static void gone_before_delete(void **state)
{
    fixture *t = *state;
    t->o.max_plans = 1;
    expect_groups(t, BEFORE);
    fake_expect(&t->f, "POST", RESERVE, 200, JSON, RESERVED(GPU1, CPU0));
    fake_expect(&t->f, "DELETE", FREE_MEMBERS "/" GPU1, 404, PROBLEM,
                PROBLEM_BODY(404, "Not Found", "group has no such member."));
    /* Another party has it in its own group of the exclusiveGroup: the put-back is refused. */
    expect_gpu1_taken(t);
    expect_release(t);
    /* Giving up: read where everything is. */
    expect_groups(t, GPU1_TAKEN);
    expect_gpu1_in_batch(t);

    assert_int_equal(apply(t), -1);
    assert_string_equal(t->e.msg, "gave up after 1 plans, as other parties kept changing the groups; the last change: "
                                  GPU1 " was taken by another party while moving it from nodes_free to pool (it is "
                                  "now in batch)");
    /* The move tried stays in the report, the one not tried is dropped with its plan. */
    assert_int_equal(t->r.nmoves, 1);
    assert_move(&t->r.moves[0], GPU1, "nodes_free", "pool", TIDE_MOVE_TAKEN, "batch");
    assert_int_equal(t->r.moves[0].put_back, 0);
}

static void replan_without_enough_hardware(void **state)
{
    fixture *t = *state;
    expect_plan_start(t);
    fake_expect(&t->f, "POST", POOL_MEMBERS, 409, PROBLEM, CONFLICT);
    expect_gpu1_taken(t);
    expect_release(t);
    /* Meanwhile the other A100 node went too: nothing left to plan with. */
    expect_groups(t, GROUPS(Q(CPU0), Q(CPU2)));
    expect_groups(t, GROUPS(Q(CPU0), Q(CPU2)));
    expect_gpu1_in_batch(t);
    assert_int_equal(apply(t), -1);
    assert_string_equal(t->e.msg, "not enough hardware for pool pool among the 2 candidate nodes: nvidia wanted 4, "
                                  "available 0");
    /* The report keeps the plan that was applied, and the move that lost. */
    assert_int_equal(t->r.nplans, 2);
    assert_int_equal(t->r.plan.plan.nadd, 1);
    assert_string_equal(t->r.plan.plan.add[0], GPU1);
    assert_int_equal(t->r.nmoves, 1);
    assert_move(&t->r.moves[0], GPU1, "nodes_free", "pool", TIDE_MOVE_TAKEN, "batch");
    assert_int_equal(t->r.nmembers, 1);
    assert_string_equal(t->r.members[0], CPU0);
}

/* ---- SMD failing ------------------------------------------------------------------------- */

static void post_500_puts_back(void **state)
{
    fixture *t = *state;
    expect_plan_start(t);
    fake_expect(&t->f, "POST", POOL_MEMBERS, 500, PROBLEM, PROBLEM_BODY(500, "Internal Server Error", "disk full"));
    fake_expect(&t->f, "GET", WHERE_IS(GPU1), 200, JSON, MEMBERSHIPS(GPU1, ""));
    fake_exchange *back = fake_expect(&t->f, "POST", FREE_MEMBERS, 201, JSON, CREATED("nodes_free", GPU1));
    expect_release(t);
    expect_groups(t, BEFORE);

    assert_int_equal(apply(t), -1);
    assert_string_equal(t->e.msg, "moving " GPU1 " from nodes_free to pool: SMD: POST " BASE "/groups/pool/members: "
                                  "HTTP 500 Internal Server Error: disk full");
    fake_assert_json_equal(back->sent_body, "{\"id\":\"" GPU1 "\"}");
    tide_pool_apply_report *r = &t->r;
    assert_int_equal(r->nmoves, 2);
    assert_move(&r->moves[0], GPU1, "nodes_free", "pool", TIDE_MOVE_NOT_DONE, "nodes_free");
    assert_int_equal(r->moves[0].put_back, 1);
    assert_move(&r->moves[1], CPU0, "pool", "nodes_free", TIDE_MOVE_PENDING, "pool");
    assert_int_equal(r->verified, 0);
    assert_int_equal(r->members_read, 1);
}

static void post_500_but_applied(void **state)
{
    fixture *t = *state;
    expect_plan_start(t);
    fake_expect(&t->f, "POST", POOL_MEMBERS, 502, "text/html", "<html>Bad Gateway</html>");
    /* The gateway lost SMD's answer, but the POST went through. */
    fake_expect(&t->f, "GET", WHERE_IS(GPU1), 200, JSON, MEMBERSHIPS(GPU1, "\"pool\""));
    expect_release(t);
    expect_groups(t, GROUPS(Q(CPU0) "," Q(GPU1), Q(CPU2) "," Q(GPU3)));
    assert_int_equal(apply(t), -1);
    assert_non_null(strstr(t->e.msg, "HTTP 502"));
    assert_move(&t->r.moves[0], GPU1, "nodes_free", "pool", TIDE_MOVE_DONE, "pool");
    assert_int_equal(t->r.moves[0].put_back, 0);
}

static void stranded_when_smd_refuses_the_put_back(void **state)
{
    fixture *t = *state;
    expect_plan_start(t);
    fake_expect(&t->f, "POST", POOL_MEMBERS, 503, PROBLEM,
                PROBLEM_BODY(503, "Service Unavailable", "read-only"));
    fake_expect(&t->f, "GET", WHERE_IS(GPU1), 503, PROBLEM,
                PROBLEM_BODY(503, "Service Unavailable", "read-only"));
    for (int i = 0; i < 3; i++)
        fake_expect(&t->f, "POST", FREE_MEMBERS, 503, PROBLEM,
                    PROBLEM_BODY(503, "Service Unavailable", "read-only"));
    expect_release(t);
    expect_groups(t, GPU1_TAKEN);
    fake_expect(&t->f, "GET", WHERE_IS(GPU1), 200, JSON, MEMBERSHIPS(GPU1, ""));

    assert_int_equal(apply(t), -1);
    tide_pool_move *mv = &t->r.moves[0];
    assert_move(mv, GPU1, "nodes_free", "pool", TIDE_MOVE_STRANDED, NULL);
    assert_string_equal(mv->error, "SMD: POST " BASE "/groups/pool/members: HTTP 503 Service Unavailable: read-only; "
                                   "it is in no group: tide could not put it back in nodes_free (SMD: POST " BASE
                                   "/groups/nodes_free/members: HTTP 503 Service Unavailable: read-only); put it back "
                                   "with POST /groups/nodes_free/members {\"id\":\"" GPU1 "\"} then run the same "
                                   "command again");
    assert_string_equal(t->e.msg, "moving " GPU1 " from nodes_free to pool: SMD: POST " BASE "/groups/pool/members: "
                                  "HTTP 503 Service Unavailable: read-only; it is in no group: tide could not put it "
                                  "back in nodes_free (SMD: POST " BASE "/groups/nodes_free/members: HTTP 503 Service "
                                  "Unavailable: read-only); put it back with POST /groups/nodes_free/members "
                                  "{\"id\":\"" GPU1 "\"} then run the same command again");
}

static void delete_500_stops(void **state)
{
    fixture *t = *state;
    expect_plan_start(t);
    fake_expect(&t->f, "POST", POOL_MEMBERS, 201, JSON, CREATED("pool", GPU1));
    fake_expect(&t->f, "DELETE", POOL_MEMBERS "/" CPU0, 500, PROBLEM,
                PROBLEM_BODY(500, "Internal Server Error", "database is sad"));
    fake_expect(&t->f, "GET", WHERE_IS(CPU0), 200, JSON, MEMBERSHIPS(CPU0, "\"pool\""));
    fake_expect(&t->f, "POST", RELEASE, 500, PROBLEM,
                PROBLEM_BODY(500, "Internal Server Error", "locks are sad"));
    expect_groups(t, GROUPS(Q(CPU0) "," Q(GPU1), Q(CPU2) "," Q(GPU3)));

    assert_int_equal(apply(t), -1);
    assert_string_equal(t->e.msg, "moving " CPU0 " from pool to nodes_free: SMD: DELETE " BASE "/groups/pool/members/"
                                  CPU0 ": HTTP 500 Internal Server Error: database is sad");
    assert_move(&t->r.moves[0], GPU1, "nodes_free", "pool", TIDE_MOVE_DONE, "pool");
    assert_move(&t->r.moves[1], CPU0, "pool", "nodes_free", TIDE_MOVE_NOT_DONE, "pool");
    assert_int_equal(t->r.moves[1].put_back, 0);
    /* The release failed too: said, not hidden. */
    assert_int_equal(t->r.nnotes, 2);
    assert_string_equal(t->r.notes[1], "releasing the reservation of the moved nodes (SMD drops it by itself at "
                                       "2026-01-01T10:15:00Z): SMD: POST " BASE "/locks/service/reservations/release: "
                                       "HTTP 500 Internal Server Error: locks are sad");
    assert_int_equal(t->r.members_read, 1);
    assert_int_equal(t->r.nmembers, 2);
}

static void release_failure_after_clean_moves(void **state)
{
    fixture *t = *state;
    fake_exchange *posts[2];
    expect_plan_start(t);
    expect_plan_moves(t, posts);
    fake_expect(&t->f, "POST", RELEASE, 200, JSON,
                "{\"Counts\":{\"Total\":2,\"Success\":1,\"Failure\":1},\"Success\":{\"ComponentIDs\":[\"" GPU1 "\"]},"
                "\"Failure\":[{\"ID\":\"" CPU0 "\",\"Reason\":\"NotFound\"}]}");
    expect_groups(t, AFTER);
    assert_int_equal(apply(t), -1);
    assert_string_equal(t->e.msg, "releasing the reservation of the moved nodes (SMD drops it by itself at "
                                  "2026-01-01T10:15:00Z): SMD: POST " BASE "/locks/service/reservations/release: SMD "
                                  "could not release the reservation of " CPU0 " (NotFound)");
    assert_int_equal(t->r.moves[1].result, TIDE_MOVE_DONE);
}

static void reservation_refused(void **state)
{
    fixture *t = *state;
    expect_groups(t, BEFORE);
    fake_expect_file(&t->f, "POST", RESERVE, 400, "smd/reservation_rigid_fail.json")
        ->content_type = PROBLEM;
    assert_int_equal(apply(t), -1);
    assert_non_null(strstr(t->e.msg, "cannot reserve the 2 nodes to move (another service, e.g. tided or PCS, may be "
                                     "working on some of them; try again later): SMD: POST " BASE
                                     "/locks/service/reservations: HTTP 400"));
    assert_int_equal(t->r.moves[0].result, TIDE_MOVE_PENDING);
}

static void read_back_differs(void **state)
{
    fixture *t = *state;
    fake_exchange *posts[3];
    t->o.max_plans = 1;
    expect_clean_round(t, posts);
    /* Someone put CPU2 in the pool right after our moves. */
    expect_groups(t, GROUPS(Q(GPU1) "," Q(CPU2), Q(CPU0) "," Q(GPU3)));
    expect_groups(t, GROUPS(Q(GPU1) "," Q(CPU2), Q(CPU0) "," Q(GPU3)));
    assert_int_equal(apply(t), -1);
    assert_string_equal(t->e.msg, "gave up after 1 plans, as other parties kept changing the groups; the last change: "
                                  "after the moves SMD's group pool holds " CPU2 ", which the plan does not choose");
    assert_int_equal(t->r.verified, 0);
    assert_int_equal(t->r.nmoves, 2);
}

/* ---- exclusiveGroup and the target group --------------------------------------------------- */

static void refuses_another_exclusive_group(void **state)
{
    fixture *t = *state;
    expect_groups(t, "[" GROUP("pool", "tide", Q(CPU0)) ","
                     "{\"label\":\"nodes_free\",\"description\":\"\",\"members\":{\"ids\":[]}}]");
    assert_int_equal(apply(t), -1);
    assert_string_equal(t->e.msg, "SMD group nodes_free has no exclusiveGroup; tide pool apply needs the target and parent "
                                  "groups in exclusiveGroup \"tide\" (ExclusiveGroup= in tide.conf), so that SMD refuses "
                                  "to put a node in two of them; SMD cannot change the exclusiveGroup of an existing "
                                  "group and tide will not delete and re-create it (its members would be lost if that "
                                  "failed half-way): re-create nodes_free with \"exclusiveGroup\":\"tide\" and the same "
                                  "members, or set ExclusiveGroup= to the one its groups share");
    assert_int_equal(t->r.nmoves, 0);
}

static void missing_parent(void **state)
{
    fixture *t = *state;
    expect_groups(t, "[" GROUP("pool", "other", Q(CPU0)) "]");
    assert_int_equal(apply(t), -1);
    assert_string_equal(t->e.msg, "SMD at " BASE " has no group nodes_free (a parent group of pool pool)");
}

static void creates_the_target(void **state)
{
    fixture *t = *state;
    t->o.description = "tide pool pool:nvidia:4";
    expect_groups(t, "[" GROUP("nodes_free", "tide", Q(GPU1) "," Q(CPU2)) "]");
    fake_exchange *create = fake_expect(&t->f, "POST", "/hsm/v2/groups", 201, JSON, "[{\"URI\":\"/hsm/v2/groups/pool\"}]");
    fake_expect(&t->f, "POST", RESERVE, 200, JSON,
                "{\"Success\":[{\"ID\":\"" GPU1 "\",\"DeputyKey\":\"d\",\"ReservationKey\":\"k\",\"ExpirationTime\":\"t\"}],"
                "\"Failure\":[]}");
    fake_expect(&t->f, "DELETE", FREE_MEMBERS "/" GPU1, 200, JSON, DELETED);
    fake_expect(&t->f, "POST", POOL_MEMBERS, 201, JSON, CREATED("pool", GPU1));
    expect_release(t);
    expect_groups(t, GROUPS(Q(GPU1), Q(CPU2)));
    assert_int_equal(apply(t), 0);
    fake_assert_json_equal(create->sent_body, "{\"label\":\"pool\",\"description\":\"tide pool pool:nvidia:4\","
                                              "\"exclusiveGroup\":\"tide\",\"members\":{\"ids\":[]}}");
    assert_int_equal(t->r.created_target, 1);
    assert_int_equal(t->r.nnotes, 2);
    assert_string_equal(t->r.notes[0], "SMD group nodes_free has exclusiveGroup \"tide\"");
    assert_string_equal(t->r.notes[1], "created SMD group pool with exclusiveGroup \"tide\"");
    assert_int_equal(t->r.verified, 1);
}

static void target_created_by_someone_else_meanwhile(void **state)
{
    fixture *t = *state;
    t->o.max_plans = 1;
    expect_groups(t, "[" GROUP("nodes_free", "tide", Q(GPU1) "," Q(CPU2)) "]");
    fake_expect(&t->f, "POST", "/hsm/v2/groups", 409, PROBLEM,
                PROBLEM_BODY(409, "Conflict", "operation would conflict with an existing group that has the same label."));
    assert_int_equal(apply(t), -1);
    assert_non_null(strstr(t->e.msg, "gave up after 1 plans"));
    assert_int_equal(t->r.created_target, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(plan_candidates_and_sources, setup, teardown),
        cmocka_unit_test_setup_teardown(apply_clean, setup, teardown),
        cmocka_unit_test_setup_teardown(apply_nothing_to_do, setup, teardown),
        cmocka_unit_test_setup_teardown(apply_dry_run, setup, teardown),
        cmocka_unit_test_setup_teardown(race_on_post_replans, setup, teardown),
        cmocka_unit_test_setup_teardown(gone_before_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(replan_without_enough_hardware, setup, teardown),
        cmocka_unit_test_setup_teardown(post_500_puts_back, setup, teardown),
        cmocka_unit_test_setup_teardown(post_500_but_applied, setup, teardown),
        cmocka_unit_test_setup_teardown(stranded_when_smd_refuses_the_put_back, setup, teardown),
        cmocka_unit_test_setup_teardown(delete_500_stops, setup, teardown),
        cmocka_unit_test_setup_teardown(release_failure_after_clean_moves, setup, teardown),
        cmocka_unit_test_setup_teardown(reservation_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(read_back_differs, setup, teardown),
        cmocka_unit_test_setup_teardown(refuses_another_exclusive_group, setup, teardown),
        cmocka_unit_test_setup_teardown(missing_parent, setup, teardown),
        cmocka_unit_test_setup_teardown(creates_the_target, setup, teardown),
        cmocka_unit_test_setup_teardown(target_created_by_someone_else_meanwhile, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

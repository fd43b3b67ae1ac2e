/*
 * test_group_moves.c - tided's SMD group moves (helper/group_moves.c) against recorded SMD
 * replies: node by node (DELETE + POST, each node wins or loses its own race), in bulk (a
 * fresh read and one PUT per group), and the fall back from bulk to node by node when a PUT
 * meets a rival (500), a server without PUT members (405) or a node that left its group; and
 * the images' cloud-init groups (CloudInitGroup=).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "strbuf.h"
#include "tided_fixture.h"

#define CONFLICT "{\"title\":\"Conflict\",\"status\":409}"
#define PUT_FAILED "{\"title\":\"Internal Server Error\",\"detail\":\"operation 'PUT' failed during store.\",\"status\":500}"
#define GROUP(label, ids) "{\"label\":\"" label "\",\"description\":\"\",\"exclusiveGroup\":\"tide\",\"members\":{\"ids\":[" ids "]}}"
#define Q(x) "\"" x "\""
#define OTHER "x1009c0s0b0n0"   /* a member no move touches */

/* ---- node by node: claim ------------------------------------------------------------------------------- */

static void claim_moves_home_to_slurm_group(void **state)
{
    fixture *t = *state;
    tided_node *n = t->nodes[0];
    fake_expect(&t->fs, "DELETE", "/groups/nodes_free/members/" N0, 200, JSON, DELETED);
    fake_exchange *post = fake_expect(&t->fs, "POST", "/groups/slurm/members", 201, JSON,
                                      "[{\"URI\":\"/hsm/v2/groups/slurm/members/" N0 "\"}]");
    tided_step_claim(&t->r, &n, 1);
    fake_assert_json_equal(post->sent_body, "{\"id\":\"" N0 "\"}");
    assert_int_equal(n->where, TIDED_AT_SLURM);
    assert_string_equal(n->pool->name, "slurm");
    assert_int_equal(n->lease_booted, 0);
    assert_int_equal(n->leased_since, 1000);
    assert_false(n->failed);
}

static void claim_lost_race_is_no_strike(void **state)
{
    fixture *t = *state;
    tided_node *n = t->nodes[0];
    fake_expect(&t->fs, "DELETE", "/groups/nodes_free/members/" N0, 200, JSON, DELETED);
    fake_expect(&t->fs, "POST", "/groups/slurm/members", 409, "application/problem+json",
                "{\"type\":\"about:blank\",\"title\":\"Conflict\",\"detail\":\"operation would conflict with an existing member in another exclusive group\",\"status\":409}");
    tided_step_claim(&t->r, &n, 1);
    assert_true(n->failed);
    assert_int_equal(n->strikes, 0);
    assert_non_null(strstr(n->last_error, "HTTP 409"));
    assert_non_null(strstr(n->last_error, "exclusive group"));
}

static void claim_of_a_node_someone_took(void **state)
{
    fixture *t = *state;
    tided_node *n = t->nodes[0];
    fake_expect(&t->fs, "DELETE", "/groups/nodes_free/members/" N0, 404, "application/problem+json",
                "{\"title\":\"Not Found\",\"detail\":\"group has no such member\",\"status\":404}");
    tided_step_claim(&t->r, &n, 1);   /* no POST follows */
    assert_true(n->failed);
    assert_int_equal(n->strikes, 0);
    assert_int_equal(n->where, TIDED_AT_HOME);
}

static void claim_error_puts_it_back_and_strikes(void **state)
{
    fixture *t = *state;
    tided_node *n = t->nodes[0];
    fake_expect(&t->fs, "DELETE", "/groups/nodes_free/members/" N0, 200, JSON, DELETED);
    fake_expect(&t->fs, "POST", "/groups/slurm/members", 500, "application/problem+json",
                "{\"title\":\"Internal Server Error\",\"detail\":\"database is locked\",\"status\":500}");
    fake_exchange *back = fake_expect(&t->fs, "POST", "/groups/nodes_free/members", 201, JSON,
                                      "[{\"URI\":\"/hsm/v2/groups/nodes_free/members/" N0 "\"}]");
    tided_step_claim(&t->r, &n, 1);
    fake_assert_json_equal(back->sent_body, "{\"id\":\"" N0 "\"}");
    assert_true(n->failed);
    assert_int_equal(n->strikes, 1);
    assert_string_equal(n->last_error,
                        "SMD: POST " SMD "/groups/slurm/members: HTTP 500 Internal Server Error: database is locked");
}

static void claim_of_a_large_batch_runs_on_parallel_connections(void **state)
{
    fixture *t = *state;
    enum { N = 8, W = 2 };
    fake_http fw[W];
    tided_smd_worker workers[W];
    tided_node *nodes[N];
    char name[32];

    memset(fw, 0, sizeof(fw));
    for (int k = 0; k < W; k++) {
        workers[k].token = NULL;
        workers[k].smd = fake_http_client("SMD", SMD, &fw[k]);
    }
    t->r.workers = workers;
    t->r.nworkers = W;
    t->d.conf->bulk_group_moves = 0;   /* BulkGroupMoves=no */
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof(name), "x1001c0s%db0n0", i);
        nodes[i] = tided_node_new(name);
        nodes[i]->home = nodes[i]->pool = tide_conf_pool(t->d.conf, "free");
        nodes[i]->where = TIDED_AT_HOME;
        /* Worker k takes nodes k, k+W, ...: its own script, in that order. */
        char del[96];
        snprintf(del, sizeof(del), "/groups/nodes_free/members/%s", name);
        fake_expect(&fw[i % W], "DELETE", xstrdup(del), 200, JSON, DELETED);
        fake_expect(&fw[i % W], "POST", "/groups/slurm/members", i == 5 ? 409 : 201, JSON,
                    i == 5 ? "{\"title\":\"Conflict\",\"status\":409}" : "[{\"URI\":\"x\"}]");
    }
    tided_step_claim(&t->r, nodes, N);   /* the main connection sees nothing */
    for (int i = 0; i < N; i++) {
        assert_int_equal(nodes[i]->where, i == 5 ? TIDED_AT_HOME : TIDED_AT_SLURM);
        assert_int_equal(nodes[i]->failed, i == 5);
    }
    for (int k = 0; k < W; k++) {
        char *owned[N];
        size_t no = 0;
        for (size_t x = 0; x < fw[k].n; x++)
            if (!strcmp(fw[k].ex[x].method, "DELETE"))
                owned[no++] = (char *)fw[k].ex[x].url_suffix;
        fake_http_done(&fw[k]);
        while (no)
            free(owned[--no]);
        tide_http_free(workers[k].smd);
    }
    for (int i = 0; i < N; i++)
        tided_node_free(nodes[i]);
    t->r.workers = NULL;
    t->r.nworkers = 0;
}

/* ---- node by node: home group -------------------------------------------------------------- */

static void home_group_moves_back(void **state)
{
    fixture *t = *state;
    tided_node *n = t->nodes[0];
    n->where = TIDED_AT_SLURM;
    n->pool = tide_conf_pool(t->d.conf, "slurm");
    n->leased_since = 900;
    n->lease_booted = 1;
    n->failed = 1;
    fake_expect(&t->fs, "DELETE", "/groups/slurm/members/" N0, 200, JSON, DELETED);
    fake_expect(&t->fs, "POST", "/groups/nodes_free/members", 201, JSON, "[{\"URI\":\"x\"}]");
    tided_step_home_group(&t->r, &n, 1);
    assert_int_equal(n->where, TIDED_AT_HOME);
    assert_string_equal(n->pool->name, "free");
    assert_int_equal(n->leased_since, 0);
    assert_int_equal(n->lease_booted, 0);
    assert_false(n->failed);
}

static void home_group_taken_by_another_party(void **state)
{
    fixture *t = *state;
    tided_node *n = t->nodes[0];
    n->where = TIDED_AT_SLURM;
    fake_expect(&t->fs, "DELETE", "/groups/slurm/members/" N0, 200, JSON, DELETED);
    fake_expect(&t->fs, "POST", "/groups/nodes_free/members", 409, "application/problem+json",
                "{\"title\":\"Conflict\",\"status\":409}");
    tided_step_home_group(&t->r, &n, 1);
    assert_int_equal(n->where, TIDED_AT_OTHER);
}

/* ---- in bulk ---------------------------------------------------------------------------------- */

/* The three fixture nodes, from nodes_free into slurm: GET + PUT per group, 4 requests. */
static void bulk_claim_is_a_read_and_a_put_per_group(void **state)
{
    fixture *t = *state;
    fake_expect(&t->fs, "GET", "/groups/nodes_free", 200, JSON,
                GROUP("nodes_free", Q(N0) "," Q(OTHER) "," Q(N1) "," Q(N2)));
    fake_exchange *src = fake_expect(&t->fs, "PUT", "/groups/nodes_free/members", 201, JSON, "[]");
    fake_expect(&t->fs, "GET", "/groups/slurm", 200, JSON, GROUP("slurm", Q("x1000c9s0b0n0")));
    fake_exchange *dst = fake_expect(&t->fs, "PUT", "/groups/slurm/members", 201, JSON, "[]");
    tided_step_claim(&t->r, t->nodes, 3);
    fake_assert_json_equal(src->sent_body, "{\"group\":\"nodes_free\",\"ids\":[" Q(OTHER) "]}");
    fake_assert_json_equal(dst->sent_body, "{\"group\":\"slurm\",\"ids\":[" Q("x1000c9s0b0n0") ","
                           Q(N0) "," Q(N1) "," Q(N2) "]}");
    for (int i = 0; i < 3; i++) {
        assert_int_equal(t->nodes[i]->where, TIDED_AT_SLURM);
        assert_string_equal(t->nodes[i]->pool->name, "slurm");
        assert_int_equal(t->nodes[i]->leased_since, 1000);
        assert_false(t->nodes[i]->failed);
    }
}

/* A rival took N1 between the two PUTs: SMD refuses the whole target PUT (500), every node
 * goes on alone, N1 loses its race (409, no strike), the others are claimed. */
static void bulk_claim_that_meets_a_rival_goes_node_by_node(void **state)
{
    fixture *t = *state;
    fake_expect(&t->fs, "GET", "/groups/nodes_free", 200, JSON, GROUP("nodes_free", Q(N0) "," Q(N1) "," Q(N2)));
    fake_expect(&t->fs, "PUT", "/groups/nodes_free/members", 204, JSON, "");
    fake_expect(&t->fs, "GET", "/groups/slurm", 200, JSON, GROUP("slurm", ""));
    fake_expect(&t->fs, "PUT", "/groups/slurm/members", 500, PROBLEM, PUT_FAILED);
    fake_expect(&t->fs, "POST", "/groups/slurm/members", 201, JSON, "[{\"URI\":\"x\"}]");
    fake_expect(&t->fs, "POST", "/groups/slurm/members", 409, PROBLEM, CONFLICT);
    fake_expect(&t->fs, "POST", "/groups/slurm/members", 201, JSON, "[{\"URI\":\"x\"}]");
    tided_step_claim(&t->r, t->nodes, 3);
    assert_int_equal(t->nodes[0]->where, TIDED_AT_SLURM);
    assert_true(t->nodes[1]->failed);
    assert_int_equal(t->nodes[1]->strikes, 0);
    assert_non_null(strstr(t->nodes[1]->last_error, "HTTP 409"));
    assert_int_equal(t->nodes[2]->where, TIDED_AT_SLURM);
    assert_false(t->r.bulk_off);
}

/* The source PUT fails (it would have put back a node a rival took): nothing changed, so
 * every node is claimed the per-node way, DELETE and POST. */
static void bulk_claim_refused_at_the_source_goes_node_by_node(void **state)
{
    fixture *t = *state;
    fake_expect(&t->fs, "GET", "/groups/nodes_free", 200, JSON,
                GROUP("nodes_free", Q(N0) "," Q(N1) "," Q(N2) "," Q(OTHER)));
    fake_expect(&t->fs, "PUT", "/groups/nodes_free/members", 500, PROBLEM, PUT_FAILED);
    fake_expect(&t->fs, "DELETE", "/groups/nodes_free/members/" N0, 200, JSON, DELETED);
    fake_expect(&t->fs, "POST", "/groups/slurm/members", 201, JSON, "[{\"URI\":\"x\"}]");
    fake_expect(&t->fs, "DELETE", "/groups/nodes_free/members/" N1, 200, JSON, DELETED);
    fake_expect(&t->fs, "POST", "/groups/slurm/members", 201, JSON, "[{\"URI\":\"x\"}]");
    fake_expect(&t->fs, "DELETE", "/groups/nodes_free/members/" N2, 404, PROBLEM,
                "{\"title\":\"Not Found\",\"detail\":\"group has no such member\",\"status\":404}");
    tided_step_claim(&t->r, t->nodes, 3);
    assert_int_equal(t->nodes[0]->where, TIDED_AT_SLURM);
    assert_int_equal(t->nodes[1]->where, TIDED_AT_SLURM);
    assert_true(t->nodes[2]->failed);
    assert_int_equal(t->nodes[2]->strikes, 0);
}

/* A node that left nodes_free since the pass read it is someone else's: not claimed, no
 * strike, and the PUTs leave it out. */
static void bulk_claim_of_a_node_that_left_its_group(void **state)
{
    fixture *t = *state;
    fake_expect(&t->fs, "GET", "/groups/nodes_free", 200, JSON, GROUP("nodes_free", Q(N0) "," Q(N2)));
    fake_exchange *src = fake_expect(&t->fs, "PUT", "/groups/nodes_free/members", 204, JSON, "");
    fake_expect(&t->fs, "GET", "/groups/slurm", 200, JSON, GROUP("slurm", ""));
    fake_exchange *dst = fake_expect(&t->fs, "PUT", "/groups/slurm/members", 201, JSON, "[]");
    tided_step_claim(&t->r, t->nodes, 3);
    fake_assert_json_equal(src->sent_body, "{\"group\":\"nodes_free\",\"ids\":[]}");
    fake_assert_json_equal(dst->sent_body, "{\"group\":\"slurm\",\"ids\":[" Q(N0) "," Q(N2) "]}");
    assert_int_equal(t->nodes[0]->where, TIDED_AT_SLURM);
    assert_true(t->nodes[1]->failed);
    assert_int_equal(t->nodes[1]->strikes, 0);
    assert_int_equal(t->nodes[1]->where, TIDED_AT_HOME);
    assert_int_equal(t->nodes[2]->where, TIDED_AT_SLURM);
}

/* CSM has no PUT members: the first 405 turns bulk moves off, for this batch and the next. */
static void bulk_claim_on_a_server_without_put_members(void **state)
{
    fixture *t = *state;
    fake_expect(&t->fs, "GET", "/groups/nodes_free", 200, JSON, GROUP("nodes_free", Q(N0) "," Q(N1) "," Q(N2)));
    fake_expect(&t->fs, "PUT", "/groups/nodes_free/members", 405, "text/plain", "Method Not Allowed");
    for (int i = 0; i < 3; i++) {
        char del[96];
        snprintf(del, sizeof(del), "/groups/nodes_free/members/%s", t->nodes[i]->name);
        fake_expect(&t->fs, "DELETE", xstrdup(del), 200, JSON, DELETED);
        fake_expect(&t->fs, "POST", "/groups/slurm/members", 201, JSON, "[{\"URI\":\"x\"}]");
    }
    tided_step_claim(&t->r, t->nodes, 3);
    assert_true(t->r.bulk_off);
    for (int i = 0; i < 3; i++)
        assert_int_equal(t->nodes[i]->where, TIDED_AT_SLURM);
    /* The way home of the same nodes: node by node at once, no PUT tried. */
    for (int i = 0; i < 3; i++) {
        char del[96];
        snprintf(del, sizeof(del), "/groups/slurm/members/%s", t->nodes[i]->name);
        fake_expect(&t->fs, "DELETE", xstrdup(del), 200, JSON, DELETED);
        fake_expect(&t->fs, "POST", "/groups/nodes_free/members", 201, JSON, "[{\"URI\":\"x\"}]");
    }
    tided_step_home_group(&t->r, t->nodes, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(t->nodes[i]->where, TIDED_AT_HOME);
    for (size_t x = 0; x < t->fs.n; x++)
        if (!strcmp(t->fs.ex[x].method, "DELETE"))
            free((char *)t->fs.ex[x].url_suffix);
}

/* Home in bulk: out of slurm in one PUT, into each home group in one PUT; a home group that
 * refuses its PUT gets its nodes one POST at a time. */
static void bulk_home_is_a_put_per_group(void **state)
{
    fixture *t = *state;
    for (int i = 0; i < 3; i++) {
        t->nodes[i]->where = TIDED_AT_SLURM;
        t->nodes[i]->pool = tide_conf_pool(t->d.conf, "slurm");
        t->nodes[i]->leased_since = 900;
    }
    t->nodes[2]->home = tide_conf_pool(t->d.conf, "k8s");
    t->nodes[2]->lease_booted = 1;
    fake_expect(&t->fs, "GET", "/groups/slurm", 200, JSON, GROUP("slurm", Q(N0) "," Q(OTHER) "," Q(N1) "," Q(N2)));
    fake_exchange *src = fake_expect(&t->fs, "PUT", "/groups/slurm/members", 201, JSON, "[]");
    fake_expect(&t->fs, "GET", "/groups/nodes_free", 200, JSON, GROUP("nodes_free", ""));
    fake_exchange *free_put = fake_expect(&t->fs, "PUT", "/groups/nodes_free/members", 201, JSON, "[]");
    fake_expect(&t->fs, "GET", "/groups/k8s_workers", 200, JSON, GROUP("k8s_workers", Q("x1002c0s0b0n0")));
    fake_expect(&t->fs, "PUT", "/groups/k8s_workers/members", 500, PROBLEM, PUT_FAILED);
    fake_expect(&t->fs, "POST", "/groups/k8s_workers/members", 409, PROBLEM, CONFLICT);
    tided_step_home_group(&t->r, t->nodes, 3);
    fake_assert_json_equal(src->sent_body, "{\"group\":\"slurm\",\"ids\":[" Q(OTHER) "]}");
    fake_assert_json_equal(free_put->sent_body, "{\"group\":\"nodes_free\",\"ids\":[" Q(N0) "," Q(N1) "]}");
    for (int i = 0; i < 2; i++) {
        assert_int_equal(t->nodes[i]->where, TIDED_AT_HOME);
        assert_string_equal(t->nodes[i]->pool->name, "free");
        assert_int_equal(t->nodes[i]->leased_since, 0);
    }
    /* Someone took N2 as soon as it left Slurm: theirs now. */
    assert_int_equal(t->nodes[2]->where, TIDED_AT_OTHER);
}

/* ---- cloud-init groups ------------------------------------------------------------------------ */

/* rocky9 and sles15 get CloudInitGroup=ci-rocky9 / ci-sles15 (k8s has none). */
static const tide_image_conf *use_cloud_init(fixture *t)
{
    for (size_t i = 0; i < t->d.conf->nimages; i++) {
        tide_image_conf *img = &t->d.conf->images[i];
        if (strcmp(img->name, "k8s"))
            img->cloud_init_group = xasprintf("ci-%s", img->name);
    }
    return tide_conf_image(t->d.conf, "rocky9");
}

#define CI_GROUPS "/groups?group=ci-rocky9&group=ci-sles15"

/* Into the image's group, out of the other image's; 409 (already there) and 404 (already gone)
 * are where the node should be. */
static void cloud_init_groups_follow_the_image(void **state)
{
    fixture *t = *state;
    const tide_image_conf *rocky9 = use_cloud_init(t);
    tide_err e;
    fake_expect(&t->fs, "GET", CI_GROUPS, 200, JSON,
                "[" GROUP("ci-rocky9", Q(N2)) "," GROUP("ci-sles15", Q(N0) "," Q(OTHER)) "]");
    fake_exchange *add = fake_expect(&t->fs, "POST", "/groups/ci-rocky9/members", 201, JSON, "[{\"URI\":\"x\"}]");
    fake_expect(&t->fs, "POST", "/groups/ci-rocky9/members", 409, PROBLEM, CONFLICT);
    fake_expect(&t->fs, "DELETE", "/groups/ci-sles15/members/" N0, 404, PROBLEM,
                "{\"title\":\"Not Found\",\"detail\":\"group has no such member\",\"status\":404}");
    assert_int_equal(tided_cloud_init_groups(&t->r, t->nodes, 3, rocky9, &e), 0);
    fake_assert_json_equal(add->sent_body, "{\"id\":\"" N0 "\"}");
}

/* Three nodes or more: one PUT per group that changes; a missing group is created with them. */
static void cloud_init_groups_in_bulk_and_created(void **state)
{
    fixture *t = *state;
    use_cloud_init(t);
    const tide_image_conf *sles15 = tide_conf_image(t->d.conf, "sles15");
    tide_err e;
    fake_expect(&t->fs, "GET", CI_GROUPS, 200, JSON,
                "[" GROUP("ci-rocky9", Q(N0) "," Q(OTHER) "," Q(N1) "," Q(N2)) "]");
    fake_exchange *out = fake_expect(&t->fs, "PUT", "/groups/ci-rocky9/members", 201, JSON, "[]");
    fake_exchange *made = fake_expect(&t->fs, "POST", "/groups", 201, JSON, "[{\"URI\":\"x\"}]");
    assert_int_equal(tided_cloud_init_groups(&t->r, t->nodes, 3, sles15, &e), 0);
    fake_assert_json_equal(out->sent_body, "{\"group\":\"ci-rocky9\",\"ids\":[" Q(OTHER) "]}");
    assert_non_null(strstr(made->sent_body, "\"label\":\"ci-sles15\""));
    assert_non_null(strstr(made->sent_body, Q(N0) "," Q(N1) "," Q(N2)));
    assert_null(strstr(made->sent_body, "exclusiveGroup"));   /* not a pool: no exclusiveGroup */
}

/* An SMD error fails the image step of those nodes, before BSS is touched. */
static void cloud_init_failure_fails_the_image_step(void **state)
{
    fixture *t = *state;
    use_cloud_init(t);
    tided_node *n = t->nodes[0];
    n->image = xstrdup("rocky9");
    fake_expect(&t->fs, "GET", CI_GROUPS, 503, PROBLEM, "{\"title\":\"Service Unavailable\",\"status\":503}");
    tided_step_image(&t->r, &n, 1, 0);   /* no BSS PUT follows */
    assert_true(n->failed);
    assert_int_equal(n->strikes, 1);
    assert_non_null(strstr(n->last_error, "HTTP 503"));
    assert_null(n->bss_image);
}

/* What the pass read decides: in the image's group alone, or unknown (a failed read). */
static void cloud_init_matches(void **state)
{
    fixture *t = *state;
    use_cloud_init(t);
    tided_node *n = t->nodes[0];
    assert_true(tided_cloud_init_matches(&t->r, n, "rocky9"));   /* not read: unknown */
    n->cloud_init_known = 1;
    assert_false(tided_cloud_init_matches(&t->r, n, "rocky9"));  /* in none */
    assert_true(tided_cloud_init_matches(&t->r, n, "k8s"));      /* k8s has no group, and it is in none */
    n->cloud_init = xstrdup("ci-rocky9");
    n->cloud_init_count = 1;
    assert_true(tided_cloud_init_matches(&t->r, n, "rocky9"));
    assert_false(tided_cloud_init_matches(&t->r, n, "sles15"));
    assert_false(tided_cloud_init_matches(&t->r, n, "k8s"));
    n->cloud_init_count = 2;                                     /* and in ci-sles15 too */
    assert_false(tided_cloud_init_matches(&t->r, n, "rocky9"));
    assert_true(tided_cloud_init_matches(&t->r, n, NULL));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, tided_fixture_setup, tided_fixture_teardown)
    const struct CMUnitTest tests[] = {
        T(claim_moves_home_to_slurm_group),
        T(claim_lost_race_is_no_strike),
        T(claim_of_a_node_someone_took),
        T(claim_error_puts_it_back_and_strikes),
        T(claim_of_a_large_batch_runs_on_parallel_connections),
        T(home_group_moves_back),
        T(home_group_taken_by_another_party),
        T(bulk_claim_is_a_read_and_a_put_per_group),
        T(bulk_claim_that_meets_a_rival_goes_node_by_node),
        T(bulk_claim_refused_at_the_source_goes_node_by_node),
        T(bulk_claim_of_a_node_that_left_its_group),
        T(bulk_claim_on_a_server_without_put_members),
        T(bulk_home_is_a_put_per_group),
        T(cloud_init_groups_follow_the_image),
        T(cloud_init_groups_in_bulk_and_created),
        T(cloud_init_failure_fails_the_image_step),
        T(cloud_init_matches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

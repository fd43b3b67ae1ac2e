/* test_smd.c - the SMD client against recorded SMD replies: URLs, bodies, parsing, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_http.h"
#include "jsonutil.h"
#include "smd.h"
#include "strbuf.h"

#define BASE "http://smd.test:27779/hsm/v2"
#define JSON "application/json"
#define PROBLEM "application/problem+json"

static int setup(void **state)
{
    *state = fake_client_new("SMD", BASE);
    return 0;
}

/* ---- groups ---------------------------------------------------------- */

static void groups_list_all(void **state)
{
    fake_client *t = *state;
    tide_group_list l;

    fake_expect_file(&t->f, "GET", "/hsm/v2/groups", 200, "smd/groups.json");
    assert_int_equal(tide_smd_groups_list(t->http, NULL, 0, &l, &t->e), 0);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.groups[0].label, "nodes_free");
    assert_string_equal(l.groups[0].description, "Nodes no Slurm partition owns");
    assert_string_equal(l.groups[0].exclusive_group, "slurm-pool");
    assert_int_equal(l.groups[0].nmembers, 3);
    assert_string_equal(l.groups[0].members[2], "x1000c0s1b0n0");
    assert_string_equal(l.groups[1].label, "zinal");
    assert_int_equal(l.groups[1].ntags, 2);
    assert_string_equal(l.groups[1].tags[1], "slurm:zinal");
    /* compute: no exclusiveGroup, no tags, empty member list */
    assert_string_equal(l.groups[2].label, "compute");
    assert_string_equal(l.groups[2].description, "");
    assert_null(l.groups[2].exclusive_group);
    assert_int_equal(l.groups[2].ntags, 0);
    assert_int_equal(l.groups[2].nmembers, 0);
    tide_group_list_free(&l);
}

static void groups_list_filtered(void **state)
{
    fake_client *t = *state;
    tide_group_list l;
    const char *labels[] = { "zinal", "slurm:free" };

    fake_expect(&t->f, "GET", "/hsm/v2/groups?group=zinal&group=slurm%3Afree", 200, JSON, "[]");
    assert_int_equal(tide_smd_groups_list(t->http, labels, 2, &l, &t->e), 0);
    assert_int_equal(l.n, 0);
    assert_null(l.groups);
    tide_group_list_free(&l);
}

static void groups_list_not_a_list(void **state)
{
    fake_client *t = *state;
    tide_group_list l;

    fake_expect(&t->f, "GET", "/hsm/v2/groups", 200, JSON, "{\"code\":0,\"message\":\"ok\"}");
    assert_int_equal(tide_smd_groups_list(t->http, NULL, 0, &l, &t->e), -1);
    assert_string_equal(t->e.msg, "SMD: GET " BASE "/groups: the reply is not a list of groups");
}

static void group_get_and_members(void **state)
{
    fake_client *t = *state;
    tide_group g;

    fake_expect_file(&t->f, "GET", "/hsm/v2/groups/zinal", 200, "smd/group_zinal.json");
    assert_int_equal(tide_smd_group_get(t->http, "zinal", &g, &t->e), 0);
    assert_string_equal(g.label, "zinal");
    assert_string_equal(g.description, "Slurm partition zinal");
    assert_int_equal(g.nmembers, 3);
    assert_true(tide_group_has_member(&g, "x1000c0s2b0n1"));
    /* any spelling SMD would accept finds the member */
    assert_true(tide_group_has_member(&g, "X1000C0S2B0N01"));
    assert_true(tide_group_has_member(&g, "x1000c01s0b0n0"));
    assert_false(tide_group_has_member(&g, "x1000c0s0b0n0"));
    assert_false(tide_group_has_member(&g, "zinal"));
    tide_group_free(&g);
    assert_null(g.label);
}

static void group_get_missing(void **state)
{
    fake_client *t = *state;
    tide_group g;

    fake_expect(&t->f, "GET", "/hsm/v2/groups/nosuch", 404, PROBLEM,
                "{\"type\":\"about:blank\",\"title\":\"Not Found\",\"detail\":\"No such group: nosuch\",\"status\":404}");
    assert_int_equal(tide_smd_group_get(t->http, "nosuch", &g, &t->e), -1);
    assert_string_equal(t->e.msg, "SMD: GET " BASE "/groups/nosuch: HTTP 404 Not Found: No such group: nosuch");
    assert_int_equal(t->e.http_status, 404);
    assert_int_equal(t->e.conflict, 0);
    assert_null(g.label);
}

static void group_create_full(void **state)
{
    fake_client *t = *state;
    char *tags[] = { "tide", "slurm:zinal" };
    char *members[] = { "x1000c0s2b0n0", "x1000c0s2b0n1" };
    tide_group g = { .label = "zinal", .description = "Slurm partition zinal", .exclusive_group = "slurm-pool",
                     .tags = tags, .ntags = 2, .members = members, .nmembers = 2 };

    fake_exchange *x = fake_expect(&t->f, "POST", "/hsm/v2/groups", 201, JSON, "[{\"URI\":\"/hsm/v2/groups/zinal\"}]");
    assert_int_equal(tide_smd_group_create(t->http, &g, &t->e), 0);
    fake_assert_json_equal(x->sent_body,
                           "{\"label\":\"zinal\",\"description\":\"Slurm partition zinal\",\"exclusiveGroup\":\"slurm-pool\","
                           "\"tags\":[\"tide\",\"slurm:zinal\"],\"members\":{\"ids\":[\"x1000c0s2b0n0\",\"x1000c0s2b0n1\"]}}");
}

static void group_create_minimal_any_2xx(void **state)
{
    fake_client *t = *state;
    tide_group g = { .label = "empty" };

    /* A gateway that answers 200 with a {code,message} body is fine too. */
    fake_exchange *x = fake_expect(&t->f, "POST", "/hsm/v2/groups", 200, JSON, "{\"code\":0,\"message\":\"created\"}");
    assert_int_equal(tide_smd_group_create(t->http, &g, &t->e), 0);
    fake_assert_json_equal(x->sent_body, "{\"label\":\"empty\",\"description\":\"\",\"members\":{\"ids\":[]}}");
}

static void group_create_conflict(void **state)
{
    fake_client *t = *state;
    tide_group g = { .label = "zinal" };

    fake_expect(&t->f, "POST", "/hsm/v2/groups", 409, PROBLEM,
                "{\"type\":\"about:blank\",\"title\":\"Conflict\",\"detail\":\"operation would conflict with an existing group that has the same label.\",\"status\":409}");
    assert_int_equal(tide_smd_group_create(t->http, &g, &t->e), -1);
    assert_int_equal(t->e.conflict, 1);
    assert_int_equal(t->e.http_status, 409);
    assert_string_equal(t->e.msg, "SMD: POST " BASE "/groups: HTTP 409 Conflict: operation would conflict with an "
                                  "existing group that has the same label.");
}

static void group_delete(void **state)
{
    fake_client *t = *state;

    fake_expect(&t->f, "DELETE", "/hsm/v2/groups/zinal", 200, JSON, "{\"code\":0,\"message\":\"deleted 1 entry\"}");
    assert_int_equal(tide_smd_group_delete(t->http, "zinal", &t->e), 0);
    /* ':' stays as is in a path segment; anything outside the unreserved set is escaped */
    fake_expect(&t->f, "DELETE", "/hsm/v2/groups/slurm:zinal", 200, JSON, "{\"code\":0,\"message\":\"deleted 1 entry\"}");
    assert_int_equal(tide_smd_group_delete(t->http, "slurm:zinal", &t->e), 0);
    fake_expect(&t->f, "DELETE", "/hsm/v2/groups/a%2Fb%20c", 404, PROBLEM,
                "{\"type\":\"about:blank\",\"title\":\"Not Found\",\"detail\":\"no such group.\",\"status\":404}");
    assert_int_equal(tide_smd_group_delete(t->http, "a/b c", &t->e), -1);
    assert_string_equal(t->e.msg, "SMD: DELETE " BASE "/groups/a%2Fb%20c: HTTP 404 Not Found: no such group.");
}

static void group_add_member(void **state)
{
    fake_client *t = *state;

    fake_exchange *x = fake_expect(&t->f, "POST", "/hsm/v2/groups/zinal/members", 201, JSON,
                                   "[{\"URI\":\"/hsm/v2/groups/zinal/members/x1000c0s0b0n0\"}]");
    assert_int_equal(tide_smd_group_add_member(t->http, "zinal", "x1000c0s0b0n0", &t->e), 0);
    fake_assert_json_equal(x->sent_body, "{\"id\":\"x1000c0s0b0n0\"}");
}

static void group_add_member_conflict(void **state)
{
    fake_client *t = *state;

    fake_expect(&t->f, "POST", "/hsm/v2/groups/zinal/members", 409, PROBLEM,
                "{\"type\":\"about:blank\",\"title\":\"Conflict\",\"detail\":\"operation would conflict with an existing member in another exclusive group.\",\"status\":409}");
    assert_int_equal(tide_smd_group_add_member(t->http, "zinal", "x1000c0s0b0n0", &t->e), -1);
    assert_int_equal(t->e.conflict, 1);
    assert_string_equal(t->e.msg, "SMD: POST " BASE "/groups/zinal/members: HTTP 409 Conflict: operation would "
                                  "conflict with an existing member in another exclusive group.");
}

static void group_remove_member(void **state)
{
    fake_client *t = *state;

    fake_exchange *x = fake_expect(&t->f, "DELETE", "/hsm/v2/groups/nodes_free/members/x1000c0s0b0n0", 200, JSON,
                                   "{\"code\":0,\"message\":\"deleted 1 entry\"}");
    assert_int_equal(tide_smd_group_remove_member(t->http, "nodes_free", "x1000c0s0b0n0", &t->e), 0);
    assert_null(x->sent_body);
    /* CSM behind its gateway has been reported to answer 204 */
    fake_expect(&t->f, "DELETE", "/hsm/v2/groups/nodes_free/members/x1000c0s0b0n1", 204, NULL, NULL);
    assert_int_equal(tide_smd_group_remove_member(t->http, "nodes_free", "x1000c0s0b0n1", &t->e), 0);
    fake_expect(&t->f, "DELETE", "/hsm/v2/groups/nodes_free/members/x1000c0s0b0n9", 404, PROBLEM,
                "{\"type\":\"about:blank\",\"title\":\"Not Found\",\"detail\":\"group has no such member.\",\"status\":404}");
    assert_int_equal(tide_smd_group_remove_member(t->http, "nodes_free", "x1000c0s0b0n9", &t->e), -1);
    assert_string_equal(t->e.msg, "SMD: DELETE " BASE "/groups/nodes_free/members/x1000c0s0b0n9: HTTP 404 Not Found: "
                                  "group has no such member.");
}

static void group_set_members(void **state)
{
    fake_client *t = *state;
    const char *ids[] = { "x1000c0s2b0n0", "x1000c0s2b0n1" };

    fake_exchange *x = fake_expect(&t->f, "PUT", "/hsm/v2/groups/zinal/members", 201, JSON,
                                   "[{\"URI\":\"/hsm/v2/groups/zinal/members/x1000c0s2b0n0\"},"
                                   "{\"URI\":\"/hsm/v2/groups/zinal/members/x1000c0s2b0n1\"}]");
    assert_int_equal(tide_smd_group_set_members(t->http, "zinal", ids, 2, &t->e), 0);
    fake_assert_json_equal(x->sent_body, "{\"group\":\"zinal\",\"ids\":[\"x1000c0s2b0n0\",\"x1000c0s2b0n1\"]}");

    x = fake_expect(&t->f, "PUT", "/hsm/v2/groups/zinal/members", 204, NULL, NULL);
    assert_int_equal(tide_smd_group_set_members(t->http, "zinal", NULL, 0, &t->e), 0);
    fake_assert_json_equal(x->sent_body, "{\"group\":\"zinal\",\"ids\":[]}");

    /* CSM has no PUT members */
    fake_expect(&t->f, "PUT", "/hsm/v2/groups/zinal/members", 405, PROBLEM,
                "{\"type\":\"about:blank\",\"title\":\"Method Not Allowed\",\"detail\":\"allow GET,POST\",\"status\":405}");
    assert_int_equal(tide_smd_group_set_members(t->http, "zinal", ids, 2, &t->e), -1);
    assert_int_equal(t->e.http_status, 405);
    assert_string_equal(t->e.msg, "SMD: PUT " BASE "/groups/zinal/members: HTTP 405 Method Not Allowed: allow GET,POST");
}

/* ---- components ------------------------------------------------------ */

static void components_get_filters(void **state)
{
    fake_client *t = *state;
    tide_component_list l;
    const char *filters[] = { "type=Node", "group=nodes_free", "state=Ready" };

    fake_exchange *x = fake_expect_file(&t->f, "GET", "/hsm/v2/State/Components?type=Node&group=nodes_free&state=Ready",
                                        200, "smd/components.json");
    assert_int_equal(tide_smd_components_get(t->http, filters, 3, &l, &t->e), 0);
    assert_null(x->sent_body);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.items[0].id, "x1000c0s0b0n0");
    assert_string_equal(l.items[0].type, "Node");
    assert_string_equal(l.items[0].state, "Ready");
    assert_string_equal(l.items[0].flag, "OK");
    assert_string_equal(l.items[0].role, "Compute");
    assert_string_equal(l.items[0].subrole, "");
    assert_string_equal(l.items[0].arch, "X86");
    assert_string_equal(l.items[0].class_, "Mountain");
    assert_int_equal(l.items[0].enabled, 1);
    assert_int_equal(l.items[0].nid, 1);
    assert_int_equal(l.items[1].enabled, 0);
    assert_string_equal(l.items[1].subrole, "Worker");
    assert_int_equal(l.items[1].nid, 2);
    /* only ID/Type/State/Flag given: the rest defaults */
    assert_string_equal(l.items[2].id, "x3000c0s19b1n0");
    assert_string_equal(l.items[2].role, "");
    assert_int_equal(l.items[2].enabled, 1);
    assert_int_equal(l.items[2].nid, -1);
    tide_component_list_free(&l);
}

static void components_get_encodes_values(void **state)
{
    fake_client *t = *state;
    tide_component_list l;
    const char *filters[] = { "group=slurm:free pool", "nid=12" };

    fake_expect(&t->f, "GET", "/hsm/v2/State/Components?group=slurm%3Afree%20pool&nid=12", 200, JSON,
                "{\"Components\":[{\"ID\":\"X1000C0S0B0N012\",\"Type\":\"Node\",\"NID\":\"12\"}]}");
    assert_int_equal(tide_smd_components_get(t->http, filters, 2, &l, &t->e), 0);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.items[0].id, "x1000c0s0b0n12");   /* normalised */
    assert_int_equal(l.items[0].nid, 12);                    /* a NID sent as a string */
    tide_component_list_free(&l);

    fake_expect(&t->f, "GET", "/hsm/v2/State/Components", 200, JSON, "{\"Components\":[]}");
    assert_int_equal(tide_smd_components_get(t->http, NULL, 0, &l, &t->e), 0);
    assert_int_equal(l.n, 0);
    tide_component_list_free(&l);

    fake_expect(&t->f, "GET", "/hsm/v2/State/Components", 200, JSON, "[]");
    assert_int_equal(tide_smd_components_get(t->http, NULL, 0, &l, &t->e), -1);
    assert_string_equal(t->e.msg, "SMD: GET " BASE "/State/Components: the reply has no \"Components\" list");
    assert_int_equal(l.n, 0);
}

static char *component_body(const char *id, long nid)
{
    return xasprintf("{\"Components\":[{\"ID\":\"%s\",\"Type\":\"Node\",\"State\":\"Ready\",\"NID\":%ld}]}", id, nid);
}

static void components_query_chunks(void **state)
{
    fake_client *t = *state;
    enum { N = 2500 };
    char **ids = xcalloc(N, sizeof(*ids));
    char *bodies[3];
    tide_component_list l;

    for (int i = 0; i < N; i++)
        ids[i] = xasprintf("x%dc0s%db0n0", 1000 + i / 100, i % 100);
    bodies[0] = component_body(ids[0], 1);
    bodies[1] = component_body(ids[1000], 1001);
    bodies[2] = component_body(ids[2000], 2001);
    fake_exchange *x[3];
    for (int i = 0; i < 3; i++)
        x[i] = fake_expect(&t->f, "POST", "/hsm/v2/State/Components/Query", 200, JSON, bodies[i]);

    assert_int_equal(tide_smd_components_query(t->http, (const char *const *)ids, N, 0, &l, &t->e), 0);
    static const size_t want_len[3] = { 1000, 1000, 500 };
    for (int i = 0; i < 3; i++) {
        json_object *sent = json_tokener_parse(x[i]->sent_body);
        json_object *arr = tide_json_array(sent, "ComponentIDs");
        assert_non_null(arr);
        assert_int_equal(json_object_object_length(sent), 1);
        assert_int_equal(json_object_array_length(arr), want_len[i]);
        assert_string_equal(json_object_get_string(json_object_array_get_idx(arr, 0)), ids[i * 1000]);
        assert_string_equal(json_object_get_string(json_object_array_get_idx(arr, want_len[i] - 1)),
                            ids[i * 1000 + want_len[i] - 1]);
        json_object_put(sent);
    }
    assert_int_equal(l.n, 3);
    assert_string_equal(l.items[1].id, ids[1000]);
    assert_int_equal(l.items[2].nid, 2001);
    tide_component_list_free(&l);
    for (int i = 0; i < 3; i++)
        free(bodies[i]);
    for (int i = 0; i < N; i++)
        free(ids[i]);
    free(ids);
}

static void components_query_small_chunks_and_errors(void **state)
{
    fake_client *t = *state;
    const char *ids[] = { "x1000c0s0b0n0", "x1000c0s0b0n1", "x1000c0s1b0n0" };
    tide_component_list l;

    /* no ids: no request (an empty ComponentIDs would select everything) */
    assert_int_equal(tide_smd_components_query(t->http, ids, 0, 0, &l, &t->e), 0);
    assert_int_equal(l.n, 0);

    fake_exchange *a = fake_expect_file(&t->f, "POST", "/hsm/v2/State/Components/Query", 200, "smd/components.json");
    fake_expect(&t->f, "POST", "/hsm/v2/State/Components/Query", 500, PROBLEM,
                "{\"type\":\"about:blank\",\"title\":\"Internal Server Error\",\"detail\":\"failed to query DB.\",\"status\":500}");
    assert_int_equal(tide_smd_components_query(t->http, ids, 3, 2, &l, &t->e), -1);
    fake_assert_json_equal(a->sent_body, "{\"ComponentIDs\":[\"x1000c0s0b0n0\",\"x1000c0s0b0n1\"]}");
    assert_string_equal(t->e.msg, "SMD: POST " BASE "/State/Components/Query: HTTP 500 Internal Server Error: "
                                  "failed to query DB.");
    assert_int_equal(l.n, 0);   /* nothing half-filled on failure */
    assert_null(l.items);
}

static void components_raw(void **state)
{
    fake_client *t = *state;
    json_object *j = NULL;

    fake_expect_file(&t->f, "GET", "/hsm/v2/State/Components?type=Node", 200, "smd/components.json");
    assert_int_equal(tide_smd_components_raw(t->http, &j, &t->e), 0);
    json_object *arr = tide_json_array(j, "Components");
    assert_non_null(arr);
    assert_int_equal(json_object_array_length(arr), 3);
    assert_string_equal(tide_json_str(json_object_array_get_idx(arr, 2), "ID"), "x3000c0s19b1n0");
    json_object_put(j);
}

/* ---- hardware inventory --------------------------------------------- */

static void inventory_node(void **state)
{
    fake_client *t = *state;
    json_object *j = NULL;

    fake_expect_file(&t->f, "GET", "/hsm/v2/Inventory/Hardware/Query/x1000c0s0b0n0", 200, "smd/query_node.json");
    assert_int_equal(tide_smd_inventory_query(t->http, "x1000c0s0b0n0", &j, &t->e), 0);
    assert_string_equal(tide_json_str(j, "Format"), "NestNodesOnly");
    json_object *node = json_object_array_get_idx(tide_json_array(j, "Nodes"), 0);
    assert_string_equal(tide_json_str(node, "ID"), "x1000c0s0b0n0");
    json_object *mem = tide_json_array(node, "Memory");
    assert_int_equal(json_object_array_length(mem), 3);
    assert_string_equal(tide_json_str(json_object_array_get_idx(mem, 2), "Status"), "Empty");
    assert_null(tide_json_get(json_object_array_get_idx(mem, 2), "PopulatedFRU"));
    json_object *nic = json_object_array_get_idx(tide_json_array(node, "NodeHsnNics"), 0);
    assert_string_equal(tide_json_str(tide_json_get(nic, "NodeHsnNicLocationInfo"), "Description"),
                        "SS11 200Gb 2P NIC Mezz REV02 (HSN)");
    json_object_put(j);
}

static void inventory_system_and_unknown(void **state)
{
    fake_client *t = *state;
    json_object *j = NULL;

    fake_expect_file(&t->f, "GET", "/hsm/v2/Inventory/Hardware/Query/s0", 200, "smd/query_s0.json");
    assert_int_equal(tide_smd_inventory_query(t->http, "s0", &j, &t->e), 0);
    assert_int_equal(json_object_array_length(tide_json_array(j, "Nodes")), 2);
    json_object_put(j);

    /* an unknown xname: 200 and an empty inventory, a success */
    fake_expect(&t->f, "GET", "/hsm/v2/Inventory/Hardware/Query/x9000c0s0b0n0", 200, JSON,
                "{\"XName\":\"x9000c0s0b0n0\",\"Format\":\"NestNodesOnly\"}");
    assert_int_equal(tide_smd_inventory_query(t->http, "x9000c0s0b0n0", &j, &t->e), 0);
    assert_null(tide_json_array(j, "Nodes"));
    json_object_put(j);

    fake_expect(&t->f, "GET", "/hsm/v2/Inventory/Hardware/Query/bogus", 400, PROBLEM,
                "{\"type\":\"about:blank\",\"title\":\"Bad Request\",\"detail\":\"Invalid xname\",\"status\":400}");
    assert_int_equal(tide_smd_inventory_query(t->http, "bogus", &j, &t->e), -1);
    assert_null(j);
    assert_string_equal(t->e.msg, "SMD: GET " BASE "/Inventory/Hardware/Query/bogus: HTTP 400 Bad Request: Invalid xname");
}

/* ---- memberships ----------------------------------------------------- */

static void memberships(void **state)
{
    fake_client *t = *state;
    char **labels;
    size_t n;

    fake_expect_file(&t->f, "GET", "/hsm/v2/memberships/x1000c0s2b0n0", 200, "smd/memberships.json");
    assert_int_equal(tide_smd_memberships(t->http, "x1000c0s2b0n0", &labels, &n, &t->e), 0);
    assert_int_equal(n, 2);
    assert_string_equal(labels[0], "zinal");
    assert_string_equal(labels[1], "gpu_a100");
    tide_strv_free(labels, n);

    fake_expect(&t->f, "GET", "/hsm/v2/memberships/x1000c0s9b0n0", 404, PROBLEM,
                "{\"type\":\"about:blank\",\"title\":\"Not Found\",\"detail\":\"No such xname: x1000c0s9b0n0\",\"status\":404}");
    assert_int_equal(tide_smd_memberships(t->http, "x1000c0s9b0n0", &labels, &n, &t->e), -1);
    assert_int_equal(t->e.http_status, 404);
    assert_null(labels);
    assert_int_equal(n, 0);
}

/* ---- service reservations ------------------------------------------- */

static const char *const two_nodes[] = { "x1000c0s0b0n0", "x1000c0s0b0n1" };

static void reserve_rigid(void **state)
{
    fake_client *t = *state;
    tide_reservations r;

    fake_exchange *x = fake_expect_file(&t->f, "POST", "/hsm/v2/locks/service/reservations", 200, "smd/reservation_ok.json");
    assert_int_equal(tide_smd_reserve(t->http, two_nodes, 2, 1, 5, &r, &t->e), 0);
    fake_assert_json_equal(x->sent_body, "{\"ComponentIDs\":[\"x1000c0s0b0n0\",\"x1000c0s0b0n1\"],"
                                         "\"ProcessingModel\":\"rigid\",\"ReservationDuration\":5}");
    assert_int_equal(r.nok, 2);
    assert_int_equal(r.nfailed, 0);
    assert_string_equal(r.ok[1].id, "x1000c0s0b0n1");
    assert_string_equal(r.ok[0].deputy_key, "x1000c0s0b0n0:dk:2f9a6c1e-5f8d-4b7a-9a43-1f0c2b3d4e5f");
    assert_string_equal(r.ok[0].reservation_key, "x1000c0s0b0n0:rk:8d7c6b5a-4e3f-4a2b-9c1d-0e1f2a3b4c5d");
    assert_string_equal(r.ok[0].expires, "2026-01-01T10:15:00Z");

    /* renew (rigid) and release (flexible) send the reservation keys */
    x = fake_expect_file(&t->f, "POST", "/hsm/v2/locks/service/reservations/renew", 200, "smd/release_ok.json");
    assert_int_equal(tide_smd_reserve_renew(t->http, &r, 10, &t->e), 0);
    fake_assert_json_equal(x->sent_body,
                           "{\"ReservationKeys\":[{\"ID\":\"x1000c0s0b0n0\",\"Key\":\"x1000c0s0b0n0:rk:8d7c6b5a-4e3f-4a2b-9c1d-0e1f2a3b4c5d\"},"
                           "{\"ID\":\"x1000c0s0b0n1\",\"Key\":\"x1000c0s0b0n1:rk:9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b\"}],"
                           "\"ProcessingModel\":\"rigid\",\"ReservationDuration\":10}");
    x = fake_expect_file(&t->f, "POST", "/hsm/v2/locks/service/reservations/release", 200, "smd/release_ok.json");
    assert_int_equal(tide_smd_reserve_release(t->http, &r, &t->e), 0);
    fake_assert_json_equal(x->sent_body,
                           "{\"ReservationKeys\":[{\"ID\":\"x1000c0s0b0n0\",\"Key\":\"x1000c0s0b0n0:rk:8d7c6b5a-4e3f-4a2b-9c1d-0e1f2a3b4c5d\"},"
                           "{\"ID\":\"x1000c0s0b0n1\",\"Key\":\"x1000c0s0b0n1:rk:9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b\"}],"
                           "\"ProcessingModel\":\"flexible\"}");
    tide_reservations_free(&r);
    assert_int_equal(r.nok, 0);
}

static void reserve_rigid_refused(void **state)
{
    fake_client *t = *state;
    tide_reservations r;

    fake_exchange *x = fake_expect_file(&t->f, "POST", "/hsm/v2/locks/service/reservations", 400, "smd/reservation_rigid_fail.json");
    x->content_type = PROBLEM;
    assert_int_equal(tide_smd_reserve(t->http, two_nodes, 2, 1, 1, &r, &t->e), -1);
    assert_string_equal(t->e.msg, "SMD: POST " BASE "/locks/service/reservations: HTTP 400 Bad Request: Component is Reserved");
    assert_int_equal(t->e.http_status, 400);
    assert_int_equal(r.nok, 0);
    assert_int_equal(r.nfailed, 0);
    tide_reservations_free(&r);
}

static void reserve_flexible_partial(void **state)
{
    fake_client *t = *state;
    const char *ids[] = { "x1000c0s0b0n0", "x1000c0s0b0n1", "x1000c0s0b0n2" };
    tide_reservations r;

    fake_exchange *x = fake_expect_file(&t->f, "POST", "/hsm/v2/locks/service/reservations", 200,
                                        "smd/reservation_flexible.json");
    assert_int_equal(tide_smd_reserve(t->http, ids, 3, 0, 15, &r, &t->e), 0);
    fake_assert_json_equal(x->sent_body, "{\"ComponentIDs\":[\"x1000c0s0b0n0\",\"x1000c0s0b0n1\",\"x1000c0s0b0n2\"],"
                                         "\"ProcessingModel\":\"flexible\",\"ReservationDuration\":15}");
    assert_int_equal(r.nok, 1);
    assert_int_equal(r.nfailed, 2);
    assert_string_equal(r.failed[0].id, "x1000c0s0b0n1");
    assert_string_equal(r.failed[0].reason, "Reserved");
    assert_string_equal(r.failed[1].reason, "Disabled");
    tide_reservations_free(&r);

    /* nothing to reserve: no request */
    assert_int_equal(tide_smd_reserve(t->http, ids, 0, 1, 1, &r, &t->e), 0);
    assert_int_equal(r.nok, 0);
}

static void reserve_check_and_failures(void **state)
{
    fake_client *t = *state;
    tide_reservations r;
    size_t nvalid = 99;

    fake_expect_file(&t->f, "POST", "/hsm/v2/locks/service/reservations", 200, "smd/reservation_ok.json");
    assert_int_equal(tide_smd_reserve(t->http, two_nodes, 2, 1, 1, &r, &t->e), 0);

    fake_exchange *x = fake_expect_file(&t->f, "POST", "/hsm/v2/locks/service/reservations/check", 200,
                                        "smd/check_partial.json");
    assert_int_equal(tide_smd_reserve_check(t->http, &r, &nvalid, &t->e), 0);
    fake_assert_json_equal(x->sent_body,
                           "{\"DeputyKeys\":[{\"ID\":\"x1000c0s0b0n0\",\"Key\":\"x1000c0s0b0n0:dk:2f9a6c1e-5f8d-4b7a-9a43-1f0c2b3d4e5f\"},"
                           "{\"ID\":\"x1000c0s0b0n1\",\"Key\":\"x1000c0s0b0n1:dk:3a8b7c6d-1e2f-4a3b-8c4d-5e6f7a8b9c0d\"}]}");
    assert_int_equal(nvalid, 1);

    fake_expect_file(&t->f, "POST", "/hsm/v2/locks/service/reservations/release", 200, "smd/release_partial.json");
    assert_int_equal(tide_smd_reserve_release(t->http, &r, &t->e), -1);
    assert_string_equal(t->e.msg, "SMD: POST " BASE "/locks/service/reservations/release: SMD could not release the "
                                  "reservation of x1000c0s0b0n1 (NotFound)");

    fake_expect(&t->f, "POST", "/hsm/v2/locks/service/reservations/renew", 200, JSON,
                "{\"Counts\":{\"Total\":2,\"Success\":0,\"Failure\":2},\"Success\":{\"ComponentIDs\":[]},"
                "\"Failure\":[{\"ID\":\"x1000c0s0b0n0\",\"Reason\":\"NotFound\"},{\"ID\":\"x1000c0s0b0n1\",\"Reason\":\"\"}]}");
    assert_int_equal(tide_smd_reserve_renew(t->http, &r, 1, &t->e), -1);
    assert_string_equal(t->e.msg, "SMD: POST " BASE "/locks/service/reservations/renew: SMD could not renew the "
                                  "reservations of x1000c0s0b0n0 (NotFound), x1000c0s0b0n1 (no reason given)");

    fake_expect(&t->f, "POST", "/hsm/v2/locks/service/reservations/renew", 400, PROBLEM,
                "{\"type\":\"about:blank\",\"title\":\"Bad Request\",\"detail\":\"Invalid Reservation Duration\",\"status\":400}");
    assert_int_equal(tide_smd_reserve_renew(t->http, &r, 16, &t->e), -1);
    assert_string_equal(t->e.msg, "SMD: POST " BASE "/locks/service/reservations/renew: HTTP 400 Bad Request: "
                                  "Invalid Reservation Duration");
    tide_reservations_free(&r);

    /* nothing held: no requests */
    assert_int_equal(tide_smd_reserve_renew(t->http, &r, 1, &t->e), 0);
    assert_int_equal(tide_smd_reserve_release(t->http, &r, &t->e), 0);
    assert_int_equal(tide_smd_reserve_check(t->http, &r, &nvalid, &t->e), 0);
    assert_int_equal(nvalid, 0);
}

static void connection_refused(void **state)
{
    fake_client *t = *state;
    tide_group_list l;

    fake_expect(&t->f, "GET", "/hsm/v2/groups", 0, NULL, NULL);
    assert_int_equal(tide_smd_groups_list(t->http, NULL, 0, &l, &t->e), -1);
    assert_string_equal(t->e.msg, "fake: GET " BASE "/groups: Failed to connect: Connection refused");
    assert_int_equal(l.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, fake_client_teardown)
        T(groups_list_all),
        T(groups_list_filtered),
        T(groups_list_not_a_list),
        T(group_get_and_members),
        T(group_get_missing),
        T(group_create_full),
        T(group_create_minimal_any_2xx),
        T(group_create_conflict),
        T(group_delete),
        T(group_add_member),
        T(group_add_member_conflict),
        T(group_remove_member),
        T(group_set_members),
        T(components_get_filters),
        T(components_get_encodes_values),
        T(components_query_chunks),
        T(components_query_small_chunks_and_errors),
        T(components_raw),
        T(inventory_node),
        T(inventory_system_and_unknown),
        T(memberships),
        T(reserve_rigid),
        T(reserve_rigid_refused),
        T(reserve_flexible_partial),
        T(reserve_check_and_failures),
        T(connection_refused),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

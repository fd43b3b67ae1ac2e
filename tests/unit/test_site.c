/* test_site.c - the site snapshot: live from SMD (which calls, how many) and from a dump. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_http.h"
#include "jsonutil.h"
#include "site.h"
#include "strbuf.h"

#define BASE "http://smd.test/hsm/v2"

static const char groups_body[] =
    "[{\"label\":\"zinal\",\"description\":\"\",\"exclusiveGroup\":\"tide\","
    "\"members\":{\"ids\":[\"x1005c0s4b0n0\",\"x1001c1s5b0n0\"]}},"
    "{\"label\":\"nodes_free\",\"description\":\"free\",\"members\":{\"ids\":[]}}]";
static const char components_body[] =
    "{\"Components\":[{\"ID\":\"x1001c1s5b0n0\",\"Type\":\"Node\",\"State\":\"Ready\",\"NID\":1}]}";

static int setup(void **state)
{
    *state = fake_client_new("SMD", BASE);
    return 0;
}

/* A live site reads a group with one GET and the inventory of every node with one more. */
static void live_two_calls(void **state)
{
    fake_client *t = *state;
    tide_site *s = tide_site_live(t->http);
    tide_group g;
    const tide_inventory *inv, *again;

    assert_string_equal(tide_site_source(s), "SMD at " BASE);
    fake_expect(&t->f, "GET", "/hsm/v2/groups/zinal", 200, "application/json",
                "{\"label\":\"zinal\",\"description\":\"\",\"members\":{\"ids\":[\"X1005C0S4B0N0\"]}}");
    fake_expect_file(&t->f, "GET", "/hsm/v2/Inventory/Hardware/Query/s0", 200, "inventory/system.json");
    assert_int_equal(tide_site_group(s, "zinal", &g, &t->e), 0);
    assert_string_equal(g.label, "zinal");
    assert_int_equal(g.nmembers, 1);
    assert_string_equal(g.members[0], "x1005c0s4b0n0");
    assert_int_equal(tide_site_inventory(s, &inv, &t->e), 0);
    assert_int_equal(tide_site_inventory(s, &again, &t->e), 0);   /* cached: no third request */
    assert_ptr_equal(inv, again);
    assert_non_null(tide_inventory_find(inv, g.members[0]));
    tide_group_free(&g);
    fake_http_done(&t->f);

    /* A missing group is the service's 404, with the status kept for callers. */
    fake_expect(&t->f, "GET", "/hsm/v2/groups/nope", 404, "application/problem+json",
                "{\"type\":\"about:blank\",\"title\":\"Not Found\",\"detail\":\"No such group: nope\",\"status\":404}");
    assert_int_equal(tide_site_group(s, "nope", &g, &t->e), -1);
    assert_string_equal(t->e.msg, "SMD: GET " BASE "/groups/nope: HTTP 404 Not Found: No such group: nope");
    assert_int_equal(t->e.http_status, 404);
    fake_http_done(&t->f);

    /* Several groups: one GET with the labels, answered in the order asked, absent ones left out. */
    tide_group_list l;
    const char *labels[] = { "nodes_free", "ghost", "zinal" };
    fake_expect(&t->f, "GET", "/hsm/v2/groups?group=nodes_free&group=ghost&group=zinal", 200, "application/json",
                groups_body);
    assert_int_equal(tide_site_groups(s, labels, 3, &l, &t->e), 0);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.groups[0].label, "nodes_free");
    assert_string_equal(l.groups[1].label, "zinal");
    assert_string_equal(l.groups[1].exclusive_group, "tide");
    tide_group_list_free(&l);
    fake_http_done(&t->f);

    /* A node's inventory: its own query while the whole one is not needed. */
    tide_site_free(s);
    s = tide_site_live(t->http);
    json_object *body;
    fake_expect_file(&t->f, "GET", "/hsm/v2/Inventory/Hardware/Query/x1001c1s6b0n0", 200,
                     "inventory/node_empty_slot.json");
    assert_int_equal(tide_site_node_inventory_json(s, "x1001c1s6b0n0", &body, &t->e), 0);
    assert_string_equal(tide_json_str(body, "XName"), "x1001c1s6b0n0");
    json_object_put(body);
    fake_http_done(&t->f);

    tide_site_free(s);
}

/* A dump holds the three bodies as SMD sent them, and reads back into the same site. */
static void dump_round_trip(void **state)
{
    fake_client *t = *state;
    tide_site *s = tide_site_live(t->http);
    json_object *d;

    fake_expect(&t->f, "GET", "/hsm/v2/State/Components?type=Node", 200, "application/json", components_body);
    fake_expect(&t->f, "GET", "/hsm/v2/groups", 200, "application/json", groups_body);
    fake_expect_file(&t->f, "GET", "/hsm/v2/Inventory/Hardware/Query/s0", 200, "inventory/system.json");
    assert_int_equal(tide_site_dump(s, &d, &t->e), 0);
    fake_http_done(&t->f);

    json_object *groups = json_tokener_parse(groups_body), *comps = json_tokener_parse(components_body);
    json_object *inv_body = fake_load_json("inventory/system.json");
    assert_true(json_object_equal(tide_json_get(d, "groups"), groups));
    assert_true(json_object_equal(tide_json_get(d, "components"), comps));
    assert_true(json_object_equal(tide_json_get(d, "inventory"), inv_body));

    /* With every part cached, group reads no longer go to SMD. */
    tide_group g;
    assert_int_equal(tide_site_group(s, "nodes_free", &g, &t->e), 0);
    assert_string_equal(g.description, "free");
    tide_group_free(&g);
    tide_site_free(s);

    /* Read the dump back. */
    const char *text = json_object_to_json_string(d);
    s = tide_site_from_dump(text, "site.json", &t->e);
    assert_non_null(s);
    assert_string_equal(tide_site_source(s), "dump site.json");
    assert_int_equal(tide_site_group(s, "ZINAL", &g, &t->e), 0);
    assert_int_equal(g.nmembers, 2);
    tide_group_free(&g);
    assert_int_equal(tide_site_group(s, "nope", &g, &t->e), -1);
    assert_string_equal(t->e.msg, "dump site.json: no such group: nope");
    assert_int_equal(t->e.http_status, 404);
    const tide_inventory *inv;
    assert_int_equal(tide_site_inventory(s, &inv, &t->e), 0);
    assert_int_equal(inv->n, 6);
    json_object *body;
    assert_int_equal(tide_site_components_json(s, &body, &t->e), 0);
    assert_true(json_object_equal(body, comps));
    assert_int_equal(tide_site_node_inventory_json(s, "x1001c1s5b0n0", &body, &t->e), 0);
    assert_true(json_object_equal(body, inv_body));
    json_object_put(body);
    json_object *d2;
    assert_int_equal(tide_site_dump(s, &d2, &t->e), 0);
    assert_true(json_object_equal(d, d2));
    json_object_put(d2);
    tide_site_free(s);

    json_object_put(groups);
    json_object_put(comps);
    json_object_put(inv_body);
    json_object_put(d);
}

static void bad_dumps(void **state)
{
    (void)state;
    tide_err e = { 0 };
    tide_site *s;

    assert_null(tide_site_from_dump("{not json", "d.json", &e));
    assert_string_equal(e.msg, "dump d.json: not JSON (quoted object property name expected)");
    assert_null(tide_site_from_dump("[1]", "d.json", &e));
    assert_string_equal(e.msg, "dump d.json: expected a JSON object with components, groups and inventory");
    assert_null(tide_site_from_dump("{\"groups\":{}}", "d.json", &e));
    assert_string_equal(e.msg, "dump d.json: \"groups\" is not a JSON array as SMD's GET /groups returns");

    /* A part left out fails when it is needed, naming it. */
    s = tide_site_from_dump("{\"groups\":[]}", "d.json", &e);
    assert_non_null(s);
    const tide_inventory *inv;
    assert_int_equal(tide_site_inventory(s, &inv, &e), -1);
    assert_string_equal(e.msg, "dump d.json has no \"inventory\" (SMD's GET /Inventory/Hardware/Query/s0)");
    tide_group_list l;
    assert_int_equal(tide_site_groups(s, NULL, 0, &l, &e), 0);
    assert_int_equal(l.n, 0);
    tide_group_list_free(&l);
    tide_site_free(s);

    /* An inventory that is an object but holds garbage parses to nothing; a wrong type is named. */
    s = tide_site_from_dump("{\"inventory\":{\"Nodes\":7}}", "d.json", &e);
    assert_int_equal(tide_site_inventory(s, &inv, &e), 0);
    assert_int_equal(inv->n, 0);
    tide_site_free(s);
}

/* SMD answering something that is not the shape asked for. */
static void live_wrong_shapes(void **state)
{
    fake_client *t = *state;
    tide_site *s = tide_site_live(t->http);
    json_object *d;

    fake_expect(&t->f, "GET", "/hsm/v2/State/Components?type=Node", 200, "application/json", "[]");
    assert_int_equal(tide_site_dump(s, &d, &t->e), -1);
    assert_string_equal(t->e.msg, "SMD: GET " BASE "/State/Components?type=Node: the reply is not a JSON object");
    fake_http_done(&t->f);

    fake_expect(&t->f, "GET", "/hsm/v2/Inventory/Hardware/Query/s0", 200, "application/json", "[1,2]");
    const tide_inventory *inv;
    assert_int_equal(tide_site_inventory(s, &inv, &t->e), -1);
    assert_string_equal(t->e.msg, "SMD: GET " BASE "/Inventory/Hardware/Query/s0: the reply is not a JSON object");
    fake_http_done(&t->f);

    fake_expect(&t->f, "GET", "/hsm/v2/Inventory/Hardware/Query/s0", 500, "application/problem+json",
                "{\"title\":\"Internal Server Error\",\"detail\":\"boom\",\"status\":500}");
    assert_int_equal(tide_site_inventory(s, &inv, &t->e), -1);
    assert_string_equal(t->e.msg,
                        "SMD: GET " BASE "/Inventory/Hardware/Query/s0: HTTP 500 Internal Server Error: boom");
    fake_http_done(&t->f);

    tide_site_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(live_two_calls, setup, fake_client_teardown),
        cmocka_unit_test_setup_teardown(dump_round_trip, setup, fake_client_teardown),
        cmocka_unit_test(bad_dumps),
        cmocka_unit_test_setup_teardown(live_wrong_shapes, setup, fake_client_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

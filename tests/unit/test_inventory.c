/* test_inventory.c - SMD hardware inventory bodies -> tide_node_hw and the per-node listing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_http.h"
#include "inventory.h"
#include "strbuf.h"

#define EPYC7742 "AMD EPYC 7742 64-Core Processor"
#define EPYC7713 "AMD EPYC 7713 64-Core Processor"
#define EPYC7A53 "AMD EPYC 7A53 64-Core Processor"
#define A100 "NVIDIA_A100-SXM4-80GB"
#define MI200 "AMD INSTINCT MI200 (MCM) OAM LC"
#define HSN "SS11 200Gb 2P NIC Mezz REV02 (HSN)"

/* Parse a recorded body, check that it holds exactly one node, and return that node. */
static const tide_node_hw *parse_one(const char *rel, tide_inventory *inv)
{
    json_object *j = fake_load_json(rel);
    tide_err e = { 0 };
    assert_int_equal(tide_inventory_parse(j, inv, &e), 0);
    json_object_put(j);
    assert_int_equal(inv->n, 1);
    return &inv->nodes[0];
}

/* The one-line hardware profile of n. */
static void assert_profile(const tide_node_hw *n, const char *want)
{
    char *p = tide_node_hw_profile(n);
    assert_string_equal(p, want);
    free(p);
}

static void epyc_node(void **state)
{
    (void)state;
    tide_inventory inv;
    const tide_node_hw *n = parse_one("inventory/node_epyc.json", &inv);

    assert_string_equal(n->xname, "x1001c1s5b0n0");
    assert_int_equal(n->processors.n, 1);
    assert_int_equal(tide_counts_get(&n->processors, EPYC7742), 2);
    assert_int_equal(n->accelerators.n, 0);
    assert_int_equal(n->memory_mib, 16 * 16384);
    assert_int_equal(n->dimms.n, 1);
    assert_int_equal(tide_counts_get(&n->dimms, "16384"), 16);
    assert_int_equal(tide_counts_get(&n->hsn_nics, HSN), 1);
    assert_int_equal(n->nempty, 0);
    assert_int_equal(tide_node_memory_units(n), 16);

    assert_profile(n, "2x " EPYC7742 ", 256 GiB, 1x " HSN);
    tide_inventory_free(&inv);
}

static void empty_slot(void **state)
{
    (void)state;
    tide_inventory inv;
    const tide_node_hw *n = parse_one("inventory/node_empty_slot.json", &inv);

    assert_int_equal(tide_counts_get(&n->dimms, "16384"), 15);
    assert_int_equal(n->memory_mib, 15 * 16384);
    assert_int_equal(n->nempty, 1);
    assert_string_equal(n->empty_slots[0], "x1001c1s6b0n0d7");
    assert_profile(n, "2x " EPYC7742 ", 240 GiB, 1x " HSN);
    tide_inventory_free(&inv);
}

static void a100_node(void **state)
{
    (void)state;
    tide_inventory inv;
    const tide_node_hw *n = parse_one("inventory/node_a100.json", &inv);

    assert_int_equal(tide_counts_get(&n->processors, EPYC7713), 1);
    assert_int_equal(n->accelerators.n, 1);
    assert_int_equal(tide_counts_get(&n->accelerators, A100), 4);
    assert_int_equal(n->memory_mib, 16 * 32768);
    assert_int_equal(tide_counts_get(&n->hsn_nics, HSN), 4);
    assert_profile(n, "1x " EPYC7713 ", 4x " A100 ", 512 GiB, 4x " HSN);
    tide_inventory_free(&inv);
}

static void mi200_node(void **state)
{
    (void)state;
    tide_inventory inv;
    const tide_node_hw *n = parse_one("inventory/node_mi200.json", &inv);

    assert_int_equal(tide_counts_get(&n->processors, EPYC7A53), 1);
    assert_int_equal(tide_counts_get(&n->accelerators, MI200), 8);
    assert_int_equal(n->memory_mib, 8 * 65536);
    assert_int_equal(tide_counts_get(&n->dimms, "65536"), 8);
    tide_inventory_free(&inv);
}

static void unknown_node_is_empty(void **state)
{
    (void)state;
    json_object *j = fake_load_json("inventory/node_unknown.json");
    tide_inventory inv;
    tide_err e = { 0 };
    assert_int_equal(tide_inventory_parse(j, &inv, &e), 0);
    assert_int_equal(inv.n, 0);
    assert_null(tide_inventory_find(&inv, "x9c0s0b0n0"));
    tide_inventory_free(&inv);
    json_object_put(j);
}

/* s0: natural order, split entries merged, orphans credited, find by any spelling. */
static void whole_system(void **state)
{
    (void)state;
    json_object *j = fake_load_json("inventory/system.json");
    tide_inventory inv;
    tide_err e = { 0 };
    assert_int_equal(tide_inventory_parse(j, &inv, &e), 0);
    json_object_put(j);

    static const char *const order[] = { "x1001c1s5b0n0", "x1001c1s6b0n0", "x1001c1s10b0n0",
                                         "x1005c0s4b0n0", "x1006c1s4b0n0", "x1007c0s0b0n0" };
    assert_int_equal(inv.n, 6);
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(inv.nodes[i].xname, order[i]);

    const tide_node_hw *s10 = tide_inventory_find(&inv, "X1001C01S10B0N00");
    assert_ptr_equal(s10, &inv.nodes[2]);
    assert_int_equal(tide_counts_get(&s10->hsn_nics, HSN), 2);   /* h0 + h1 from the second entry */
    assert_int_equal(tide_counts_get(&s10->processors, EPYC7742), 2);

    const tide_node_hw *orphan = tide_inventory_find(&inv, "x1007c0s0b0n0");
    assert_non_null(orphan);
    /* Model strings are trimmed (Redfish pads them). */
    assert_int_equal(tide_counts_get(&orphan->processors, "Intel(R) Xeon(R) Gold 6148 CPU @ 2.40GHz"), 1);
    assert_profile(orphan, "1x Intel(R) Xeon(R) Gold 6148 CPU @ 2.40GHz");

    assert_null(tide_inventory_find(&inv, "x1001c1s7b0n0"));
    assert_null(tide_inventory_find(&inv, "not-an-xname"));
    /* No node has accelerators but the two GPU nodes. */
    size_t with_accel = 0;
    for (size_t i = 0; i < inv.n; i++)
        with_accel += inv.nodes[i].accelerators.n > 0;
    assert_int_equal(with_accel, 2);
    tide_inventory_free(&inv);
}

static void components_listing(void **state)
{
    (void)state;
    json_object *j = fake_load_json("inventory/node_empty_slot.json");
    tide_hw_components c;
    tide_err e = { 0 };

    assert_int_equal(tide_inventory_components(j, "x1001c1s6b0n0", &c, &e), 0);
    assert_int_equal(c.n, 2 + 16 + 1);
    assert_string_equal(c.items[0].xname, "x1001c1s6b0n0p0");
    assert_string_equal(c.items[0].type, "Processor");
    assert_string_equal(c.items[0].info, EPYC7742);
    assert_string_equal(c.items[1].xname, "x1001c1s6b0n0p1");
    /* DIMMs in natural order: d0..d15, d7 empty. */
    assert_string_equal(c.items[2].xname, "x1001c1s6b0n0d0");
    assert_string_equal(c.items[2].type, "Memory");
    assert_string_equal(c.items[2].info, "16384 MiB");
    assert_string_equal(c.items[9].xname, "x1001c1s6b0n0d7");
    assert_string_equal(c.items[9].info, TIDE_MISSING_INFO);
    assert_true(c.items[9].empty);
    assert_false(c.items[10].empty);
    assert_string_equal(c.items[17].xname, "x1001c1s6b0n0d15");
    assert_string_equal(c.items[18].type, "NodeHsnNic");
    assert_string_equal(c.items[18].info, HSN);
    tide_hw_components_free(&c);

    /* Another node of the same body: nothing, not an error. */
    assert_int_equal(tide_inventory_components(j, "x1001c1s5b0n0", &c, &e), 0);
    assert_int_equal(c.n, 0);
    tide_hw_components_free(&c);

    assert_int_equal(tide_inventory_components(j, "x1001c1s6b0", &c, &e), -1);
    assert_string_equal(e.msg, "'x1001c1s6b0' is not a node xname (expected xXcCsSbBnN, e.g. x1000c0s0b0n0)");
    json_object_put(j);

    /* Accelerators of a GPU node, and orphans of s0. */
    j = fake_load_json("inventory/system.json");
    assert_int_equal(tide_inventory_components(j, "x1005c0s4b0n0", &c, &e), 0);
    assert_int_equal(c.n, 1 + 16 + 4 + 4);
    assert_string_equal(c.items[17].type, "NodeAccel");
    assert_string_equal(c.items[17].info, A100);
    tide_hw_components_free(&c);
    assert_int_equal(tide_inventory_components(j, "x1007c0s0b0n0", &c, &e), 0);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.items[0].xname, "x1007c0s0b0n0p0");
    tide_hw_components_free(&c);
    json_object_put(j);
}

/* Holes and garbage: skipped, never fatal, never a crash. */
static void garbage_never_crashes(void **state)
{
    (void)state;
    static const char body[] =
        "{\"Nodes\":["
        " 42, \"x\", null, {}, {\"ID\":17}, {\"ID\":\"bogus\"}, {\"ID\":\"x1c0s0b0\"},"
        " {\"ID\":\"X01C0S0B0N0\",\"Processors\":\"not an array\",\"Memory\":["
        "   {\"ID\":\"x1c0s0b0n0d0\",\"PopulatedFRU\":{\"MemoryFRUInfo\":{\"CapacityMiB\":\"16384\"}}},"
        "   {\"ID\":\"x1c0s0b0n0d1\",\"PopulatedFRU\":{\"MemoryFRUInfo\":{\"CapacityMiB\":\"lots\"}}},"
        "   {\"ID\":\"x1c0s0b0n0d2\",\"PopulatedFRU\":{\"MemoryFRUInfo\":{\"CapacityMiB\":-5}}},"
        "   {\"ID\":\"x1c0s0b0n0d3\",\"PopulatedFRU\":{\"MemoryFRUInfo\":{\"CapacityMiB\":1e15}}},"
        "   {\"ID\":\"x1c0s0b0n0d4\",\"PopulatedFRU\":\"garbage\"},"
        "   {\"ID\":\"x1c0s0b0n0d5\",\"Status\":\"Empty\"},"
        "   {\"Status\":\"Empty\"}, 7, [] ],"
        "  \"NodeAccels\":[{\"ID\":\"x1c0s0b0n0a0\",\"PopulatedFRU\":{\"NodeAccelFRUInfo\":{\"Model\":12}}},"
        "                 {\"ID\":\"x1c0s0b0n0a1\",\"PopulatedFRU\":{\"NodeAccelFRUInfo\":{\"Model\":\"   \"}}}],"
        "  \"NodeHsnNics\":[{\"ID\":\"x1c0s0b0n0h0\",\"NodeHsnNicLocationInfo\":{\"Description\":\"\"},"
        "                   \"PopulatedFRU\":{\"NodeHsnNicFRUInfo\":{\"Model\":\"CX-6\"}}}]}],"
        " \"Memory\":{\"not\":\"an array\"}, \"NodeAccels\":[{\"ID\":\"x1c0s0b0n0\"},{\"ID\":\"x1c0\"}]}";
    json_object *j = json_tokener_parse(body);
    tide_inventory inv;
    tide_hw_components c;
    tide_err e = { 0 };

    assert_non_null(j);
    assert_int_equal(tide_inventory_parse(j, &inv, &e), 0);
    assert_int_equal(inv.n, 1);
    const tide_node_hw *n = &inv.nodes[0];
    assert_string_equal(n->xname, "x1c0s0b0n0");
    assert_int_equal(n->memory_mib, 16384);
    assert_int_equal(tide_counts_get(&n->dimms, "16384"), 1);
    assert_int_equal(n->dimms.n, 1);
    assert_int_equal(n->accelerators.n, 0);
    assert_int_equal(tide_counts_get(&n->hsn_nics, "CX-6"), 1);
    assert_int_equal(n->nempty, 1);
    assert_string_equal(n->empty_slots[0], "x1c0s0b0n0d5");
    tide_inventory_free(&inv);

    assert_int_equal(tide_inventory_components(j, "x1c0s0b0n0", &c, &e), 0);
    assert_int_equal(c.n, 6 + 2 + 1 + 1);   /* d0-d5, a0 a1 (nested), h0, and the top-level a-entry */
    assert_string_equal(c.items[0].info, "16384 MiB");
    assert_string_equal(c.items[1].info, TIDE_MISSING_INFO);
    assert_string_equal(c.items[6].info, TIDE_MISSING_INFO);
    tide_hw_components_free(&c);
    json_object_put(j);

    /* Not an object at all: one clear error. */
    j = json_tokener_parse("[1,2]");
    assert_int_equal(tide_inventory_parse(j, &inv, &e), -1);
    assert_string_equal(e.msg, "SMD hardware inventory: expected a JSON object (SystemHWInventory), got array");
    json_object_put(j);
    assert_int_equal(tide_inventory_parse(NULL, &inv, &e), -1);
    assert_string_equal(e.msg, "SMD hardware inventory: expected a JSON object (SystemHWInventory), got null");
    assert_int_equal(tide_inventory_components(NULL, "x1c0s0b0n0", &c, &e), -1);
}

static void profile_of_nothing(void **state)
{
    (void)state;
    tide_node_hw n;
    memset(&n, 0, sizeof(n));
    assert_profile(&n, "no inventory");
    n.memory_mib = 1536;
    assert_profile(&n, "1536 MiB");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(epyc_node),
        cmocka_unit_test(empty_slot),
        cmocka_unit_test(a100_node),
        cmocka_unit_test(mi200_node),
        cmocka_unit_test(unknown_node_is_empty),
        cmocka_unit_test(whole_system),
        cmocka_unit_test(components_listing),
        cmocka_unit_test(garbage_never_crashes),
        cmocka_unit_test(profile_of_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

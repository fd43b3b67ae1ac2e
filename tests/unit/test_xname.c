/* test_xname.c - xname parsing, SMD's normalisation, node_of, locality and natural order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "strbuf.h"
#include "xname.h"

static void parse_node(void **state)
{
    (void)state;
    tide_xname x;
    assert_int_equal(tide_xname_parse("x1000c3s7b1n1", &x), TIDE_XNAME_NODE);
    assert_int_equal(x.type, TIDE_XNAME_NODE);
    assert_int_equal(x.cabinet, 1000);
    assert_int_equal(x.chassis, 3);
    assert_int_equal(x.slot, 7);
    assert_int_equal(x.bmc, 1);
    assert_int_equal(x.node, 1);
    assert_int_equal(x.child, 0);

    /* Upper case and leading zeros are accepted, as SMD accepts them. */
    assert_int_equal(tide_xname_parse("X01000C3S07B1N01", &x), TIDE_XNAME_NODE);
    assert_int_equal(x.cabinet, 1000);
    assert_int_equal(x.slot, 7);

    assert_int_equal(tide_xname_parse("x3000c0s17b4n0d12", &x), TIDE_XNAME_MEMORY);
    assert_int_equal(x.slot, 17);
    assert_int_equal(x.bmc, 4);
    assert_int_equal(x.child, 'd');
    assert_int_equal(x.child_index, 12);
}

static void parse_types(void **state)
{
    (void)state;
    static const struct { const char *s; tide_xname_type t; const char *name; } cases[] = {
        { "s0", TIDE_XNAME_SYSTEM, "System" },
        { "all", TIDE_XNAME_SYSTEM, "System" },
        { "p1", TIDE_XNAME_PARTITION, "Partition" },
        { "p1.2", TIDE_XNAME_PARTITION, "Partition" },
        { "x1000", TIDE_XNAME_CABINET, "Cabinet" },
        { "x1000c0", TIDE_XNAME_CHASSIS, "Chassis" },
        { "x1000c0s0", TIDE_XNAME_SLOT, "ComputeModule" },
        { "x1000c0s0b0", TIDE_XNAME_BMC, "NodeBMC" },
        { "x1000c0s0b0n0", TIDE_XNAME_NODE, "Node" },
        { "x1000c0s0b0n0p1", TIDE_XNAME_PROCESSOR, "Processor" },
        { "x1000c0s0b0n0d15", TIDE_XNAME_MEMORY, "Memory" },
        { "x1000c0s0b0n0a3", TIDE_XNAME_ACCEL, "NodeAccel" },
        { "x1000c0s0b0n0h0", TIDE_XNAME_HSN_NIC, "NodeHsnNic" },
        { "x1000c0s0b0n0i0", TIDE_XNAME_NIC, "NodeNic" },
        { "x1000c0s0b0n0r0", TIDE_XNAME_ACCEL_RISER, "NodeAccelRiser" },
        { "x1000c0s0b0n0g0k1", TIDE_XNAME_DRIVE, "Drive" },
        { "x1000c0r7", TIDE_XNAME_ROUTER_MODULE, "RouterModule" },
        { "x1000c0r7b0", TIDE_XNAME_ROUTER_BMC, "RouterBMC" },
        { "x1000c0s0e0", TIDE_XNAME_ENCLOSURE, "NodeEnclosure" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (tide_xname_parse(cases[i].s, NULL) != cases[i].t)
            fail_msg("%s: type %d, expected %d", cases[i].s, tide_xname_parse(cases[i].s, NULL), cases[i].t);
        assert_string_equal(tide_xname_type_name(cases[i].t), cases[i].name);
    }
    assert_string_equal(tide_xname_type_name(TIDE_XNAME_INVALID), "INVALID");
    assert_string_equal(tide_xname_type_name((tide_xname_type)999), "INVALID");
}

static void invalid(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "x", "y1000", "1000", "x10000", "x1000c8", "x1000c", "x1000c0s", "x1000c0s0b0n",
        "x1000c0s0b0n0z0", "x1000c0s0b0n0p", "x1000c0s0b0n0p0x", "x1000c0s0b0n0g0", "x-1c0",
        "x1000c0s0b0n1234567890", "x1000 c0", " x1000", "x1000c0s0b0n0 ", "p", "p1.", "p1.2.3", "s1",
        "x1000c0r", "x1000c0r0b0n0", "x1000c0s0e0b0", "x1000c0s0b0n0p0d0",
    };
    tide_xname x;
    char buf[64];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (tide_xname_parse(bad[i], &x) != TIDE_XNAME_INVALID)
            fail_msg("'%s' parsed as type %d", bad[i], x.type);
        assert_int_equal(x.type, TIDE_XNAME_INVALID);
        assert_null(tide_xname_normalize(bad[i]));
        assert_int_equal(tide_xname_normalize_buf(bad[i], buf, sizeof(buf)), -1);
    }
    assert_int_equal(tide_xname_parse(NULL, &x), TIDE_XNAME_INVALID);
    assert_null(tide_xname_normalize(NULL));
}

static void normalise(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        { "x1000c0s0b0n0", "x1000c0s0b0n0" },
        { "X1000C0S0B0N0", "x1000c0s0b0n0" },
        { "x01000c00s007b0n00", "x1000c0s7b0n0" },
        { "x0c0s0b0n0", "x0c0s0b0n0" },
        { "X3000C0S17B1N0D07", "x3000c0s17b1n0d7" },
        { "x1c0s0b0n0g00k01", "x1c0s0b0n0g0k1" },
        { "S0", "s0" },
        { "ALL", "all" },
        { "P01.02", "p1.2" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *n = tide_xname_normalize(cases[i][0]);
        if (!n || strcmp(n, cases[i][1]))
            fail_msg("normalize(%s) = %s, expected %s", cases[i][0], n ? n : "NULL", cases[i][1]);
        free(n);
    }
    char small[8];
    assert_int_equal(tide_xname_normalize_buf("x1000c0s0b0n0", small, sizeof(small)), -1);
    assert_int_equal(tide_xname_normalize_buf("x1000c0", small, sizeof(small)), 0);
    assert_string_equal(small, "x1000c0");
}

static void node_of(void **state)
{
    (void)state;
    char buf[64];
    assert_int_equal(tide_xname_node_of("x1000c0s0b0n0p1", buf, sizeof(buf)), 0);
    assert_string_equal(buf, "x1000c0s0b0n0");
    assert_int_equal(tide_xname_node_of("X01000C1S2B1N1D15", buf, sizeof(buf)), 0);
    assert_string_equal(buf, "x1000c1s2b1n1");
    assert_int_equal(tide_xname_node_of("x1000c0s0b0n0g1k2", buf, sizeof(buf)), 0);
    assert_string_equal(buf, "x1000c0s0b0n0");
    assert_int_equal(tide_xname_node_of("x1000c0s0b0n1", buf, sizeof(buf)), 0);
    assert_string_equal(buf, "x1000c0s0b0n1");
    assert_int_equal(tide_xname_node_of("x1000c0s0b0", buf, sizeof(buf)), -1);
    assert_int_equal(tide_xname_node_of("x1000c0r0b0", buf, sizeof(buf)), -1);
    assert_int_equal(tide_xname_node_of("s0", buf, sizeof(buf)), -1);
    assert_int_equal(tide_xname_node_of("garbage", buf, sizeof(buf)), -1);
    assert_int_equal(tide_xname_node_of(NULL, buf, sizeof(buf)), -1);
    char small[6];
    assert_int_equal(tide_xname_node_of("x1000c0s0b0n0p1", small, sizeof(small)), -1);
}

static void prefix(void **state)
{
    (void)state;
    char buf[64];
    static const char *const want[] = { NULL, "x1000", "x1000c3", "x1000c3s7", "x1000c3s7b1" };
    for (int lvl = 1; lvl <= 4; lvl++) {
        assert_int_equal(tide_xname_prefix("X1000C3S07B1N0P1", lvl, buf, sizeof(buf)), 0);
        assert_string_equal(buf, want[lvl]);
    }
    assert_int_equal(tide_xname_prefix("x1000c3s7b1n0", 0, buf, sizeof(buf)), -1);
    assert_int_equal(tide_xname_prefix("x1000c3s7b1n0", 5, buf, sizeof(buf)), -1);
    assert_int_equal(tide_xname_prefix("x1000c3", 3, buf, sizeof(buf)), -1);   /* no slot in a chassis name */
    assert_int_equal(tide_xname_prefix("s0", 1, buf, sizeof(buf)), -1);
    assert_int_equal(tide_xname_prefix("bogus", 1, buf, sizeof(buf)), -1);
    char small[4];
    assert_int_equal(tide_xname_prefix("x1000c3s7b1n0", 1, small, sizeof(small)), -1);
}

static void distance(void **state)
{
    (void)state;
    assert_int_equal(tide_xname_distance("x1000c0s0b0n0", "x1000c0s0b0n1"), 0);
    assert_int_equal(tide_xname_distance("x1000c0s0b0n0", "X01000C0S0B0N0"), 0);
    assert_int_equal(tide_xname_distance("x1000c0s0b0n0", "x1000c0s0b1n0"), 1);
    assert_int_equal(tide_xname_distance("x1000c0s0b0n0", "x1000c0s1b0n0"), 2);
    assert_int_equal(tide_xname_distance("x1000c0s0b0n0", "x1000c1s0b0n0"), 3);
    assert_int_equal(tide_xname_distance("x1000c0s0b0n0", "x1001c0s0b0n0"), 4);
    assert_int_equal(tide_xname_distance("x1000c0s0b0n0p0", "x1000c0s0b0n1d3"), 0);
    assert_int_equal(tide_xname_distance("x1000c0s0b0n0", "garbage"), -1);
    assert_int_equal(tide_xname_distance("s0", "x1000c0s0b0n0"), -1);
}

static int cmp_ptr(const void *a, const void *b)
{
    return tide_xname_cmp(*(char *const *)a, *(char *const *)b);
}

static void natural_order(void **state)
{
    (void)state;
    assert_true(tide_xname_cmp("x2c0s0b0n0", "x10c0s0b0n0") < 0);
    assert_true(tide_xname_cmp("x1000c0s10b0n0", "x1000c0s9b0n0") > 0);
    assert_int_equal(tide_xname_cmp("x1000c0s0b0n0", "X1000C0S0B0N0"), 0);
    assert_int_equal(tide_xname_cmp("x1000c0s0b0n0", "x01000c0s0b0n0"), 0);
    assert_true(tide_xname_cmp("x1000c0s0b0n0", "x1000c0s0b0n0p0") < 0);
    assert_true(tide_xname_cmp("x1000c0s0b0n0d10", "x1000c0s0b0n0d9") > 0);
    assert_true(tide_xname_cmp("", "x1") < 0);

    const char *v[] = { "x1001c1s10b0n0", "x1001c1s5b1n0", "x1000c7s0b0n0", "x999c0s0b0n0", "x1001c1s5b0n1",
                        "x1001c1s5b0n0" };
    const char *want[] = { "x999c0s0b0n0", "x1000c7s0b0n0", "x1001c1s5b0n0", "x1001c1s5b0n1", "x1001c1s5b1n0",
                           "x1001c1s10b0n0" };
    qsort(v, 6, sizeof(char *), cmp_ptr);
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(v[i], want[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_node),
        cmocka_unit_test(parse_types),
        cmocka_unit_test(invalid),
        cmocka_unit_test(normalise),
        cmocka_unit_test(node_of),
        cmocka_unit_test(prefix),
        cmocka_unit_test(distance),
        cmocka_unit_test(natural_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

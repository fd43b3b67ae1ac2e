/* test_table.c - text tables: widths in terminal columns (✅ and ❌ are 2), alignment, padding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "strbuf.h"
#include "table.h"

static void display_width(void **state)
{
    (void)state;
    assert_int_equal(tide_display_width(""), 0);
    assert_int_equal(tide_display_width(NULL), 0);
    assert_int_equal(tide_display_width("abc"), 3);
    assert_int_equal(tide_display_width("✅"), 2);
    assert_int_equal(tide_display_width("❌"), 2);
    assert_int_equal(tide_display_width("✅ (16)"), 7);
    assert_int_equal(tide_display_width("é"), 1);               /* 2 bytes, 1 column */
    assert_int_equal(tide_display_width("e\xcc\x81"), 1);       /* e + combining acute */
    assert_int_equal(tide_display_width("⚠\xef\xb8\x8f"), 1);   /* variation selector adds nothing */
    assert_int_equal(tide_display_width("日本"), 4);
    assert_int_equal(tide_display_width("\xff\xfe"), 2);        /* malformed bytes: 1 each */
    assert_int_equal(tide_display_width("\xe2\x9c"), 2);        /* truncated sequence */
    assert_int_equal(tide_display_width("a\tb"), 2);            /* control characters take none */
}

/* Render t and compare the whole text. */
static void assert_rendered(const tide_table *t, const char *want)
{
    strbuf b = STRBUF_INIT;
    tide_table_render(t, &b);
    assert_string_equal(strbuf_str(&b), want);
    strbuf_free(&b);
}

static void render(void **state)
{
    (void)state;
    static const char *const headers[] = { "NODE", "A100", "ERROR" };
    tide_table *t = tide_table_new(3, headers);

    tide_table_align(t, 1, TIDE_ALIGN_CENTER);
    tide_table_cell(t, "x1005c0s4b0n0");
    tide_table_cellf(t, "✅ (%d)", 4);
    tide_table_cell(t, NULL);
    tide_table_cell(t, "x1001c1s6b0n0");
    tide_table_cell(t, "❌");
    tide_table_cell(t, "empty slot: x1001c1s6b0n0d15");
    assert_int_equal(tide_table_rows(t), 2);
    assert_rendered(t,
                    "NODE           A100    ERROR\n"
                    "x1005c0s4b0n0  ✅ (4)\n"
                    "x1001c1s6b0n0    ❌    empty slot: x1001c1s6b0n0d15\n");
    tide_table_free(t);
}

static void right_align_and_partial_row(void **state)
{
    (void)state;
    static const char *const headers[] = { "POOL", "NODES", "PROFILE" };
    tide_table *t = tide_table_new(3, headers);

    tide_table_align(t, 1, TIDE_ALIGN_RIGHT);
    tide_table_align(t, 7, TIDE_ALIGN_RIGHT);   /* out of range: ignored */
    tide_table_cell(t, "free");
    tide_table_cellf(t, "%d", 12);
    tide_table_cell(t, "a");
    tide_table_cell(t, "");
    tide_table_cell(t, "3");                     /* the row is never completed */
    assert_int_equal(tide_table_rows(t), 1);
    assert_rendered(t,
                    "POOL  NODES  PROFILE\n"
                    "free     12  a\n"
                    "          3\n");
    tide_table_free(t);

    /* No rows: only the headings. */
    t = tide_table_new(3, headers);
    assert_rendered(t, "POOL  NODES  PROFILE\n");
    tide_table_free(t);
    tide_table_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(display_width),
        cmocka_unit_test(render),
        cmocka_unit_test(right_align_and_partial_row),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_pattern.c - clstr pool patterns: parsing, errors that point at the field, matching. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pattern.h"

static void seed_pattern_parses_sorted_and_lower_cased(void **state)
{
    (void)state;
    tide_pattern p;
    tide_err e = { 0 };
    assert_int_equal(tide_pattern_parse("Zinal:NVIDIA:2:mi200:4:7742:6:Memory:80", &p, &e), 0);
    assert_string_equal(p.group, "zinal");
    assert_int_equal(p.nterms, 4);
    assert_string_equal(p.terms[0].name, "7742");
    assert_int_equal(p.terms[0].qty, 6);
    assert_string_equal(p.terms[1].name, "memory");
    assert_int_equal(p.terms[1].qty, 80);
    assert_true(p.terms[1].is_memory);
    assert_string_equal(p.terms[2].name, "mi200");
    assert_string_equal(p.terms[3].name, "nvidia");
    assert_int_equal(p.terms[3].qty, 2);
    assert_false(p.terms[3].is_memory);
    assert_int_equal(tide_pattern_memory(&p)->qty, 80);
    assert_int_equal(tide_pattern_find(&p, "mi200")->qty, 4);
    assert_null(tide_pattern_find(&p, "a100"));
    char *text = tide_pattern_format(&p);
    assert_string_equal(text, "zinal:7742:6:memory:80:mi200:4:nvidia:2");
    free(text);
    tide_pattern_free(&p);
}

static void terms_without_group(void **state)
{
    (void)state;
    tide_pattern p;
    tide_err e = { 0 };
    assert_int_equal(tide_pattern_parse_terms("a100:012:epyc:5", &p, &e), 0);
    assert_null(p.group);
    assert_int_equal(p.nterms, 2);
    assert_string_equal(p.terms[0].name, "a100");
    assert_int_equal(p.terms[0].qty, 12);
    assert_null(tide_pattern_memory(&p));
    char *text = tide_pattern_format(&p);
    assert_string_equal(text, "a100:12:epyc:5");
    free(text);
    tide_pattern_free(&p);
}

/* Terms may hold blanks inside (model strings do), and any byte but ':'. */
static void terms_with_inner_blanks(void **state)
{
    (void)state;
    tide_pattern p;
    tide_err e = { 0 };
    assert_int_equal(tide_pattern_parse("g:EPYC 7742:2:(hsn):1", &p, &e), 0);
    assert_string_equal(p.terms[0].name, "(hsn)");
    assert_string_equal(p.terms[1].name, "epyc 7742");
    assert_int_equal(tide_pattern_match(&p, "AMD EPYC 7742 64-Core Processor"), 1);
    assert_int_equal(tide_pattern_match(&p, "SS11 200Gb 2P NIC Mezz REV02 (HSN)"), 0);
    tide_pattern_free(&p);
}

static void expect_error(const char *pattern, int with_group, const char *msg)
{
    tide_pattern p;
    tide_err e = { 0 };
    int rc = with_group ? tide_pattern_parse(pattern, &p, &e) : tide_pattern_parse_terms(pattern, &p, &e);
    assert_int_equal(rc, -1);
    assert_string_equal(e.msg, msg);
    assert_null(p.terms);
    assert_null(p.group);
}

static void errors_point_at_the_field(void **state)
{
    (void)state;
    expect_error("", 1, "empty pool pattern: expected NAME:TERM:QTY[:TERM:QTY...], e.g. zinal:a100:4:memory:80");
    expect_error("", 0, "empty pool pattern: expected TERM:QTY[:TERM:QTY...], e.g. a100:4:memory:80");
    expect_error("zinal", 1, "pool pattern \"zinal\" has no terms: expected NAME:TERM:QTY[:TERM:QTY...]");
    expect_error("zinal:nvidia", 1, "pool pattern \"zinal:nvidia\": field 2 (column 7): term \"nvidia\" has no quantity");
    expect_error("zinal:nvidia:2:mi200", 1,
                 "pool pattern \"zinal:nvidia:2:mi200\": field 4 (column 16): term \"mi200\" has no quantity");
    expect_error("zinal:nvidia:0", 1,
                 "pool pattern \"zinal:nvidia:0\": field 3 (column 14): quantity \"0\" must be at least 1");
    expect_error("zinal:nvidia:000", 1,
                 "pool pattern \"zinal:nvidia:000\": field 3 (column 14): quantity \"000\" must be at least 1");
    expect_error("zinal:nvidia:x2", 1,
                 "pool pattern \"zinal:nvidia:x2\": field 3 (column 14): quantity \"x2\" is not a positive integer");
    expect_error("zinal:nvidia:-2", 1,
                 "pool pattern \"zinal:nvidia:-2\": field 3 (column 14): quantity \"-2\" is not a positive integer");
    expect_error("zinal:nvidia:+2", 1,
                 "pool pattern \"zinal:nvidia:+2\": field 3 (column 14): quantity \"+2\" is not a positive integer");
    expect_error("zinal:nvidia:2.5", 1,
                 "pool pattern \"zinal:nvidia:2.5\": field 3 (column 14): quantity \"2.5\" is not a positive integer");
    expect_error("zinal:nvidia:", 1, "pool pattern \"zinal:nvidia:\": field 3 (column 14): empty quantity");
    expect_error("zinal:a:10000000000", 1,
                 "pool pattern \"zinal:a:10000000000\": field 3 (column 9): quantity \"10000000000\" is larger than "
                 "1000000000");
    expect_error("zinal::2", 1, "pool pattern \"zinal::2\": field 2 (column 7): empty term");
    expect_error("zinal:a:1:", 1, "pool pattern \"zinal:a:1:\": field 4 (column 11): empty term");
    expect_error(":a:1", 1, "pool pattern \":a:1\": field 1 (column 1): empty group name");
    expect_error("zi nal:a:1", 1,
                 "pool pattern \"zi nal:a:1\": field 1 (column 1): group name \"zi nal\" may hold only letters, "
                 "digits, '-', '.' and '_'");
    expect_error("zinal: a100:1", 1,
                 "pool pattern \"zinal: a100:1\": field 2 (column 7): term \" a100\" starts or ends with a blank");
    expect_error("zinal:a\t100:1", 1, "pool pattern \"zinal:a?100:1\": field 2 (column 7): term has a control character");
    expect_error("a100:4:x", 0, "pool pattern \"a100:4:x\": field 3 (column 8): term \"x\" has no quantity");
}

/* clstr keeps the last duplicate; tide refuses it, naming both fields. */
static void duplicate_terms_are_refused(void **state)
{
    (void)state;
    expect_error("zinal:nvidia:2:mi200:4:NVIDIA:4", 1,
                 "pool pattern \"zinal:nvidia:2:mi200:4:NVIDIA:4\": field 6 (column 24): term \"NVIDIA\" repeats "
                 "field 2 (terms are case-insensitive)");
    expect_error("zinal:memory:2:Memory:3", 1,
                 "pool pattern \"zinal:memory:2:Memory:3\": field 4 (column 16): term \"Memory\" repeats field 2 "
                 "(terms are case-insensitive)");
}

static void long_patterns_are_cut_in_messages(void **state)
{
    (void)state;
    char big[400];
    memset(big, 'a', sizeof(big));
    memcpy(big, "g:", 2);
    memcpy(big + sizeof(big) - 3, ":x", 3);
    tide_pattern p;
    tide_err e = { 0 };
    assert_int_equal(tide_pattern_parse(big, &p, &e), -1);
    assert_non_null(strstr(e.msg, "...\": field 3 (column 399): quantity \"x\" is not a positive integer"));
    /* A term quoted in full would not fit: it is cut too. */
    assert_int_equal(tide_pattern_parse_terms(big + 2, &p, &e), -1);
}

/* The first term in sorted order that is a substring wins; unmatched models count as themselves. */
static void matching_is_clstr_fuzzy_matching(void **state)
{
    (void)state;
    tide_pattern p;
    tide_err e = { 0 };
    assert_int_equal(tide_pattern_parse("g:nvidia:1:a100:1:amd:1:epyc:1:ss11:1:memory:1", &p, &e), 0);
    /* sorted: a100 amd epyc memory nvidia ss11 */
    assert_string_equal(p.terms[0].name, "a100");
    assert_int_equal(tide_pattern_match(&p, "NVIDIA_A100-SXM4-80GB"), 0);          /* a100 before nvidia */
    assert_int_equal(tide_pattern_match(&p, "AMD EPYC 7742 64-Core Processor"), 1); /* amd before epyc */
    assert_int_equal(tide_pattern_match(&p, "AMD INSTINCT MI200 (MCM) OAM LC"), 1); /* CPUs and GPUs share terms */
    assert_int_equal(tide_pattern_match(&p, "SS11 200Gb 2P NIC Mezz REV02 (HSN)"), 5);
    assert_int_equal(tide_pattern_match(&p, "Intel Xeon"), -1);
    assert_int_equal(tide_pattern_match(&p, "Memory Riser"), -1);                  /* memory never matches a model */
    char *t = tide_pattern_type_of(&p, "Intel(R) Xeon(R) Gold 6248");
    assert_string_equal(t, "intel(r) xeon(r) gold 6248");
    free(t);
    t = tide_pattern_type_of(&p, "NVIDIA_A100-SXM4-80GB");
    assert_string_equal(t, "a100");
    free(t);
    /* Long model strings take the allocating path. */
    char model[600];
    memset(model, 'X', sizeof(model));
    memcpy(model + 500, "EPYC", 4);
    model[sizeof(model) - 1] = 0;
    assert_int_equal(tide_pattern_match(&p, model), 2);
    tide_pattern_free(&p);
    tide_pattern_free(&p);   /* freeing twice is harmless */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(seed_pattern_parses_sorted_and_lower_cased),
        cmocka_unit_test(terms_without_group),
        cmocka_unit_test(terms_with_inner_blanks),
        cmocka_unit_test(errors_point_at_the_field),
        cmocka_unit_test(duplicate_terms_are_refused),
        cmocka_unit_test(long_patterns_are_cut_in_messages),
        cmocka_unit_test(matching_is_clstr_fuzzy_matching),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

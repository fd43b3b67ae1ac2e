/* test_hostlist.c - Slurm host lists with xnames: expand, compress, errors with positions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hostlist.h"
#include "strbuf.h"

/* Expand expr and return the names joined by single spaces (caller frees). */
static char *expand_joined(const char *expr)
{
    tide_hostlist hl = TIDE_HOSTLIST_INIT;
    tide_err e = { 0 };
    if (tide_hostlist_expand(expr, &hl, &e))
        fail_msg("expanding %s: %s", expr, e.msg);
    strbuf b = STRBUF_INIT;
    for (size_t i = 0; i < hl.n; i++) {
        if (i)
            strbuf_puts(&b, " ");
        strbuf_puts(&b, hl.names[i]);
    }
    tide_hostlist_free(&hl);
    return b.s ? strbuf_steal(&b) : xstrdup("");
}

static void assert_expands(const char *expr, const char *expected)
{
    char *got = expand_joined(expr);
    assert_string_equal(got, expected);
    free(got);
}

static void assert_expand_error(const char *expr, const char *expected)
{
    tide_hostlist hl = TIDE_HOSTLIST_INIT;
    tide_hostlist_push(&hl, "keep");
    tide_err e = { 0 };
    assert_int_equal(tide_hostlist_expand(expr, &hl, &e), -1);
    assert_string_equal(e.msg, expected);
    /* The list is left as it was. */
    assert_int_equal(hl.n, 1);
    assert_string_equal(hl.names[0], "keep");
    tide_hostlist_free(&hl);
}

static void expand_plain(void **state)
{
    (void)state;
    assert_expands("x1000c0s0b0n0", "x1000c0s0b0n0");
    assert_expands("a,b c\td", "a b c d");
    assert_expands("", "");
    assert_expands(" , ,", "");
    assert_expands("n[0]", "n0");
}

static void expand_xname_brackets_in_the_middle(void **state)
{
    (void)state;
    /* The form libslurm 22.05 refuses. */
    assert_expands("x1000c0s[0-3]b0n0", "x1000c0s0b0n0 x1000c0s1b0n0 x1000c0s2b0n0 x1000c0s3b0n0");
    /* Several groups: the leftmost varies slowest. */
    assert_expands("x1000c0s[0-1]b0n[0-1]", "x1000c0s0b0n0 x1000c0s0b0n1 x1000c0s1b0n0 x1000c0s1b0n1");
    assert_expands("x[1000,3000]c0s[0,2]b0n0",
                   "x1000c0s0b0n0 x1000c0s2b0n0 x3000c0s0b0n0 x3000c0s2b0n0");
    char *all = expand_joined("x1000c0s[0-7]b0n[0-1]");
    size_t words = 1;
    for (const char *s = all; *s; s++)
        words += *s == ' ';
    assert_int_equal(words, 16);
    assert_non_null(strstr(all, "x1000c0s7b0n1"));
    free(all);
}

static void expand_lists_and_padding(void **state)
{
    (void)state;
    assert_expands("a[1-3,5],b[01-02]", "a1 a2 a3 a5 b01 b02");
    assert_expands("n[8-10]", "n8 n9 n10");
    assert_expands("n[08-10]", "n08 n09 n10");
    assert_expands("n[001-2]", "n001 n002");
    assert_expands("n[98-100]", "n98 n99 n100");
    assert_expands("rack[1-2]-node[1-2]", "rack1-node1 rack1-node2 rack2-node1 rack2-node2");
    /* Duplicates are kept, as Slurm keeps them. */
    assert_expands("n1,n[1-2]", "n1 n1 n2");
}

static void expand_appends(void **state)
{
    (void)state;
    tide_hostlist hl = TIDE_HOSTLIST_INIT;
    tide_err e = { 0 };
    assert_int_equal(tide_hostlist_expand("a[1-2]", &hl, &e), 0);
    assert_int_equal(tide_hostlist_expand("b", &hl, &e), 0);
    assert_int_equal(hl.n, 3);
    assert_string_equal(hl.names[2], "b");
    assert_true(tide_hostlist_contains(&hl, "a2"));
    assert_false(tide_hostlist_contains(&hl, "a3"));
    tide_hostlist_free(&hl);
    assert_int_equal(hl.n, 0);
    assert_null(hl.names);
}

static void expand_errors(void **state)
{
    (void)state;
    assert_expand_error("x[1-", "hostlist \"x[1-\": position 2: '[' is never closed");
    assert_expand_error("a,x1000c0s[0-7b0n0", "hostlist \"a,x1000c0s[0-7b0n0\": position 11: '[' is never closed");
    assert_expand_error("a,x1000c0s[0-7b0]n0", "hostlist \"a,x1000c0s[0-7b0]n0\": position 15: expected ',', '-' or ']', found 'b'");
    assert_expand_error("n1]", "hostlist \"n1]\": position 3: ']' without '['");
    assert_expand_error("n[]", "hostlist \"n[]\": position 3: empty range");
    assert_expand_error("n[1,,2]", "hostlist \"n[1,,2]\": position 5: empty range");
    assert_expand_error("n[a]", "hostlist \"n[a]\": position 3: expected a number, found 'a'");
    assert_expand_error("n[5-3]", "hostlist \"n[5-3]\": position 3: range 5-3 goes down");
    assert_expand_error("n[1[2]]", "hostlist \"n[1[2]]\": position 4: '[' inside brackets (brackets do not nest)");
    assert_expand_error("n[1 - 2]", "hostlist \"n[1 - 2]\": position 4: expected ',', '-' or ']', found ' '");
    assert_expand_error("n[1234567890123456789]",
                        "hostlist \"n[1234567890123456789]\": position 3: number longer than 18 digits");
    assert_expand_error("n[0-999999999]", "hostlist \"n[0-999999999]\": position 2: expands to more than 262144 names");
    /* Each group is small, the product is not. */
    assert_expand_error("a[0-999]b[0-999]", "hostlist \"a[0-999]b[0-999]\": position 9: expands to more than 262144 names");
}

static void assert_compresses(const char *expr, const char *expected)
{
    tide_hostlist hl = TIDE_HOSTLIST_INIT;
    tide_err e = { 0 };
    assert_int_equal(tide_hostlist_expand(expr, &hl, &e), 0);
    char *got = tide_hostlist_compress((const char *const *)hl.names, hl.n);
    assert_string_equal(got, expected);
    /* And back: the compressed form expands to the same set. */
    tide_hostlist back = TIDE_HOSTLIST_INIT;
    assert_int_equal(tide_hostlist_expand(got, &back, &e), 0);
    for (size_t i = 0; i < hl.n; i++)
        assert_true(tide_hostlist_contains(&back, hl.names[i]));
    for (size_t i = 0; i < back.n; i++)
        assert_true(tide_hostlist_contains(&hl, back.names[i]));
    free(got);
    tide_hostlist_free(&back);
    tide_hostlist_free(&hl);
}

static void compress_like_slurm(void **state)
{
    (void)state;
    assert_compresses("x1000c0s0b0n0,x1000c0s0b0n1", "x1000c0s0b0n[0-1]");
    /* Ranges only on the trailing number: the middle field is never re-compressed. */
    assert_compresses("x1000c0s[0-2]b0n0", "x1000c0s0b0n0,x1000c0s1b0n0,x1000c0s2b0n0");
    assert_compresses("x1000c0s[0-1]b0n[0-1]", "x1000c0s0b0n[0-1],x1000c0s1b0n[0-1]");
    assert_compresses("a[1-3,5],b[01-02]", "a[1-3,5],b[01-02]");
    assert_compresses("n5,n3,n4,n1", "n[1,3-5]");
    assert_compresses("n[8-10]", "n[8-10]");
    assert_compresses("n[08-10]", "n[08-10]");
    /* Different widths are different names. */
    assert_compresses("n1,n01,n2", "n[1,01,2]");
    assert_compresses("n9,n10,n11", "n[9-11]");
    assert_compresses("n,n1,n2,m", "n,n[1-2],m");
    assert_compresses("b2,a1,b1,a1", "b[1-2],a1");
    assert_compresses("node-ib0", "node-ib0");
}

static void compress_empty(void **state)
{
    (void)state;
    char *s = tide_hostlist_compress(NULL, 0);
    assert_string_equal(s, "");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(expand_plain),
        cmocka_unit_test(expand_xname_brackets_in_the_middle),
        cmocka_unit_test(expand_lists_and_padding),
        cmocka_unit_test(expand_appends),
        cmocka_unit_test(expand_errors),
        cmocka_unit_test(compress_like_slurm),
        cmocka_unit_test(compress_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

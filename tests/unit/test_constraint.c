/* test_constraint.c - Slurm constraint expressions: the tree, Slurm's rules, error columns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "constraint.h"

/* The tree as text: F(name*count) AND(..) OR(..) XAND(..) MOR(..), "()" marking parentheses. */
static void dump(const tide_cx *n, char *buf, size_t size)
{
    static const char *kinds[] = { "F", "AND", "OR", "XAND", "MOR" };
    size_t len = strlen(buf);
    if (n->kind == TIDE_CX_FEATURE)
        snprintf(buf + len, size - len, "%s", n->name);
    else {
        snprintf(buf + len, size - len, "%s(", kinds[n->kind]);
        for (size_t i = 0; i < n->nkids; i++) {
            if (i)
                strncat(buf, ",", size - strlen(buf) - 1);
            dump(n->kids[i], buf, size);
        }
        strncat(buf, ")", size - strlen(buf) - 1);
    }
    len = strlen(buf);
    if (n->paren)
        snprintf(buf + len, size - len, "[p]");
    len = strlen(buf);
    if (n->count)
        snprintf(buf + len, size - len, "*%u", n->count);
}

static void expect_tree(const char *text, const char *tree, const char *canonical)
{
    tide_constraint c;
    tide_err e = { 0 };
    char buf[512] = "";
    if (tide_constraint_parse(text, &c, &e))
        fail_msg("%s: %s", text, e.msg);
    if (c.root)
        dump(c.root, buf, sizeof(buf));
    assert_string_equal(buf, tree);
    char *out = tide_constraint_format(&c);
    assert_string_equal(out, canonical);
    /* The canonical text reads back as the same tree. */
    tide_constraint again;
    assert_int_equal(tide_constraint_parse(out, &again, &e), 0);
    char buf2[512] = "";
    if (again.root)
        dump(again.root, buf2, sizeof(buf2));
    assert_string_equal(buf2, tree);
    tide_constraint_free(&again);
    free(out);
    tide_constraint_free(&c);
}

static void trees(void **state)
{
    (void)state;
    expect_tree("", "", "");
    expect_tree("a100", "a100", "a100");
    expect_tree("a100&rocky9", "AND(a100,rocky9)", "a100&rocky9");
    expect_tree("a100,rocky9", "AND(a100,rocky9)", "a100&rocky9");
    expect_tree("a|b|c", "OR(a,b,c)", "a|b|c");
    /* Left to right, no precedence: foo|bar&baz is (foo|bar)&baz. */
    expect_tree("foo|bar&baz", "AND(OR(foo,bar),baz)", "foo|bar&baz");
    expect_tree("a&b|c&d", "AND(OR(AND(a,b),c),d)", "a&b|c&d");
    expect_tree("(rhel8|rhel9)&a100", "AND(OR(rhel8,rhel9)[p],a100)", "(rhel8|rhel9)&a100");
    expect_tree("a&(b)", "AND(a,b[p])", "a&(b)");
    expect_tree("(a&b)&c", "AND(AND(a,b)[p],c)", "(a&b)&c");
    expect_tree("a100*2", "a100*2", "a100*2");
    expect_tree("[rack1*2&rack2*4]", "XAND(rack1*2,rack2*4)", "[rack1*2&rack2*4]");
    expect_tree("[rack1*2,rack2*4]", "XAND(rack1*2,rack2*4)", "[rack1*2&rack2*4]");
    expect_tree("[r1|r2|r3]", "MOR(r1,r2,r3)", "[r1|r2|r3]");
    expect_tree("[r1]", "MOR(r1)", "[r1]");
    expect_tree("[r1*3]", "XAND(r1*3)", "[r1*3]");
    expect_tree("[(a|b)*1&(c)*2]", "XAND(OR(a,b)[p]*1,c[p]*2)", "[(a|b)*1&(c)*2]");
    expect_tree("[r1|r2]&a100", "AND(MOR(r1,r2),a100)", "[r1|r2]&a100");
    expect_tree("a100&[x*1&y*2]|z", "OR(AND(a100,XAND(x*1,y*2)),z)", "a100&[x*1&y*2]|z");
    /* Blanks are part of a name, as in Slurm. */
    expect_tree("a b&c", "AND(a b,c)", "a b&c");
}

static void spans(void **state)
{
    (void)state;
    tide_constraint c;
    tide_err e = { 0 };
    assert_int_equal(tide_constraint_parse("ab&(cd|e)&[x*2&y*3]", &c, &e), 0);
    tide_cx *r = c.root;
    assert_int_equal(r->kind, TIDE_CX_AND);
    assert_int_equal(r->nkids, 3);
    assert_int_equal(r->pos, 0);
    assert_int_equal(r->len, 19);
    assert_int_equal(r->kids[0]->pos, 0);
    assert_int_equal(r->kids[0]->len, 2);
    assert_int_equal(r->kids[1]->pos, 3);
    assert_int_equal(r->kids[1]->len, 6);
    assert_int_equal(r->kids[1]->kids[1]->pos, 7);
    assert_int_equal(r->kids[2]->pos, 10);
    assert_int_equal(r->kids[2]->len, 9);
    assert_int_equal(r->kids[2]->kids[1]->pos, 15);
    assert_int_equal(r->kids[2]->kids[1]->len, 3);
    assert_int_equal(r->kids[2]->kids[1]->count, 3);
    tide_constraint_free(&c);
}

static void expect_error(const char *text, const char *msg)
{
    tide_constraint c;
    tide_err e = { 0 };
    assert_int_equal(tide_constraint_parse(text, &c, &e), -1);
    assert_null(c.root);
    assert_string_equal(e.msg, msg);
}

static void errors_name_the_column(void **state)
{
    (void)state;
    expect_error("a&&b", "constraint \"a&&b\": column 3: '&' must follow a feature");
    expect_error("&a", "constraint \"&a\": column 1: '&' must follow a feature");
    expect_error("a|,b", "constraint \"a|,b\": column 3: ',' must follow a feature");
    expect_error("a&", "constraint \"a&\": column 2: the constraint ends after '&'");
    expect_error("*2", "constraint \"*2\": column 1: '*' must follow a feature");
    expect_error("(a", "constraint \"(a\": column 1: '(' is never closed");
    expect_error("(", "constraint \"(\": column 1: '(' is never closed");
    expect_error("a)", "constraint \"a)\": column 2: ')' without a matching '('");
    expect_error(")", "constraint \")\": column 1: ')' without a matching '('");
    expect_error("()", "constraint \"()\": column 2: empty parentheses");
    expect_error("(a|)", "constraint \"(a|)\": column 4: ')' must follow a feature");
    expect_error("((a))", "constraint \"((a))\": column 2: nested parentheses are not allowed");
    expect_error("(a)b", "constraint \"(a)b\": column 4: 'b' must follow an operator ('&', ',' or '|')");
    expect_error("a(b)", "constraint \"a(b)\": column 2: '(' must follow an operator ('&', ',' or '|')");
    expect_error("[a", "constraint \"[a\": column 1: '[' is never closed");
    expect_error("a]", "constraint \"a]\": column 2: ']' without a matching '['");
    expect_error("[]", "constraint \"[]\": column 2: empty brackets");
    expect_error("[[a]]", "constraint \"[[a]]\": column 2: nested brackets are not allowed");
    expect_error("[a]&[b]", "constraint \"[a]&[b]\": column 5: only one [ ] is allowed per constraint");
    expect_error("[a][b]", "constraint \"[a][b]\": column 4: '[' must follow an operator ('&', ',' or '|')");
    expect_error("([a])", "constraint \"([a])\": column 2: '[' is not allowed inside parentheses");
    expect_error("[a]*2", "constraint \"[a]*2\": column 4: a count is not allowed after ']'");
    expect_error("[a*1&b]", "constraint \"[a*1&b]\": column 6: inside [ ], '&' needs a count on every part, "
                            "e.g. [rack1*2&rack2*4]");
    expect_error("[a*1|b]", "constraint \"[a*1|b]\": column 2: inside [ ], '|' alternatives take no count");
    expect_error("[a|b&c]", "constraint \"[a|b&c]\": column 3: '&' and '|' cannot be mixed inside [ ]");
    expect_error("[a*1&b*1|c]", "constraint \"[a*1&b*1|c]\": column 5: '&' and '|' cannot be mixed inside [ ]");
    expect_error("(a*2)", "constraint \"(a*2)\": column 3: a count ('*N') is not allowed inside parentheses");
    expect_error("(a|b)*2", "constraint \"(a|b)*2\": column 6: a count after ')' is allowed only inside [ ]");
    expect_error("a*2&b", "constraint \"a*2&b\": column 2: a count ('*N') outside [ ] is allowed only when the "
                          "constraint is that one feature");
    expect_error("a&b*2", "constraint \"a&b*2\": column 4: a count ('*N') outside [ ] is allowed only when the "
                          "constraint is that one feature");
    expect_error("a*0", "constraint \"a*0\": column 3: the count after '*' must be at least 1");
    expect_error("a*", "constraint \"a*\": column 3: '*' must be followed by a count (digits)");
    expect_error("a*x", "constraint \"a*x\": column 3: '*' must be followed by a count (digits)");
    expect_error("a*2x", "constraint \"a*2x\": column 4: 'x' must follow an operator ('&', ',' or '|')");
    expect_error("a*99999999999", "constraint \"a*99999999999\": column 2: the count after '*' is larger than 2147483647");
    expect_error("a\nb", "constraint \"a?b\": column 2: control character in a feature name");
}

static int has(const char *feature, void *arg)
{
    for (const char *const *f = arg; *f; f++)
        if (!strcmp(*f, feature))
            return 1;
    return 0;
}

static int matches(const char *text, const char **features)
{
    tide_constraint c;
    tide_err e = { 0 };
    assert_int_equal(tide_constraint_parse(text, &c, &e), 0);
    int r = tide_constraint_node_match(&c, has, features);
    tide_constraint_free(&c);
    return r;
}

static void node_matching(void **state)
{
    (void)state;
    const char *gpu9[] = { "a100", "rocky9", NULL };
    const char *gpu8[] = { "a100", "rhel8", NULL };
    const char *cpu[] = { "epyc", "rack2", NULL };
    assert_true(matches("", gpu9));
    assert_true(matches("a100&rocky9", gpu9));
    assert_false(matches("a100&rocky9", gpu8));
    assert_true(matches("(rhel8|rocky9)&a100", gpu8));
    assert_false(matches("(rhel8|rocky9)&a100", cpu));
    assert_true(matches("foo|a100&rocky9", gpu9));   /* (foo|a100)&rocky9 */
    assert_false(matches("a100|foo&rhel8", gpu9));
    assert_true(matches("[rack1*2&rack2*4]", cpu));
    assert_true(matches("[rack1|rack2]&epyc", cpu));
    assert_false(matches("[rack1|rack3]&epyc", cpu));
}

static void feature_list(void **state)
{
    (void)state;
    tide_constraint c;
    tide_err e = { 0 };
    tide_counts f = { 0 };
    assert_int_equal(tide_constraint_parse("a100&(rocky9|sles15)|a100,[r1*1&r2*2]", &c, &e), 0);
    tide_constraint_features(&c, &f);
    assert_int_equal(f.n, 5);
    assert_int_equal(tide_counts_get(&f, "a100"), 2);
    assert_int_equal(tide_counts_get(&f, "rocky9"), 1);
    assert_int_equal(tide_counts_get(&f, "r2"), 1);
    tide_counts_free(&f);
    tide_constraint_free(&c);
    tide_constraint_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(trees),
        cmocka_unit_test(spans),
        cmocka_unit_test(errors_name_the_column),
        cmocka_unit_test(node_matching),
        cmocka_unit_test(feature_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

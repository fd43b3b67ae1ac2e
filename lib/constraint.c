/* constraint.c - see constraint.h.  A recursive-descent parser, one function per rule. */
#include "constraint.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pattern.h"
#include "strbuf.h"

/* Error messages quote the constraint; a very long one is cut so the line stays readable. */
#define QUOTE_MAX 160

/* Where a sequence of items is being read: its rules differ. */
typedef enum { AT_TOP, IN_PAREN, IN_BRACKET } level;

typedef struct parser {
    const char *s;
    size_t      pos;
    int         seen_bracket;
    size_t      count_outside;   /* 1 + offset of a '*' outside [ ]; 0 when none */
    tide_err   *e;
} parser;

static int fail_at(parser *p, size_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail_at(parser *p, size_t pos, const char *fmt, ...)
{
    char why[512], quoted[QUOTE_MAX + 4];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    tide_excerpt(p->s, strlen(p->s), QUOTE_MAX, quoted, sizeof(quoted));
    return tide_err_set(p->e, "constraint \"%s\": column %zu: %s", quoted, pos + 1, why);
}

static int is_special(char c)
{
    return c == '*' || c == '&' || c == '|' || c == ',' || c == '[' || c == ']' || c == '(' || c == ')';
}

static int is_op(char c)
{
    return c == '&' || c == ',' || c == '|';
}

static tide_cx *new_node(tide_cx_kind kind, size_t pos)
{
    tide_cx *n = xcalloc(1, sizeof(*n));
    n->kind = kind;
    n->pos = pos;
    return n;
}

static void add_kid(tide_cx *n, tide_cx *kid)
{
    n->kids = xrealloc(n->kids, sizeof(*n->kids) * (n->nkids + 1));
    n->kids[n->nkids++] = kid;
}

static void free_node(tide_cx *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->nkids; i++)
        free_node(n->kids[i]);
    free(n->kids);
    free(n->name);
    free(n);
}

/* What was found where an item should start, for the error message. */
static int expected_item(parser *p, level lv, size_t op_pos)
{
    char c = p->s[p->pos];
    int first = op_pos == (size_t)-1;
    if (!c)
        return first ? fail_at(p, p->pos - 1, "'%c' is never closed", p->s[p->pos - 1])
                     : fail_at(p, op_pos, "the constraint ends after '%c'", p->s[op_pos]);
    if (is_op(c) || c == '*')
        return fail_at(p, p->pos, "'%c' must follow a feature", c);
    if (c == ')' && lv == IN_PAREN)
        return fail_at(p, p->pos, first ? "empty parentheses" : "')' must follow a feature");
    if (c == ']' && lv == IN_BRACKET)
        return fail_at(p, p->pos, first ? "empty brackets" : "']' must follow a feature");
    return fail_at(p, p->pos, "'%c' without a matching '%c'", c, c == ')' ? '(' : '[');
}

/* '*' N: p->pos is at the '*'. */
static int parse_count(parser *p, unsigned *out)
{
    size_t star = p->pos++;
    long long v = 0;
    size_t digits = 0;
    while (isdigit((unsigned char)p->s[p->pos])) {
        v = v * 10 + (p->s[p->pos++] - '0');
        digits++;
        if (v > INT_MAX)
            return fail_at(p, star, "the count after '*' is larger than %d", INT_MAX);
    }
    if (!digits)
        return fail_at(p, star + 1, "'*' must be followed by a count (digits)");
    if (v == 0)
        return fail_at(p, star + 1, "the count after '*' must be at least 1");
    *out = (unsigned)v;
    return 0;
}

static tide_cx *parse_seq(parser *p, level lv);

static tide_cx *parse_feature(parser *p, level lv)
{
    size_t start = p->pos;
    while (p->s[p->pos] && !is_special(p->s[p->pos])) {
        if (iscntrl((unsigned char)p->s[p->pos])) {
            fail_at(p, p->pos, "control character in a feature name");
            return NULL;
        }
        p->pos++;
    }
    tide_cx *n = new_node(TIDE_CX_FEATURE, start);
    n->name = xstrndup(p->s + start, p->pos - start);
    if (p->s[p->pos] == '*') {
        if (lv == IN_PAREN) {
            fail_at(p, p->pos, "a count ('*N') is not allowed inside parentheses");
            free_node(n);
            return NULL;
        }
        if (lv == AT_TOP && !p->count_outside)
            p->count_outside = p->pos + 1;
        if (parse_count(p, &n->count)) {
            free_node(n);
            return NULL;
        }
    }
    n->len = p->pos - start;
    return n;
}

/* '(' group ')' ['*' N]: p->pos is at the '('. */
static tide_cx *parse_paren(parser *p, level lv)
{
    size_t open = p->pos;
    if (lv == IN_PAREN) {
        fail_at(p, open, "nested parentheses are not allowed");
        return NULL;
    }
    p->pos++;
    tide_cx *n = parse_seq(p, IN_PAREN);
    if (!n)
        return NULL;
    if (p->s[p->pos] != ')') {
        fail_at(p, open, "'(' is never closed");
        free_node(n);
        return NULL;
    }
    p->pos++;
    n->paren = 1;
    n->pos = open;
    if (p->s[p->pos] == '*') {
        if (lv != IN_BRACKET) {
            fail_at(p, p->pos, "a count after ')' is allowed only inside [ ]");
            free_node(n);
            return NULL;
        }
        if (parse_count(p, &n->count)) {
            free_node(n);
            return NULL;
        }
    }
    n->len = p->pos - open;
    return n;
}

/* Check the rules of one bracket and turn its sequence into an XAND or MOR node. */
static tide_cx *finish_bracket(parser *p, tide_cx *seq, size_t open)
{
    tide_cx *b;
    if (seq->paren || seq->kind == TIDE_CX_FEATURE) {
        /* One part: a count makes it a node count, otherwise it is a one-way choice. */
        b = new_node(seq->count ? TIDE_CX_XAND : TIDE_CX_MOR, open);
        add_kid(b, seq);
    } else {
        b = seq;
        b->kind = seq->kind == TIDE_CX_AND ? TIDE_CX_XAND : TIDE_CX_MOR;
        b->pos = open;
    }
    for (size_t i = 0; i < b->nkids; i++) {
        tide_cx *k = b->kids[i];
        if (!k->paren && k->kind != TIDE_CX_FEATURE) {
            fail_at(p, k->kids[1]->pos - 1, "'&' and '|' cannot be mixed inside [ ]");
            free_node(b);
            return NULL;
        }
        if (b->kind == TIDE_CX_XAND && b->nkids > 1 && !k->count) {
            fail_at(p, k->pos, "inside [ ], '&' needs a count on every part, e.g. [rack1*2&rack2*4]");
            free_node(b);
            return NULL;
        }
        if (b->kind == TIDE_CX_MOR && k->count) {
            fail_at(p, k->pos, "inside [ ], '|' alternatives take no count");
            free_node(b);
            return NULL;
        }
    }
    return b;
}

/* '[' bracket ']': p->pos is at the '['. */
static tide_cx *parse_bracket(parser *p, level lv)
{
    size_t open = p->pos;
    if (lv == IN_PAREN) {
        fail_at(p, open, "'[' is not allowed inside parentheses");
        return NULL;
    }
    if (lv == IN_BRACKET) {
        fail_at(p, open, "nested brackets are not allowed");
        return NULL;
    }
    if (p->seen_bracket) {
        fail_at(p, open, "only one [ ] is allowed per constraint");
        return NULL;
    }
    p->seen_bracket = 1;
    p->pos++;
    tide_cx *seq = parse_seq(p, IN_BRACKET);
    if (!seq)
        return NULL;
    if (p->s[p->pos] != ']') {
        fail_at(p, open, "'[' is never closed");
        free_node(seq);
        return NULL;
    }
    p->pos++;
    tide_cx *b = finish_bracket(p, seq, open);
    if (!b)
        return NULL;
    b->len = p->pos - open;
    if (p->s[p->pos] == '*') {
        fail_at(p, p->pos, "a count is not allowed after ']'");
        free_node(b);
        return NULL;
    }
    return b;
}

static tide_cx *parse_item(parser *p, level lv, size_t op_pos)
{
    char c = p->s[p->pos];
    if (c == '(')
        return parse_paren(p, lv);
    if (c == '[')
        return parse_bracket(p, lv);
    if (c && !is_special(c))
        return parse_feature(p, lv);
    expected_item(p, lv, op_pos);
    return NULL;
}

/* item (op item)*, folded left to right: "a|b&c" is AND(OR(a,b),c). */
static tide_cx *parse_seq(parser *p, level lv)
{
    tide_cx *acc = parse_item(p, lv, (size_t)-1);
    if (!acc)
        return NULL;
    for (;;) {
        char c = p->s[p->pos];
        if (!c || (c == ')' && lv == IN_PAREN) || (c == ']' && lv == IN_BRACKET))
            return acc;
        if (!is_op(c)) {
            if (c == ')')
                fail_at(p, p->pos, "')' without a matching '('");
            else if (c == ']')
                fail_at(p, p->pos, "']' without a matching '['");
            else if (iscntrl((unsigned char)c))
                fail_at(p, p->pos, "control character in the constraint");
            else
                fail_at(p, p->pos, "'%c' must follow an operator ('&', ',' or '|')", c);
            free_node(acc);
            return NULL;
        }
        size_t op_pos = p->pos++;
        tide_cx *item = parse_item(p, lv, op_pos);
        if (!item) {
            free_node(acc);
            return NULL;
        }
        tide_cx_kind kind = c == '|' ? TIDE_CX_OR : TIDE_CX_AND;
        if (acc->kind != kind || acc->paren) {
            tide_cx *n = new_node(kind, acc->pos);
            add_kid(n, acc);
            acc = n;
        }
        add_kid(acc, item);
        acc->len = p->pos - acc->pos;
    }
}

int tide_constraint_parse(const char *s, tide_constraint *out, tide_err *e)
{
    parser p = { s ? s : "", 0, 0, 0, e };
    out->root = NULL;
    if (!*p.s)
        return 0;
    tide_cx *root = parse_seq(&p, AT_TOP);
    if (!root)
        return -1;
    if (p.count_outside && !(root->kind == TIDE_CX_FEATURE && !root->paren)) {
        fail_at(&p, p.count_outside - 1,
                "a count ('*N') outside [ ] is allowed only when the constraint is that one feature");
        free_node(root);
        return -1;
    }
    out->root = root;
    return 0;
}

void tide_constraint_free(tide_constraint *c)
{
    if (!c)
        return;
    free_node(c->root);
    c->root = NULL;
}

static void format_node(const tide_cx *n, strbuf *b)
{
    if (n->paren)
        strbuf_puts(b, "(");
    switch (n->kind) {
    case TIDE_CX_FEATURE:
        strbuf_puts(b, n->name);
        break;
    case TIDE_CX_XAND:
    case TIDE_CX_MOR:
        strbuf_puts(b, "[");
        /* fall through */
    case TIDE_CX_AND:
    case TIDE_CX_OR:
        for (size_t i = 0; i < n->nkids; i++) {
            if (i)
                strbuf_puts(b, n->kind == TIDE_CX_OR || n->kind == TIDE_CX_MOR ? "|" : "&");
            format_node(n->kids[i], b);
        }
        if (n->kind == TIDE_CX_XAND || n->kind == TIDE_CX_MOR)
            strbuf_puts(b, "]");
        break;
    }
    if (n->paren)
        strbuf_puts(b, ")");
    if (n->count)
        strbuf_printf(b, "*%u", n->count);
}

char *tide_constraint_format(const tide_constraint *c)
{
    strbuf b = STRBUF_INIT;
    if (c->root)
        format_node(c->root, &b);
    return strbuf_steal(&b);
}

static int node_match(const tide_cx *n, int (*has)(const char *, void *), void *arg)
{
    switch (n->kind) {
    case TIDE_CX_FEATURE:
        return has(n->name, arg) != 0;
    case TIDE_CX_AND:
        for (size_t i = 0; i < n->nkids; i++)
            if (!node_match(n->kids[i], has, arg))
                return 0;
        return 1;
    case TIDE_CX_OR:
    case TIDE_CX_XAND:
    case TIDE_CX_MOR:
        for (size_t i = 0; i < n->nkids; i++)
            if (node_match(n->kids[i], has, arg))
                return 1;
        return 0;
    }
    return 0;
}

int tide_constraint_node_match(const tide_constraint *c, int (*has_feature)(const char *, void *), void *arg)
{
    return c->root ? node_match(c->root, has_feature, arg) : 1;
}

static void collect(const tide_cx *n, tide_counts *out)
{
    if (n->kind == TIDE_CX_FEATURE)
        tide_counts_add(out, n->name, 1);
    for (size_t i = 0; i < n->nkids; i++)
        collect(n->kids[i], out);
}

void tide_constraint_features(const tide_constraint *c, tide_counts *out)
{
    if (c->root)
        collect(c->root, out);
}

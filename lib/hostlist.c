/*
 * hostlist.c - see hostlist.h.
 *
 * Expanding parses one name at a time into literal text and bracket groups,
 * counts the names it stands for (so a huge range fails before anything is
 * allocated), then writes them out with a mixed-radix counter.  Compressing
 * sorts the names by (prefix, number) and merges runs of numbers.
 */
#include "hostlist.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

#define MAX_DIGITS 18   /* keeps every number and every sum below 2^63 */

typedef unsigned long long num;

typedef struct range {
    num lo, hi;
    int width;          /* zero-pad to this many digits (the length of lo as written) */
} range;

/* A name is literal text followed by an optional bracket group, repeated. */
typedef struct seg {
    const char *lit;
    size_t      litlen;
    range      *ranges;   /* NULL for the last, literal-only segment */
    size_t      nranges;
    num         count;    /* names this group stands for (1 without a group) */
} seg;

typedef struct parser {
    const char *expr;     /* the whole expression, for messages */
    tide_err   *e;
} parser;

static int fail_at(parser *p, const char *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail_at(parser *p, const char *at, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    size_t len = strlen(p->expr);
    return tide_err_set(p->e, "hostlist \"%.200s%s\": position %zu: %s", p->expr, len > 200 ? "..." : "",
                        (size_t)(at - p->expr) + 1, msg);
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_sep(char c) { return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* A decimal number at *s; advances *s past it. */
static int parse_num(parser *p, const char **s, num *out, int *width)
{
    const char *start = *s;
    if (!is_digit(**s)) {
        if (!**s || **s == ']' || **s == ',')
            return fail_at(p, *s, "empty range");
        return fail_at(p, *s, "expected a number, found '%c'", **s);
    }
    num v = 0;
    while (is_digit(**s)) {
        if (*s - start >= MAX_DIGITS)
            return fail_at(p, start, "number longer than %d digits", MAX_DIGITS);
        v = v * 10 + (num)(**s - '0');
        (*s)++;
    }
    *out = v;
    *width = (int)(*s - start);
    return 0;
}

/* The group at s (just past '['), up to and including ']'.  Fills g; returns the end or NULL. */
static const char *parse_group(parser *p, const char *open, const char *s, seg *g)
{
    for (;;) {
        range r;
        const char *item = s;
        if (parse_num(p, &s, &r.lo, &r.width))
            return NULL;
        r.hi = r.lo;
        if (*s == '-') {
            int hw;
            s++;
            if (parse_num(p, &s, &r.hi, &hw))
                return NULL;
            if (r.hi < r.lo) {
                fail_at(p, item, "range %.*s goes down", (int)(s - item), item);
                return NULL;
            }
        }
        num size = r.hi - r.lo + 1;
        if (size > TIDE_HOSTLIST_MAX || g->count + size > TIDE_HOSTLIST_MAX) {
            fail_at(p, open, "expands to more than %d names", TIDE_HOSTLIST_MAX);
            return NULL;
        }
        g->ranges = xrealloc(g->ranges, sizeof(*g->ranges) * (g->nranges + 1));
        g->ranges[g->nranges++] = r;
        g->count += size;
        if (*s == ',') {
            s++;
            continue;
        }
        if (*s == ']')
            return s + 1;
        if (!*s) {
            fail_at(p, open, "'[' is never closed");
            return NULL;
        }
        if (*s == '[')
            fail_at(p, s, "'[' inside brackets (brackets do not nest)");
        else
            fail_at(p, s, "expected ',', '-' or ']', found '%c'", *s);
        return NULL;
    }
}

static void free_segs(seg *segs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(segs[i].ranges);
    free(segs);
}

/* The n-th value of a group (0-based, in the order written). */
static void group_value(const seg *g, num k, num *v, int *width)
{
    for (size_t i = 0; i < g->nranges; i++) {
        num size = g->ranges[i].hi - g->ranges[i].lo + 1;
        if (k < size) {
            *v = g->ranges[i].lo + k;
            *width = g->ranges[i].width;
            return;
        }
        k -= size;
    }
    *v = 0;
    *width = 0;   /* not reached: k < count */
}

/* One name of the list (text from s to end, no separators in it).  Appends to out. */
static int expand_name(parser *p, const char *s, const char *end, size_t have, tide_hostlist *out)
{
    seg *segs = NULL;
    size_t nsegs = 0;
    num total = 1;

    while (s < end) {
        const char *lit = s;
        while (s < end && *s != '[' && *s != ']')
            s++;
        if (s < end && *s == ']') {
            free_segs(segs, nsegs);
            return fail_at(p, s, "']' without '['");
        }
        segs = xrealloc(segs, sizeof(*segs) * (nsegs + 1));
        seg *g = &segs[nsegs++];
        memset(g, 0, sizeof(*g));
        g->lit = lit;
        g->litlen = (size_t)(s - lit);
        g->count = 1;
        if (s < end) {   /* '[' */
            g->count = 0;
            const char *after = parse_group(p, s, s + 1, g);
            if (!after) {
                free_segs(segs, nsegs);
                return -1;
            }
            s = after;
        }
        total *= g->count;   /* each count <= MAX and total <= MAX before: no overflow */
        if (total + have > TIDE_HOSTLIST_MAX) {
            free_segs(segs, nsegs);
            return fail_at(p, lit, "expands to more than %d names", TIDE_HOSTLIST_MAX);
        }
    }

    out->names = xrealloc(out->names, sizeof(*out->names) * (out->n + (size_t)total));
    strbuf b = STRBUF_INIT;
    for (num k = 0; k < total; k++) {
        /* Mixed radix: the last group varies fastest. */
        num rest = k, div = total;
        strbuf_reset(&b);
        for (size_t i = 0; i < nsegs; i++) {
            strbuf_add(&b, segs[i].lit, segs[i].litlen);
            if (!segs[i].ranges)
                continue;
            div /= segs[i].count;
            num v;
            int width;
            group_value(&segs[i], rest / div, &v, &width);
            rest %= div;
            strbuf_printf(&b, "%0*llu", width, v);
        }
        out->names[out->n++] = xstrdup(strbuf_str(&b));
    }
    strbuf_free(&b);
    free_segs(segs, nsegs);
    return 0;
}

int tide_hostlist_expand(const char *expr, tide_hostlist *hl, tide_err *e)
{
    parser p = { expr ? expr : "", e };
    tide_hostlist add = TIDE_HOSTLIST_INIT;
    const char *s = p.expr;

    while (*s) {
        while (is_sep(*s))
            s++;
        if (!*s)
            break;
        /* One name: up to a separator outside brackets. */
        const char *start = s, *open = NULL;
        for (; *s && (open || !is_sep(*s)); s++) {
            if (*s == '[' && !open)
                open = s;
            else if (*s == ']')
                open = NULL;
        }
        if (open) {   /* ran to the end inside brackets */
            tide_hostlist_free(&add);
            return fail_at(&p, open, "'[' is never closed");
        }
        if (expand_name(&p, start, s, hl->n + add.n, &add)) {
            tide_hostlist_free(&add);
            return -1;
        }
    }
    if (add.n) {
        hl->names = xrealloc(hl->names, sizeof(*hl->names) * (hl->n + add.n));
        memcpy(hl->names + hl->n, add.names, sizeof(*add.names) * add.n);
        hl->n += add.n;
    }
    free(add.names);
    return 0;
}

void tide_hostlist_push(tide_hostlist *hl, const char *name)
{
    hl->names = xrealloc(hl->names, sizeof(*hl->names) * (hl->n + 1));
    hl->names[hl->n++] = xstrdup(name);
}

int tide_hostlist_contains(const tide_hostlist *hl, const char *name)
{
    for (size_t i = 0; i < hl->n; i++)
        if (!strcmp(hl->names[i], name))
            return 1;
    return 0;
}

void tide_hostlist_free(tide_hostlist *hl)
{
    for (size_t i = 0; i < hl->n; i++)
        free(hl->names[i]);
    free(hl->names);
    hl->names = NULL;
    hl->n = 0;
}

/* ---- compress ---------------------------------------------------------- */

typedef struct entry {
    const char *name;
    size_t      prefix_len;  /* the name up to its trailing number (the whole name when it has none) */
    int         has_num;
    num         v;
    int         len;         /* digits of the number as written */
    size_t      order;       /* position in the input */
} entry;

static int cmp_entry(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    if (x->has_num != y->has_num)
        return x->has_num - y->has_num;
    size_t n = x->prefix_len < y->prefix_len ? x->prefix_len : y->prefix_len;
    int c = memcmp(x->name, y->name, n);
    if (c)
        return c;
    if (x->prefix_len != y->prefix_len)
        return x->prefix_len < y->prefix_len ? -1 : 1;
    if (x->v != y->v)
        return x->v < y->v ? -1 : 1;
    if (x->len != y->len)
        return x->len - y->len;
    return x->order < y->order ? -1 : x->order > y->order;
}

static int same_group(const entry *x, const entry *y)
{
    return x->has_num == y->has_num && x->prefix_len == y->prefix_len &&
           !memcmp(x->name, y->name, x->prefix_len) && (x->has_num || !strcmp(x->name, y->name));
}

static int ndigits(num v)
{
    int n = 1;
    while (v >= 10) {
        v /= 10;
        n++;
    }
    return n;
}

/* Whether printing x's number zero-padded to `width` gives the digits as written. */
static int fits(const entry *x, int width)
{
    int natural = ndigits(x->v);
    return x->len == (natural > width ? natural : width);
}

typedef struct group {
    size_t start, end;   /* entries [start, end) after sorting */
    size_t first;        /* earliest input position */
} group;

static int cmp_group(const void *a, const void *b)
{
    const group *x = a, *y = b;
    return x->first < y->first ? -1 : x->first > y->first;
}

static void render_group(const entry *ent, const group *g, strbuf *out)
{
    const entry *x = &ent[g->start];
    if (!x->has_num || g->end - g->start == 1) {
        strbuf_puts(out, x->name);
        return;
    }
    strbuf_add(out, x->name, x->prefix_len);
    strbuf_puts(out, "[");
    for (size_t i = g->start; i < g->end;) {
        const entry *lo = &ent[i];
        /* A number with a leading zero fixes the width; one without pads nothing. */
        int width = lo->len > ndigits(lo->v) ? lo->len : 0;
        size_t j = i + 1;
        while (j < g->end && ent[j].v == ent[j - 1].v + 1 && fits(&ent[j], width))
            j++;
        if (i > g->start)
            strbuf_puts(out, ",");
        strbuf_printf(out, "%0*llu", width, lo->v);
        if (j - i > 1)
            strbuf_printf(out, "-%0*llu", width, ent[j - 1].v);
        i = j;
    }
    strbuf_puts(out, "]");
}

char *tide_hostlist_compress(const char *const *names, size_t n)
{
    entry *ent = xcalloc(n ? n : 1, sizeof(*ent));
    for (size_t i = 0; i < n; i++) {
        entry *x = &ent[i];
        size_t len = strlen(names[i]), d = len;
        while (d > 0 && is_digit(names[i][d - 1]))
            d--;
        x->name = names[i];
        x->order = i;
        x->prefix_len = len;
        if (d < len && len - d <= MAX_DIGITS) {
            x->has_num = 1;
            x->prefix_len = d;
            x->len = (int)(len - d);
            for (size_t k = d; k < len; k++)
                x->v = x->v * 10 + (num)(names[i][k] - '0');
        }
    }
    qsort(ent, n, sizeof(*ent), cmp_entry);

    /* Drop duplicates (same group, same number as written), then cut into groups. */
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m && same_group(&ent[m - 1], &ent[i]) && ent[m - 1].v == ent[i].v && ent[m - 1].len == ent[i].len) {
            if (ent[i].order < ent[m - 1].order)
                ent[m - 1].order = ent[i].order;
            continue;
        }
        ent[m++] = ent[i];
    }
    group *groups = xcalloc(m ? m : 1, sizeof(*groups));
    size_t ngroups = 0;
    for (size_t i = 0; i < m; i++) {
        if (!ngroups || !same_group(&ent[groups[ngroups - 1].start], &ent[i])) {
            groups[ngroups].start = i;
            groups[ngroups].first = ent[i].order;
            ngroups++;
        }
        group *g = &groups[ngroups - 1];
        g->end = i + 1;
        if (ent[i].order < g->first)
            g->first = ent[i].order;
    }
    qsort(groups, ngroups, sizeof(*groups), cmp_group);

    strbuf out = STRBUF_INIT;
    for (size_t i = 0; i < ngroups; i++) {
        if (i)
            strbuf_puts(&out, ",");
        render_group(ent, &groups[i], &out);
    }
    free(groups);
    free(ent);
    return out.s ? strbuf_steal(&out) : xstrdup("");
}

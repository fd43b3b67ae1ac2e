/* pattern.c - see pattern.h. */
#include "pattern.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

/* Error messages quote the pattern; a very long one is cut so the line stays readable. */
#define QUOTE_MAX 160

/* One ':'-separated field of the input, by position. */
typedef struct field {
    const char *s;
    size_t      len;
    size_t      column;   /* 1-based byte column of its first character */
} field;

static int field_error(tide_err *e, const char *pattern, size_t index, const field *f,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int field_error(tide_err *e, const char *pattern, size_t index, const field *f,
                       const char *fmt, ...)
{
    char why[512], quoted[QUOTE_MAX + 4];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    tide_excerpt(pattern, strlen(pattern), QUOTE_MAX, quoted, sizeof(quoted));
    return tide_err_set(e, "pool pattern \"%s\": field %zu (column %zu): %s", quoted, index + 1, f->column, why);
}

void tide_excerpt(const char *s, size_t len, size_t max, char *buf, size_t size)
{
    size_t n = len < max ? len : max;
    if (n + 4 > size)
        n = size > 4 ? size - 4 : 0;
    for (size_t i = 0; i < n; i++)
        buf[i] = iscntrl((unsigned char)s[i]) ? '?' : s[i];
    if (n < len) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = 0;
}

char *tide_lowercase(const char *s)
{
    char *out = xstrdup(s);
    for (char *p = out; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return out;
}

/* A printable copy of a field for messages, cut at 40 bytes. */
static void field_text(const field *f, char *buf, size_t size)
{
    tide_excerpt(f->s, f->len, 40, buf, size);
}

/* Name and term fields: non-empty, no control characters, no blanks at either end. */
static int check_word(const char *pattern, size_t index, const field *f, const char *what, tide_err *e)
{
    char text[64];
    if (!f->len)
        return field_error(e, pattern, index, f, "empty %s", what);
    for (size_t i = 0; i < f->len; i++)
        if (iscntrl((unsigned char)f->s[i]))
            return field_error(e, pattern, index, f, "%s has a control character", what);
    if (isspace((unsigned char)f->s[0]) || isspace((unsigned char)f->s[f->len - 1])) {
        field_text(f, text, sizeof(text));
        return field_error(e, pattern, index, f, "%s \"%s\" starts or ends with a blank", what, text);
    }
    return 0;
}

/* SMD lower-cases group labels and allows only [-a-z0-9._] (and ':', which a pattern cannot hold). */
static int check_group(const char *pattern, const field *f, tide_err *e)
{
    char text[64];
    if (check_word(pattern, 0, f, "group name", e))
        return -1;
    for (size_t i = 0; i < f->len; i++) {
        int c = tolower((unsigned char)f->s[i]);
        if (!(isdigit(c) || (c >= 'a' && c <= 'z') || c == '-' || c == '.' || c == '_')) {
            field_text(f, text, sizeof(text));
            return field_error(e, pattern, 0, f,
                               "group name \"%s\" may hold only letters, digits, '-', '.' and '_'", text);
        }
    }
    return 0;
}

static int parse_qty(const char *pattern, size_t index, const field *f, int64_t *out, tide_err *e)
{
    char text[64];
    int64_t v = 0;
    field_text(f, text, sizeof(text));
    if (!f->len)
        return field_error(e, pattern, index, f, "empty quantity");
    for (size_t i = 0; i < f->len; i++) {
        if (!isdigit((unsigned char)f->s[i]))
            return field_error(e, pattern, index, f, "quantity \"%s\" is not a positive integer", text);
        v = v * 10 + (f->s[i] - '0');
        if (v > TIDE_PATTERN_MAX_QTY)
            return field_error(e, pattern, index, f, "quantity \"%s\" is larger than %lld", text,
                               (long long)TIDE_PATTERN_MAX_QTY);
    }
    if (v == 0)
        return field_error(e, pattern, index, f, "quantity \"%s\" must be at least 1", text);
    *out = v;
    return 0;
}

static int term_cmp(const void *a, const void *b)
{
    return strcmp(((const tide_pattern_term *)a)->name, ((const tide_pattern_term *)b)->name);
}

/* Split s on ':' into fields (caller frees the array). */
static field *split(const char *s, size_t *n)
{
    size_t count = 1;
    for (const char *p = s; *p; p++)
        count += *p == ':';
    field *f = xcalloc(count, sizeof(*f));
    const char *start = s;
    size_t i = 0;
    for (const char *p = s;; p++) {
        if (*p == ':' || !*p) {
            f[i].s = start;
            f[i].len = (size_t)(p - start);
            f[i].column = (size_t)(start - s) + 1;
            i++;
            if (!*p)
                break;
            start = p + 1;
        }
    }
    *n = count;
    return f;
}

static int parse(const char *s, int with_group, tide_pattern *out, tide_err *e)
{
    memset(out, 0, sizeof(*out));
    if (!s || !*s)
        return tide_err_set(e, "empty pool pattern: expected %s", with_group
                            ? "NAME:TERM:QTY[:TERM:QTY...], e.g. zinal:a100:4:memory:80"
                            : "TERM:QTY[:TERM:QTY...], e.g. a100:4:memory:80");
    size_t nf;
    field *f = split(s, &nf);
    size_t first = with_group ? 1 : 0;
    tide_pattern p = { 0 };
    size_t *term_field = NULL;
    char text[64];

    if (with_group) {
        if (check_group(s, &f[0], e))
            goto fail;
        if (nf == 1) {
            char quoted[QUOTE_MAX + 4];
            tide_excerpt(s, strlen(s), QUOTE_MAX, quoted, sizeof(quoted));
            tide_err_set(e, "pool pattern \"%s\" has no terms: expected NAME:TERM:QTY[:TERM:QTY...]", quoted);
            goto fail;
        }
        p.group = xstrndup(f[0].s, f[0].len);
        for (char *c = p.group; *c; c++)
            *c = (char)tolower((unsigned char)*c);
    }
    p.terms = xcalloc((nf - first) / 2 + 1, sizeof(*p.terms));
    term_field = xcalloc((nf - first) / 2 + 1, sizeof(*term_field));
    for (size_t i = first; i < nf; i += 2) {
        if (check_word(s, i, &f[i], "term", e))
            goto fail;
        if (i + 1 >= nf) {
            field_text(&f[i], text, sizeof(text));
            field_error(e, s, i, &f[i], "term \"%s\" has no quantity", text);
            goto fail;
        }
        char *name = xstrndup(f[i].s, f[i].len);
        for (char *c = name; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        for (size_t t = 0; t < p.nterms; t++) {
            if (!strcmp(p.terms[t].name, name)) {
                field_text(&f[i], text, sizeof(text));
                field_error(e, s, i, &f[i], "term \"%s\" repeats field %zu (terms are case-insensitive)",
                            text, term_field[t] + 1);
                free(name);
                goto fail;
            }
        }
        tide_pattern_term *t = &p.terms[p.nterms];
        t->name = name;
        t->is_memory = !strcmp(name, TIDE_PATTERN_MEMORY);
        term_field[p.nterms] = i;
        p.nterms++;
        if (parse_qty(s, i + 1, &f[i + 1], &t->qty, e))
            goto fail;
    }
    qsort(p.terms, p.nterms, sizeof(*p.terms), term_cmp);
    free(term_field);
    free(f);
    *out = p;
    return 0;

fail:
    free(term_field);
    free(f);
    tide_pattern_free(&p);
    return -1;
}

int tide_pattern_parse(const char *s, tide_pattern *out, tide_err *e)
{
    return parse(s, 1, out, e);
}

int tide_pattern_parse_terms(const char *s, tide_pattern *out, tide_err *e)
{
    return parse(s, 0, out, e);
}

int tide_pattern_match(const tide_pattern *p, const char *model)
{
    char small[256];
    size_t len = strlen(model);
    char *lower = len < sizeof(small) ? small : xmalloc(len + 1);
    for (size_t i = 0; i <= len; i++)
        lower[i] = (char)tolower((unsigned char)model[i]);
    int found = -1;
    for (size_t t = 0; t < p->nterms && found < 0; t++)
        if (!p->terms[t].is_memory && strstr(lower, p->terms[t].name))
            found = (int)t;
    if (lower != small)
        free(lower);
    return found;
}

char *tide_pattern_type_of(const tide_pattern *p, const char *model)
{
    int t = tide_pattern_match(p, model);
    return t >= 0 ? xstrdup(p->terms[t].name) : tide_lowercase(model);
}

const tide_pattern_term *tide_pattern_find(const tide_pattern *p, const char *name)
{
    for (size_t t = 0; t < p->nterms; t++)
        if (!strcmp(p->terms[t].name, name))
            return &p->terms[t];
    return NULL;
}

const tide_pattern_term *tide_pattern_memory(const tide_pattern *p)
{
    return tide_pattern_find(p, TIDE_PATTERN_MEMORY);
}

char *tide_pattern_format(const tide_pattern *p)
{
    strbuf b = STRBUF_INIT;
    if (p->group)
        strbuf_puts(&b, p->group);
    for (size_t t = 0; t < p->nterms; t++)
        strbuf_printf(&b, "%s%s:%lld", (t || p->group) ? ":" : "", p->terms[t].name,
                      (long long)p->terms[t].qty);
    return strbuf_steal(&b);
}

void tide_pattern_free(tide_pattern *p)
{
    if (!p)
        return;
    free(p->group);
    for (size_t t = 0; t < p->nterms; t++)
        free(p->terms[t].name);
    free(p->terms);
    memset(p, 0, sizeof(*p));
}

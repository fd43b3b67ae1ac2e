/* table.c - see table.h. */
#include "table.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tide_table {
    size_t      ncols;
    char      **headers;
    tide_align *align;
    char      **cells;   /* row-major, ncells of them */
    size_t      ncells, cap;
};

/* ---- display width ----------------------------------------------------- */

typedef struct range { uint32_t lo, hi; } range;

/* Zero width: combining marks, zero-width space/joiners, variation selectors. */
static const range zero_width[] = {
    { 0x0300, 0x036F }, { 0x0483, 0x0489 }, { 0x0591, 0x05BD }, { 0x0610, 0x061A },
    { 0x064B, 0x065F }, { 0x200B, 0x200F }, { 0x202A, 0x202E }, { 0x2060, 0x2064 },
    { 0x20D0, 0x20FF }, { 0xFE00, 0xFE0F }, { 0xFE20, 0xFE2F }, { 0xFEFF, 0xFEFF },
    { 0xE0100, 0xE01EF },
};

/* East Asian Wide/Fullwidth and emoji with emoji presentation (Unicode 15, condensed). */
static const range wide[] = {
    { 0x1100, 0x115F },  { 0x231A, 0x231B },  { 0x2329, 0x232A },  { 0x23E9, 0x23EC },
    { 0x23F0, 0x23F0 },  { 0x23F3, 0x23F3 },  { 0x25FD, 0x25FE },  { 0x2614, 0x2615 },
    { 0x2648, 0x2653 },  { 0x267F, 0x267F },  { 0x2693, 0x2693 },  { 0x26A1, 0x26A1 },
    { 0x26AA, 0x26AB },  { 0x26BD, 0x26BE },  { 0x26C4, 0x26C5 },  { 0x26CE, 0x26CE },
    { 0x26D4, 0x26D4 },  { 0x26EA, 0x26EA },  { 0x26F2, 0x26F3 },  { 0x26F5, 0x26F5 },
    { 0x26FA, 0x26FA },  { 0x26FD, 0x26FD },  { 0x2705, 0x2705 },  { 0x270A, 0x270B },
    { 0x2728, 0x2728 },  { 0x274C, 0x274C },  { 0x274E, 0x274E },  { 0x2753, 0x2755 },
    { 0x2757, 0x2757 },  { 0x2795, 0x2797 },  { 0x27B0, 0x27B0 },  { 0x27BF, 0x27BF },
    { 0x2B1B, 0x2B1C },  { 0x2B50, 0x2B50 },  { 0x2B55, 0x2B55 },  { 0x2E80, 0x303E },
    { 0x3041, 0x33FF },  { 0x3400, 0x4DBF },  { 0x4E00, 0x9FFF },  { 0xA000, 0xA4CF },
    { 0xA960, 0xA97F },  { 0xAC00, 0xD7A3 },  { 0xF900, 0xFAFF },  { 0xFE10, 0xFE19 },
    { 0xFE30, 0xFE6F },  { 0xFF00, 0xFF60 },  { 0xFFE0, 0xFFE6 },  { 0x16FE0, 0x18CFF },
    { 0x1B000, 0x1B2FF }, { 0x1F004, 0x1F004 }, { 0x1F0CF, 0x1F0CF }, { 0x1F18E, 0x1F18E },
    { 0x1F191, 0x1F19A }, { 0x1F200, 0x1F251 }, { 0x1F300, 0x1F320 }, { 0x1F32D, 0x1F335 },
    { 0x1F337, 0x1F37C }, { 0x1F37E, 0x1F393 }, { 0x1F3A0, 0x1F3CA }, { 0x1F3CF, 0x1F3D3 },
    { 0x1F3E0, 0x1F3F0 }, { 0x1F3F4, 0x1F3F4 }, { 0x1F3F8, 0x1F43E }, { 0x1F440, 0x1F440 },
    { 0x1F442, 0x1F4FC }, { 0x1F4FF, 0x1F53D }, { 0x1F54B, 0x1F54E }, { 0x1F550, 0x1F567 },
    { 0x1F57A, 0x1F57A }, { 0x1F595, 0x1F596 }, { 0x1F5A4, 0x1F5A4 }, { 0x1F5FB, 0x1F64F },
    { 0x1F680, 0x1F6C5 }, { 0x1F6CC, 0x1F6CC }, { 0x1F6D0, 0x1F6D2 }, { 0x1F6D5, 0x1F6D7 },
    { 0x1F6DC, 0x1F6DF }, { 0x1F6EB, 0x1F6EC }, { 0x1F6F4, 0x1F6FC }, { 0x1F7E0, 0x1F7EB },
    { 0x1F7F0, 0x1F7F0 }, { 0x1F90C, 0x1F93A }, { 0x1F93C, 0x1F945 }, { 0x1F947, 0x1F9FF },
    { 0x1FA70, 0x1FAFF }, { 0x20000, 0x2FFFD }, { 0x30000, 0x3FFFD },
};

static int in_ranges(uint32_t c, const range *r, size_t n)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c < r[mid].lo)
            hi = mid;
        else if (c > r[mid].hi)
            lo = mid + 1;
        else
            return 1;
    }
    return 0;
}

/* Decode one UTF-8 character at s; a malformed byte decodes as U+FFFD (1 column). */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
    size_t len;
    uint32_t c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        len = 2;
        c &= 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3;
        c &= 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4;
        c &= 0x07;
    } else {
        *cp = 0xFFFD;
        return 1;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *cp = 0xFFFD;
            return 1;
        }
        c = (c << 6) | (s[i] & 0x3F);
    }
    *cp = c;
    return len;
}

size_t tide_display_width(const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t w = 0;
    while (*p) {
        uint32_t c;
        p += utf8_next(p, &c);
        if (c < 0x20 || (c >= 0x7F && c < 0xA0) || in_ranges(c, zero_width, sizeof(zero_width) / sizeof(range)))
            continue;
        w += in_ranges(c, wide, sizeof(wide) / sizeof(range)) ? 2 : 1;
    }
    return w;
}

/* ---- the table -------------------------------------------------------- */

tide_table *tide_table_new(size_t ncols, const char *const *headers)
{
    tide_table *t = xcalloc(1, sizeof(*t));
    t->ncols = ncols ? ncols : 1;
    t->headers = xcalloc(t->ncols, sizeof(char *));
    t->align = xcalloc(t->ncols, sizeof(tide_align));
    for (size_t i = 0; i < ncols; i++)
        t->headers[i] = xstrdup(headers && headers[i] ? headers[i] : "");
    if (!ncols)
        t->headers[0] = xstrdup("");
    return t;
}

void tide_table_free(tide_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->ncols; i++)
        free(t->headers[i]);
    for (size_t i = 0; i < t->ncells; i++)
        free(t->cells[i]);
    free(t->headers);
    free(t->align);
    free(t->cells);
    free(t);
}

void tide_table_align(tide_table *t, size_t col, tide_align a)
{
    if (col < t->ncols)
        t->align[col] = a;
}

void tide_table_cell(tide_table *t, const char *text)
{
    if (t->ncells == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 64;
        t->cells = xrealloc(t->cells, sizeof(char *) * t->cap);
    }
    t->cells[t->ncells++] = xstrdup(text ? text : "");
}

void tide_table_cellf(tide_table *t, const char *fmt, ...)
{
    va_list ap;
    char *s;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        abort();
    va_end(ap);
    tide_table_cell(t, s);
    free(s);
}

size_t tide_table_rows(const tide_table *t)
{
    return t->ncells / t->ncols;
}

/* Append text padded to `width` columns; the last column gets no trailing blanks. */
static void put_cell(strbuf *out, const char *text, size_t width, tide_align a, int last)
{
    size_t w = tide_display_width(text), pad = width > w ? width - w : 0;
    size_t before = a == TIDE_ALIGN_RIGHT ? pad : a == TIDE_ALIGN_CENTER ? pad / 2 : 0;
    size_t after = pad - before;

    for (size_t i = 0; i < before; i++)
        strbuf_add(out, " ", 1);
    strbuf_puts(out, text);
    if (!last)
        for (size_t i = 0; i < after; i++)
            strbuf_add(out, " ", 1);
}

static void put_line(strbuf *out, const tide_table *t, const size_t *width, char *const *cells, size_t ncells,
                     int heading)
{
    size_t start = out->len;
    for (size_t c = 0; c < t->ncols; c++) {
        if (c)
            strbuf_puts(out, "  ");
        put_cell(out, c < ncells ? cells[c] : "", width[c], heading ? TIDE_ALIGN_LEFT : t->align[c],
                 c + 1 == t->ncols);
    }
    /* An empty last cell still leaves the separator and padding of the one before: trim it. */
    while (out->len > start && out->s[out->len - 1] == ' ')
        out->s[--out->len] = '\0';
    strbuf_add(out, "\n", 1);
}

void tide_table_render(const tide_table *t, strbuf *out)
{
    size_t *width = xcalloc(t->ncols, sizeof(size_t));
    size_t nrows = (t->ncells + t->ncols - 1) / t->ncols;

    for (size_t c = 0; c < t->ncols; c++)
        width[c] = tide_display_width(t->headers[c]);
    for (size_t i = 0; i < t->ncells; i++) {
        size_t w = tide_display_width(t->cells[i]);
        if (w > width[i % t->ncols])
            width[i % t->ncols] = w;
    }
    put_line(out, t, width, t->headers, t->ncols, 1);
    for (size_t r = 0; r < nrows; r++) {
        size_t first = r * t->ncols;
        size_t n = t->ncells - first < t->ncols ? t->ncells - first : t->ncols;
        put_line(out, t, width, t->cells + first, n, 0);
    }
    free(width);
}

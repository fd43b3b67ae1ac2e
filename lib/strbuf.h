/*
 * strbuf.h - a growable NUL-terminated byte buffer.
 *
 * Used for HTTP bodies, URLs and table output.  Allocation failure aborts: a
 * tool that cannot allocate a few kilobytes has no sane way to go on.
 */
#ifndef TIDE_STRBUF_H
#define TIDE_STRBUF_H

#include <stddef.h>

typedef struct strbuf {
    char  *s;     /* always NUL-terminated once anything was added; NULL when empty */
    size_t len;
    size_t cap;
} strbuf;

#define STRBUF_INIT { NULL, 0, 0 }

void  strbuf_add(strbuf *b, const void *data, size_t n);
void  strbuf_puts(strbuf *b, const char *s);
void  strbuf_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append s URL-encoded (RFC 3986 unreserved characters kept). */
void  strbuf_urlencode(strbuf *b, const char *s);
/* Append s as one URL path segment: percent-encoded like strbuf_urlencode, but ':' kept, since
 * RFC 3986 allows it in a segment and group labels use it ("slurm:pool"). */
void  tide_urlencode_segment(strbuf *b, const char *s);
const char *strbuf_str(const strbuf *b);   /* "" when empty */
char *strbuf_steal(strbuf *b);             /* caller frees; buffer is reset */
void  strbuf_reset(strbuf *b);             /* keep the allocation, length 0 */
void  strbuf_free(strbuf *b);

/* Allocation helpers that abort on failure (xmalloc-style). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif

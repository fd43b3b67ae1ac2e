/*
 * hostlist.h - Slurm host lists that work for xnames.
 *
 * Slurm writes sets of nodes as `x1000c0s0b0n[0-1],x1000c0s1b0n0`.  libslurm
 * 22.05 refuses a bracket that is not at the end of a name
 * (`x1000c0s[0-7]b0n0`), which is the natural way to write xnames, so tide
 * parses host lists itself:
 *
 *   - the list is split at commas and blanks outside brackets;
 *   - a name holds any number of bracket groups, anywhere:
 *     `x1000c0s[0-7]b0n[0-1]` is 16 names, the leftmost group varying slowest;
 *   - a group is a comma list of numbers and ranges: `[1-3,5]`;
 *   - zero padding is kept, as Slurm keeps it: the width of a range is the
 *     length of its first number (`b[01-02]` is b01,b02; `[8-10]` is 8,9,10).
 *
 * Compressing goes the other way and, like Slurm, builds ranges on the last
 * number of a name only when it ends the name (`x1000c0s0b0n[0-1]`), a form
 * every Slurm version parses.  No I/O.
 */
#ifndef TIDE_HOSTLIST_H
#define TIDE_HOSTLIST_H

#include <stddef.h>

#include "err.h"

/* The most names one expression may expand to (a typo like n[0-999999999] must not eat the memory). */
#define TIDE_HOSTLIST_MAX 262144

typedef struct tide_hostlist {
    char  **names;   /* owned */
    size_t  n;
} tide_hostlist;

#define TIDE_HOSTLIST_INIT { NULL, 0 }

/*
 * Expand `expr` and append its names to hl (in the order written; duplicates
 * kept, as Slurm keeps them).  An empty expression adds nothing.  On error hl
 * is left as it was and e says what is wrong and where:
 *   hostlist "x[1-": position 2: '[' is never closed
 */
int tide_hostlist_expand(const char *expr, tide_hostlist *hl, tide_err *e);

/* Append one name as is (a copy). */
void tide_hostlist_push(tide_hostlist *hl, const char *name);
/* 1 when hl holds `name`. */
int tide_hostlist_contains(const tide_hostlist *hl, const char *name);
void tide_hostlist_free(tide_hostlist *hl);

/*
 * The shortest Slurm form of a set of names: duplicates dropped, names that
 * differ only in their trailing number merged into `prefix[ranges]` with the
 * numbers in increasing order; the groups come in the order their first name
 * appears.  Returns a malloc'd string ("" for no names).
 */
char *tide_hostlist_compress(const char *const *names, size_t n);

#endif

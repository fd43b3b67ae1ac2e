/*
 * pattern.h - clstr pool patterns: how much hardware a group should hold.
 *
 *     zinal:nvidia:2:mi200:4:7742:6:memory:80
 *     NAME :TERM :QTY(:TERM:QTY)*
 *
 * Syntax.  Fields are separated by ':'.  The whole pattern is case-insensitive
 * and is stored lower-cased.  NAME is the SMD group label (SMD's label
 * characters: a-z 0-9 - . _).  Every TERM is followed by a QTY: a positive
 * decimal integer (leading zeros allowed, at most 1000000000).  These are
 * errors, each reported with the field number and column it is about:
 * a NAME or TERM that is empty, has leading or trailing blanks or a control
 * character; a TERM with no QTY (an even number of fields); a QTY that is not
 * a positive integer; a TERM given twice (compared case-insensitively).
 * clstr keeps the last of duplicated terms; tide refuses them.
 *
 * Matching (clstr's, extended to HSN NICs).  The terms are sorted (byte order
 * of the lower-cased names) and every processor socket, accelerator device
 * and HSN NIC of a node counts once, under the first term in that order that
 * is a substring of its lower-cased model.  Processors, accelerators and NICs
 * share this one term list, as processors and accelerators do in clstr, so
 * "amd" counts AMD CPUs and AMD GPUs alike.  A model no term matches counts
 * under its own lower-cased model string, a type nobody asked for.
 *
 * "memory" is reserved: memory:N asks for N memory units, where a node holds
 * floor(total populated CapacityMiB / 16384) units (clstr's per-node floor;
 * empty DIMM slots hold nothing).  The memory term never matches a model.
 *
 * Pure logic, no I/O.
 */
#ifndef TIDE_PATTERN_H
#define TIDE_PATTERN_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define TIDE_PATTERN_MAX_QTY 1000000000LL
#define TIDE_PATTERN_MEMORY "memory"

typedef struct tide_pattern_term {
    char   *name;        /* lower-cased */
    int64_t qty;         /* > 0 */
    int     is_memory;   /* the reserved term "memory" */
} tide_pattern_term;

typedef struct tide_pattern {
    char              *group;   /* lower-cased group label; NULL from tide_pattern_parse_terms */
    tide_pattern_term *terms;   /* sorted by name (strcmp): the order matching uses */
    size_t             nterms;
} tide_pattern;

/* Parse NAME:TERM:QTY(:TERM:QTY)*.  On error *out is left empty. */
int tide_pattern_parse(const char *s, tide_pattern *out, tide_err *e);
/* Parse TERM:QTY(:TERM:QTY)* (no group name, as manta's CLI takes it). */
int tide_pattern_parse_terms(const char *s, tide_pattern *out, tide_err *e);

/* The index of the term a component model counts under, or -1 (it counts as itself). */
int tide_pattern_match(const tide_pattern *p, const char *model);
/* The type name a model counts under: the term's name, or the lower-cased model. Caller frees. */
char *tide_pattern_type_of(const tide_pattern *p, const char *model);
/* The memory term, NULL when the pattern asks for no memory. */
const tide_pattern_term *tide_pattern_memory(const tide_pattern *p);
/* The term named name (lower-case), NULL when absent. */
const tide_pattern_term *tide_pattern_find(const tide_pattern *p, const char *name);

/* Canonical text: lower-cased, terms sorted ("zinal:7742:6:memory:80:mi200:4:nvidia:2"). Caller frees. */
char *tide_pattern_format(const tide_pattern *p);

/* A printable excerpt of s[0..len) for error messages (also constraint.c's): at most max bytes,
 * control characters as '?', "..." when cut.  buf needs max + 4 bytes. */
void tide_excerpt(const char *s, size_t len, size_t max, char *buf, size_t size);

/* ASCII lower-case copy of s.  Caller frees. */
char *tide_lowercase(const char *s);

void tide_pattern_free(tide_pattern *p);

#endif

/*
 * constraint.h - Slurm --constraint / --prefer expressions, parsed into a tree.
 *
 * The grammar is what slurmctld's build_feature_list() accepts (23.02 and
 * later, the stricter of the supported versions):
 *
 *   constraint := item (op item)*            op: '&' or ',' (AND), '|' (OR)
 *   item       := feature ['*' N]             a count only when the whole
 *                                             constraint is this one feature
 *               | '(' group ')'
 *               | '[' bracket ']'             at most one per constraint
 *   group      := feature (op feature)*       no nesting, no counts, no [ ]
 *   bracket    := bitem ('&' bitem)*          with a count on every bitem (XAND)
 *               | bitem ('|' bitem)*          with no count at all (matching OR)
 *   bitem      := feature ['*' N] | '(' group ')' ['*' N]
 *   feature    := one or more characters other than * & | , [ ] ( ) and
 *                 control characters (blanks are part of the name, as in Slurm)
 *   N          := decimal digits, 1 .. 2147483647
 *
 * Operators are applied left to right with no precedence, as Slurm does:
 * "a|b&c" is (a|b)&c.  A comma is an '&' (slurmctld rewrites it so).  The empty
 * string is a valid constraint with no tree (no constraint at all).
 * Errors name the column of the character at fault.
 *
 * Pure logic, no I/O.
 */
#ifndef TIDE_CONSTRAINT_H
#define TIDE_CONSTRAINT_H

#include <stddef.h>

#include "err.h"
#include "model.h"

typedef enum tide_cx_kind {
    TIDE_CX_FEATURE,   /* a node feature, maybe with a count */
    TIDE_CX_AND,       /* a&b&c: every child */
    TIDE_CX_OR,        /* a|b|c: any child */
    TIDE_CX_XAND,      /* [a*2&b*4]: so many nodes with each child */
    TIDE_CX_MOR,       /* [a|b]: all nodes match the same child ("matching OR") */
} tide_cx_kind;

typedef struct tide_cx {
    tide_cx_kind     kind;
    char            *name;     /* TIDE_CX_FEATURE only */
    unsigned         count;    /* the '*N' after this item; 0 when none */
    int              paren;    /* this item was written as "( ... )" */
    size_t           pos;      /* byte offset of the item in the source */
    size_t           len;      /* its length in bytes, parentheses and count included */
    struct tide_cx **kids;     /* operands of AND, OR, XAND, MOR (at least one) */
    size_t           nkids;
} tide_cx;

typedef struct tide_constraint {
    tide_cx *root;   /* NULL for the empty constraint */
} tide_constraint;

/* Parse s.  On error *out is left empty and e says which column and why. */
int tide_constraint_parse(const char *s, tide_constraint *out, tide_err *e);
void tide_constraint_free(tide_constraint *c);

/* The constraint as slurmctld stores it: ',' written as '&', nothing else changed. Caller frees. */
char *tide_constraint_format(const tide_constraint *c);

/* Whether one node with these features can take part in an allocation that
 * satisfies the constraint.  Counts and matching OR constrain the allocation
 * as a whole and are not checked here: a bracket matches a node that matches
 * any of its parts.  The empty constraint matches every node. */
int tide_constraint_node_match(const tide_constraint *c,
                               int (*has_feature)(const char *feature, void *arg), void *arg);

/* Every feature name the constraint mentions, with how often (added to *out). */
void tide_constraint_features(const tide_constraint *c, tide_counts *out);

#endif

/*
 * fuzz_constraint.c - libFuzzer target for Slurm constraint expressions (lib/constraint.c).
 *
 * Any input: an error must be one line naming a column inside the input; a
 * constraint that parses must print to a canonical text that parses to the
 * same text again, with spans inside the input, and evaluate against a node
 * without trouble.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "constraint.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int has_feature(const char *feature, void *arg)
{
    (void)arg;
    return (strlen(feature) & 1) != 0;   /* an arbitrary but fixed node */
}

static void check_spans(const tide_cx *n, size_t len)
{
    if (n->pos + n->len > len || !n->len)
        abort();
    if (n->kind == TIDE_CX_FEATURE ? (n->nkids || !n->name || !n->name[0]) : !n->nkids)
        abort();
    for (size_t i = 0; i < n->nkids; i++)
        check_spans(n->kids[i], len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = xstrndup((const char *)data, size);
    tide_constraint c, again;
    tide_err e = { 0 };
    if (tide_constraint_parse(text, &c, &e)) {
        /* constraint "<input, maybe cut>": column N: why -- the input may hold '": column ' itself. */
        const char *col = NULL;
        for (const char *at = e.msg; (at = strstr(at, "\": column ")); at++)
            col = at + 10;
        if (!col || strchr(e.msg, '\n') || c.root)
            abort();
        if ((size_t)strtoul(col, NULL, 10) > strlen(text) + 1 || strtoul(col, NULL, 10) < 1)
            abort();
        free(text);
        return 0;
    }
    if (c.root)
        check_spans(c.root, strlen(text));
    char *out = tide_constraint_format(&c);
    if (tide_constraint_parse(out, &again, &e))
        abort();
    char *out2 = tide_constraint_format(&again);
    if (strcmp(out, out2))
        abort();
    (void)tide_constraint_node_match(&c, has_feature, NULL);
    tide_counts features = { 0 };
    tide_constraint_features(&c, &features);
    tide_counts_free(&features);
    free(out);
    free(out2);
    tide_constraint_free(&again);
    tide_constraint_free(&c);
    free(text);
    return 0;
}

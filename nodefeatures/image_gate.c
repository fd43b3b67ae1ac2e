/* image_gate.c - the image check of `tide-node prolog`.  See image_gate.h. */
#include "image_gate.h"

#include <stdio.h>
#include <string.h>

#include "constraint.h"
#include "err.h"
#include "strbuf.h"

typedef struct gate_ctx {
    const char *booted;
    const char *const *images;
    size_t nimages;
} gate_ctx;

static int is_image(const gate_ctx *g, const char *f)
{
    for (size_t i = 0; i < g->nimages; i++)
        if (!strcmp(g->images[i], f))
            return 1;
    return 0;
}

/* The node as far as the gate knows it: the booted image is its only image, and it has every other feature. */
static int has_feature(const char *feature, void *arg)
{
    const gate_ctx *g = arg;
    if (is_image(g, feature))
        return g->booted && !strcmp(feature, g->booted);
    return 1;
}

tide_gate tide_image_gate(const char *constraint, const char *booted, const char *const *images, size_t nimages,
                          char *why, size_t why_len)
{
    gate_ctx g = { booted, images, nimages };
    tide_constraint c;
    tide_err e;

    if (!constraint || !*constraint) {
        snprintf(why, why_len, "the job has no constraint");
        return TIDE_GATE_PASS;
    }
    if (tide_constraint_parse(constraint, &c, &e)) {
        snprintf(why, why_len, "cannot read the constraint '%s' (%s): not checked", constraint, e.msg);
        return TIDE_GATE_PASS;
    }
    /* The images it names, for the message (and: none named, nothing to check). */
    tide_counts named = { 0 };
    tide_constraint_features(&c, &named);
    strbuf list = STRBUF_INIT;
    for (size_t i = 0; i < named.n; i++)
        if (is_image(&g, named.items[i].name))
            strbuf_printf(&list, "%s%s", list.len ? "," : "", named.items[i].name);
    tide_counts_free(&named);

    tide_gate verdict = TIDE_GATE_PASS;
    if (!list.len)
        snprintf(why, why_len, "the constraint '%s' names no image", constraint);
    else if (!booted)
        snprintf(why, why_len, "the node was not booted by tide (no tide.image=): not checked");
    else if (tide_constraint_node_match(&c, has_feature, &g))
        snprintf(why, why_len, "booted in %s, as the constraint '%s' asks", booted, constraint);
    else {
        snprintf(why, why_len, "the job asks for image %s (constraint '%s') but this node booted %s",
                 strbuf_str(&list), constraint, booted);
        verdict = TIDE_GATE_REFUSE;
    }
    strbuf_free(&list);
    tide_constraint_free(&c);
    return verdict;
}

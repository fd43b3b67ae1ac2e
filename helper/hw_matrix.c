/*
 * hw_matrix.c - clstr's hardware matrix: a row per node, a column per
 * processor, accelerator and HSN NIC model and per DIMM size found among the
 * nodes, cells "✅ (count)" or "❌", and an ERROR column naming empty slots.
 * Shared by `tide inventory` and `tide pool plan`.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* DIMM sizes are counted under decimal strings; order them by value. */
static int cmp_size(const void *a, const void *b)
{
    long long x = atoll(((const tide_count *)a)->name), y = atoll(((const tide_count *)b)->name);
    return x < y ? -1 : x > y;
}

/* One family of columns: the models (or sizes) seen in any node of the group. */
typedef struct column_family {
    tide_counts seen;                              /* names; counts unused */
    const tide_counts *(*of)(const tide_node_hw *);
    const char *suffix;                            /* appended to the heading (" MiB" for DIMMs) */
} column_family;

static const tide_counts *processors_of(const tide_node_hw *n) { return &n->processors; }
static const tide_counts *accelerators_of(const tide_node_hw *n) { return &n->accelerators; }
static const tide_counts *dimms_of(const tide_node_hw *n) { return &n->dimms; }
static const tide_counts *hsn_nics_of(const tide_node_hw *n) { return &n->hsn_nics; }

tide_table *cli_hw_matrix(char *const *xnames, size_t n, const tide_node_hw *const *hw)
{
    column_family fam[] = {
        { { NULL, 0 }, processors_of, "" },
        { { NULL, 0 }, accelerators_of, "" },
        { { NULL, 0 }, dimms_of, " MiB" },
        { { NULL, 0 }, hsn_nics_of, "" },
    };
    const size_t nfam = sizeof(fam) / sizeof(fam[0]);
    size_t ncols = 2;

    for (size_t f = 0; f < nfam; f++) {
        for (size_t i = 0; i < n; i++) {
            const tide_counts *c = hw[i] ? fam[f].of(hw[i]) : NULL;
            for (size_t k = 0; c && k < c->n; k++)
                tide_counts_add(&fam[f].seen, c->items[k].name, 1);
        }
        ncols += fam[f].seen.n;
    }
    if (fam[2].seen.n)
        qsort(fam[2].seen.items, fam[2].seen.n, sizeof(tide_count), cmp_size);

    char **headers = xcalloc(ncols, sizeof(char *));
    size_t col = 0;
    headers[col++] = xstrdup("NODE");
    for (size_t f = 0; f < nfam; f++)
        for (size_t k = 0; k < fam[f].seen.n; k++)
            headers[col++] = xasprintf("%s%s", fam[f].seen.items[k].name, fam[f].suffix);
    headers[col++] = xstrdup("ERROR");

    tide_table *t = tide_table_new(ncols, (const char *const *)headers);
    for (size_t c = 1; c + 1 < ncols; c++)
        tide_table_align(t, c, TIDE_ALIGN_CENTER);
    for (size_t i = 0; i < n; i++) {
        tide_table_cell(t, xnames[i]);
        for (size_t f = 0; f < nfam; f++)
            for (size_t k = 0; k < fam[f].seen.n; k++) {
                int count = hw[i] ? tide_counts_get(fam[f].of(hw[i]), fam[f].seen.items[k].name) : 0;
                if (count)
                    tide_table_cellf(t, "✅ (%d)", count);
                else
                    tide_table_cell(t, "❌");
            }
        if (!hw[i]) {
            tide_table_cell(t, "no hardware inventory in SMD");
            continue;
        }
        strbuf err = STRBUF_INIT;
        for (size_t k = 0; k < hw[i]->nempty; k++)
            strbuf_printf(&err, "%s%s", k ? ", " : hw[i]->nempty > 1 ? "empty slots: " : "empty slot: ",
                          hw[i]->empty_slots[k]);
        tide_table_cell(t, strbuf_str(&err));
        strbuf_free(&err);
    }

    for (size_t c = 0; c < ncols; c++)
        free(headers[c]);
    free(headers);
    for (size_t f = 0; f < nfam; f++)
        tide_counts_free(&fam[f].seen);
    return t;
}

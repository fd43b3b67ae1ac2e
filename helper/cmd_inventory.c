/*
 * cmd_inventory.c - `tide inventory GROUP`: clstr's `get hsm artifacts`.
 *
 * A row per node of the group, a column per processor, accelerator and HSN
 * NIC model and per DIMM size found in the group, cells "✅ (count)" or "❌",
 * and an ERROR column naming empty slots.  Two SMD calls whatever the group's
 * size: GET /groups/{label} and one GET /Inventory/Hardware/Query/s0.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "inventory.h"
#include "xname.h"

static const char help[] =
    "Usage: tide inventory [--json] GROUP\n"
    "\n"
    "The hardware of every node of the SMD group GROUP: one row per node, one column\n"
    "per processor, accelerator and HSN NIC model and per DIMM size, cells\n"
    "\"✅ (count)\" or \"❌\", and an ERROR column listing empty slots.\n"
    "\n"
    "  --json   {\"group\": G, \"nodes\": [{\"xname\": X, \"processors\": {MODEL: N},\n"
    "            \"accelerators\": {MODEL: N}, \"memory_mib\": N, \"hsn_nics\": {MODEL: N}}]}\n"
    "  --help   this help\n";

static int cmp_xname_ptr(const void *a, const void *b)
{
    return tide_xname_cmp(*(char *const *)a, *(char *const *)b);
}

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

static int print_matrix(char **xnames, size_t n, const tide_node_hw **hw)
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
    return cli_print_table(t);
}

static json_object *matrix_json(const char *label, char **xnames, size_t n, const tide_node_hw **hw)
{
    json_object *o = json_object_new_object(), *nodes = json_object_new_array();
    json_object_object_add(o, "group", json_object_new_string(label));
    for (size_t i = 0; i < n; i++)
        json_object_array_add(nodes, cli_node_hw_json(xnames[i], hw[i]));
    json_object_object_add(o, "nodes", nodes);
    return o;
}

int cmd_inventory(tide_cli *cli, int argc, char **argv)
{
    cli_opts o;
    tide_err e = { 0 };
    tide_group g;
    const tide_inventory *inv;
    int rc = cli_parse_options("inventory", argc, argv, help, 0, "GROUP", 1, 1, &o);

    if (rc >= 0)
        return rc;
    tide_site *site = cli_site(cli, &e);
    if (!site)
        return cli_fail(&e);
    if (tide_site_group(site, o.args[0], &g, &e))
        return cli_fail(&e);
    if (tide_site_inventory(site, &inv, &e)) {
        tide_group_free(&g);
        return cli_fail(&e);
    }

    /* Rows in the order admins read xnames (x2 before x10), whatever SMD's order. */
    char **xnames = g.nmembers ? xmalloc(sizeof(char *) * g.nmembers) : NULL;
    const tide_node_hw **hw = g.nmembers ? xmalloc(sizeof(*hw) * g.nmembers) : NULL;
    if (g.nmembers) {
        memcpy(xnames, g.members, sizeof(char *) * g.nmembers);
        qsort(xnames, g.nmembers, sizeof(char *), cmp_xname_ptr);
    }
    for (size_t i = 0; i < g.nmembers; i++)
        hw[i] = tide_inventory_find(inv, xnames[i]);

    if (o.json)
        rc = cli_print_json(matrix_json(g.label, xnames, g.nmembers, hw));
    else
        rc = print_matrix(xnames, g.nmembers, hw);
    free(xnames);
    free(hw);
    tide_group_free(&g);
    return rc;
}

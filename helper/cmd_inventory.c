/*
 * cmd_inventory.c - `tide inventory GROUP`: clstr's `get hsm artifacts`.
 *
 * A row per node of the group, a column per processor, accelerator and HSN
 * NIC model and per DIMM size found in the group, cells "✅ (count)" or "❌",
 * and an ERROR column naming empty slots (cli_hw_matrix, hw_matrix.c).  Two
 * SMD calls whatever the group's size: GET /groups/{label} and one
 * GET /Inventory/Hardware/Query/s0.
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
        rc = cli_print_table(cli_hw_matrix(xnames, g.nmembers, hw));
    free(xnames);
    free(hw);
    tide_group_free(&g);
    return rc;
}

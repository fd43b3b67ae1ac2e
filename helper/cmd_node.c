/*
 * cmd_node.c - `tide node XNAME`: clstr's `get nodes artifacts`, one row per
 * processor, DIMM, accelerator and HSN NIC of the node; empty slots show
 * "*** Missing info".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "inventory.h"
#include "xname.h"

static const char help[] =
    "Usage: tide node [--json] XNAME\n"
    "\n"
    "The hardware components of node XNAME (e.g. x1000c0s0b0n0) as SMD's inventory\n"
    "lists them: component xname, type and info (model, DIMM size, or\n"
    "\"*** Missing info\" for an empty slot).\n"
    "\n"
    "  --json   {\"xname\": X, \"profile\": P, \"processors\": {MODEL: N},\n"
    "            \"accelerators\": {MODEL: N}, \"memory_mib\": N, \"hsn_nics\": {MODEL: N},\n"
    "            \"empty_slots\": [XNAME], \"components\": [{\"xname\": C, \"type\": T,\n"
    "            \"info\": I, \"empty\": BOOL}]}\n"
    "  --help   this help\n";

static json_object *node_json(const char *xname, const tide_node_hw *hw, const tide_hw_components *comps)
{
    json_object *o = cli_node_hw_json(xname, hw), *slots = json_object_new_array(),
                *list = json_object_new_array();
    char *profile = tide_node_hw_profile(hw);

    json_object_object_add(o, "profile", json_object_new_string(profile));
    free(profile);
    for (size_t i = 0; i < hw->nempty; i++)
        json_object_array_add(slots, json_object_new_string(hw->empty_slots[i]));
    json_object_object_add(o, "empty_slots", slots);
    for (size_t i = 0; i < comps->n; i++) {
        json_object *c = json_object_new_object();
        json_object_object_add(c, "xname", json_object_new_string(comps->items[i].xname));
        json_object_object_add(c, "type", json_object_new_string(comps->items[i].type));
        json_object_object_add(c, "info", json_object_new_string(comps->items[i].info));
        json_object_object_add(c, "empty", json_object_new_boolean(comps->items[i].empty));
        json_object_array_add(list, c);
    }
    json_object_object_add(o, "components", list);
    return o;
}

static int print_node(const char *xname, const tide_hw_components *comps)
{
    static const char *const headers[] = { "NODE", "COMPONENT", "TYPE", "INFO" };
    tide_table *t = tide_table_new(4, headers);
    for (size_t i = 0; i < comps->n; i++) {
        tide_table_cell(t, xname);
        tide_table_cell(t, comps->items[i].xname);
        tide_table_cell(t, comps->items[i].type);
        tide_table_cell(t, comps->items[i].info);
    }
    return cli_print_table(t);
}

int cmd_node(tide_cli *cli, int argc, char **argv)
{
    cli_opts o;
    tide_err e = { 0 };
    char xname[64];
    tide_xname x;
    json_object *body = NULL;
    tide_inventory inv = { NULL, 0 };
    tide_hw_components comps = { NULL, 0 };
    int rc = cli_parse_options("node", argc, argv, help, 0, "XNAME", 1, 1, &o);

    if (rc >= 0)
        return rc;
    if (tide_xname_normalize_buf(o.args[0], xname, sizeof(xname)) ||
        tide_xname_parse(xname, &x) != TIDE_XNAME_NODE)
        return cli_error("'%s' is not a node xname (expected xXcCsSbBnN, e.g. x1000c0s0b0n0)", o.args[0]);

    tide_site *site = cli_site(cli, &e);
    if (!site || tide_site_node_inventory_json(site, xname, &body, &e) ||
        tide_inventory_parse(body, &inv, &e) || tide_inventory_components(body, xname, &comps, &e)) {
        rc = cli_fail(&e);
        goto out;
    }
    const tide_node_hw *hw = tide_inventory_find(&inv, xname);
    if (!hw) {
        rc = cli_error("%s has no hardware inventory for %s", tide_site_source(site), xname);
        goto out;
    }
    rc = o.json ? cli_print_json(node_json(xname, hw, &comps)) : print_node(xname, &comps);
out:
    tide_hw_components_free(&comps);
    tide_inventory_free(&inv);
    json_object_put(body);
    return rc;
}

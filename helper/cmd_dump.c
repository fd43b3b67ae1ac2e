/*
 * cmd_dump.c - `tide dump`: SMD's node components, groups and hardware
 * inventory in one JSON file, bodies as SMD sent them, so that the views and
 * the solver can run offline on a copy of a real site (`tide --from FILE`).
 */
#include <stdio.h>

#include "cli.h"

static const char help[] =
    "Usage: tide dump [-o FILE]\n"
    "\n"
    "Write SMD's node components, groups and hardware inventory as one JSON object:\n"
    "  {\"components\": <GET /State/Components?type=Node>,\n"
    "   \"groups\": <GET /groups>,\n"
    "   \"inventory\": <GET /Inventory/Hardware/Query/s0>}\n"
    "Read it back with `tide --from FILE COMMAND`.\n"
    "\n"
    "  -o, --output FILE  write to FILE (replaced only once complete) instead of stdout\n"
    "  --json             accepted; the output is always JSON\n"
    "  --help             this help\n";

int cmd_dump(tide_cli *cli, int argc, char **argv)
{
    cli_opts o;
    tide_err e = { 0 };
    json_object *dump = NULL;
    int rc = cli_parse_options("dump", argc, argv, help, 1, NULL, 0, 0, &o);

    if (rc >= 0)
        return rc;
    tide_site *site = cli_site(cli, &e);
    if (!site || tide_site_dump(site, &dump, &e))
        return cli_fail(&e);
    strbuf text = STRBUF_INIT;
    cli_json_text(dump, &text);
    json_object_put(dump);
    rc = cli_write(strbuf_str(&text), o.output);
    strbuf_free(&text);
    return rc;
}

/*
 * cmd_pool.c - `tide pool plan` and `tide pool apply`: clstr's `apply hsm`,
 * exact (lib/solver), explained, and applied race-safely (lib/pool_apply).
 *
 * plan reads the target and parent groups and the inventory from the site
 * (SMD, or a dump with --from) and prints the solver's choice: the new
 * target as a hardware matrix, the moves, wanted against got per type, the
 * waste and the solver's reason.  apply does the same against SMD and then
 * makes SMD's groups match, reporting every node it moved or could not.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "inventory.h"
#include "jsonutil.h"
#include "pattern.h"
#include "pool_apply.h"
#include "pool_plan.h"
#include "xname.h"

static const char pool_help[] =
    "Usage: tide pool plan PATTERN [--parent GROUP]... [--keep] [--from DUMP] [--json]\n"
    "       tide pool apply PATTERN [--parent GROUP]... [--keep] [--dry-run] [--json]\n"
    "\n"
    "Size an SMD group with a clstr pattern NAME:TERM:QTY(:TERM:QTY)*, e.g.\n"
    "zinal:nvidia:2:mi200:4:7742:6:memory:80: the group NAME gets the nodes that meet\n"
    "every term with the least waste, taken from its parent groups (nodes_free unless\n"
    "--parent is given).  `plan` shows the choice, `apply` makes it in SMD.\n"
    "See `tide pool plan --help`, `tide pool apply --help` and tide(1).\n";

static const char plan_help[] =
    "Usage: tide pool plan PATTERN [--parent GROUP]... [--keep] [--from DUMP] [--json]\n"
    "\n"
    "Plan the pool PATTERN (NAME:TERM:QTY(:TERM:QTY)*): among the members of the group\n"
    "NAME and of the parent groups, the nodes that meet every term with the least\n"
    "waste, then the fewest moves, the fewest chassis and the first xnames.  Prints\n"
    "the new NAME as a hardware matrix, the nodes moving in and out, wanted and got\n"
    "per type, the waste and why.  Nothing is changed.\n"
    "\n"
    "  -p, --parent GROUP  take nodes from GROUP (repeatable; default nodes_free);\n"
    "                      nodes NAME lets go go to the first one\n"
    "  -k, --keep          keep NAME's members first: fewest nodes pulled in, then waste\n"
    "      --from DUMP     plan offline from a `tide dump` file\n"
    "      --json          {\"target\": G, \"parents\": [G], \"members\": [X], \"add\": [X],\n"
    "                      \"remove\": [X], \"request\": {TERM: N}, \"supply\": {TYPE: N},\n"
    "                      \"waste\": F, \"solve_us\": N}\n"
    "  -h, --help          this help\n";

static const char apply_help[] =
    "Usage: tide pool apply PATTERN [--parent GROUP]... [--keep] [--dry-run] [--json]\n"
    "\n"
    "Plan the pool PATTERN against SMD (as `tide pool plan`) and make SMD's groups\n"
    "match: the target and parent groups must share tide.conf's ExclusiveGroup= (a\n"
    "missing target group is created with it); the nodes that move are reserved in\n"
    "SMD; each moves with a DELETE from its group then a POST to the other.  When\n"
    "another party takes a node meanwhile (409), tide plans again from SMD's new\n"
    "state (at most 3 times).  A node tide took out of a group and could not place is\n"
    "put back.  The groups are read back and checked against the plan.  On failure\n"
    "the report says which nodes moved, which did not and where each one is; running\n"
    "the same command again finishes the job.\n"
    "\n"
    "  -p, --parent GROUP  take nodes from GROUP (repeatable; default nodes_free)\n"
    "  -k, --keep          keep the group's members first (fewest nodes pulled in)\n"
    "  -n, --dry-run       print the plan and the exact SMD calls, change nothing\n"
    "      --json          the report as JSON (see tide(1))\n"
    "  -h, --help          this help\n";

typedef struct pool_opts {
    int          json, keep, dry_run;
    const char  *from;
    char       **parents;   /* lower-cased, owned */
    size_t       nparents;
    const char  *pattern;
} pool_opts;

static void pool_opts_free(pool_opts *o)
{
    for (size_t i = 0; i < o->nparents; i++)
        free(o->parents[i]);
    free(o->parents);
}

/* Parse `tide pool plan|apply` options.  -1 to go on, else the exit status to return. */
static int parse_options(const char *cmd, int apply, int argc, char **argv, pool_opts *o)
{
    static const struct option longopts[] = {
        { "parent", required_argument, NULL, 'p' },
        { "keep", no_argument, NULL, 'k' },
        { "from", required_argument, NULL, 'F' },
        { "dry-run", no_argument, NULL, 'n' },
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    memset(o, 0, sizeof(*o));
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":p:knh", longopts, NULL)) != -1) {
        switch (c) {
        case 'p':
            o->parents = xrealloc(o->parents, sizeof(char *) * (o->nparents + 1));
            o->parents[o->nparents++] = tide_lowercase(optarg);
            break;
        case 'k':
            o->keep = 1;
            break;
        case 'F':
            if (apply)
                return cli_usage(cmd, "apply works on SMD itself; --from DUMP is for `tide pool plan`");
            o->from = optarg;
            break;
        case 'n':
            if (!apply)
                return cli_usage(cmd, "--dry-run is for `tide pool apply`; plan never changes anything");
            o->dry_run = 1;
            break;
        case 'j':
            o->json = 1;
            break;
        case 'h':
            fputs(apply ? apply_help : plan_help, stdout);
            return CLI_OK;
        case ':':
            return cli_usage(cmd, "option %s needs an argument", argv[optind - 1]);
        default:
            if (optopt)
                return cli_usage(cmd, "unknown option -%c", optopt);
            return cli_usage(cmd, "unknown option %s", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cli_usage(cmd, "missing PATTERN");
    if (optind + 1 < argc)
        return cli_usage(cmd, "unexpected operand '%s'", argv[optind + 1]);
    o->pattern = argv[optind];
    if (!o->nparents) {
        o->parents = xmalloc(sizeof(char *));
        o->parents[o->nparents++] = xstrdup(TIDE_POOL_DEFAULT_PARENT);
    }
    return -1;
}

/* ---- the plan, as text and as JSON ----------------------------------------------------- */

static json_object *str_array(char *const *v, size_t n)
{
    return tide_json_str_array((const char *const *)v, n);
}

/* The `tide pool plan --json` contract. */
static json_object *plan_json(const tide_pool_planned *p)
{
    json_object *o = json_object_new_object(), *request = json_object_new_object(),
                *supply = json_object_new_object();
    json_object_object_add(o, "target", json_object_new_string(p->target));
    json_object_object_add(o, "parents", str_array(p->parents, p->nparents));
    json_object_object_add(o, "members", str_array(p->plan.chosen, p->plan.nchosen));
    json_object_object_add(o, "add", str_array(p->plan.add, p->plan.nadd));
    json_object_object_add(o, "remove", str_array(p->plan.remove, p->plan.nremove));
    for (size_t t = 0; t < p->plan.ntypes; t++) {
        const tide_pool_plan_type *ty = &p->plan.types[t];
        if (ty->requested > 0)
            json_object_object_add(request, ty->name, json_object_new_int64(ty->requested));
        json_object_object_add(supply, ty->name, json_object_new_int64(ty->supply));
    }
    json_object_object_add(o, "request", request);
    json_object_object_add(o, "supply", supply);
    json_object_object_add(o, "waste", json_object_new_double(p->plan.waste));
    json_object_object_add(o, "solve_us", json_object_new_int64(p->solve_us));
    return o;
}

static void render(tide_table *t, strbuf *out)
{
    tide_table_render(t, out);
    tide_table_free(t);
}

/* "zinal (16 nodes, exclusiveGroup tide)" */
static void describe_group(strbuf *b, const char *label, const tide_group *g)
{
    if (!g) {
        strbuf_printf(b, "%s (no such group yet: apply creates it)", label);
        return;
    }
    strbuf_printf(b, "%s (%zu node%s, ", g->label, g->nmembers, g->nmembers == 1 ? "" : "s");
    if (g->exclusive_group)
        strbuf_printf(b, "exclusiveGroup %s)", g->exclusive_group);
    else
        strbuf_puts(b, "no exclusiveGroup)");
}

/*
 * The plan as text: what was planned from where, the new target as a hardware matrix, wanted
 * against got per type, the moves, and the summary with the solver's reason.  groups[] are the
 * target (NULL when missing) and the parents, for the heading; NULL to leave the heading out.
 */
static void plan_text(const tide_pattern *pat, const tide_pool_planned *p, const tide_group *const *groups,
                      const tide_inventory *inv, strbuf *out)
{
    const tide_pool_plan *pl = &p->plan;
    char *canon = tide_pattern_format(pat);
    strbuf_printf(out, "pattern %s\ncandidates: %zu node%s", canon, p->ncandidates, p->ncandidates == 1 ? "" : "s");
    free(canon);
    if (groups) {
        strbuf_puts(out, " in ");
        for (size_t i = 0; i <= p->nparents; i++) {
            strbuf_puts(out, i == 0 ? "" : i == p->nparents ? " and " : ", ");
            describe_group(out, i ? p->parents[i - 1] : p->target, groups[i]);
        }
    }
    strbuf_printf(out, "\n\n%s as planned:\n", p->target);

    const tide_node_hw **hw = xcalloc(pl->nchosen + 1, sizeof(*hw));
    for (size_t i = 0; i < pl->nchosen; i++)
        hw[i] = tide_inventory_find(inv, pl->chosen[i]);
    render(cli_hw_matrix(pl->chosen, pl->nchosen, hw), out);
    free(hw);

    static const char *const type_heads[] = { "TYPE", "WANTED", "GOT", "CANDIDATES" };
    tide_table *t = tide_table_new(4, type_heads);
    for (size_t c = 1; c < 4; c++)
        tide_table_align(t, c, TIDE_ALIGN_RIGHT);
    for (size_t i = 0; i < pl->ntypes; i++) {
        tide_table_cell(t, pl->types[i].name);
        if (pl->types[i].requested > 0)
            tide_table_cellf(t, "%lld", (long long)pl->types[i].requested);
        else
            tide_table_cell(t, "-");
        tide_table_cellf(t, "%lld", (long long)pl->types[i].supply);
        tide_table_cellf(t, "%lld", (long long)pl->types[i].pool);
    }
    strbuf_puts(out, "\n");
    render(t, out);

    strbuf_puts(out, "\n");
    if (!pl->moves) {
        strbuf_printf(out, "no moves: %s holds exactly this already\n", p->target);
    } else {
        static const char *const move_heads[] = { "MOVE", "NODE", "FROM", "TO" };
        t = tide_table_new(4, move_heads);
        for (size_t i = 0; i < pl->nadd; i++) {
            tide_table_cell(t, "in");
            tide_table_cell(t, pl->add[i]);
            tide_table_cell(t, p->add_from[i]);
            tide_table_cell(t, p->target);
        }
        for (size_t i = 0; i < pl->nremove; i++) {
            tide_table_cell(t, "out");
            tide_table_cell(t, pl->remove[i]);
            tide_table_cell(t, p->target);
            tide_table_cell(t, p->remove_to);
        }
        render(t, out);
    }
    strbuf_printf(out, "\n%zu node%s in %zu chassis, %zu in, %zu out, waste %.4f, solved in %.2f ms\nwhy: %s\n",
                  pl->nchosen, pl->nchosen == 1 ? "" : "s", pl->chassis, pl->nadd, pl->nremove, pl->waste,
                  (double)p->solve_us / 1e3, pl->why);
}

/* ---- tide pool plan -------------------------------------------------------------------- */

/* The target (NULL when the site has none) and the parents (all must exist) from the site. */
static int site_groups(tide_site *site, const pool_opts *o, const char *target, tide_group_list *l,
                       const tide_group **groups, tide_err *e)
{
    const char **labels = xcalloc(o->nparents + 1, sizeof(char *));
    labels[0] = target;
    for (size_t i = 0; i < o->nparents; i++)
        labels[i + 1] = o->parents[i];
    int rc = tide_site_groups(site, labels, o->nparents + 1, l, e);
    for (size_t i = 0; !rc && i <= o->nparents; i++) {
        groups[i] = NULL;
        for (size_t k = 0; k < l->n && !groups[i]; k++)
            if (!strcasecmp(l->groups[k].label, labels[i]))
                groups[i] = &l->groups[k];
        if (!groups[i] && i) {
            tide_err_set(e, "%s has no group %s (a parent group of pool %s)", tide_site_source(site), labels[i],
                         target);
            e->http_status = 404;
            rc = -1;
        }
    }
    free(labels);
    return rc;
}

static int pool_plan(tide_cli *cli, int argc, char **argv)
{
    pool_opts o;
    tide_pattern pat = { 0 };
    tide_err e = { 0 };
    tide_group_list l = { 0 };
    tide_pool_planned p = { 0 };
    const tide_inventory *inv;
    int rc = parse_options("pool plan", 0, argc, argv, &o);

    if (rc >= 0) {
        pool_opts_free(&o);
        return rc;
    }
    if (o.from)
        cli->from = o.from;
    const tide_group **groups = xcalloc(o.nparents + 1, sizeof(*groups));
    tide_group *parents = xcalloc(o.nparents, sizeof(*parents));
    tide_site *site;
    rc = CLI_ERROR;
    if (tide_pattern_parse(o.pattern, &pat, &e) || !(site = cli_site(cli, &e)) ||
        site_groups(site, &o, pat.group, &l, groups, &e) || tide_site_inventory(site, &inv, &e)) {
        cli_fail(&e);
        goto out;
    }
    for (size_t i = 0; i < o.nparents; i++)
        parents[i] = *groups[i + 1];   /* shallow: l owns them */
    if (tide_pool_plan_groups(&pat, o.keep, groups[0], parents, o.nparents, inv, &p, &e)) {
        cli_fail(&e);
        goto out;
    }
    if (o.json) {
        rc = cli_print_json(plan_json(&p));
    } else {
        strbuf b = STRBUF_INIT;
        plan_text(&pat, &p, groups, inv, &b);
        rc = cli_write(strbuf_str(&b), NULL);
        strbuf_free(&b);
    }
out:
    tide_pool_planned_free(&p);
    free(parents);
    free(groups);
    tide_group_list_free(&l);
    tide_pattern_free(&pat);
    pool_opts_free(&o);
    return rc;
}

/* ---- tide pool apply ------------------------------------------------------------------- */

static json_object *str_or_null(const char *s)
{
    return s ? json_object_new_string(s) : NULL;
}

static json_object *apply_json(const tide_pool_apply_report *r, const char *smd_url, const char *exclusive,
                               int dry_run, const char *error)
{
    json_object *o = json_object_new_object(), *moves = json_object_new_array(),
                *calls = json_object_new_array(), *timings = json_object_new_object();
    json_object_object_add(o, "target", json_object_new_string(r->plan.target ? r->plan.target : ""));
    json_object_object_add(o, "parents", str_array(r->plan.parents, r->plan.nparents));
    json_object_object_add(o, "exclusive_group", json_object_new_string(exclusive));
    json_object_object_add(o, "dry_run", json_object_new_boolean(dry_run));
    json_object_object_add(o, "ok", json_object_new_boolean(!error));
    json_object_object_add(o, "error", str_or_null(error));
    json_object_object_add(o, "plan", r->plan.target ? plan_json(&r->plan) : NULL);
    json_object_object_add(o, "plans", json_object_new_int64((int64_t)r->nplans));
    json_object_object_add(o, "created_target", json_object_new_boolean(r->created_target));
    for (size_t i = 0; i < r->nmoves; i++) {
        const tide_pool_move *mv = &r->moves[i];
        json_object *m = json_object_new_object();
        json_object_object_add(m, "node", json_object_new_string(mv->node));
        json_object_object_add(m, "from", json_object_new_string(mv->from));
        json_object_object_add(m, "to", json_object_new_string(mv->to));
        json_object_object_add(m, "plan", json_object_new_int(mv->plan));
        json_object_object_add(m, "result", json_object_new_string(tide_pool_move_result_name(mv->result)));
        json_object_object_add(m, "put_back", json_object_new_boolean(mv->put_back));
        json_object_object_add(m, "now", str_or_null(mv->now));
        json_object_object_add(m, "error", str_or_null(mv->error));
        json_object_object_add(m, "ms", json_object_new_double(mv->ms));
        json_object_array_add(moves, m);
    }
    json_object_object_add(o, "moves", moves);
    for (size_t i = 0; i < r->ncalls; i++) {
        json_object *c = json_object_new_object();
        json_object_object_add(c, "method", json_object_new_string(r->calls[i].method));
        char *url = xasprintf("%s%s", smd_url, r->calls[i].path);
        json_object_object_add(c, "url", json_object_new_string(url));
        free(url);
        json_object_object_add(c, "body", r->calls[i].body ? json_tokener_parse(r->calls[i].body) : NULL);
        json_object_array_add(calls, c);
    }
    json_object_object_add(o, "calls", calls);
    json_object_object_add(o, "members", r->members_read ? str_array(r->members, r->nmembers) : NULL);
    json_object_object_add(o, "verified", json_object_new_boolean(r->verified));
    json_object_object_add(o, "notes", str_array(r->notes, r->nnotes));
    json_object_object_add(timings, "plan", json_object_new_double(r->plan_ms));
    json_object_object_add(timings, "reserve", json_object_new_double(r->reserve_ms));
    json_object_object_add(timings, "moves", json_object_new_double(r->move_ms));
    json_object_object_add(timings, "verify", json_object_new_double(r->verify_ms));
    json_object_object_add(timings, "total", json_object_new_double(r->total_ms));
    json_object_object_add(o, "timings_ms", timings);
    return o;
}

static void apply_text(const tide_pattern *pat, const tide_pool_apply_report *r, const tide_inventory *inv,
                       const char *smd_url, int dry_run, strbuf *out)
{
    if (r->plan.target) {
        plan_text(pat, &r->plan, NULL, inv, out);
        strbuf_puts(out, "\n");
    }
    for (size_t i = 0; i < r->nnotes; i++)
        strbuf_printf(out, "%s\n", r->notes[i]);
    if (dry_run) {
        strbuf_printf(out, "\ndry run: the calls tide would make, in order:\n");
        for (size_t i = 0; i < r->ncalls; i++)
            strbuf_printf(out, "  %s %s%s%s%s\n", r->calls[i].method, smd_url, r->calls[i].path,
                          r->calls[i].body ? " " : "", r->calls[i].body ? r->calls[i].body : "");
        return;
    }

    size_t moved = 0;
    if (r->nmoves) {
        static const char *const heads[] = { "NODE", "FROM", "TO", "PLAN", "RESULT", "NOW", "MS" };
        tide_table *t = tide_table_new(7, heads);
        tide_table_align(t, 3, TIDE_ALIGN_RIGHT);
        tide_table_align(t, 6, TIDE_ALIGN_RIGHT);
        for (size_t i = 0; i < r->nmoves; i++) {
            const tide_pool_move *mv = &r->moves[i];
            moved += mv->result == TIDE_MOVE_DONE;
            tide_table_cell(t, mv->node);
            tide_table_cell(t, mv->from);
            tide_table_cell(t, mv->to);
            tide_table_cellf(t, "%d", mv->plan);
            tide_table_cellf(t, "%s%s", tide_pool_move_result_name(mv->result), mv->put_back ? " (put back)" : "");
            tide_table_cell(t, mv->now ? mv->now : "no group");
            if (mv->result == TIDE_MOVE_PENDING)
                tide_table_cell(t, "-");
            else
                tide_table_cellf(t, "%.1f", mv->ms);
        }
        strbuf_puts(out, "\n");
        render(t, out);
        for (size_t i = 0; i < r->nmoves; i++)
            if (r->moves[i].error)
                strbuf_printf(out, "%s: %s\n", r->moves[i].node, r->moves[i].error);
    }
    strbuf_puts(out, "\n");
    if (r->members_read && r->plan.target)
        strbuf_printf(out, "%s holds %zu node%s in SMD%s\n", r->plan.target, r->nmembers,
                      r->nmembers == 1 ? "" : "s", r->verified ? ", as planned (read back and checked)" : "");
    if (!r->verified)
        strbuf_printf(out, "SMD's groups do not match the plan yet: run the same command again to finish\n");
    strbuf_printf(out, "%zu of %zu move%s done in %zu plan%s; plan %.0f ms, reservation %.0f ms, moves %.0f ms, "
                  "read-back %.0f ms, total %.0f ms\n", moved, r->nmoves, r->nmoves == 1 ? "" : "s", r->nplans,
                  r->nplans == 1 ? "" : "s", r->plan_ms, r->reserve_ms, r->move_ms, r->verify_ms, r->total_ms);
}

static int pool_apply(tide_cli *cli, int argc, char **argv)
{
    pool_opts o;
    tide_pattern pat = { 0 };
    tide_err e = { 0 };
    tide_pool_apply_report r = { 0 };
    const tide_inventory *inv = NULL;
    const tide_conf *conf;
    tide_http *smd;
    tide_site *site;
    int rc = parse_options("pool apply", 1, argc, argv, &o);

    if (rc >= 0) {
        pool_opts_free(&o);
        return rc;
    }
    if (cli->from) {
        pool_opts_free(&o);
        return cli_usage("pool apply", "apply works on SMD itself; --from DUMP is for `tide pool plan`");
    }
    if (tide_pattern_parse(o.pattern, &pat, &e) || !(conf = cli_conf(cli, &e)) || !(smd = cli_smd(cli, &e)) ||
        !(site = cli_site(cli, &e)) || tide_site_inventory(site, &inv, &e)) {
        rc = cli_fail(&e);
        goto out;
    }

    tide_pool_apply_opts opts;
    tide_pool_apply_opts_init(&opts, conf->exclusive_group);
    opts.keep = o.keep;
    opts.dry_run = o.dry_run;
    char *desc = xasprintf("tide pool %s", o.pattern);
    opts.description = desc;
    int failed = tide_pool_apply(smd, inv, &pat, (const char *const *)o.parents, o.nparents, &opts, &r, &e);
    free(desc);

    /* Nothing changed: the one error line.  Else the report, then the error line. */
    size_t tried = 0;
    for (size_t i = 0; i < r.nmoves; i++)
        tried += r.moves[i].result != TIDE_MOVE_PENDING;
    if (failed && !tried && !r.created_target) {
        rc = cli_fail(&e);
        goto out;
    }
    if (o.json) {
        rc = cli_print_json(apply_json(&r, tide_http_base_url(smd), conf->exclusive_group, o.dry_run,
                                       failed ? e.msg : NULL));
    } else {
        strbuf b = STRBUF_INIT;
        apply_text(&pat, &r, inv, tide_http_base_url(smd), o.dry_run, &b);
        rc = cli_write(strbuf_str(&b), NULL);
        strbuf_free(&b);
    }
    if (failed)
        rc = cli_fail(&e);
out:
    tide_pool_apply_report_free(&r);
    tide_pattern_free(&pat);
    pool_opts_free(&o);
    return rc;
}

/* ---- tide pool ----------------------------------------------------------------------- */

int cmd_pool(tide_cli *cli, int argc, char **argv)
{
    if (argc < 2)
        return cli_usage("pool", "missing plan or apply");
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs(pool_help, stdout);
        return CLI_OK;
    }
    if (!strcmp(argv[1], "plan"))
        return pool_plan(cli, argc - 1, argv + 1);
    if (!strcmp(argv[1], "apply"))
        return pool_apply(cli, argc - 1, argv + 1);
    return cli_usage("pool", "unknown subcommand '%s' (plan or apply)", argv[1]);
}

/*
 * cmd_pools.c - `tide pools`: every Pool= of tide.conf, its SMD group, and
 * how many of its nodes have each hardware profile.  Two SMD calls: the
 * pools' groups in one GET /groups?group=..., and the inventory of s0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "inventory.h"
#include "jsonutil.h"
#include "xname.h"

static const char help[] =
    "Usage: tide pools [--json]\n"
    "\n"
    "The pools of tide.conf with their SMD group and the number of nodes of each\n"
    "hardware profile (processors, accelerators, memory and HSN NICs of a node).\n"
    "\n"
    "  --json   {\"pools\": [{\"pool\": NAME, \"kind\": KIND, \"group\": LABEL,\n"
    "            \"group_exists\": BOOL, \"nodes\": N, \"profiles\": [{\"profile\": P,\n"
    "            \"nodes\": N, \"xnames\": [X]}]}]}\n"
    "  --help   this help\n";

/* The nodes of one group that share a profile. */
typedef struct profile_nodes {
    char   *profile;
    char  **xnames;   /* borrowed from the group */
    size_t  n;
} profile_nodes;

typedef struct pool_view {
    const tide_pool_conf *pool;
    const tide_group     *group;   /* NULL when SMD has no such group */
    profile_nodes        *profiles;
    size_t                nprofiles;
} pool_view;

static int cmp_xname_ptr(const void *a, const void *b)
{
    return tide_xname_cmp(*(char *const *)a, *(char *const *)b);
}

/* Most common profile first; ties by name, so the output is stable. */
static int cmp_profile(const void *a, const void *b)
{
    const profile_nodes *x = a, *y = b;
    if (x->n != y->n)
        return x->n < y->n ? 1 : -1;
    return strcmp(x->profile, y->profile);
}

static void group_profiles(pool_view *v, const tide_inventory *inv)
{
    for (size_t i = 0; v->group && i < v->group->nmembers; i++) {
        const char *xname = v->group->members[i];
        const tide_node_hw *hw = tide_inventory_find(inv, xname);
        char *profile = hw ? tide_node_hw_profile(hw) : xstrdup("no inventory");
        size_t k;
        for (k = 0; k < v->nprofiles && strcmp(v->profiles[k].profile, profile); k++)
            ;
        if (k == v->nprofiles) {
            v->profiles = xrealloc(v->profiles, sizeof(*v->profiles) * (v->nprofiles + 1));
            v->profiles[k] = (profile_nodes){ profile, NULL, 0 };
            v->nprofiles++;
        } else {
            free(profile);
        }
        profile_nodes *p = &v->profiles[k];
        p->xnames = xrealloc(p->xnames, sizeof(char *) * (p->n + 1));
        p->xnames[p->n++] = (char *)xname;
    }
    for (size_t k = 0; k < v->nprofiles; k++)
        qsort(v->profiles[k].xnames, v->profiles[k].n, sizeof(char *), cmp_xname_ptr);
    if (v->nprofiles)
        qsort(v->profiles, v->nprofiles, sizeof(*v->profiles), cmp_profile);
}

static json_object *pools_json(const pool_view *views, size_t n)
{
    json_object *o = json_object_new_object(), *pools = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        const pool_view *v = &views[i];
        json_object *p = json_object_new_object(), *profiles = json_object_new_array();
        json_object_object_add(p, "pool", json_object_new_string(v->pool->name));
        json_object_object_add(p, "kind", json_object_new_string(tide_pool_kind_name(v->pool->kind)));
        json_object_object_add(p, "group", json_object_new_string(v->pool->group));
        json_object_object_add(p, "group_exists", json_object_new_boolean(v->group != NULL));
        json_object_object_add(p, "nodes", json_object_new_int64(v->group ? (int64_t)v->group->nmembers : 0));
        for (size_t k = 0; k < v->nprofiles; k++) {
            json_object *q = json_object_new_object();
            json_object_object_add(q, "profile", json_object_new_string(v->profiles[k].profile));
            json_object_object_add(q, "nodes", json_object_new_int64((int64_t)v->profiles[k].n));
            json_object_object_add(q, "xnames", tide_json_str_array((const char *const *)v->profiles[k].xnames,
                                                                    v->profiles[k].n));
            json_object_array_add(profiles, q);
        }
        json_object_object_add(p, "profiles", profiles);
        json_object_array_add(pools, p);
    }
    json_object_object_add(o, "pools", pools);
    return o;
}

static int print_pools(const pool_view *views, size_t n)
{
    static const char *const headers[] = { "POOL", "KIND", "GROUP", "NODES", "PROFILE" };
    tide_table *t = tide_table_new(5, headers);
    tide_table_align(t, 3, TIDE_ALIGN_RIGHT);
    for (size_t i = 0; i < n; i++) {
        const pool_view *v = &views[i];
        const char *note = !v->group ? "(no such SMD group)" : !v->group->nmembers ? "(empty)" : NULL;
        for (size_t k = 0; k < (note ? 1 : v->nprofiles); k++) {
            tide_table_cell(t, k ? "" : v->pool->name);
            tide_table_cell(t, k ? "" : tide_pool_kind_name(v->pool->kind));
            tide_table_cell(t, k ? "" : v->pool->group);
            tide_table_cellf(t, "%zu", note ? 0 : v->profiles[k].n);
            tide_table_cell(t, note ? note : v->profiles[k].profile);
        }
    }
    return cli_print_table(t);
}

int cmd_pools(tide_cli *cli, int argc, char **argv)
{
    cli_opts o;
    tide_err e = { 0 };
    tide_group_list groups = { NULL, 0 };
    const tide_inventory *inv = NULL;
    int rc = cli_parse_options("pools", argc, argv, help, 0, NULL, 0, 0, &o);

    if (rc >= 0)
        return rc;
    const tide_conf *conf = cli_conf(cli, &e);
    if (!conf)
        return cli_fail(&e);
    tide_site *site = cli_site(cli, &e);
    if (!site)
        return cli_fail(&e);

    const char **labels = xcalloc(conf->npools + 1, sizeof(char *));
    for (size_t i = 0; i < conf->npools; i++)
        labels[i] = conf->pools[i].group;
    if (conf->npools && (tide_site_groups(site, labels, conf->npools, &groups, &e) ||
                         tide_site_inventory(site, &inv, &e))) {
        free(labels);
        return cli_fail(&e);
    }
    free(labels);

    pool_view *views = xcalloc(conf->npools + 1, sizeof(*views));
    for (size_t i = 0; i < conf->npools; i++) {
        views[i].pool = &conf->pools[i];
        for (size_t j = 0; j < groups.n && !views[i].group; j++)
            if (!strcasecmp(groups.groups[j].label, conf->pools[i].group))
                views[i].group = &groups.groups[j];
        group_profiles(&views[i], inv);
    }

    rc = o.json ? cli_print_json(pools_json(views, conf->npools)) : print_pools(views, conf->npools);

    for (size_t i = 0; i < conf->npools; i++) {
        for (size_t k = 0; k < views[i].nprofiles; k++) {
            free(views[i].profiles[k].profile);
            free(views[i].profiles[k].xnames);
        }
        free(views[i].profiles);
    }
    free(views);
    tide_group_list_free(&groups);
    return rc;
}

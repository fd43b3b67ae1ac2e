/*
 * slurmconf.c - see slurmconf.h.
 *
 * The order of work: choose the images, collect the nodes with the pool that
 * prices each, sort them cheapest pool first, describe each node from the
 * inventory (one "spec": everything after NodeName=), then write nodes.conf
 * (identical neighbours merged into one host list), helpers.conf and
 * power.conf.
 */
#include "slurmconf.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hostlist.h"
#include "inventory.h"
#include "jsonutil.h"
#include "strbuf.h"
#include "xname.h"

/* ---- the hardware feature rule ----------------------------------------- */

/* Vendor and filler words: they tell nothing about the model. */
static const char *const filler_words[] = {
    "amd", "intel", "nvidia", "arm", "ampere", "fujitsu", "instinct", "tesla", "radeon",
    "processor", "cpu", "gpu", "core", "cores", "platinum", "gold", "silver", "bronze",
    "genuine", "r", "tm", "with", "graphics", "accelerator",
};

static int is_filler(const char *t)
{
    for (size_t i = 0; i < sizeof(filler_words) / sizeof(filler_words[0]); i++)
        if (!strcmp(t, filler_words[i]))
            return 1;
    return 0;
}

static int all_digits(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return 0;
    return 1;
}

static int all_letters(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!isalpha((unsigned char)*s))
            return 0;
    return 1;
}

/* `prefix` followed by digits only, or nothing when digits_optional. */
static int word_then_digits(const char *t, const char *prefix, int digits_optional)
{
    size_t len = strlen(prefix);
    if (strncmp(t, prefix, len))
        return 0;
    return t[len] ? all_digits(t + len) : digits_optional;
}

/* Packaging, not model: 80gb, 2g, 1tb, 30ghz, 2250mhz, 300w, sxm4, pcie, pcie5, hbm3, hbm2e, oam, nvl,
 * gen4, x16. */
static int is_packaging(const char *t)
{
    static const char *const units[] = { "gb", "g", "tb", "ghz", "mhz", "w" };
    size_t digits = 0;
    while (isdigit((unsigned char)t[digits]))
        digits++;
    if (digits && t[digits])
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
            if (!strcmp(t + digits, units[i]))
                return 1;
    if (!strcmp(t, "oam") || !strcmp(t, "nvl"))
        return 1;
    if (word_then_digits(t, "sxm", 1) || word_then_digits(t, "pcie", 1) || word_then_digits(t, "gen", 0) ||
        word_then_digits(t, "x", 0))
        return 1;
    if (!strncmp(t, "hbm", 3)) {
        size_t len = strlen(t);
        const char *end = len > 3 && t[len - 1] == 'e' ? t + len - 1 : t + len;
        const char *d = t + 3;
        while (d < end && isdigit((unsigned char)*d))
            d++;
        return d == end;
    }
    return 0;
}

/* Letters, then a digit, then letters or digits: a100, mi200, mi250x, ss11, a64fx. */
static int is_short_model(const char *t)
{
    size_t i = 0;
    while (isalpha((unsigned char)t[i]))
        i++;
    if (!i || !isdigit((unsigned char)t[i]))
        return 0;
    for (; t[i]; i++)
        if (!isalnum((unsigned char)t[i]))
            return 0;
    return 1;
}

/* model lower-cased, with "(r)" and "(tm)" blanked out. */
static char *plain_model(const char *model)
{
    char *text = xstrdup(model);
    for (char *p = text; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    for (char *p = text; (p = strchr(p, '(')) != NULL; p++) {
        if (!strncmp(p, "(r)", 3))
            memset(p, ' ', 3);
        else if (!strncmp(p, "(tm)", 4))
            memset(p, ' ', 4);
    }
    return text;
}

char *tide_slurm_model_feature(const char *model)
{
    if (!model)
        return NULL;
    char *text = plain_model(model);
    char *tokens[64];   /* pointers into text: each token is cut out in place */
    size_t n = 0;
    for (char *p = text; *p && n < sizeof(tokens) / sizeof(tokens[0]);) {
        while (*p && !isalnum((unsigned char)*p))
            *p++ = '\0';
        if (!*p)
            break;
        char *start = p;
        while (isalnum((unsigned char)*p))
            p++;
        if (*p)
            *p++ = '\0';
        if (!is_filler(start) && !is_packaging(start))
            tokens[n++] = start;
    }

    char *feature = NULL;
    for (size_t i = 0; i < n && !feature; i++)
        if (is_short_model(tokens[i]))
            feature = xstrdup(tokens[i]);
    const char *word = NULL, *number = NULL;
    for (size_t i = 0; i < n && !feature; i++) {
        if (!word && all_letters(tokens[i]))
            word = tokens[i];
        if (!number && isdigit((unsigned char)tokens[i][0]) && strlen(tokens[i]) >= 3)
            number = tokens[i];
    }
    if (!feature && word)
        feature = number ? xasprintf("%s%s", word, number) : xstrdup(word);
    free(text);
    return feature;
}

int tide_slurm_helper_feature_valid(const char *name)
{
    if (!name || !(isalpha((unsigned char)*name) || *name == '_' || *name == '='))
        return 0;
    for (const char *p = name + 1; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '_' || *p == '.' || *p == '='))
            return 0;
    return 1;
}

/* ---- options ----------------------------------------------------------- */

void tide_slurmconf_opts_init(tide_slurmconf_opts *o, const char *bindir, const char *helper)
{
    memset(o, 0, sizeof(*o));
    o->bindir = bindir;
    o->helper = helper;
    o->gres = 1;
}

/* ---- images ------------------------------------------------------------ */

static int is_kubernetes_home(const tide_conf *c, const char *image)
{
    for (size_t i = 0; i < c->npools; i++)
        if (c->pools[i].kind == TIDE_POOL_KUBERNETES && c->pools[i].home_image &&
            !strcmp(c->pools[i].home_image, image))
            return 1;
    return 0;
}

/* Each image must be a helper feature name, once, and no part of another. */
static int check_images(const char *const *v, size_t k, tide_err *e)
{
    for (size_t i = 0; i < k; i++) {
        if (!tide_slurm_helper_feature_valid(v[i]))
            return tide_err_set(e, "image %s cannot be a Slurm feature: node_features/helpers takes letters, "
                                   "digits, '_', '.' and '=' only, starting with a letter or '_'; rename the "
                                   "Image= record", v[i]);
        for (size_t j = 0; j < k; j++) {
            if (i == j)
                continue;
            if (!strcmp(v[i], v[j]))
                return tide_err_set(e, "image %s is listed twice", v[i]);
            /* 22.05 checks MutuallyExclusive by counting substring matches in the constraint. */
            if (strstr(v[j], v[i]))
                return tide_err_set(e, "images %s and %s: Slurm finds helper features in a constraint by "
                                       "substring, so a job asking for %s would count as asking for both; "
                                       "rename one", v[i], v[j], v[j]);
        }
    }
    return 0;
}

/* The image features, borrowed from conf or the options, checked.  *names is malloc'd. */
static int choose_images(const tide_conf *c, const tide_slurmconf_opts *o, const char ***names, size_t *n,
                         tide_err *e)
{
    const char **v = xcalloc(c->nimages + o->nimages + 1, sizeof(char *));
    size_t k = 0;
    int rc = 0;

    for (size_t i = 0; o->images && i < o->nimages && !rc; i++) {
        if (!tide_conf_image(c, o->images[i]))
            rc = tide_err_set(e, "image %s is not an Image= record of %s", o->images[i], c->path);
        v[k++] = o->images[i];
    }
    for (size_t i = 0; !o->images && i < c->nimages; i++) {
        const char *name = c->images[i].name;
        if ((c->default_image && !strcmp(c->default_image, name)) || !is_kubernetes_home(c, name))
            v[k++] = name;
    }
    if (!rc && !k)
        rc = tide_err_set(e, "%s has no image Slurm can ask for (an Image= record that is not only a Kubernetes "
                             "pool's HomeImage): node_features/helpers needs at least one", c->path);
    if (!rc)
        rc = check_images(v, k, e);
    if (rc) {
        free(v);
        return -1;
    }
    *names = v;
    *n = k;
    return 0;
}

/* ---- nodes and their pools ---------------------------------------------- */

typedef struct node_def {
    const char           *xname;    /* borrowed from the groups */
    const tide_pool_conf *pool;     /* the pool that prices it */
    size_t                pool_index;  /* in conf->pools: the tie-break between pools of one Cost */
    size_t                seen;     /* the order it was found in: the first pool to list a node wins */
    char                 *spec;     /* everything after NodeName=<xname> */
    const char           *note;     /* why defaults were used (static), or NULL */
} node_def;

typedef struct node_vec {
    node_def *v;
    size_t    n;
} node_vec;

static const tide_group *find_group(const tide_group_list *groups, const char *label)
{
    for (size_t i = 0; groups && i < groups->n; i++)
        if (!strcasecmp(groups->groups[i].label, label))
            return &groups->groups[i];
    return NULL;
}

static void add_node(node_vec *nodes, const char *xname, const tide_conf *c, const tide_pool_conf *pool)
{
    nodes->v = xrealloc(nodes->v, sizeof(*nodes->v) * (nodes->n + 1));
    nodes->v[nodes->n] = (node_def){ xname, pool, (size_t)(pool - c->pools), nodes->n, NULL, NULL };
    nodes->n++;
}

static int is_lending(const tide_pool_conf *p)
{
    return p->kind == TIDE_POOL_FREE || p->kind == TIDE_POOL_KUBERNETES;
}

/* The lending pool whose home group lists xname, else NULL. */
static const tide_pool_conf *home_pool(const tide_conf *c, const tide_group_list *groups, const char *xname)
{
    for (size_t i = 0; i < c->npools; i++) {
        if (!is_lending(&c->pools[i]))
            continue;
        char *label = xasprintf("%s%s", TIDE_HOME_GROUP_PREFIX, c->pools[i].name);
        const tide_group *g = find_group(groups, label);
        free(label);
        if (g && tide_group_has_member(g, xname))
            return &c->pools[i];
    }
    return NULL;
}

static int cmp_xname_seen(const void *a, const void *b)
{
    const node_def *x = a, *y = b;
    int d = tide_xname_cmp(x->xname, y->xname);
    if (!d)
        d = strcmp(x->xname, y->xname);
    return d ? d : (x->seen > y->seen) - (x->seen < y->seen);
}

/* Cheapest pool first; pools of one Cost in tide.conf's order; nodes by xname within a pool. */
static int cmp_cost(const void *a, const void *b)
{
    const node_def *x = a, *y = b;
    if (x->pool->cost != y->pool->cost)
        return x->pool->cost < y->pool->cost ? -1 : 1;
    if (x->pool_index != y->pool_index)
        return x->pool_index < y->pool_index ? -1 : 1;
    return tide_xname_cmp(x->xname, y->xname);
}

/* The nodes to define, in nodes.conf's order; missing groups named in `missing`. */
static void collect_nodes(const tide_conf *c, const tide_group_list *groups, node_vec *nodes, strbuf *missing)
{
    const tide_pool_conf *slurm = c->slurm_pool ? tide_conf_pool(c, c->slurm_pool) : NULL;
    for (size_t i = 0; i < c->npools; i++) {
        const tide_pool_conf *p = &c->pools[i];
        if (!is_lending(p) && p != slurm)
            continue;
        const tide_group *g = find_group(groups, p->group);
        if (!g) {
            strbuf_printf(missing, "# Pool %s: SMD has no group %s, so none of its nodes is defined.\n", p->name,
                          p->group);
            continue;
        }
        for (size_t k = 0; k < g->nmembers; k++) {
            const tide_pool_conf *priced = p;
            if (p == slurm) {
                priced = home_pool(c, groups, g->members[k]);
                if (!priced)
                    priced = p;
            }
            add_node(nodes, g->members[k], c, priced);
        }
    }
    if (!nodes->n)
        return;
    /* A node listed twice (groups that share no exclusive group) keeps its first pool. */
    qsort(nodes->v, nodes->n, sizeof(*nodes->v), cmp_xname_seen);
    size_t kept = 0;
    for (size_t i = 0; i < nodes->n; i++)
        if (!kept || strcmp(nodes->v[kept - 1].xname, nodes->v[i].xname))
            nodes->v[kept++] = nodes->v[i];
    nodes->n = kept;
    qsort(nodes->v, nodes->n, sizeof(*nodes->v), cmp_cost);
}

/* ---- CPU layout ------------------------------------------------------- */

/* What the processors of one node say (the parsed inventory keeps models only). */
typedef struct cpu_layout {
    int     sockets;
    int64_t cores, threads;
    int     unknown;    /* a processor without TotalCores */
} cpu_layout;

static void add_processor(cpu_layout *l, json_object *entry)
{
    const char *status = tide_json_str(entry, "Status");
    if (status && !strcasecmp(status, "Empty"))
        return;
    json_object *fru = tide_json_path(entry, "PopulatedFRU", "ProcessorFRUInfo", NULL);
    const char *type = tide_json_str(fru, "ProcessorType");
    if (type && strcasecmp(type, "CPU"))
        return;   /* a GPU or FPGA that Redfish lists among the processors */
    int64_t cores = tide_json_int(fru, "TotalCores", 0);
    int64_t threads = tide_json_int(fru, "TotalThreads", 0);
    l->sockets++;
    if (cores <= 0 || cores > 65536) {
        l->unknown = 1;
        return;
    }
    l->cores += cores;
    l->threads += threads >= cores && threads <= 16 * cores ? threads : cores;
}

static cpu_layout *layout_of(const tide_inventory *inv, cpu_layout *layouts, const char *id, int node_child)
{
    char node[64];
    if (node_child ? tide_xname_node_of(id, node, sizeof(node)) : tide_xname_normalize_buf(id, node, sizeof(node)))
        return NULL;
    const tide_node_hw *hw = tide_inventory_find(inv, node);
    return hw ? &layouts[hw - inv->nodes] : NULL;
}

/* One layout per inventory node (same index), from the processors nested in node entries and the
 * ones SMD left at the top level. */
static cpu_layout *read_layouts(json_object *body, const tide_inventory *inv)
{
    cpu_layout *layouts = xcalloc(inv->n + 1, sizeof(*layouts));
    json_object *nodes = tide_json_array(body, "Nodes");
    size_t len = nodes ? json_object_array_length(nodes) : 0;
    for (size_t i = 0; i < len; i++) {
        json_object *entry = json_object_array_get_idx(nodes, i);
        cpu_layout *l = layout_of(inv, layouts, tide_json_str(entry, "ID"), 0);
        json_object *procs = tide_json_array(entry, "Processors");
        size_t np = procs && l ? json_object_array_length(procs) : 0;
        for (size_t k = 0; k < np; k++)
            add_processor(l, json_object_array_get_idx(procs, k));
    }
    json_object *orphans = tide_json_array(body, "Processors");
    len = orphans ? json_object_array_length(orphans) : 0;
    for (size_t i = 0; i < len; i++) {
        json_object *entry = json_object_array_get_idx(orphans, i);
        cpu_layout *l = layout_of(inv, layouts, tide_json_str(entry, "ID"), 1);
        if (l)
            add_processor(l, entry);
    }
    return layouts;
}

/* ---- one node's line -------------------------------------------------- */

static const char NOTE_NO_INVENTORY[] = "SMD has no inventory for these nodes: one CPU, no memory size assumed";
static const char NOTE_NO_CORES[] = "SMD gives no TotalCores for these processors: one core per socket assumed";

/* Reserve 1/32 of the memory (at least 1 GiB) for the kernel and firmware; whole GiB. */
static int64_t real_memory_mib(int64_t dimm_mib)
{
    int64_t reserve = dimm_mib / 32 > 1024 ? dimm_mib / 32 : 1024;
    int64_t mib = dimm_mib - reserve;
    return mib > 0 ? mib / 1024 * 1024 : 0;
}

static void append_layout(strbuf *b, const tide_node_hw *hw, const cpu_layout *l, const char **note)
{
    int sockets = l && l->sockets ? l->sockets : hw ? tide_counts_total(&hw->processors) : 0;
    int64_t per_socket = 1, per_core = 1;
    if (sockets < 1)
        sockets = 1;
    if (l && l->sockets && !l->unknown) {
        per_socket = l->cores / l->sockets > 0 ? l->cores / l->sockets : 1;
        per_core = l->threads / l->cores > 0 ? l->threads / l->cores : 1;
    } else {
        *note = hw ? NOTE_NO_CORES : NOTE_NO_INVENTORY;
    }
    strbuf_printf(b, "CPUs=%" PRId64 " Boards=1 SocketsPerBoard=%d CoresPerSocket=%" PRId64
                     " ThreadsPerCore=%" PRId64,
                  (int64_t)sockets * per_socket * per_core, sockets, per_socket, per_core);
    int64_t mib = hw ? real_memory_mib(hw->memory_mib) : 0;
    if (mib > 0)
        strbuf_printf(b, " RealMemory=%" PRId64, mib);
}

/* Features without duplicates, in the order added. */
typedef struct feature_list {
    char  **v;
    size_t  n;
} feature_list;

static void feature_add(feature_list *f, const char *name)
{
    if (!name)
        return;
    for (size_t i = 0; i < f->n; i++)
        if (!strcmp(f->v[i], name))
            return;
    f->v = xrealloc(f->v, sizeof(char *) * (f->n + 1));
    f->v[f->n++] = xstrdup(name);
}

static void feature_add_models(feature_list *f, const tide_counts *models)
{
    for (size_t i = 0; i < models->n; i++) {
        char *feature = tide_slurm_model_feature(models->items[i].name);
        feature_add(f, feature);
        free(feature);
    }
}

static void feature_list_free(feature_list *f)
{
    for (size_t i = 0; i < f->n; i++)
        free(f->v[i]);
    free(f->v);
}

/* Gres=gpu:<type>:<n>[,...]: one entry per accelerator feature (counts of models that share it summed),
 * gpu:<n> for a model without one. */
static void append_gres(strbuf *b, const tide_node_hw *hw)
{
    tide_counts gres = { NULL, 0 };
    for (size_t i = 0; hw && i < hw->accelerators.n; i++) {
        char *type = tide_slurm_model_feature(hw->accelerators.items[i].name);
        tide_counts_add(&gres, type ? type : "", hw->accelerators.items[i].count);
        free(type);
    }
    for (size_t i = 0; i < gres.n; i++) {
        strbuf_puts(b, i ? "," : " Gres=");
        if (gres.items[i].name[0])
            strbuf_printf(b, "gpu:%s:%d", gres.items[i].name, gres.items[i].count);
        else
            strbuf_printf(b, "gpu:%d", gres.items[i].count);
    }
    tide_counts_free(&gres);
}

static char *node_spec(const tide_node_hw *hw, const cpu_layout *l, const tide_slurmconf_opts *o,
                       const char *const *images, size_t nimages, int64_t weight, const char **note)
{
    strbuf b = STRBUF_INIT;
    feature_list f = { NULL, 0 };

    *note = NULL;
    if (o->node_spec)
        strbuf_puts(&b, o->node_spec);
    else
        append_layout(&b, hw, l, note);
    if (o->gres)
        append_gres(&b, hw);

    if (hw) {
        feature_add_models(&f, &hw->processors);
        feature_add_models(&f, &hw->accelerators);
        if (hw->memory_mib >= 1024) {
            char mem[32];
            snprintf(mem, sizeof(mem), "mem%" PRId64 "g", hw->memory_mib / 1024);
            feature_add(&f, mem);
        }
        feature_add_models(&f, &hw->hsn_nics);
    }
    for (size_t i = 0; i < nimages; i++)
        feature_add(&f, images[i]);
    for (size_t i = 0; i < f.n; i++)
        strbuf_printf(&b, "%s%s", i ? "," : " Features=", f.v[i]);
    feature_list_free(&f);

    strbuf_printf(&b, " Weight=%" PRId64 " State=CLOUD", weight);
    return strbuf_steal(&b);
}

/* ---- the three files --------------------------------------------------- */

static void write_header(strbuf *b, const char *file, const char *what, const tide_conf *c,
                         const tide_slurmconf_opts *o)
{
    strbuf_printf(b, "# %s - %s.\n", file, what);
    strbuf_printf(b, "# Written by `tide slurm-conf` from %s and %s.\n", o->source ? o->source : "SMD's inventory",
                  c->path ? c->path : "tide.conf");
    strbuf_puts(b, "# Do not edit: run `tide slurm-conf` again when the site or tide.conf changes.\n");
}

static void write_nodes_conf(strbuf *b, const tide_conf *c, const tide_slurmconf_opts *o, const node_vec *nodes,
                             const char *missing)
{
    int any_gres = 0;
    for (size_t i = 0; i < nodes->n; i++)
        any_gres |= strstr(nodes->v[i].spec, " Gres=") != NULL;

    write_header(b, "nodes.conf", "the Slurm nodes tide may lend; include it from slurm.conf", c, o);
    strbuf_puts(b,
        "#\n"
        "# Every node is State=CLOUD: Slurm counts it as powered down while it lives in\n"
        "# another pool, and asks tide for it through ResumeProgram (power.conf).\n"
        "# Weight = 1 + the pool's Cost (tided keeps it current as pull costs change):\n"
        "# among nodes that fit a job equally, Slurm takes the lowest Weight first.\n"
        "# But Slurm 22.05 ignores Weight for powered-down nodes, and slurmctld sorts its\n"
        "# node table by name whatever the order of these lines, so among powered-down\n"
        "# nodes 22.05 takes the lowest-named match (select/cons_tres prefers\n"
        "# lower-index nodes among equals); 23.02 and later honour Weight there too.\n"
        "# The lines come cheapest pool first only to be read easily.\n"
        "# Features: processor, accelerator, memory and HSN of the node, then the images\n"
        "# (changeable features, helpers.conf).\n");
    if (any_gres)
        strbuf_puts(b,
            "# Gres=gpu needs a gres.conf on every node (or `tide slurm-conf --no-gres`).\n"
            "GresTypes=gpu\n");
    strbuf_puts(b, missing);

    char *done = xcalloc(nodes->n + 1, 1);
    const char **names = xcalloc(nodes->n + 1, sizeof(char *));
    for (size_t i = 0; i < nodes->n; i++) {
        const node_def *d = &nodes->v[i];
        if (!i || d->pool != nodes->v[i - 1].pool) {
            size_t count = 0;
            for (size_t k = i; k < nodes->n && nodes->v[k].pool == d->pool; k++)
                count++;
            strbuf_printf(b, "\n# Pool %s (Kind=%s%s, Cost=%d, SMD group %s): %zu node%s\n", d->pool->name,
                          tide_pool_kind_name(d->pool->kind),
                          d->pool->kind == TIDE_POOL_SLURM ? ", home pool unknown" : "", d->pool->cost,
                          d->pool->group, count, count == 1 ? "" : "s");
        }
        if (done[i])
            continue;
        /* This node and, unless expanded, every later one of its pool with the same line. */
        size_t n = 0;
        for (size_t k = i; k < nodes->n && nodes->v[k].pool == d->pool; k++) {
            if (done[k] || (k > i && (o->expand || nodes->v[k].note != d->note || strcmp(nodes->v[k].spec, d->spec))))
                continue;
            names[n++] = nodes->v[k].xname;
            done[k] = 1;
        }
        char *list = tide_hostlist_compress(names, n);
        if (d->note)
            strbuf_printf(b, "# %s\n", d->note);
        strbuf_printf(b, "NodeName=%s %s\n", list, d->spec);
        free(list);
    }
    free(names);
    free(done);
}

static void write_helpers_conf(strbuf *b, const tide_conf *c, const tide_slurmconf_opts *o,
                               const char *const *images, size_t nimages, int boot_time)
{
    write_header(b, "helpers.conf", "the images as changeable node features (node_features/helpers)", c, o);
    strbuf_puts(b,
        "# Slurm reads it from the directory of slurm.conf.\n"
        "#\n"
        "# tide-node prints the image the node booted (tide.image= on its kernel command\n"
        "# line).  Slurm 22.05 takes one Feature= per line (a comma list is fatal there).\n");
    for (size_t i = 0; i < nimages; i++)
        strbuf_printf(b, "Feature=%s Helper=%s\n", images[i], o->helper);
    if (nimages > 1) {
        strbuf_puts(b, "# A node runs one image at a time: a job may ask for one of them.\nMutuallyExclusive=");
        for (size_t i = 0; i < nimages; i++)
            strbuf_printf(b, "%s%s", i ? "," : "", images[i]);
        strbuf_puts(b, "\n");
    }
    strbuf_puts(b,
        "# tide-node only reads the kernel command line: Slurm's default limit is plenty.\n"
        "ExecTime=10\n"
        "# Not a timeout (ResumeTimeout is): backfill's estimate of how long a boot takes.\n");
    strbuf_printf(b, "BootTime=%d\n", boot_time);
    strbuf_puts(b, "# AllowUserBoot is left at its default, ALL: any job may switch a node's image.\n");
}

static void write_power_conf(strbuf *b, const tide_conf *c, const tide_slurmconf_opts *o, int suspend_time,
                             int suspend_timeout, int resume_timeout, int drain_timeout)
{
    const char *d = o->bindir;
    write_header(b, "power.conf", "the slurm.conf settings tide relies on", c, o);
    strbuf_puts(b,
        "# Include it from slurm.conf after your own settings.  A key given twice keeps\n"
        "# its last value: merge SlurmctldParameters and PrivateData with yours.\n"
        "\n"
        "# Power saving is how Slurm asks for nodes: a node tide may lend is a CLOUD node\n"
        "# that Slurm counts as powered down while it lives in another pool.  These\n"
        "# programs hand the request to tided and exit at once.\n");
    strbuf_printf(b, "ResumeProgram=%s/tide-slurm-resume\n", d);
    strbuf_printf(b, "SuspendProgram=%s/tide-slurm-suspend\n", d);
    strbuf_printf(b, "ResumeFailProgram=%s/tide-slurm-resume-fail\n", d);
    strbuf_puts(b, "# `scontrol reboot`: run once on the controller for all the nodes\n"
                   "# (reboot_from_controller below), so tided re-images them in one batch.\n");
    strbuf_printf(b, "RebootProgram=%s/tide-slurm-reboot\n", d);
    strbuf_puts(b, "# Tell tided at once which job a node is for, and when the job ends.  tided\n"
                   "# starts booting a powered-down node when Slurm allocates it: up to a second\n"
                   "# before slurmctld's power-save thread gets round to ResumeProgram.\n");
    strbuf_printf(b, "PrologSlurmctld=%s/tide-slurm-prolog\n", d);
    strbuf_printf(b, "EpilogSlurmctld=%s/tide-slurm-epilog\n", d);
    strbuf_puts(b, "# Seconds a node stays idle in Slurm before it goes back to its home pool.\n");
    strbuf_printf(b, "SuspendTime=%d\n", suspend_time);
    strbuf_puts(b, "# Seconds after a suspend before Slurm may resume the node again; tided\n"
                   "# finishes or reverses a release on its own.\n");
    strbuf_printf(b, "SuspendTimeout=%d\n", suspend_timeout);
    strbuf_puts(b, "# Seconds from ResumeProgram to slurmd registered in the right image: claim,\n");
    if (drain_timeout)
        strbuf_printf(b, "# drain a Kubernetes node (up to DrainTimeout=%d), image, boot, verify.\n", drain_timeout);
    else
        strbuf_puts(b, "# image, boot, verify.\n");
    strbuf_printf(b, "# tide's default: %d s for a boot + the longest DrainTimeout.  Past it Slurm\n"
                     "# sets the node DOWN and runs ResumeFailProgram.\n", TIDE_SLURM_BOOT_ALLOWANCE);
    strbuf_printf(b, "ResumeTimeout=%d\n", resume_timeout);
    strbuf_puts(b,
        "# No rate limit: tided batches requests (one BSS update per image, one power\n"
        "# transition per pass), and starts every node Slurm allocates without waiting\n"
        "# for ResumeProgram, so a rate here would not hold the boots back.\n"
        "ResumeRate=0\n"
        "SuspendRate=0\n"
        "# Slurm 22.05 hides powered-down CLOUD nodes from sinfo, scontrol and libslurm\n"
        "# (tided reads them) without it.\n"
        "PrivateData=cloud\n"
        "# power_save_interval=2,power_save_min_interval=0: the power-save thread wakes\n"
        "# every second and acts when a node changed state; otherwise it looks every\n"
        "# 2 s (default 10 s), with no pause between runs.\n"
        "# reboot_from_controller: RebootProgram runs on slurmctld with the node list.\n"
        "# cloud_reg_addrs: a CLOUD node's address is the one it registers from.\n"
        "SlurmctldParameters=power_save_interval=2,power_save_min_interval=0,reboot_from_controller,"
        "cloud_reg_addrs\n"
        "# The images are changeable features that tide-node reports (helpers.conf).\n"
        "NodeFeaturesPlugins=node_features/helpers\n"
        "# A node set DOWN for missing ResumeTimeout returns to service as soon as it\n"
        "# registers; tide's own quarantine is a DRAIN, which this does not clear.\n"
        "ReturnToService=2\n"
        "# CLOUD nodes do not know each other's addresses: slurmctld talks to each node\n"
        "# directly instead of forwarding messages through other nodes.\n"
        "TreeWidth=65533\n");
}

/* ---- the whole -------------------------------------------------------- */

/* The longest DrainTimeout of the Kubernetes pools, 0 without any. */
static int longest_drain(const tide_conf *c)
{
    int longest = 0;
    for (size_t i = 0; i < c->npools; i++)
        if (c->pools[i].kind == TIDE_POOL_KUBERNETES && c->pools[i].drain_timeout > longest)
            longest = c->pools[i].drain_timeout;
    return longest;
}

/* Describe every node and write the three texts. */
static void render(const tide_conf *conf, json_object *inventory, const tide_inventory *inv,
                   const tide_slurmconf_opts *o, const char *const *images, size_t nimages, node_vec *nodes,
                   const char *missing, tide_slurmconf *out)
{
    cpu_layout *layouts = read_layouts(inventory, inv);
    for (size_t i = 0; i < nodes->n; i++) {
        node_def *d = &nodes->v[i];
        const tide_node_hw *hw = tide_inventory_find(inv, d->xname);
        const cpu_layout *l = hw ? &layouts[hw - inv->nodes] : NULL;
        d->spec = node_spec(hw, l, o, images, nimages, 1 + (int64_t)d->pool->cost, &d->note);
    }
    free(layouts);

    int drain = longest_drain(conf);
    int resume_timeout = o->resume_timeout > 0 ? o->resume_timeout : TIDE_SLURM_BOOT_ALLOWANCE + drain;
    int boot_time = resume_timeout < TIDE_SLURM_BOOT_TIME ? resume_timeout : TIDE_SLURM_BOOT_TIME;
    strbuf b = STRBUF_INIT;
    write_nodes_conf(&b, conf, o, nodes, missing);
    out->nodes_conf = strbuf_steal(&b);
    write_helpers_conf(&b, conf, o, images, nimages, boot_time);
    out->helpers_conf = strbuf_steal(&b);
    write_power_conf(&b, conf, o, o->suspend_time > 0 ? o->suspend_time : TIDE_SLURM_SUSPEND_TIME,
                     o->suspend_timeout > 0 ? o->suspend_timeout : TIDE_SLURM_SUSPEND_TIMEOUT, resume_timeout,
                     drain);
    out->power_conf = strbuf_steal(&b);
    out->nnodes = nodes->n;
}

int tide_slurmconf_build(const tide_conf *conf, const tide_group_list *groups, json_object *inventory,
                         const tide_slurmconf_opts *o, tide_slurmconf *out, tide_err *e)
{
    const char **images = NULL;
    size_t nimages = 0;
    node_vec nodes = { NULL, 0 };
    strbuf missing = STRBUF_INIT;
    tide_inventory inv = { NULL, 0 };
    int rc = -1;

    memset(out, 0, sizeof(*out));
    if (choose_images(conf, o, &images, &nimages, e))
        return -1;
    if (tide_inventory_parse(inventory, &inv, e))
        goto done;
    collect_nodes(conf, groups, &nodes, &missing);
    if (!nodes.n) {
        tide_err_set(e, "no node to define: the SMD groups of the lending pools (Kind=free, Kind=kubernetes) "
                        "and of SlurmPool= in %s are empty or missing", conf->path ? conf->path : "tide.conf");
        goto done;
    }
    render(conf, inventory, &inv, o, images, nimages, &nodes, strbuf_str(&missing), out);
    rc = 0;

done:
    for (size_t i = 0; i < nodes.n; i++)
        free(nodes.v[i].spec);
    free(nodes.v);
    free(images);
    strbuf_free(&missing);
    tide_inventory_free(&inv);
    return rc;
}

void tide_slurmconf_free(tide_slurmconf *s)
{
    if (!s)
        return;
    free(s->nodes_conf);
    free(s->helpers_conf);
    free(s->power_conf);
    memset(s, 0, sizeof(*s));
}

/*
 * cmd_slurmconf.c - `tide slurm-conf`: nodes.conf, helpers.conf and
 * power.conf for Slurm, from SMD's inventory and tide.conf.  Two SMD calls:
 * the pools' groups (and tided's home groups) in one GET /groups?group=...,
 * and the inventory of s0.  lib/slurmconf.c does the work.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "slurmconf.h"

#ifndef TIDE_BINDIR
#define TIDE_BINDIR "/usr/local/bin"
#endif
#ifndef TIDE_SBINDIR
#define TIDE_SBINDIR "/usr/local/sbin"
#endif

static const char help[] =
    "Usage: tide slurm-conf [--from DUMP] [-o DIR] [--json] [OPTIONS]\n"
    "\n"
    "Write the Slurm configuration of the nodes tide may lend, from SMD's hardware\n"
    "inventory and tide.conf:\n"
    "  nodes.conf    a NodeName= line for every node of the Kind=free and\n"
    "                Kind=kubernetes pools and of SlurmPool=, cheapest pool first\n"
    "  helpers.conf  the images as changeable features (node_features/helpers)\n"
    "  power.conf    power saving and the other slurm.conf keys tide needs\n"
    "Without -o and --json the three files are printed one after the other.\n"
    "\n"
    "  -o, --output DIR       write DIR/nodes.conf, DIR/helpers.conf, DIR/power.conf\n"
    "                         (each replaced only once complete)\n"
    "      --json             print {\"nodes.conf\": TEXT, \"helpers.conf\": TEXT,\n"
    "                         \"power.conf\": TEXT}\n"
    "      --from DUMP        read the site from a `tide dump` file instead of SMD\n"
    "      --bindir DIR       where the tide-slurm-* programs are (default " TIDE_BINDIR ")\n"
    "      --helper PATH      the Helper of helpers.conf (default " TIDE_SBINDIR "/tide-node)\n"
    "      --images LIST      the image features, comma-separated Image= names (default:\n"
    "                         every Image= but a Kubernetes pool's HomeImage)\n"
    "      --node-spec SPEC   write SPEC instead of the CPU and memory fields read from\n"
    "                         the inventory (test clusters whose nodes share a machine)\n"
    "      --no-gres          no Gres=gpu (Gres needs GresTypes=gpu and a gres.conf)\n"
    "      --expand           one line per node instead of host lists of identical nodes\n"
    "      --suspend-time S   SuspendTime (default 300)\n"
    "      --suspend-timeout S  SuspendTimeout (default 300)\n"
    "      --resume-timeout S ResumeTimeout (default 900 + the longest DrainTimeout of\n"
    "                         the Kubernetes pools)\n"
    "  -h, --help             this help\n"
    "\n"
    "See tide(1) for the rules that turn the inventory into node lines.\n";

static const char *const files[] = { "nodes.conf", "helpers.conf", "power.conf" };
#define NFILES (sizeof(files) / sizeof(files[0]))

enum { OPT_FROM = 256, OPT_BINDIR, OPT_HELPER, OPT_IMAGES, OPT_NODE_SPEC, OPT_NO_GRES, OPT_EXPAND,
       OPT_SUSPEND_TIME, OPT_SUSPEND_TIMEOUT, OPT_RESUME_TIMEOUT };

typedef struct slurmconf_args {
    int         json;
    const char *output;      /* -o DIR */
    char       *bindir;      /* --bindir without trailing slashes (owned) */
    char      **images;      /* --images split at commas (owned), or NULL */
    size_t      nimages;
    tide_slurmconf_opts opts;
} slurmconf_args;

static void free_args(slurmconf_args *a)
{
    free(a->bindir);
    tide_strv_free(a->images, a->nimages);
}

/* A Slurm time option in seconds.  Returns -1 to go on, else the exit status. */
static int parse_seconds(const char *opt, const char *arg, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (errno || end == arg || *end || v < 1 || v > INT_MAX / 2)
        return cli_usage("slurm-conf", "%s wants a number of seconds (1 or more), not '%s'", opt, arg);
    *out = (int)v;
    return -1;
}

/* "a,b,,c" -> {"a","b","c"} */
static void split_images(const char *list, slurmconf_args *a)
{
    char *copy = xstrdup(list), *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        a->images = xrealloc(a->images, sizeof(char *) * (a->nimages + 1));
        a->images[a->nimages++] = xstrdup(t);
    }
    free(copy);
}

/* Returns -1 to go on, else the exit status. */
static int parse_args(tide_cli *cli, int argc, char **argv, slurmconf_args *a)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "json", no_argument, NULL, 'j' },
        { "output", required_argument, NULL, 'o' },
        { "from", required_argument, NULL, OPT_FROM },
        { "bindir", required_argument, NULL, OPT_BINDIR },
        { "helper", required_argument, NULL, OPT_HELPER },
        { "images", required_argument, NULL, OPT_IMAGES },
        { "node-spec", required_argument, NULL, OPT_NODE_SPEC },
        { "no-gres", no_argument, NULL, OPT_NO_GRES },
        { "expand", no_argument, NULL, OPT_EXPAND },
        { "suspend-time", required_argument, NULL, OPT_SUSPEND_TIME },
        { "suspend-timeout", required_argument, NULL, OPT_SUSPEND_TIMEOUT },
        { "resume-timeout", required_argument, NULL, OPT_RESUME_TIMEOUT },
        { NULL, 0, NULL, 0 },
    };
    const char *bindir = TIDE_BINDIR, *images = NULL;
    int c, rc = -1;

    memset(a, 0, sizeof(*a));
    tide_slurmconf_opts_init(&a->opts, NULL, TIDE_SBINDIR "/tide-node");
    optind = 0;   /* GNU: reinitialise, the global options were parsed with another argv */
    opterr = 0;   /* our own one-line messages */
    while (rc < 0 && (c = getopt_long(argc, argv, ":hjo:", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(help, stdout);
            return CLI_OK;
        case 'j': a->json = 1; break;
        case 'o': a->output = optarg; break;
        case OPT_FROM: cli->from = optarg; break;
        case OPT_BINDIR: bindir = optarg; break;
        case OPT_HELPER: a->opts.helper = optarg; break;
        case OPT_IMAGES: images = optarg; break;
        case OPT_NODE_SPEC: a->opts.node_spec = optarg; break;
        case OPT_NO_GRES: a->opts.gres = 0; break;
        case OPT_EXPAND: a->opts.expand = 1; break;
        case OPT_SUSPEND_TIME: rc = parse_seconds("--suspend-time", optarg, &a->opts.suspend_time); break;
        case OPT_SUSPEND_TIMEOUT: rc = parse_seconds("--suspend-timeout", optarg, &a->opts.suspend_timeout); break;
        case OPT_RESUME_TIMEOUT: rc = parse_seconds("--resume-timeout", optarg, &a->opts.resume_timeout); break;
        case ':':
            return cli_usage("slurm-conf", "option %s needs an argument", argv[optind - 1]);
        default:
            if (optopt)
                return cli_usage("slurm-conf", "unknown option -%c", optopt);
            return cli_usage("slurm-conf", "unknown option %s", argv[optind - 1]);
        }
    }
    if (rc >= 0)
        return rc;
    if (optind < argc)
        return cli_usage("slurm-conf", "unexpected operand '%s'", argv[optind]);
    /* Slurm runs these programs without PATH: it must be given absolute paths. */
    if (bindir[0] != '/')
        return cli_usage("slurm-conf", "--bindir must be an absolute path, not '%s'", bindir);
    if (a->opts.helper[0] != '/')
        return cli_usage("slurm-conf", "--helper must be an absolute path, not '%s'", a->opts.helper);
    size_t len = strlen(bindir);
    while (len > 1 && bindir[len - 1] == '/')
        len--;
    a->bindir = xstrndup(bindir, len);
    a->opts.bindir = a->bindir;
    if (images) {
        split_images(images, a);
        if (!a->nimages)
            return cli_usage("slurm-conf", "--images needs at least one image name");
        a->opts.images = (const char *const *)a->images;
        a->opts.nimages = a->nimages;
    }
    return -1;
}

/* The groups to read: every pool's (missing ones are noted, not fatal) and tided's home groups. */
static int read_groups(tide_site *site, const tide_conf *conf, tide_group_list *groups, tide_err *e)
{
    char **labels = xcalloc(2 * conf->npools + 1, sizeof(char *));
    size_t n = 0;
    for (size_t i = 0; i < conf->npools; i++) {
        labels[n++] = xstrdup(conf->pools[i].group);
        if (conf->pools[i].kind == TIDE_POOL_FREE || conf->pools[i].kind == TIDE_POOL_KUBERNETES)
            labels[n++] = xasprintf("%s%s", TIDE_HOME_GROUP_PREFIX, conf->pools[i].name);
    }
    int rc = n ? tide_site_groups(site, (const char *const *)labels, n, groups, e) : 0;
    tide_strv_free(labels, n);
    return rc;
}

static int write_files(const tide_slurmconf *sc, const char *dir)
{
    const char *texts[NFILES] = { sc->nodes_conf, sc->helpers_conf, sc->power_conf };
    int rc = CLI_OK;
    for (size_t i = 0; i < NFILES && rc == CLI_OK; i++) {
        char *path = xasprintf("%s/%s", dir, files[i]);
        rc = cli_write(texts[i], path);
        free(path);
    }
    return rc;
}

static int print_files(const tide_slurmconf *sc, int json)
{
    const char *texts[NFILES] = { sc->nodes_conf, sc->helpers_conf, sc->power_conf };
    if (json) {
        json_object *o = json_object_new_object();
        for (size_t i = 0; i < NFILES; i++)
            json_object_object_add(o, files[i], json_object_new_string(texts[i]));
        return cli_print_json(o);
    }
    strbuf b = STRBUF_INIT;
    for (size_t i = 0; i < NFILES; i++)
        strbuf_printf(&b, "%s%s", i ? "\n" : "", texts[i]);
    int rc = cli_write(strbuf_str(&b), NULL);
    strbuf_free(&b);
    return rc;
}

int cmd_slurmconf(tide_cli *cli, int argc, char **argv)
{
    slurmconf_args a;
    tide_err e = { 0 };
    tide_group_list groups = { NULL, 0 };
    tide_slurmconf sc;
    json_object *inventory = NULL;
    int rc = parse_args(cli, argc, argv, &a);

    if (rc >= 0) {
        free_args(&a);
        return rc;
    }
    const tide_conf *conf = cli_conf(cli, &e);
    tide_site *site = conf ? cli_site(cli, &e) : NULL;
    if (!site || read_groups(site, conf, &groups, &e) || tide_site_inventory_json(site, &inventory, &e)) {
        tide_group_list_free(&groups);
        free_args(&a);
        return cli_fail(&e);
    }
    a.opts.source = tide_site_source(site);
    if (tide_slurmconf_build(conf, &groups, inventory, &a.opts, &sc, &e)) {
        rc = cli_fail(&e);
    } else {
        rc = a.output ? write_files(&sc, a.output) : CLI_OK;
        if (rc == CLI_OK && (a.json || !a.output))
            rc = print_files(&sc, a.json);
        tide_slurmconf_free(&sc);
    }
    tide_group_list_free(&groups);
    free_args(&a);
    return rc;
}

/*
 * tide.c - the `tide` command: global options, then one command from the table.
 *
 * Adding a command: one line in `commands` below, its prototype in cli.h, and
 * helper/cmd_<name>.c (listed in helper/local.mk).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"

static const tide_cmd commands[] = {
    { "inventory", cmd_inventory, "hardware of the nodes of an SMD group, one column per model" },
    { "node",      cmd_node,      "the hardware components of one node" },
    { "pools",     cmd_pools,     "the pools of tide.conf: nodes per hardware profile" },
    { "pool",      cmd_pool,      "size a group with a clstr pattern: pool plan, pool apply" },
    { "dump",      cmd_dump,      "save SMD's components, groups and inventory for offline use" },
    { "slurm-conf", cmd_slurmconf, "Slurm's nodes.conf, helpers.conf and power.conf from SMD and tide.conf" },
    { "slurm",     cmd_slurm,     "the programs Slurm runs: resume, suspend, resume-fail, reboot, prolog, epilog" },
    { "status",    cmd_status,    "the node transitions tided is working on" },
    { "leases",    cmd_leases,    "the nodes lent to Slurm: job, home pool, since when" },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
    fputs("Usage: tide [-c FILE] [--from DUMP] [-v] COMMAND [--json] [ARGS]\n"
          "       tide --help | --version\n"
          "\n"
          "Options:\n"
          "  -c, --config FILE  tide.conf to read (default: $TIDE_CONF, else " TIDE_DEFAULT_CONF ")\n"
          "      --from DUMP    read the site from a `tide dump` file instead of SMD\n"
          "  -v, --verbose      log more to stderr (twice: debug, every HTTP request)\n"
          "  -h, --help         this help; `tide COMMAND --help` for a command\n"
          "  -V, --version      print the version\n"
          "\n"
          "Commands:\n", f);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-10s  %s\n", commands[i].name, commands[i].summary);
    fputs("\nSee tide(1) and tide.conf(5).\n", f);
}

/*
 * Slurm runs a program path with its own arguments, so `tide slurm resume` is
 * also installed as tide-slurm-resume (a symlink): argv[0] tide-slurm-PROGRAM
 * means `tide slurm PROGRAM ARGS`.  Returns a new argv (argc updated), or NULL.
 */
static char **slurm_program_argv(int *argc, char **argv)
{
    const char *base = strrchr(argv[0], '/');
    base = base ? base + 1 : argv[0];
    if (strncmp(base, "tide-slurm-", 11) || !base[11])
        return NULL;
    char **v = calloc((size_t)*argc + 3, sizeof(*v));
    if (!v)
        return NULL;
    v[0] = argv[0];
    v[1] = (char *)"slurm";
    v[2] = (char *)base + 11;
    for (int i = 1; i < *argc; i++)
        v[i + 2] = argv[i];
    *argc += 2;
    return v;
}

int main(int argc, char **argv)
{
    cli_open_stdio();
    char **slurm_argv = slurm_program_argv(&argc, argv);
    if (slurm_argv) {
        tide_cli cli;
        memset(&cli, 0, sizeof(cli));
        int rc = cmd_slurm(&cli, argc - 1, slurm_argv + 1);
        cli_close(&cli);
        free(slurm_argv);
        return rc;
    }

    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' },
        { "from", required_argument, NULL, 'F' },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    tide_cli cli;
    int c;

    memset(&cli, 0, sizeof(cli));
    opterr = 0;
    /* '+': stop at the command name; the command parses the rest. */
    while ((c = getopt_long(argc, argv, "+:c:vhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            cli.conf_path = optarg;
            break;
        case 'F':
            cli.from = optarg;
            break;
        case 'v':
            cli.verbose++;
            break;
        case 'h':
            usage(stdout);
            return CLI_OK;
        case 'V':
            printf("tide %s\n", PACKAGE_VERSION);
            return CLI_OK;
        case ':':
            return cli_usage(NULL, "option %s needs an argument", argv[optind - 1]);
        default:
            if (optopt)
                return cli_usage(NULL, "unknown option -%c", optopt);
            return cli_usage(NULL, "unknown option %s", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cli_usage(NULL, "no command given");

    const char *name = argv[optind];
    const tide_cmd *cmd = NULL;
    for (size_t i = 0; i < NCOMMANDS && !cmd; i++)
        if (!strcmp(commands[i].name, name))
            cmd = &commands[i];
    if (!cmd)
        return cli_usage(NULL, "unknown command '%s'", name);

    tide_log_open("tide", cli.verbose >= 2 ? TIDE_LOG_DEBUG : cli.verbose ? TIDE_LOG_VERBOSE : TIDE_LOG_ERROR, 0);
    int rc = cmd->run(&cli, argc - optind, argv + optind);
    cli_close(&cli);
    return rc;
}

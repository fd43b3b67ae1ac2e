/*
 * cli.h - what every `tide` command shares: the command table entry, the
 * config and service clients (opened on first use), option parsing, and the
 * output rules.
 *
 * Output rules: a command builds its whole output in memory and prints it
 * only once nothing can fail any more, so stdout never holds half a table
 * followed by an error.  An error is one line on stderr, `tide: error: ...`,
 * and exit status 1; a usage error is the same line and exit status 2.
 */
#ifndef TIDE_CLI_H
#define TIDE_CLI_H

#include <json-c/json.h>

#include "client.h"
#include "conf.h"
#include "err.h"
#include "model.h"
#include "site.h"
#include "strbuf.h"
#include "table.h"

#define CLI_OK    0
#define CLI_ERROR 1
#define CLI_USAGE 2

/* The state of one `tide` run. */
typedef struct tide_cli {
    const char  *conf_path;   /* -c FILE; NULL = $TIDE_CONF, else the default */
    const char  *from;        /* --from DUMP: read the site from a `tide dump` file, not from SMD */
    int          verbose;     /* -v count */
    tide_conf   *conf;        /* loaded on first use */
    tide_clients clients;     /* opened on first use */
    int          clients_open;
    tide_site   *site;        /* opened on first use */
} tide_cli;

typedef int (*tide_cmd_fn)(tide_cli *cli, int argc, char **argv);

/* One line of the command table in tide.c. */
typedef struct tide_cmd {
    const char  *name;
    tide_cmd_fn  run;         /* argv[0] is the command name; returns the exit status */
    const char  *summary;     /* one line for `tide --help` */
} tide_cmd;

/* The commands (one file each: helper/cmd_<name>.c). */
int cmd_inventory(tide_cli *cli, int argc, char **argv);
int cmd_node(tide_cli *cli, int argc, char **argv);
int cmd_pools(tide_cli *cli, int argc, char **argv);
int cmd_dump(tide_cli *cli, int argc, char **argv);
int cmd_slurmconf(tide_cli *cli, int argc, char **argv);
int cmd_slurm(tide_cli *cli, int argc, char **argv);
int cmd_status(tide_cli *cli, int argc, char **argv);
int cmd_leases(tide_cli *cli, int argc, char **argv);
int cmd_pool(tide_cli *cli, int argc, char **argv);
/* Open /dev/null on whichever of fds 0-2 is closed (Slurm runs its programs so); cmd_slurm.c. */
void cli_open_stdio(void);

/* ---- errors ------------------------------------------------------------ */

/* Print `tide: error: <message>` and return CLI_ERROR. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same with the message of e. */
int cli_fail(const tide_err *e);
/* Print `tide: error: <message> (see 'tide <cmd> --help')` and return CLI_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- options ----------------------------------------------------------- */

/* A command's parsed options: --help, --json, and -o/--output FILE where the command takes it. */
typedef struct cli_opts {
    int         json;
    const char *output;
    char      **args;         /* the operands */
    int         nargs;
} cli_opts;

/*
 * Parse argv of command `cmd`.  `help` is printed on --help.  -o/--output is
 * accepted only when allow_output.  Returns -1 to go on, or the exit status to
 * return at once (CLI_OK after --help, CLI_USAGE after a bad option).  The
 * operand count must lie within [min_args, max_args]; `operand` names the
 * first one in messages ("missing GROUP").
 */
int cli_parse_options(const char *cmd, int argc, char **argv, const char *help, int allow_output,
                      const char *operand, int min_args, int max_args, cli_opts *o);

/* ---- config and data --------------------------------------------------- */

/* tide.conf, loaded once. NULL with e set. */
const tide_conf *cli_conf(tide_cli *cli, tide_err *e);
/* The SMD client (tide.conf must have SmdUrl=). NULL with e set. */
tide_http *cli_smd(tide_cli *cli, tide_err *e);
/* The site: a `tide dump` file with --from, else SMD. NULL with e set. */
tide_site *cli_site(tide_cli *cli, tide_err *e);
void cli_close(tide_cli *cli);

/* ---- output ------------------------------------------------------------ */

/* Write text to stdout (or to `path` when not NULL, replacing it only once the whole text is
 * written). CLI_OK or CLI_ERROR after printing the error. */
int cli_write(const char *text, const char *path);
/* Pretty JSON (slashes not escaped), newline-terminated, appended to b. */
void cli_json_text(json_object *o, strbuf *b);
/* Render t and write it to stdout; frees t. */
int cli_print_table(tide_table *t);
/* Print o as JSON to stdout; puts o. */
int cli_print_json(json_object *o);

/* clstr's hardware matrix of these nodes (hw[i] NULL: no inventory): a row per node, a column per
 * processor, accelerator, HSN NIC model and DIMM size, cells "✅ (count)" or "❌", then ERROR. */
tide_table *cli_hw_matrix(char *const *xnames, size_t n, const tide_node_hw *const *hw);
/* {"MODEL": count, ...} */
json_object *cli_counts_json(const tide_counts *c);
/* The hardware of one node as in `tide inventory --json`: xname, processors, accelerators,
 * memory_mib, hsn_nics (n NULL: a node SMD has no inventory for). */
json_object *cli_node_hw_json(const char *xname, const tide_node_hw *n);

#endif

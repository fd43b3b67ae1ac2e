/* cli.c - see cli.h. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- errors ------------------------------------------------------------ */

/* One line, always: newlines in a service's detail would split the message. */
static void print_error_line(const char *msg, const char *suffix)
{
    fputs("tide: error: ", stderr);
    for (const char *s = msg; *s; s++)
        fputc(*s == '\n' || *s == '\r' ? ' ' : *s, stderr);
    fputs(suffix, stderr);
    fputc('\n', stderr);
}

int cli_error(const char *fmt, ...)
{
    char msg[TIDE_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    print_error_line(msg, "");
    return CLI_ERROR;
}

int cli_fail(const tide_err *e)
{
    print_error_line(e->msg[0] ? e->msg : "unknown error", "");
    return CLI_ERROR;
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    char msg[TIDE_ERR_MAX], suffix[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(suffix, sizeof(suffix), " (see 'tide%s%s --help')", cmd ? " " : "", cmd ? cmd : "");
    print_error_line(msg, suffix);
    return CLI_USAGE;
}

/* ---- options ----------------------------------------------------------- */

int cli_parse_options(const char *cmd, int argc, char **argv, const char *help, int allow_output,
                      const char *operand, int min_args, int max_args, cli_opts *o)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "json", no_argument, NULL, 'j' },
        { "output", required_argument, NULL, 'o' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    memset(o, 0, sizeof(*o));
    optind = 0;   /* GNU: reinitialise, the global options were parsed with another argv */
    opterr = 0;   /* our own one-line messages */
    while ((c = getopt_long(argc, argv, allow_output ? ":hjo:" : ":hj", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(help, stdout);
            return CLI_OK;
        case 'j':
            o->json = 1;
            break;
        case 'o':
            if (!allow_output)
                return cli_usage(cmd, "option --output is not accepted here");
            o->output = optarg;
            break;
        case ':':
            return cli_usage(cmd, "option %s needs an argument", argv[optind - 1]);
        default:
            if (optopt)
                return cli_usage(cmd, "unknown option -%c", optopt);
            return cli_usage(cmd, "unknown option %s", argv[optind - 1]);
        }
    }
    o->args = argv + optind;
    o->nargs = argc - optind;
    if (o->nargs < min_args)
        return cli_usage(cmd, "missing %s", operand ? operand : "operand");
    if (o->nargs > max_args)
        return cli_usage(cmd, "unexpected operand '%s'", o->args[max_args]);
    return -1;
}

/* ---- config and data --------------------------------------------------- */

const tide_conf *cli_conf(tide_cli *cli, tide_err *e)
{
    if (!cli->conf)
        cli->conf = tide_conf_load(tide_conf_path(cli->conf_path), e);
    return cli->conf;
}

tide_http *cli_smd(tide_cli *cli, tide_err *e)
{
    const tide_conf *conf = cli_conf(cli, e);
    if (!conf)
        return NULL;
    if (!cli->clients_open) {
        if (tide_clients_open(conf, &cli->clients, e))
            return NULL;
        cli->clients_open = 1;
    }
    if (!cli->clients.smd) {
        tide_err_set(e, "%s: SmdUrl= is not set; tide needs SMD (e.g. SmdUrl=http://smd:27779/hsm/v2)",
                     conf->path);
        return NULL;
    }
    return cli->clients.smd;
}

/* Read a whole file; NULL with e set. */
static char *read_file(const char *path, tide_err *e)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        tide_err_set(e, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    strbuf b = STRBUF_INIT;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        strbuf_add(&b, chunk, n);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        strbuf_free(&b);
        tide_err_set(e, "cannot read %s: read error", path);
        return NULL;
    }
    return b.s ? strbuf_steal(&b) : xstrdup("");
}

tide_site *cli_site(tide_cli *cli, tide_err *e)
{
    if (cli->site)
        return cli->site;
    if (cli->from) {
        char *text = read_file(cli->from, e);
        if (!text)
            return NULL;
        cli->site = tide_site_from_dump(text, cli->from, e);
        free(text);
    } else {
        tide_http *smd = cli_smd(cli, e);
        if (smd)
            cli->site = tide_site_live(smd);
    }
    return cli->site;
}

void cli_close(tide_cli *cli)
{
    tide_site_free(cli->site);
    if (cli->clients_open)
        tide_clients_close(&cli->clients);
    tide_conf_free(cli->conf);
    cli->site = NULL;
    cli->conf = NULL;
    cli->clients_open = 0;
}

/* ---- output ------------------------------------------------------------ */

static int write_all(FILE *f, const char *text)
{
    size_t len = strlen(text);
    return fwrite(text, 1, len, f) == len && fflush(f) == 0 ? 0 : -1;
}

int cli_write(const char *text, const char *path)
{
    if (!path || !strcmp(path, "-")) {
        if (write_all(stdout, text))
            return cli_error("cannot write to standard output: %s", strerror(errno));
        return CLI_OK;
    }
    /* Write beside the target and rename: an interrupted run leaves the old file intact. */
    char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    int rc = CLI_OK;
    if (!f) {
        rc = cli_error("cannot write %s: %s", path, strerror(errno));
    } else if (write_all(f, text) || fsync(fileno(f))) {
        rc = cli_error("cannot write %s: %s", path, strerror(errno));
        fclose(f);
        unlink(tmp);
    } else if (fclose(f)) {
        rc = cli_error("cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
    } else if (rename(tmp, path)) {
        rc = cli_error("cannot rename %s to %s: %s", tmp, path, strerror(errno));
        unlink(tmp);
    }
    free(tmp);
    return rc;
}

void cli_json_text(json_object *o, strbuf *b)
{
    strbuf_puts(b, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                         JSON_C_TO_STRING_NOSLASHESCAPE));
    strbuf_puts(b, "\n");
}

int cli_print_table(tide_table *t)
{
    strbuf b = STRBUF_INIT;
    tide_table_render(t, &b);
    tide_table_free(t);
    int rc = cli_write(strbuf_str(&b), NULL);
    strbuf_free(&b);
    return rc;
}

int cli_print_json(json_object *o)
{
    strbuf b = STRBUF_INIT;
    cli_json_text(o, &b);
    json_object_put(o);
    int rc = cli_write(strbuf_str(&b), NULL);
    strbuf_free(&b);
    return rc;
}

json_object *cli_counts_json(const tide_counts *c)
{
    json_object *o = json_object_new_object();
    for (size_t i = 0; c && i < c->n; i++)
        json_object_object_add(o, c->items[i].name, json_object_new_int(c->items[i].count));
    return o;
}

json_object *cli_node_hw_json(const char *xname, const tide_node_hw *n)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "xname", json_object_new_string(xname));
    json_object_object_add(o, "processors", cli_counts_json(n ? &n->processors : NULL));
    json_object_object_add(o, "accelerators", cli_counts_json(n ? &n->accelerators : NULL));
    json_object_object_add(o, "memory_mib", json_object_new_int64(n ? n->memory_mib : 0));
    json_object_object_add(o, "hsn_nics", cli_counts_json(n ? &n->hsn_nics : NULL));
    return o;
}

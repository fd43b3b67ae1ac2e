/*
 * cmd_status.c - `tide status` and `tide leases`: what tided is doing, from
 * GET /v1/status and GET /v1/leases.  Any user may read them (the request
 * carries the caller's munge credential; tided lets every uid GET).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "jsonutil.h"
#include "proto.h"
#include "xname.h"

static const char status_help[] =
    "Usage: tide status [--json]\n"
    "\n"
    "The nodes tided is moving now (and those with failures or in quarantine):\n"
    "  NODE DIRECTION STEP IMAGE JOB AGE STRIKES ERROR\n"
    "DIRECTION is acquire (into Slurm), release (back home) or reimage; AGE is the\n"
    "time spent in the current step.\n"
    "\n"
    "  --json   tided's answer as is: {\"now\": T, \"last_pass\": T, \"transitions\": [{\"node\",\n"
    "           \"direction\", \"step\", \"image\", \"job\", \"home\", \"pool\", \"since\", \"age\",\n"
    "           \"strikes\", \"quarantined\", \"error\"}]}\n"
    "  --help   this help\n";

static const char leases_help[] =
    "Usage: tide leases [--json]\n"
    "\n"
    "The nodes Slurm holds now, lent by their home pool:\n"
    "  NODE JOB HOME SINCE\n"
    "\n"
    "  --json   tided's answer as is: {\"now\": T, \"last_pass\": T, \"leases\": [{\"node\", \"job\",\n"
    "           \"home\", \"pool\", \"image\", \"since\"}]}\n"
    "  --help   this help\n";

/* 45s, 3m07s, 2h05m, 3d04h */
static void format_age(int64_t s, char *buf, size_t size)
{
    if (s < 0)
        s = 0;
    if (s < 60)
        snprintf(buf, size, "%llds", (long long)s);
    else if (s < 3600)
        snprintf(buf, size, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
    else if (s < 86400)
        snprintf(buf, size, "%lldh%02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
    else
        snprintf(buf, size, "%lldd%02lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
}

static const char *dash(const char *s) { return s && *s ? s : "-"; }

static int cmp_by_node(const void *a, const void *b)
{
    json_object *x = *(json_object *const *)a, *y = *(json_object *const *)b;
    const char *nx = tide_json_str(x, "node"), *ny = tide_json_str(y, "node");
    return tide_xname_cmp(nx ? nx : "", ny ? ny : "");
}

static void job_cell(tide_table *t, json_object *row)
{
    int64_t job = tide_json_int(row, "job", 0);
    if (job)
        tide_table_cellf(t, "%lld", (long long)job);
    else
        tide_table_cell(t, "-");
}

static int show(tide_cli *cli, int argc, char **argv, int leases)
{
    cli_opts o;
    int rc = cli_parse_options(argv[0], argc, argv, leases ? leases_help : status_help, 0, NULL, 0, 0, &o);
    if (rc >= 0)
        return rc;
    tide_err e = { 0 };
    const tide_conf *conf = cli_conf(cli, &e);
    if (!conf)
        return cli_fail(&e);
    json_object *reply = NULL;
    if (tide_tided_call(conf, "GET", leases ? "/v1/leases" : "/v1/status", NULL, &reply, &e))
        return cli_fail(&e);
    if (o.json)
        return cli_print_json(reply);

    json_object *rows = tide_json_array(reply, leases ? "leases" : "transitions");
    size_t n = rows ? json_object_array_length(rows) : 0;
    if (n)
        json_object_array_sort(rows, cmp_by_node);
    static const char *const status_cols[] = { "NODE", "DIRECTION", "STEP", "IMAGE", "JOB", "AGE", "STRIKES", "ERROR" };
    static const char *const lease_cols[] = { "NODE", "JOB", "HOME", "SINCE" };
    tide_table *t = leases ? tide_table_new(4, lease_cols) : tide_table_new(8, status_cols);
    for (size_t i = 0; i < n; i++) {
        json_object *row = json_object_array_get_idx(rows, i);
        tide_table_cell(t, dash(tide_json_str(row, "node")));
        if (leases) {
            job_cell(t, row);
            tide_table_cell(t, dash(tide_json_str(row, "home")));
            time_t since = (time_t)tide_json_int(row, "since", 0);
            struct tm tm;
            char when[32] = "-";
            if (since && localtime_r(&since, &tm))
                strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
            tide_table_cell(t, when);
            continue;
        }
        const char *dir = tide_json_str(row, "direction");
        tide_table_cell(t, dir ? dir : tide_json_bool(row, "quarantined", 0) ? "quarantined" : "-");
        tide_table_cell(t, dash(tide_json_str(row, "step")));
        tide_table_cell(t, dash(tide_json_str(row, "image")));
        job_cell(t, row);
        char age[32] = "-";
        if (tide_json_get(row, "age"))
            format_age(tide_json_int(row, "age", 0), age, sizeof(age));
        tide_table_cell(t, age);
        tide_table_cellf(t, "%lld", (long long)tide_json_int(row, "strikes", 0));
        tide_table_cell(t, dash(tide_json_str(row, "error")));
    }
    json_object_put(reply);
    if (!n) {
        tide_table_free(t);
        return cli_write(leases ? "No node is lent to Slurm.\n" : "No transition in flight.\n", NULL);
    }
    return cli_print_table(t);
}

int cmd_status(tide_cli *cli, int argc, char **argv) { return show(cli, argc, argv, 0); }
int cmd_leases(tide_cli *cli, int argc, char **argv) { return show(cli, argc, argv, 1); }

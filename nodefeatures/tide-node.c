/*
 * tide-node.c - tide on a compute node: the node_features/helpers Helper that
 * tells Slurm which image the node runs, and the Prolog that keeps a job off a
 * node booted in another image (tide-node(8)).
 *
 * tided boots a node with ` tide.image=<name>` on its kernel command line, so
 * the booted image is a fact of the running kernel, not of a file anyone can
 * edit.  Four ways to run it:
 *
 *   tide-node            Slurm's query: print the image, one line, exit 0
 *                        (nothing when the node was not booted by tide)
 *   tide-node FEATURE    Slurm's set: the node must boot FEATURE next; tided
 *                        is asked for a re-image (POST /v1/reboot)
 *   tide-node prolog     slurm.conf Prolog= (also as a program named
 *                        tide-node-prolog, since Prolog= takes no arguments):
 *                        exit 1, so that Slurm requeues the job and drains
 *                        the node, when SLURM_JOB_CONSTRAINTS asks for an
 *                        image this node did not boot (image_gate.c); exit 0
 *                        on anything it cannot read
 *   tide-node image      for admins: the image, or an error saying why not
 *
 * slurmd runs the Helper with argv == NULL in query mode (argc 0, or argv[0]
 * "" on Linux >= 5.18), stdout and stderr on one pipe whose lines it keeps
 * only when they equal a feature name, and possibly no PATH.  So: never trust
 * argv[0], print nothing but the answer on stdout, and report problems to
 * syslog too (the pipe is not logged).  The command line is read from
 * $TIDE_CMDLINE when set (the testbed simulates each node's /proc/cmdline),
 * else /proc/cmdline.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "cmdline.h"
#include "conf.h"
#include "err.h"
#include "image_gate.h"
#include "log.h"
#include "proto.h"
#include "strbuf.h"
#include "xname.h"

#define PROLOG_NAME "tide-node-prolog"   /* the Prolog under its own name: Prolog= takes no arguments */

static const char usage_text[] =
    "Usage: tide-node              print the image this node booted (Slurm's query)\n"
    "       tide-node FEATURE      boot FEATURE next: ask tided to re-image this node\n"
    "       tide-node prolog       slurm.conf Prolog= (or as " PROLOG_NAME "): fail when the job\n"
    "                              asks for another image than the one this node booted\n"
    "       tide-node image        print the image this node booted, or why there is none\n"
    "       tide-node agent [...]  the node agent: tided switches this node's image by kexec\n"
    "                              through it ('tide-node agent --help')\n"
    "       tide-node --help | --version\n"
    "\n"
    "The node_features/helpers Helper of tide (helpers.conf: Feature=IMAGE\n"
    "Helper=/path/to/tide-node).  The image is the value of tide.image= on the\n"
    "kernel command line: $TIDE_CMDLINE if set, else /proc/cmdline.  Set mode\n"
    "and prolog read tide.conf: $TIDE_CONF, else " TIDE_DEFAULT_CONF "\n"
    "(-c is not accepted).\n"
    "\n"
    "See tide-node(8).\n";

/* slurmd and slurmctld may start us with fds 0-2 closed: the first file opened would become
 * stdout.  Put /dev/null there first. */
static void guard_stdio(void)
{
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
            continue;
        int null = open("/dev/null", fd ? O_WRONLY : O_RDONLY);
        if (null < 0)
            _exit(1);
        if (null != fd) {   /* cannot happen while a lower fd is free, but be exact */
            dup2(null, fd);
            close(null);
        }
    }
}

/*
 * Report a problem, return `status`.  In Slurm's modes the log goes to syslog (slurmd drops the
 * pipe's lines that are not features) and the line is also written to stderr for a person
 * trying the command; for `image` and usage errors the log itself is stderr.
 */
static int fail(int slurm_mode, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(int slurm_mode, int status, const char *fmt, ...)
{
    char msg[TIDE_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (slurm_mode)
        fprintf(stderr, "tide-node: error: %s\n", msg);
    tide_error("%s", msg);
    return status;
}

/* Slurm's query mode: the image, or nothing.  Exit 1 only when the command line cannot be read. */
static int query(void)
{
    tide_err e = { 0 };
    char *cmdline = tide_node_read_cmdline(tide_node_cmdline_path(), &e);
    if (!cmdline)
        return fail(1, 1, "%s", e.msg);
    char *image = tide_node_cmdline_value(cmdline, TIDE_IMAGE_KEY);
    if (image)
        printf("%s\n", image);
    free(image);
    free(cmdline);
    return fflush(stdout) ? 1 : 0;
}

/* `tide-node image`: the same for a person, who wants to hear why there is no image. */
static int print_image(void)
{
    tide_err e = { 0 };
    const char *path = tide_node_cmdline_path();
    char *cmdline = tide_node_read_cmdline(path, &e);
    if (!cmdline)
        return fail(0, 1, "%s", e.msg);
    char *image = tide_node_cmdline_value(cmdline, TIDE_IMAGE_KEY);
    free(cmdline);
    if (!image)
        return fail(0, 1, "%s has no " TIDE_IMAGE_KEY "<name>: this node was not booted by tide", path);
    printf("%s\n", image);
    free(image);
    return fflush(stdout) ? 1 : 0;
}

/* Slurm's set mode: the node is to boot `feature` next; tided does the re-image. */
static int set_image(const char *feature)
{
    tide_err e = { 0 };
    char *cmdline = tide_node_read_cmdline(tide_node_cmdline_path(), &e);
    char *xname = cmdline ? tide_node_xname(cmdline, &e) : NULL;
    free(cmdline);
    if (!xname)
        return fail(1, 1, "cannot ask tided to boot %s next: %s", feature, e.msg);
    tide_conf *conf = tide_conf_load(tide_conf_path(NULL), &e);
    if (!conf) {
        fail(1, 1, "cannot ask tided to boot %s next on %s: %s", feature, xname, e.msg);
        free(xname);
        return 1;
    }

    tide_request r = { .kind = TIDE_REQ_REBOOT, .nodes = TIDE_HOSTLIST_INIT, .features = xstrdup(feature) };
    tide_hostlist_push(&r.nodes, xname);
    json_object *body = tide_request_to_json(&r);
    int rc = tide_tided_call(conf, "POST", tide_req_path(TIDE_REQ_REBOOT), body, NULL, &e);
    json_object_put(body);
    tide_request_free(&r);
    tide_conf_free(conf);
    if (rc) {
        fail(1, 1, "cannot ask tided to boot %s next on %s: %s", feature, xname, e.msg);
        free(xname);
        return 1;
    }
    tide_info("%s: tided will boot %s next", xname, feature);
    free(xname);
    return 0;
}

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v && *v && strcmp(v, "(null)") ? v : dflt;
}

/*
 * slurm.conf Prolog=: run by slurmd on the node before the job, as root, with an environment of
 * Slurm's own (no PATH, no TIDE_CONF), stdio maybe closed.  Exit 1 stops the job: Slurm requeues
 * it and drains the node "Prolog error", which an admin must look at (tided never lifts a drain
 * it did not set).  So only a sure mismatch fails; anything unreadable is logged and let through.
 */
static int prolog(void)
{
    const char *job = env_or("SLURM_JOB_ID", "?");
    const char *node = env_or("SLURMD_NODENAME", "this node");
    const char *constraint = env_or("SLURM_JOB_CONSTRAINTS", NULL);
    tide_err e = { 0 };

    if (!constraint)
        return 0;   /* every job runs the Prolog: the common case costs nothing */
    char *cmdline = tide_node_read_cmdline(tide_node_cmdline_path(), &e);
    if (!cmdline) {
        tide_error("prolog: job %s on %s: %s: image not checked", job, node, e.msg);
        return 0;
    }
    char *booted = tide_node_cmdline_value(cmdline, TIDE_IMAGE_KEY);
    free(cmdline);
    tide_conf *conf = tide_conf_load(tide_conf_path(NULL), &e);
    if (!conf) {
        tide_error("prolog: job %s on %s: %s: image not checked", job, node, e.msg);
        free(booted);
        return 0;
    }
    const char **images = xcalloc(conf->nimages + 1, sizeof(*images));
    for (size_t i = 0; i < conf->nimages; i++)
        images[i] = conf->images[i].name;
    char why[TIDE_ERR_MAX];
    tide_gate verdict = tide_image_gate(constraint, booted, images, conf->nimages, why, sizeof(why));
    int rc = 0;
    if (verdict == TIDE_GATE_REFUSE)
        rc = fail(1, 1, "prolog: job %s refused on %s: %s", job, node, why);
    else
        tide_debug("prolog: job %s on %s: %s", job, node, why);
    free(images);
    tide_conf_free(conf);
    free(booted);
    return rc;
}

/* `tide-node prolog`, or the program under the name tide-node-prolog (argv[0] is the Prolog's path). */
static int invoked_as_prolog(int argc, char **argv)
{
    if (argc >= 1 && argv[0] && *argv[0]) {
        const char *base = strrchr(argv[0], '/');
        if (!strcmp(base ? base + 1 : argv[0], PROLOG_NAME))
            return 1;
    }
    return argc >= 2 && argv[1] && !strcmp(argv[1], "prolog");
}

int main(int argc, char **argv)
{
    guard_stdio();
    int as_prolog = invoked_as_prolog(argc, argv);
    /* Slurm's modes log to syslog: their stderr is a pipe slurmd filters and drops. */
    int slurm_mode = as_prolog || argc < 2 || !argv[1] || (strcmp(argv[1], "image") && argv[1][0] != '-');
    tide_log_open("tide-node", TIDE_LOG_INFO, slurm_mode);

    if (as_prolog)
        return argc > 2 ? fail(1, 2, "prolog: unexpected operand '%s' (see 'tide-node --help')", argv[2]) : prolog();
    if (argc < 2 || !argv[1])
        return query();   /* argc may be 0 and argv[0] NULL or "": never look at argv[0] */
    const char *arg = argv[1];
    if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (!strcmp(arg, "-V") || !strcmp(arg, "--version")) {
        printf("tide-node %s\n", PACKAGE_VERSION);
        return 0;
    }
    if (arg[0] == '-')
        return fail(0, 2, "unknown option %s (see 'tide-node --help')", arg);
    if (!strcmp(arg, "agent"))
        return tide_agent_main(argc - 1, argv + 1);   /* logs to stderr: systemd's journal takes it */
    if (argc > 2)
        return fail(slurm_mode, 2, "unexpected operand '%s' (see 'tide-node --help')", argv[2]);
    if (!strcmp(arg, "image"))
        return print_image();
    return set_image(arg);
}

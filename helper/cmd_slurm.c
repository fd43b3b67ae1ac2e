/*
 * cmd_slurm.c - `tide slurm PROGRAM ...`: the programs Slurm runs.
 *
 *   ResumeProgram       tide slurm resume <hostlist> [features]   (+ SLURM_RESUME_FILE, SLURM_JOB_ID)
 *   SuspendProgram      tide slurm suspend <hostlist>
 *   ResumeFailProgram   tide slurm resume-fail <hostlist>
 *   RebootProgram       tide slurm reboot <n1,n2> [features]      (reboot_from_controller)
 *   PrologSlurmctld     tide slurm prolog     (SLURM_JOB_ID, SLURM_JOB_NODELIST, SLURM_JOB_CONSTRAINTS)
 *   EpilogSlurmctld     tide slurm epilog     (the same, + SPANK_TIDE_RELEASE)
 *
 * Slurm runs a program path with arguments of its own choosing, so the
 * same programs are installed as tide-slurm-resume, tide-slurm-suspend, ...
 * (symlinks to tide; tide.c maps the name to `tide slurm <program>`).
 *
 * Each hands one request to tided and exits: 0 once tided accepted it,
 * 1 when tided could not be reached or refused (after one retry), 2 on bad
 * arguments.  prolog and epilog are only hints (the loop reads the jobs from
 * Slurm itself), and a PrologSlurmctld that fails makes Slurm requeue or
 * kill the job: run by Slurm (SLURM_JOB_ID set) they exit 0 whatever went
 * wrong, with the reason in syslog.  Slurm gives these programs no PATH and closed stdio, and keeps
 * SLURM_RESUME_FILE only briefly: stdio is reopened on /dev/null before
 * anything (tide.c), the resume file is read first, and every message goes to
 * syslog (ident tide-slurm) as well as to stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"
#include "hostlist.h"
#include "jsonutil.h"
#include "log.h"
#include "proto.h"

#define SANE_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define MAX_RESUME_FILE (4 * 1024 * 1024)

static const char help[] =
    "Usage: tide slurm PROGRAM [ARGS]\n"
    "\n"
    "The programs Slurm runs, each handing one request to tided (see tide(1), SLURM):\n"
    "  resume HOSTLIST [FEATURES]   ResumeProgram: bring the nodes into Slurm (in the image of FEATURES);\n"
    "                               reads SLURM_RESUME_FILE and SLURM_JOB_ID\n"
    "  suspend HOSTLIST             SuspendProgram: give the nodes back to their pools\n"
    "  resume-fail HOSTLIST         ResumeFailProgram: count a failure, put the nodes back safe\n"
    "  reboot NODES [FEATURES]      RebootProgram (reboot_from_controller): boot the nodes again\n"
    "  prolog                       PrologSlurmctld: SLURM_JOB_ID, SLURM_JOB_NODELIST, SLURM_JOB_CONSTRAINTS\n"
    "  epilog                       EpilogSlurmctld: the same, and SPANK_TIDE_RELEASE to give nodes back now\n"
    "\n"
    "Installed also as tide-slurm-resume, tide-slurm-suspend, tide-slurm-resume-fail,\n"
    "tide-slurm-reboot, tide-slurm-prolog and tide-slurm-epilog for slurm.conf.\n"
    "Exit status: 0 when tided accepted the request, 1 when it could not be reached or\n"
    "refused it, 2 on bad arguments; but prolog and epilog with SLURM_JOB_ID set exit 0\n"
    "whatever went wrong (they are only hints, and a failing PrologSlurmctld would cost\n"
    "the job).  Messages go to syslog (tide-slurm) and stderr.\n";

void cli_open_stdio(void)
{
    /* A closed fd 0-2 would be taken by the next open() and get our output in it. */
    for (int fd = 0; fd < 3; fd++) {
        if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
            continue;
        int null = open("/dev/null", O_RDWR);
        if (null >= 0 && null != fd) {
            dup2(null, fd);
            close(null);
        }
    }
}

/* Log to syslog and say it on stderr too (an admin running the program by hand sees it). */
static int say_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int say_error(const char *fmt, ...)
{
    char msg[TIDE_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    tide_error("%s", msg);
    return cli_error("%s", msg);
}

/* SLURM_RESUME_FILE: a /proc/<pid>/fd/N memfd that is gone once slurmctld moves on. */
static json_object *read_resume_file(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        tide_error("SLURM_RESUME_FILE=%s: %s (going on without it)", path, strerror(errno));
        return NULL;
    }
    strbuf b = STRBUF_INIT;
    char chunk[8192];
    ssize_t n;
    while ((n = read(fd, chunk, sizeof(chunk))) > 0 && b.len < MAX_RESUME_FILE)
        strbuf_add(&b, chunk, (size_t)n);
    close(fd);
    json_object *o = b.len ? json_tokener_parse(strbuf_str(&b)) : NULL;
    if (!o || !json_object_is_type(o, json_type_object)) {
        tide_error("SLURM_RESUME_FILE=%s: not a JSON object (going on without it)", path);
        json_object_put(o);
        o = NULL;
    }
    strbuf_free(&b);
    return o;
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v && strcmp(v, "(null)") ? v : NULL;
}

static long env_job_id(void)
{
    const char *s = env("SLURM_JOB_ID");
    if (!s)
        s = env("SLURM_JOBID");
    char *end;
    long id = s ? strtol(s, &end, 10) : 0;
    return s && !*end && id > 0 ? id : 0;
}

static int env_true(const char *name)
{
    const char *v = env(name);
    return v && strcmp(v, "0") && strcasecmp(v, "no") && strcasecmp(v, "false");
}

/*
 * The exit status of program `kind` after `rc`.  prolog and epilog are only hints (tided reads the jobs from
 * Slurm itself), and a failing PrologSlurmctld makes Slurm requeue or kill the job: under Slurm (SLURM_JOB_ID
 * set) they never fail.  The error is in syslog already.
 */
static int only_a_hint(tide_req_kind kind, int rc)
{
    if (rc == CLI_OK || (kind != TIDE_REQ_PROLOG && kind != TIDE_REQ_EPILOG) || !env_job_id())
        return rc;
    tide_info("slurm %s: job %ld goes on without tided (it reads the jobs from Slurm itself)", tide_req_name(kind),
              env_job_id());
    return CLI_OK;
}

/* Fill r from the arguments and environment of program `kind`.  CLI_OK or the exit status. */
static int build_request(tide_req_kind kind, int nargs, char **args, tide_request *r)
{
    tide_err e = { 0 };
    const char *hostlist;
    int max_args = kind == TIDE_REQ_RESUME || kind == TIDE_REQ_REBOOT ? 2 : 1;

    if (kind == TIDE_REQ_PROLOG || kind == TIDE_REQ_EPILOG) {
        if (nargs)
            return say_error("slurm %s: unexpected argument '%s' (it reads SLURM_JOB_ID and SLURM_JOB_NODELIST)",
                             tide_req_name(kind), args[0]), CLI_USAGE;
        r->job_id = env_job_id();
        /* slurmctld's prolog has SLURM_JOB_NODELIST, slurmd's SLURM_NODELIST. */
        hostlist = env("SLURM_JOB_NODELIST") ? env("SLURM_JOB_NODELIST") : env("SLURM_NODELIST");
        if (!r->job_id || !hostlist)
            return say_error("slurm %s: SLURM_JOB_ID and SLURM_JOB_NODELIST must be set (run it as "
                             "PrologSlurmctld or EpilogSlurmctld)", tide_req_name(kind)), CLI_USAGE;
        r->constraints = env("SLURM_JOB_CONSTRAINTS") ? xstrdup(env("SLURM_JOB_CONSTRAINTS")) : NULL;
        r->release = kind == TIDE_REQ_EPILOG && env_true("SPANK_TIDE_RELEASE");
    } else {
        if (nargs < 1 || nargs > max_args)
            return say_error("slurm %s: expected %s", tide_req_name(kind),
                             max_args == 2 ? "HOSTLIST [FEATURES]" : "HOSTLIST"), CLI_USAGE;
        hostlist = args[0];
        if (nargs == 2 && *args[1])
            r->features = xstrdup(args[1]);
        if (kind == TIDE_REQ_RESUME)
            r->job_id = env_job_id();
    }
    if (tide_hostlist_expand(hostlist, &r->nodes, &e))
        return say_error("slurm %s: %s", tide_req_name(kind), e.msg), CLI_USAGE;
    if (!r->nodes.n)
        return say_error("slurm %s: no nodes in '%s'", tide_req_name(kind), hostlist), CLI_USAGE;
    return CLI_OK;
}

int cmd_slurm(tide_cli *cli, int argc, char **argv)
{
    /* The resume file first: it may vanish while we look at anything else. */
    json_object *resume_file = NULL;
    if (argc >= 2 && !strcmp(argv[1], "resume") && env("SLURM_RESUME_FILE"))
        resume_file = read_resume_file(env("SLURM_RESUME_FILE"));
    setenv("PATH", SANE_PATH, 0);

    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        json_object_put(resume_file);
        if (argc < 2)
            return cli_usage("slurm", "missing PROGRAM");
        fputs(help, stdout);
        return CLI_OK;
    }
    tide_req_kind kind;
    if (tide_req_from_name(argv[1], &kind)) {
        json_object_put(resume_file);
        return cli_usage("slurm", "unknown program '%s'", argv[1]);
    }
    /* No host list or feature starts with '-': these are options, and the only one is --help. */
    for (int i = 2; i < argc; i++) {
        if (argv[i][0] != '-')
            continue;
        json_object_put(resume_file);
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(help, stdout);
            return CLI_OK;
        }
        return cli_usage("slurm", "unknown option %s", argv[i]);
    }
    /* stderr goes nowhere when Slurm runs us: syslog is where an admin looks. */
    tide_log_open("tide-slurm", cli->verbose ? TIDE_LOG_DEBUG : TIDE_LOG_INFO, 1);

    tide_request r;
    memset(&r, 0, sizeof(r));
    r.kind = kind;
    r.resume_file = resume_file;
    int rc = build_request(kind, argc - 2, argv + 2, &r);
    if (rc != CLI_OK) {
        tide_request_free(&r);
        return only_a_hint(kind, rc);
    }

    tide_err e = { 0 };
    const tide_conf *conf = cli_conf(cli, &e);
    json_object *body = conf ? tide_request_to_json(&r) : NULL;
    json_object *reply = NULL;
    char *nodes = tide_hostlist_compress((const char *const *)r.nodes.names, r.nodes.n);
    if (!conf) {
        rc = say_error("slurm %s %s: %s", tide_req_name(kind), nodes, e.msg);
    } else if (tide_tided_call(conf, "POST", tide_req_path(kind), body, &reply, &e)) {
        rc = say_error("slurm %s %s: %s", tide_req_name(kind), nodes, e.msg);
    } else {
        char job[32] = "";
        if (r.job_id)
            snprintf(job, sizeof(job), " job %ld", r.job_id);
        tide_info("%s %s%s%s%s: accepted by tided (%lld nodes)", tide_req_name(kind), nodes,
                  r.features ? " features " : "", r.features ? r.features : "", job,
                  (long long)tide_json_int(reply, "accepted", 0));
        rc = CLI_OK;
    }
    rc = only_a_hint(kind, rc);
    free(nodes);
    json_object_put(body);
    json_object_put(reply);
    tide_request_free(&r);
    return rc;
}

/*
 * tided.c - the tide controller: main.
 *
 *   tided [-c FILE] [-D] [-v...]
 *
 * Reads tide.conf, opens the service clients and the journal, binds the API
 * sockets (so a bad Listen= fails before tided detaches), detaches unless
 * -D, starts the API threads, then runs the reconcile loop in the main thread
 * until SIGTERM or SIGINT.  Signals are taken by one thread with sigwait(),
 * so stopping is an ordinary tided_wake() and no handler runs inside a lock.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "client.h"
#include "conf.h"
#include "journal.h"
#include "log.h"
#include "metrics.h"
#include "strbuf.h"
#include "tided.h"

#define DEFAULT_STATE_DIR "/var/lib/tide"

static void usage(FILE *f)
{
    fputs("Usage: tided [-c FILE] [-D] [-v...]\n"
          "       tided --help | --version\n"
          "\n"
          "The tide controller: serves tide's API (Listen= of tide.conf) and moves nodes\n"
          "between their pools and Slurm.\n"
          "\n"
          "Options:\n"
          "  -c, --config FILE  tide.conf to read (default: $TIDE_CONF, else " TIDE_DEFAULT_CONF ")\n"
          "  -D, --foreground   stay in the foreground and log to stderr instead of syslog\n"
          "  -v, --verbose      log more (twice: debug, every HTTP request to the services)\n"
          "  -h, --help         this help\n"
          "  -V, --version      print the version\n"
          "\n"
          "See tided(8) and tide.conf(5).\n", f);
}

/* Fork twice, leave the terminal, put /dev/null on stdio. */
static int daemonize(void)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid > 0)
        _exit(0);
    if (setsid() < 0)
        return -1;
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid > 0)
        _exit(0);
    if (chdir("/"))
        return -1;
    int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return -1;
    for (int i = 0; i < 3; i++)
        dup2(fd, i);
    if (fd > 2)
        close(fd);
    return 0;
}

typedef struct signal_thread {
    tided   *d;
    sigset_t set;
} signal_thread;

static void *signal_main(void *arg)
{
    signal_thread *st = arg;
    for (;;) {
        int sig;
        if (sigwait(&st->set, &sig))
            continue;
        if (sig == SIGHUP) {
            tide_err e = { 0 };
            if (st->d->journal && tided_journal_reopen(st->d->journal, &e))
                tide_error("%s", e.msg);
            else
                tide_info("SIGHUP: journal reopened");
            continue;
        }
        if (!st->d->stop)
            tide_info("%s: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        st->d->stop = 1;
        tided_wake(st->d);
        return NULL;
    }
}

static int init_state(tided *d)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);   /* tided_wait() counts on it */
    int rc = pthread_mutex_init(&d->lock, NULL) || pthread_cond_init(&d->wake_cond, &attr);
    pthread_condattr_destroy(&attr);
    return rc ? -1 : 0;
}

static void free_state(tided *d)
{
    tided_hints_free(d->hints, d->nhints);
    tided_status_free(d->status, d->nstatus);
    pthread_cond_destroy(&d->wake_cond);
    pthread_mutex_destroy(&d->lock);
}

/* StateDir=, made when missing. */
static char *state_dir(const tide_conf *conf, tide_err *e)
{
    const char *dir = conf->state_dir && *conf->state_dir ? conf->state_dir : DEFAULT_STATE_DIR;
    struct stat st;
    if (stat(dir, &st)) {
        if (errno != ENOENT || mkdir(dir, 0750)) {
            tide_err_set(e, "StateDir=%s: %s", dir, strerror(errno));
            return NULL;
        }
    } else if (!S_ISDIR(st.st_mode)) {
        tide_err_set(e, "StateDir=%s: not a directory", dir);
        return NULL;
    }
    return xstrdup(dir);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' },
        { "foreground", no_argument, NULL, 'D' },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    const char *conf_path = NULL;
    int foreground = 0, verbose = 0, c;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":c:DvhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': conf_path = optarg; break;
        case 'D': foreground = 1; break;
        case 'v': verbose++; break;
        case 'h': usage(stdout); return 0;
        case 'V': printf("tided %s\n", PACKAGE_VERSION); return 0;
        case ':':
            fprintf(stderr, "tided: error: option %s needs an argument (see 'tided --help')\n", argv[optind - 1]);
            return 2;
        default:
            fprintf(stderr, "tided: error: unknown option %s (see 'tided --help')\n", argv[optind - 1]);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "tided: error: unexpected argument '%s' (see 'tided --help')\n", argv[optind]);
        return 2;
    }

    tide_log_level level = verbose >= 2 ? TIDE_LOG_DEBUG : verbose ? TIDE_LOG_VERBOSE : TIDE_LOG_INFO;
    /* Until tided detaches, errors go to stderr as well, where whoever started it sees them. */
    tide_log_open("tided", level, 0);

    tided d;
    memset(&d, 0, sizeof(d));
    tide_err e = { 0 };
    tided_api *api = NULL;
    char *dir = NULL, *journal_path = NULL;
    int rc = 1, state_ready = 0, clients_open = 0;

    d.conf = tide_conf_load(tide_conf_path(conf_path), &e);
    if (!d.conf || !(dir = state_dir(d.conf, &e)))
        goto fail;
    journal_path = xasprintf("%s/journal.jsonl", dir);
    if (!(d.journal = tided_journal_open(journal_path, &e)))
        goto fail;
    d.metrics = tided_metrics_new();
    if (tide_clients_open(d.conf, &d.clients, &e))
        goto fail;
    clients_open = 1;
    if (init_state(&d)) {
        tide_err_set(&e, "cannot initialise the state lock");
        goto fail;
    }
    state_ready = 1;
    if (!(api = tided_api_bind(&d, &e)))
        goto fail;

    if (!foreground) {
        if (daemonize()) {
            tide_err_set(&e, "cannot detach: %s", strerror(errno));
            goto fail;
        }
        tide_log_open("tided", level, 1);
    }

    /* Every thread started from here on inherits the blocked set: only the signal thread takes them. */
    signal_thread st = { .d = &d };
    sigemptyset(&st.set);
    sigaddset(&st.set, SIGTERM);
    sigaddset(&st.set, SIGINT);
    sigaddset(&st.set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &st.set, NULL);
    signal(SIGPIPE, SIG_IGN);
    pthread_t sig_tid;
    if (pthread_create(&sig_tid, NULL, signal_main, &st)) {
        tide_err_set(&e, "cannot start the signal thread");
        goto fail;
    }
    if (tided_api_start(api, &e)) {
        tide_error("%s", e.msg);
        d.stop = 1;
    } else {
        tide_info("tided %s started (config %s, journal %s)", PACKAGE_VERSION, d.conf->path, journal_path);
        rc = tided_reconcile_run(&d) ? 1 : 0;
    }

    /* The loop ended (stop, or it gave up): end the signal thread (still waiting unless a signal came;
     * a thread that returned but is not joined yet may still be signalled) and the API. */
    d.stop = 1;
    pthread_kill(sig_tid, SIGTERM);
    pthread_join(sig_tid, NULL);
    tided_api_stop(api);
    api = NULL;
    tide_info("tided stopped");
    goto out;

fail:
    tide_error("%s", e.msg);
out:
    tided_api_stop(api);
    if (state_ready)
        free_state(&d);
    if (clients_open)
        tide_clients_close(&d.clients);
    tided_metrics_free(d.metrics);
    tided_journal_close(d.journal);
    tide_conf_free(d.conf);
    free(journal_path);
    free(dir);
    return rc;
}

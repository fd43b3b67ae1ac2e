/*
 * metrics.c - see metrics.h.
 *
 * A handful of families with a few labels each: plain arrays searched
 * linearly under one mutex are the whole registry.
 */
#include "config.h"

#include "metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Step durations: from a kexec (seconds) to a Kubernetes drain (minutes). */
static const double buckets[] = { 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800 };
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

typedef struct counter2 {   /* a counter with two labels */
    char *a, *b;
    unsigned long long value;
} counter2;

typedef struct histogram {
    char *step;
    unsigned long long le[NBUCKETS];   /* per bucket, not cumulative (summed on render) */
    unsigned long long count;
    double sum;
} histogram;

typedef struct pool_gauge {
    char *pool;
    long nodes, borrowed;
} pool_gauge;

struct tided_metrics {
    pthread_mutex_t lock;
    counter2  *transitions; size_t ntransitions;   /* step, result */
    counter2  *boots;       size_t nboots;         /* transport, result */
    counter2  *requests;    size_t nrequests;      /* route, code */
    histogram *durations;   size_t ndurations;
    pool_gauge *pools;      size_t npools;
    long quarantined;
    unsigned long long passes;
    double last_pass;
};

tided_metrics *tided_metrics_new(void)
{
    tided_metrics *m = xcalloc(1, sizeof(*m));
    pthread_mutex_init(&m->lock, NULL);
    return m;
}

static void free_counters(counter2 *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(c[i].a);
        free(c[i].b);
    }
    free(c);
}

void tided_metrics_free(tided_metrics *m)
{
    if (!m)
        return;
    free_counters(m->transitions, m->ntransitions);
    free_counters(m->boots, m->nboots);
    free_counters(m->requests, m->nrequests);
    for (size_t i = 0; i < m->ndurations; i++)
        free(m->durations[i].step);
    free(m->durations);
    for (size_t i = 0; i < m->npools; i++)
        free(m->pools[i].pool);
    free(m->pools);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

static const char *nz(const char *s) { return s && *s ? s : "unknown"; }

static void count2(counter2 **c, size_t *n, const char *a, const char *b)
{
    for (size_t i = 0; i < *n; i++)
        if (!strcmp((*c)[i].a, a) && !strcmp((*c)[i].b, b)) {
            (*c)[i].value++;
            return;
        }
    *c = xrealloc(*c, sizeof(**c) * (*n + 1));
    (*c)[*n] = (counter2){ xstrdup(a), xstrdup(b), 1 };
    (*n)++;
}

void tided_metrics_step(tided_metrics *m, const char *step, const char *result, double seconds)
{
    if (!m)
        return;
    step = nz(step);
    pthread_mutex_lock(&m->lock);
    count2(&m->transitions, &m->ntransitions, step, nz(result));
    histogram *h = NULL;
    for (size_t i = 0; i < m->ndurations && !h; i++)
        if (!strcmp(m->durations[i].step, step))
            h = &m->durations[i];
    if (!h) {
        m->durations = xrealloc(m->durations, sizeof(*m->durations) * (m->ndurations + 1));
        h = &m->durations[m->ndurations++];
        memset(h, 0, sizeof(*h));
        h->step = xstrdup(step);
    }
    if (seconds < 0)
        seconds = 0;
    for (size_t i = 0; i < NBUCKETS; i++)
        if (seconds <= buckets[i]) {
            h->le[i]++;
            break;
        }
    h->count++;
    h->sum += seconds;
    pthread_mutex_unlock(&m->lock);
}

void tided_metrics_boot(tided_metrics *m, const char *transport, const char *result)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    count2(&m->boots, &m->nboots, nz(transport), nz(result));
    pthread_mutex_unlock(&m->lock);
}

void tided_metrics_set_pool(tided_metrics *m, const char *pool, long nodes, long borrowed)
{
    if (!m)
        return;
    pool = nz(pool);
    pthread_mutex_lock(&m->lock);
    pool_gauge *g = NULL;
    for (size_t i = 0; i < m->npools && !g; i++)
        if (!strcmp(m->pools[i].pool, pool))
            g = &m->pools[i];
    if (!g) {
        m->pools = xrealloc(m->pools, sizeof(*m->pools) * (m->npools + 1));
        g = &m->pools[m->npools++];
        g->pool = xstrdup(pool);
    }
    g->nodes = nodes;
    g->borrowed = borrowed;
    pthread_mutex_unlock(&m->lock);
}

void tided_metrics_set_quarantined(tided_metrics *m, long n)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    m->quarantined = n;
    pthread_mutex_unlock(&m->lock);
}

void tided_metrics_pass(tided_metrics *m, double now)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    m->passes++;
    m->last_pass = now;
    pthread_mutex_unlock(&m->lock);
}

void tided_metrics_request(tided_metrics *m, const char *route, int code)
{
    if (!m)
        return;
    char c[16];
    snprintf(c, sizeof(c), "%d", code);
    pthread_mutex_lock(&m->lock);
    count2(&m->requests, &m->nrequests, nz(route), c);
    pthread_mutex_unlock(&m->lock);
}

/* ---- exposition -------------------------------------------------------- */

/* A label value: backslash, double quote and newline escaped, as the text format requires. */
static void put_label(strbuf *out, const char *name, const char *value)
{
    strbuf_printf(out, "%s=\"", name);
    for (const char *s = value; *s; s++) {
        if (*s == '\\')
            strbuf_puts(out, "\\\\");
        else if (*s == '"')
            strbuf_puts(out, "\\\"");
        else if (*s == '\n')
            strbuf_puts(out, "\\n");
        else
            strbuf_add(out, s, 1);
    }
    strbuf_puts(out, "\"");
}

static void family(strbuf *out, const char *name, const char *type, const char *help)
{
    strbuf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The samples of a two-label counter family. */
static void put_counters(strbuf *out, const char *name, const char *label_a, const char *label_b,
                         const counter2 *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        strbuf_printf(out, "%s{", name);
        put_label(out, label_a, c[i].a);
        strbuf_puts(out, ",");
        put_label(out, label_b, c[i].b);
        strbuf_printf(out, "} %llu\n", c[i].value);
    }
}

void tided_metrics_render(tided_metrics *m, strbuf *out)
{
    pthread_mutex_lock(&m->lock);

    family(out, "tide_build_info", "gauge", "The tide version of this tided.");
    strbuf_puts(out, "tide_build_info{");
    put_label(out, "version", PACKAGE_VERSION);
    strbuf_puts(out, "} 1\n");

    family(out, "tide_transitions_total", "counter", "Steps of node transitions, by step and result.");
    put_counters(out, "tide_transitions_total", "step", "result", m->transitions, m->ntransitions);

    family(out, "tide_boots_total", "counter", "Acquire boots, by transport (kexec, pcs) and result.");
    put_counters(out, "tide_boots_total", "transport", "result", m->boots, m->nboots);

    family(out, "tide_step_duration_seconds", "histogram", "How long the steps of node transitions took.");
    for (size_t i = 0; i < m->ndurations; i++) {
        const histogram *h = &m->durations[i];
        unsigned long long cumulative = 0;
        for (size_t b = 0; b <= NBUCKETS; b++) {
            char le[32];
            if (b < NBUCKETS) {
                cumulative += h->le[b];
                snprintf(le, sizeof(le), "%g", buckets[b]);
            } else {
                cumulative = h->count;
                snprintf(le, sizeof(le), "+Inf");
            }
            strbuf_puts(out, "tide_step_duration_seconds_bucket{");
            put_label(out, "step", h->step);
            strbuf_puts(out, ",");
            put_label(out, "le", le);
            strbuf_printf(out, "} %llu\n", cumulative);
        }
        strbuf_puts(out, "tide_step_duration_seconds_sum{");
        put_label(out, "step", h->step);
        strbuf_printf(out, "} %.6f\n", h->sum);
        strbuf_puts(out, "tide_step_duration_seconds_count{");
        put_label(out, "step", h->step);
        strbuf_printf(out, "} %llu\n", h->count);
    }

    family(out, "tide_pool_nodes", "gauge", "Nodes whose home is the pool.");
    for (size_t i = 0; i < m->npools; i++) {
        strbuf_puts(out, "tide_pool_nodes{");
        put_label(out, "pool", m->pools[i].pool);
        strbuf_printf(out, "} %ld\n", m->pools[i].nodes);
    }
    family(out, "tide_borrowed_nodes", "gauge", "Nodes of the pool lent to Slurm now.");
    for (size_t i = 0; i < m->npools; i++) {
        strbuf_puts(out, "tide_borrowed_nodes{");
        put_label(out, "pool", m->pools[i].pool);
        strbuf_printf(out, "} %ld\n", m->pools[i].borrowed);
    }

    family(out, "tide_quarantined_nodes", "gauge", "Nodes drained by tide after repeated failures.");
    strbuf_printf(out, "tide_quarantined_nodes %ld\n", m->quarantined);

    family(out, "tide_reconcile_passes_total", "counter", "Reconcile passes run.");
    strbuf_printf(out, "tide_reconcile_passes_total %llu\n", m->passes);
    family(out, "tide_reconcile_last_pass_timestamp_seconds", "gauge", "When the last reconcile pass ended.");
    strbuf_printf(out, "tide_reconcile_last_pass_timestamp_seconds %.3f\n", m->last_pass);

    family(out, "tide_api_requests_total", "counter", "Requests tided answered, by route and HTTP status.");
    put_counters(out, "tide_api_requests_total", "route", "code", m->requests, m->nrequests);

    pthread_mutex_unlock(&m->lock);
}

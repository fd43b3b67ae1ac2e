/*
 * tided_state.c - the meeting point of the API threads and the reconcile
 * loop (tided.h): hints, wake-ups and the published status.
 */
#include "tided.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

void tided_wake(tided *d)
{
    pthread_mutex_lock(&d->lock);
    d->wake_pending = 1;
    pthread_cond_broadcast(&d->wake_cond);
    pthread_mutex_unlock(&d->lock);
}

void tided_add_hint(tided *d, const char *node, tided_want want, const char *image, long job_id, unsigned uid)
{
    pthread_mutex_lock(&d->lock);
    /* A newer request for the same node and the same thing replaces the pending one. */
    tided_hint *h = NULL;
    for (size_t i = 0; i < d->nhints && !h; i++)
        if (d->hints[i].want == want && !strcmp(d->hints[i].node, node))
            h = &d->hints[i];
    if (h) {
        free(h->image);
    } else {
        d->hints = xrealloc(d->hints, sizeof(*d->hints) * (d->nhints + 1));
        h = &d->hints[d->nhints++];
        h->node = xstrdup(node);
        h->want = want;
    }
    h->image = image ? xstrdup(image) : NULL;
    h->job_id = job_id;
    h->at = time(NULL);
    h->uid = uid;
    pthread_mutex_unlock(&d->lock);
}

tided_hint *tided_take_hints(tided *d, size_t *n)
{
    pthread_mutex_lock(&d->lock);
    tided_hint *h = d->hints;
    *n = d->nhints;
    d->hints = NULL;
    d->nhints = 0;
    pthread_mutex_unlock(&d->lock);
    return h;
}

void tided_hints_free(tided_hint *h, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(h[i].node);
        free(h[i].image);
    }
    free(h);
}

void tided_wait(tided *d, int seconds)
{
    /* wake_cond uses CLOCK_MONOTONIC (tided.c): a clock step must not stretch a wait. */
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += seconds;

    pthread_mutex_lock(&d->lock);
    while (!d->wake_pending && !d->stop) {
        if (pthread_cond_timedwait(&d->wake_cond, &d->lock, &until) == ETIMEDOUT)
            break;
    }
    d->wake_pending = 0;
    pthread_mutex_unlock(&d->lock);
}

void tided_publish_status(tided *d, tided_node_status *rows, size_t n)
{
    pthread_mutex_lock(&d->lock);
    tided_node_status *old = d->status;
    size_t nold = d->nstatus;
    d->status = rows;
    d->nstatus = n;
    d->last_pass = time(NULL);
    pthread_mutex_unlock(&d->lock);
    tided_status_free(old, nold);
}

void tided_status_free(tided_node_status *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        tided_node_status *r = &rows[i];
        free(r->node);
        free(r->direction);
        free(r->step);
        free(r->image);
        free(r->home_pool);
        free(r->pool);
        free(r->last_error);
    }
    free(rows);
}

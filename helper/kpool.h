/*
 * kpool.h - borrowing nodes from a Kubernetes pool, and giving them back.
 *
 * Borrow (design: drain): one PATCH marks the node — cordon, taint
 * tide/borrowed=slurm:NoSchedule, label tide/borrowed=slurm, annotation
 * tide/claimed-boot-id=<bootID now> (and tide/cordoned-before=true when
 * someone else had cordoned it already) — then every pod a
 * `kubectl drain --ignore-daemonsets --delete-emptydir-data --force` would
 * evict goes through the Eviction API, one attempt per pod per pass, so a
 * PodDisruptionBudget's 429 only means "next pass".  After the pool's
 * DrainTimeout tide gives up cleanly: it removes exactly what it set.
 *
 * Return: once the node is home and Ready again (with a bootID other than
 * the one recorded at claim when tide booted it meanwhile), one PATCH
 * removes the taint, the label and the annotations and uncordons it —
 * unless it was cordoned before tide came.  A node without tide's label is
 * never touched: tide never uncordons what it did not cordon.
 *
 * Everything is kept on the Kubernetes Node itself, so it survives a tided
 * crash.  Each call does a bounded amount of work and never waits.
 */
#ifndef TIDED_KPOOL_H
#define TIDED_KPOOL_H

#include <time.h>

#include "conf.h"
#include "err.h"
#include "http.h"
#include "kubeconfig.h"
#include "token.h"
#include "transition.h"

#define TIDED_K8S_KEY            "tide/borrowed"
#define TIDED_K8S_VALUE          "slurm"
#define TIDED_K8S_BOOT_ID        "tide/claimed-boot-id"
#define TIDED_K8S_CORDONED       "tide/cordoned-before"

struct tided_kpool {
    const tide_pool_conf *pool;
    tide_kubeconfig kc;
    tide_token *token;
    tide_http *k8s;
};

/* Read the pool's Kubeconfig= and open its API client (429s handed back, not retried). */
int tided_kpool_open(tided_kpool *kp, const tide_conf *c, const tide_pool_conf *pool, tide_err *e);
void tided_kpool_close(tided_kpool *kp);
/* The open client of a pool, or NULL. */
tided_kpool *tided_kpool_of(const tided_run *r, const tide_pool_conf *pool);

/* One GET: refresh n's facts (k8s_marked, k8s_ready, k8s_new_boot). */
int tided_kpool_look(tided_kpool *kp, tided_node *n, tide_err *e);

/*
 * One round of the drain of n (its drain began at n->drain_at): mark it if
 * not yet, then try every pod that must go once.  1: drained; 0: pods
 * remain (a budget says not now, or they are terminating); -1: given up
 * (DrainTimeout passed, or an eviction that retrying cannot fix), with
 * tide's marks removed and e set.
 */
int tided_kpool_drain(tided_kpool *kp, tided_node *n, time_t now, tide_err *e);

/* Remove tide's taint, label and annotations, and uncordon unless it was cordoned before tide
 * came.  A node without tide's label is left alone.  0 also when there was nothing to do. */
int tided_kpool_unmark(tided_kpool *kp, tided_node *n, tide_err *e);

/* How many pods a drain of `node` would evict (its pull cost), in *count. */
int tided_kpool_pods(tided_kpool *kp, const char *node, long *count, tide_err *e);

#endif

/*
 * metrics.h - tided's Prometheus metrics: a tiny thread-safe registry the
 * reconcile loop feeds and GET /metrics renders in the text exposition
 * format (version 0.0.4).  Nothing secret goes in here; /metrics needs no
 * credential.
 *
 *   tide_transitions_total{step,result}     counter
 *   tide_boots_total{transport,result}      counter: acquire boots by kexec or PCS
 *   tide_step_duration_seconds{step}        histogram
 *   tide_pool_nodes{pool}                   gauge: nodes whose home is the pool
 *   tide_borrowed_nodes{pool}               gauge: of those, lent to Slurm now
 *   tide_quarantined_nodes                  gauge
 *   tide_api_requests_total{route,code}     counter (api.c)
 *   tide_reconcile_passes_total             counter
 *   tide_reconcile_last_pass_timestamp_seconds gauge
 */
#ifndef TIDED_METRICS_H
#define TIDED_METRICS_H

#include "strbuf.h"

typedef struct tided_metrics tided_metrics;

tided_metrics *tided_metrics_new(void);
void tided_metrics_free(tided_metrics *m);

/* One step of a node transition finished: step "claim", "drain", "image", "boot", "verify", "release",
 * ...; result "ok" or "failed" (any short word); seconds it took.  m may be NULL (ignored). */
void tided_metrics_step(tided_metrics *m, const char *step, const char *result, double seconds);
/* One acquire boot by `transport` ("kexec" through the node agent, "pcs") ended: result "ok", "failed",
 * or "fallback" (the agent did not accept: PCS instead).  m may be NULL (ignored). */
void tided_metrics_boot(tided_metrics *m, const char *transport, const char *result);
/* The node counts of one pool (set, not added; call once per pool per pass). */
void tided_metrics_set_pool(tided_metrics *m, const char *pool, long nodes, long borrowed);
void tided_metrics_set_quarantined(tided_metrics *m, long n);
/* One reconcile pass ended (at `now`, seconds since the epoch). */
void tided_metrics_pass(tided_metrics *m, double now);
/* One API request answered (api.c). */
void tided_metrics_request(tided_metrics *m, const char *route, int code);

/* Append the whole exposition to out. */
void tided_metrics_render(tided_metrics *m, strbuf *out);

#endif

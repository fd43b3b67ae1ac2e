/*
 * gen_inventory.h - synthetic sites for the pool solver benchmarks.
 *
 * Deterministic for a given size and seed.  Cabinets of 8 chassis, chassis of
 * 8 slots x 2 BMCs x 2 nodes (32 nodes), x1000 upwards.  Ten hardware
 * profiles (CPU-only EPYC 7742/7763/9654 nodes, A100 40/80 GB, H100, MI200,
 * MI300A and big-memory Xeon nodes); most chassis hold one profile, one in
 * five mixes blades of several; one 7742 node in a hundred has an empty DIMM
 * slot.  Membership: about 2% of the nodes (whole blades) are in the target
 * group, 5% in a group that is not a candidate, the rest in the free pool.
 */
#ifndef TIDE_BENCH_GEN_INVENTORY_H
#define TIDE_BENCH_GEN_INVENTORY_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

typedef struct bench_site {
    tide_node_hw  *hw;          /* every node, in xname order */
    size_t         n;
    unsigned char *in_target;   /* member of the target group */
    unsigned char *candidate;   /* member of the target or the free group */
    size_t         nprofiles;   /* hardware profiles actually used */
} bench_site;

/* diverse: besides that, one node in ten of every profile misses 1 to 3 DIMMs (about 40 profiles). */
void bench_site_generate(bench_site *s, size_t nodes, uint64_t seed, int diverse);
void bench_site_free(bench_site *s);

/* The site as a tide dump ({"components","groups","inventory"} in SMD's own shapes), as JSON text.
 * Groups: "bench" (target), "nodes_free", "k8s_workers".  Caller frees. */
char *bench_site_dump(const bench_site *s);

#endif

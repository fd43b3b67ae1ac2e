/*
 * baseline_greedy.h - manta's hw_cluster selection, as documented, for comparison.
 *
 * manta v2 (service/hw_cluster): the pool is parent + target; scarcity of a
 * component type c is (sum of every type's pool supply, memory units
 * included) / (pool supply of c).  While the target lacks some requested c
 * (the pool still holds more than pool - requested), every candidate node is
 * scored sum over its components of +scarcity*q when c is requested and
 * still needed, -scarcity*q otherwise; the highest score is taken (ties: the
 * lexicographically smallest xname, by strcmp) and the scores recomputed.
 * Pin mode (manta's default) takes from the target's current members while
 * any remain, then from the parent; unpin takes from the whole pool.  manta
 * reads CPUs, GPUs and memory only: HSN NIC types are not components here.
 *
 * Nodes with the same component vector always score the same, so the loop
 * runs over those profiles, each keeping its members in xname order: the
 * same choices as scoring every node, in O(profiles) per step.
 */
#ifndef TIDE_BENCH_BASELINE_GREEDY_H
#define TIDE_BENCH_BASELINE_GREEDY_H

#include <stddef.h>
#include <stdint.h>

/* Candidates with their supply of every type, as the solver's adapter counts it. */
typedef struct typed_pool {
    size_t          ntypes;
    char          **name;
    int            *nic;         /* type counted from HSN NICs (manta ignores these) */
    int64_t        *requested;   /* 0 when not requested */
    size_t          n;
    const char    **xname;
    unsigned char  *in_target;
    int64_t        *supply;      /* n x ntypes */
} typed_pool;

/* Mark chosen[i] for the nodes manta's greedy puts in the target.  -1 when it runs out of nodes. */
int baseline_greedy(const typed_pool *tp, int pin, unsigned char *chosen);

#endif

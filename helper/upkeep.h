/*
 * upkeep.h - what tided keeps in line in Slurm for the nodes that are home
 * (POWERED_DOWN), once per pass, writing only what differs:
 *
 *   Weight          = the node's pull cost (decide.c: tided_price), so that
 *                     Slurm takes the cheapest nodes first where it honours
 *                     weights (23.02+; 22.05 ignores them for powered-down
 *                     nodes: holds, below, do the job there);
 *   ActiveFeatures  = its static features + the image BSS would boot it in, so a
 *                     job never runs on an image the node does not have (the
 *                     22.05 trap of never-booted CLOUD nodes);
 *   MaxBorrow       = when a Kubernetes pool has lent all it may, its other
 *                     nodes are drained "tide: pool P at MaxBorrow", and
 *                     undrained when some come back;
 *   holds           = on Slurm 22.05, powered-down nodes of a pool are drained
 *                     "tide: held while cheaper nodes can serve" while an
 *                     equivalent node of a cheaper pool can, and let go when a
 *                     waiting job needs them (decide.h: tided_holds); one
 *                     reason per node, MaxBorrow first;
 *   quarantine      = a quarantine drain an admin removed resets the strikes.
 */
#ifndef TIDED_UPKEEP_H
#define TIDED_UPKEEP_H

#include <stddef.h>

#include "transition.h"

/* `jobs`: this pass's jobs, NULL when Slurm could not list them (holds then stay as they are). */
void tided_upkeep(tided_run *r, const tided_slurm_jobs *jobs, const char *const *images, size_t nimages);

#define TIDED_QUARANTINE_REASON TIDED_SLURM_REASON_PREFIX " quarantined"

#endif

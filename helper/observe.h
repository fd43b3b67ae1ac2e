/*
 * observe.h - what a pass reads from the services, into the node table:
 *
 *   SMD   one GET /groups?group=.. of every pool group and home group:
 *         where each Slurm node is (tided_where), and its home pool, kept in
 *         the non-exclusive SMD groups tide-home-<pool>.  A node first seen
 *         in a lending pool's group gets that pool as home.  The Slurm pool
 *         group and the home groups are created when missing.
 *   BSS   one GET of the managed nodes' boot parameters: the tide.image= each boots.
 *   K8s   one GET per Kubernetes node that is home but still carries tide's
 *         marks (and once for each after a start, to find them); now and
 *         then its pods, for its pull cost.
 *
 * Only Slurm nodes are tide's to move: members of the groups that Slurm does
 * not know are left out.
 */
#ifndef TIDED_OBSERVE_H
#define TIDED_OBSERVE_H

#include "slurm.h"
#include "transition.h"

/* Pod counts of Kubernetes nodes at home (pricing): each at most every TIDED_PODS_EVERY
 * seconds, and at most TIDED_PODS_PER_PASS nodes per pass (a large pool is priced over time). */
#define TIDED_PODS_EVERY 30
#define TIDED_PODS_PER_PASS 8

/* 1 for the pools tide lends nodes from (Kind=free, Kind=kubernetes). */
int tided_pool_lends(const tide_pool_conf *p);

/* Read SMD; *groups_ok says the groups tide needs exist (they are created while it is 0).
 * -1 when SMD cannot be read: the pass must not decide anything. */
int tided_observe_smd(tided_run *r, const tided_slurm_nodes *sn, int *groups_ok);
/* Read BSS for the managed nodes; -1 when it cannot be read. */
int tided_observe_bss(tided_run *r);
/* Read the images' CloudInitGroup= groups (one GET, none when no image has one); on an error the
 * nodes' cloud-init facts are unknown this pass, which counts as right (no step is taken on them). */
int tided_observe_cloud_init(tided_run *r);
/* Look at the Kubernetes nodes that need it (errors are logged; the facts stay as they were). */
void tided_observe_k8s(tided_run *r);

#endif

/*
 * slurmconf.h - the Slurm configuration of the nodes tide may lend, from the
 * site's inventory and tide.conf (`tide slurm-conf`).
 *
 * Three texts, each a file slurm.conf includes or reads:
 *
 *   nodes.conf    one NodeName= line per node of the lending pools (Kind=free
 *                 and Kind=kubernetes) and of SlurmPool=: CPU layout and
 *                 memory from SMD's inventory, Gres, hardware features, the
 *                 images, Weight, State=CLOUD; cheapest pool first, for the
 *                 reader only: slurmctld sorts its node table by name;
 *   helpers.conf  node_features/helpers (Slurm 22.05 syntax): one Feature= per
 *                 image, served by tide-node;
 *   power.conf    power saving and the other slurm.conf keys tide relies on,
 *                 each commented with why.
 *
 * The rules (all documented in tide(1)):
 *
 *   Hardware features: one per processor model, one per accelerator model,
 *   mem<GiB>g, one per HSN NIC model, in that order, without duplicates.  A
 *   model becomes a feature by tide_slurm_model_feature().
 *
 *   CPUs: Sockets = the node's populated processors (ProcessorType CPU or
 *   unset); CoresPerSocket = Σ TotalCores / Sockets; ThreadsPerCore =
 *   Σ TotalThreads / Σ TotalCores.  When SMD lacks TotalCores for any of them,
 *   one core and one thread per socket: slurmd may register more than
 *   configured, never fewer, or Slurm drains the node.
 *
 *   RealMemory: the DIMMs' total minus a reserve for the kernel and firmware
 *   of 1/32 of it (at least 1 GiB), rounded down to whole GiB.  Left out (Slurm's
 *   default, 1 MiB) when SMD lists no memory.
 *
 *   Weight = 1 + the pool's Cost.  A node of SlurmPool= is priced by its home
 *   pool (the lending pool whose home group, TIDE_HOME_GROUP_PREFIX + pool
 *   name, lists it), else by the Slurm pool's own Cost.
 *
 *   Images (changeable features): every Image= record, except the HomeImage
 *   of a Kind=kubernetes pool (a node in it runs a kubelet, not slurmd) unless
 *   it is also DefaultImage; `images` in the options replaces this choice.
 *
 * Pure: no I/O, the caller supplies the groups and the inventory body.
 */
#ifndef TIDE_SLURMCONF_H
#define TIDE_SLURMCONF_H

#include <stddef.h>

#include <json-c/json.h>

#include "conf.h"
#include "err.h"
#include "smd.h"

/* The SMD group that records a node's home pool: "tide-home-<pool>" (non-exclusive, kept by tided). */
#define TIDE_HOME_GROUP_PREFIX "tide-home-"

/* Defaults of the power-saving times, in seconds (see power.conf's comments). */
#define TIDE_SLURM_SUSPEND_TIME     300
#define TIDE_SLURM_SUSPEND_TIMEOUT  300
#define TIDE_SLURM_BOOT_ALLOWANCE   900  /* ResumeTimeout = this + the longest Kubernetes DrainTimeout */
#define TIDE_SLURM_BOOT_TIME        300  /* helpers.conf BootTime: backfill's estimate, at most ResumeTimeout */

typedef struct tide_slurmconf_opts {
    const char *source;         /* where the site came from, for the header ("SMD at URL"); NULL: not said */
    const char *bindir;         /* directory of the tide-slurm-* programs (power.conf) */
    const char *helper;         /* the node_features Helper, tide-node (helpers.conf) */
    const char *node_spec;      /* NULL: CPU layout and RealMemory from the inventory; else written as is */
    const char *const *images;  /* NULL: the Slurm images of tide.conf (see above) */
    size_t      nimages;
    int         gres;           /* write Gres=gpu:<type>:<n> (slurm.conf then needs GresTypes=gpu, gres.conf) */
    int         expand;         /* one line per node instead of host lists of identical nodes */
    int         suspend_time, suspend_timeout, resume_timeout;  /* 0: the defaults */
} tide_slurmconf_opts;

/* What the options say when nothing is asked: inventory layout, Gres on, host lists, default times. */
void tide_slurmconf_opts_init(tide_slurmconf_opts *o, const char *bindir, const char *helper);

typedef struct tide_slurmconf {
    char  *nodes_conf;
    char  *helpers_conf;
    char  *power_conf;
    size_t nnodes;              /* nodes defined in nodes_conf */
} tide_slurmconf;

/*
 * Build the three texts.  `groups` must hold the groups of the lending pools
 * and of SlurmPool= (missing ones are noted in nodes.conf), and the home
 * groups when known; `inventory` is SMD's hardware inventory body of the
 * whole system (GET /Inventory/Hardware/Query/s0).  Fails when no node is
 * found, when there is no image, or when an image name cannot be a Slurm
 * helper feature.
 */
int tide_slurmconf_build(const tide_conf *conf, const tide_group_list *groups, json_object *inventory,
                         const tide_slurmconf_opts *o, tide_slurmconf *out, tide_err *e);
void tide_slurmconf_free(tide_slurmconf *s);

/*
 * The hardware feature of one component model, or NULL (caller frees):
 * lower-cased, "(r)" and "(tm)" dropped, cut into tokens at every character
 * that is not a letter or digit; vendor and filler words (amd, intel, nvidia,
 * instinct, processor, cpu, core, platinum, ...) and packaging tokens (80gb,
 * sxm4, pcie, hbm3, oam, 2.30ghz, ...) dropped.  The feature is the first
 * remaining token made of letters then a digit ("a100", "mi200", "ss11");
 * failing that the first word followed by the first token of 3 or more
 * characters that starts with a digit ("epyc" "7742" -> "epyc7742"); failing
 * that the first word.
 */
char *tide_slurm_model_feature(const char *model);

/* 1 when `name` may be a node_features/helpers feature: [A-Za-z_=][A-Za-z0-9_.=]*. */
int tide_slurm_helper_feature_valid(const char *name);

#endif

/*
 * kexec.h - the acquire's boot by kexec: a node that Slurm shows up and
 * running, whose target image has Transition=kexec, switches image through
 * its node agent (`tide-node agent`, POST /v1/kexec at the node's Slurm
 * NodeAddr and tide.conf's AgentPort) without a power cycle.  A node whose
 * agent does not accept goes through PCS in the same pass (transition.c).
 *
 * The request carries tided's munge credential, bound to method, path and
 * body exactly as tided's own API wants them (proto.h); the body names the
 * node, so a credential made for one node's agent is refused by another's.
 * The agent answers 202 before it acts, and an accepted kexec counts as a
 * finished boot: the verify step (slurmd registered in the wanted image
 * within BootTimeout) decides, as for a PCS boot.
 */
#ifndef TIDED_KEXEC_H
#define TIDED_KEXEC_H

#include <stddef.h>

#include <json-c/json.h>

#include "conf.h"
#include "slurm.h"
#include "transition.h"

/* The node agent's kexec route. */
#define TIDED_AGENT_KEXEC_PATH "/v1/kexec"
/* Short: a node whose agent is not there must not hold up the pass (PCS boots it instead). */
#define TIDED_AGENT_CONNECT_TIMEOUT 2
#define TIDED_AGENT_TIMEOUT 5

/* What the choice between kexec and PCS looks at (pure: tests build it by hand). */
typedef struct tided_kexec_facts {
    const tide_image_conf *image;    /* the image to boot, NULL when tide.conf has none */
    const tided_slurm_node *slurm;   /* Slurm's view, NULL when Slurm does not know the node */
    int lease_booted;                /* tided_node.lease_booted: 1 booted this lease, 0 not, -1 unknown */
    int strikes;                     /* consecutive failed acquires */
} tided_kexec_facts;

/*
 * NULL when the node is to boot by kexec, else why it boots through PCS
 * (static text, for the log).  kexec only when the image has
 * Transition=kexec and the node runs an OS that can answer: Slurm shows it
 * up (not powered down or powering down, not DOWN but for a reboot) and it was
 * either rebooted by Slurm from up (REBOOT_ISSUED) or booted by tide for
 * Slurm in this lease (a POWERING_UP node claimed by this acquire comes
 * from off); never right after a failed acquire (strikes): a node that
 * kexec did not bring up gets the firmware's cold boot next.
 */
const char *tided_kexec_refusal(const tided_kexec_facts *f);

/* "http://ADDR:PORT/PATH" (an IPv6 address in brackets).  Caller frees. */
char *tided_agent_url(const char *addr, int port, const char *path);

/* The POST body: {"node","image","kernel","initrd","params"}, params as tided writes them to BSS
 * (Params= and tide.image=NAME).  New reference. */
json_object *tided_kexec_body(const char *node, const tide_image_conf *img);

/*
 * Of the nodes of an acquire's boot step, kexec those that may and whose
 * agent answers 202: they count as booted (journal: step "boot", from
 * "kexec", result ok).  The others, including those whose agent refused or
 * did not answer, are moved to the front of `nodes`; returns how many (for
 * the PCS transition).  The order of `nodes` changes.
 */
size_t tided_kexec_boot(tided_run *r, tided_node **nodes, size_t n);

#endif

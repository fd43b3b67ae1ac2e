/*
 * image_gate.h - may a job start on a node in the image the node booted?  The
 * decision of `tide-node prolog` (tide-node(8)), pure: no I/O.
 *
 * Slurm 22.05 hands a node to its job as soon as slurmd registers, before
 * tided has checked the image it came up in; the node-side Prolog is the last
 * place to stop a job from running in the wrong one.
 */
#ifndef TIDE_IMAGE_GATE_H
#define TIDE_IMAGE_GATE_H

#include <stddef.h>

typedef enum {
    TIDE_GATE_PASS,      /* let the job start */
    TIDE_GATE_REFUSE,    /* the job asks for an image this node did not boot */
} tide_gate;

/*
 * The job's constraint (SLURM_JOB_CONSTRAINTS) against the image the node
 * booted (tide.image=, NULL when none) and tide's image names.  REFUSE only
 * when the constraint names an image and cannot be met with `booted` as the
 * node's one image (every other feature counted as present: Slurm checked
 * those).  A node tide did not boot, a constraint with no image and one that
 * does not parse all PASS: the gate never stops a job on a doubt.  `why`
 * (always set, NUL-terminated) says which.
 */
tide_gate tide_image_gate(const char *constraint, const char *booted, const char *const *images, size_t nimages,
                          char *why, size_t why_len);

#endif

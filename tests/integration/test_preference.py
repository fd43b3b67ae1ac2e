"""Cheapest pool first on Slurm 22.05, and the node-side image gate, on the testbed.

slurmctld 22.05 sorts its node table by name and ignores Weight for
powered-down nodes, so among those it takes the lowest-named node that fits.
tided therefore holds (drains with the reason TIDED_HOLD_REASON) the
powered-down nodes of a dearer pool while an equivalent node of a cheaper pool
can serve, and lets them go when a waiting job needs more than the cheap ones
offer (tided(8), HOLDS).  The site is arranged so that Kubernetes A100 nodes
sort before the free pool's: the two lowest-named A100 nodes of nodes_free move
to k8s_workers (SMD) and become Kubernetes nodes (tide-sim).

  a) every Kubernetes A100 node is held while free A100 nodes rest;
  b) `srun -C a100 -N1` takes a free node;
  c) a job needing one A100 node more than nodes_free has borrows exactly one
     from k8s_workers and completes (no deadlock); the holds come back after;
  d) `tide-node prolog` as slurm.conf's Prolog= (through the name
     tide-node-prolog, no PATH, Slurm's stdio) lets a job in the right image
     run, and refuses one on a node that booted another image: Slurm drains
     the node "Prolog error" and requeues the job.

Needs root, the Debian Slurm and munge packages, and a build with
helper/tided, helper/tide and nodefeatures/tide-node.
"""

import os
import time

import pytest

import testbed_util
from testbed_util import TIDE, TIDED, TOP

TIDE_NODE = os.path.join(TOP, "nodefeatures", "tide-node")
PREFIX = "tidepref"
SUSPEND_TIME = 10
SUSPEND_TIMEOUT = 5
HOLD_REASON = "tide: held while cheaper nodes can serve"   # decide.h: TIDED_HOLD_REASON
HOME_TIMEOUT = SUSPEND_TIME + SUSPEND_TIMEOUT + 60

pytestmark = testbed_util.needs(("slurmctld", "slurmd", "munged", "scontrol", "ip", "nsenter"),
                                built=(TIDED, TIDE, TIDE_NODE))


def add_prolog(bed):
    """slurm.conf Prolog=: tide-node under the name tide-node-prolog.  The testbed's nodes share one
    kernel, so a two-line wrapper points it at the node's simulated /proc/cmdline and at tide.conf;
    slurmd runs it with Slurm's own environment (no PATH) and stdio.  No slurmd runs yet, so each
    reads the line when its node boots."""
    bindir = os.path.join(bed.dir, "bin")
    os.symlink(TIDE_NODE, os.path.join(bindir, "tide-node-prolog"))
    wrapper = os.path.join(bindir, "tb-node-prolog")
    with open(wrapper, "w") as f:
        f.write("#!/bin/sh\nTIDE_CMDLINE=%s/nodes/$SLURMD_NODENAME/cmdline TIDE_CONF=%s/etc/tide.conf "
                "exec %s/tide-node-prolog\n" % (bed.dir, bed.dir, bindir))
    os.chmod(wrapper, 0o755)
    with open(os.path.join(bed.dir, "etc", "slurm.conf"), "a") as f:
        f.write("Prolog=%s\n" % wrapper)


def held(fields):
    return "DRAIN" in fields.get("State", "") and fields.get("Reason", "").startswith(HOLD_REASON)


def resting(fields):
    state = fields.get("State", "")
    return "POWERED_DOWN" in state and "POWERING" not in state


@pytest.fixture(scope="module")
def bed():
    """The testbed with tided started by the test (so that TIDED may name a sanitizer build)."""
    with testbed_util.brought_up(PREFIX, "--boot-delay", "1", "--suspend-time", str(SUSPEND_TIME),
                                 "--suspend-timeout", str(SUSPEND_TIMEOUT), "--programs", "tide",
                                 "--no-tided", setup=add_prolog) as b:
        yield b


@pytest.fixture(scope="module")
def a100(bed):
    """Kubernetes A100 nodes that sort before the free ones: the two lowest-named A100 nodes of nodes_free
    move to k8s_workers and become Kubernetes nodes.  Returns (free, k8s) node name lists."""
    nodes = bed.all_nodes()
    free = sorted(n for n in bed.members("nodes_free") if "a100" in nodes[n]["AvailableFeatures"].split(","))
    assert len(free) >= 4, "the zinal site has A100 nodes in nodes_free"
    for name in free[:2]:
        bed.send("DELETE", "/hsm/v2/groups/nodes_free/members/%s" % name)
        bed.send("POST", "/hsm/v2/groups/k8s_workers/members", {"id": name})
        bed.send("POST", "/sim/k8s/nodes", {"metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}}})
    free = free[2:]
    k8s = sorted(n for n in bed.members("k8s_workers") if "a100" in nodes[n]["AvailableFeatures"].split(","))
    assert k8s[0] < free[0], "a Kubernetes A100 node sorts first: 22.05 alone would take it"
    return free, k8s


def all_held(bed, k8s):
    nodes = bed.all_nodes()
    return all(held(nodes[n]) for n in k8s)


def test_a_dearer_nodes_held(bed, a100):
    free, k8s = a100
    bed.wait("every Kubernetes A100 node held", lambda: all_held(bed, k8s), timeout=30)
    nodes = bed.all_nodes()
    assert not [n for n in free if "DRAIN" in nodes[n]["State"]], "the cheap nodes are not held"
    # Only ever nodes of the dearer pool: nodes_free is the cheapest.
    assert not [n for n in bed.members("nodes_free") if held(nodes[n])]
    for n in k8s:
        assert ("hold", "ok") in bed.steps(n)


def test_b_srun_takes_a_free_node(bed, a100):
    free, k8s = a100
    bed.wait("every Kubernetes A100 node held", lambda: all_held(bed, k8s), timeout=30)
    out = bed.sl("srun", "-C", "a100", "-N1", "--chdir", bed.jobdir, "hostname").stdout
    node = out.strip()
    assert node in free, "%s is not a free-pool node (%s)" % (node, ", ".join(free))
    assert all_held(bed, k8s)
    # Give it back before the next test counts the free nodes.
    bed.wait_home([node], "nodes_free", timeout=HOME_TIMEOUT)


def test_c_job_bigger_than_the_free_pool_borrows_the_rest(bed, a100):
    free, k8s = a100
    bed.wait("every free A100 node resting",
             lambda: all(resting(f) for n, f in bed.all_nodes().items() if n in free), timeout=HOME_TIMEOUT)
    bed.wait("every Kubernetes A100 node held", lambda: all_held(bed, k8s), timeout=30)
    proc = bed.sl("srun", "-C", "a100", "-N%d" % (len(free) + 1), "--chdir", bed.jobdir,
                  "hostname", timeout=180)
    ran = sorted(set(proc.stdout.split()))
    borrowed = [n for n in ran if n in k8s]
    assert sorted(n for n in ran if n in free) == free, "every free A100 node ran the job"
    assert len(borrowed) == 1, "exactly one node borrowed from k8s_workers, not %s" % borrowed
    node = borrowed[0]
    steps = bed.steps(node)
    assert ("unhold", "ok") in steps and ("drain", "ok") in steps
    # Level-triggered: once every node is home again, every Kubernetes A100 node is held again.
    bed.wait_home([node], "k8s_workers", timeout=HOME_TIMEOUT)
    bed.wait("every free A100 node resting",
             lambda: all(resting(f) for n, f in bed.all_nodes().items() if n in free), timeout=HOME_TIMEOUT)
    bed.wait("every Kubernetes A100 node held again", lambda: all_held(bed, k8s), timeout=30)


def test_d_prolog_refuses_a_node_in_another_image(bed, a100):
    free, _ = a100
    jobs = bed.jobdir
    # The right image: the gate lets the job run (through the real Prolog path).
    out = bed.sl("srun", "-C", "a100&rocky9", "-N1", "--chdir", jobs, "bash", "-c", "hostname; cat $TIDE_CMDLINE")
    node, cmdline = out.stdout.split("\n")[:2]
    assert node in free and "tide.image=rocky9" in cmdline
    # The node now says it booted sles15 while Slurm counts it rocky9: the job must not run there.
    path = os.path.join(bed.dir, "nodes", node, "cmdline")
    text = open(path).read()
    with open(path, "w") as f:
        f.write(text.replace("tide.image=rocky9", "tide.image=sles15"))
    job = None
    try:
        job = bed.sl("sbatch", "--parsable", "-w", node, "-C", "a100&rocky9", "--chdir", jobs,
                     "--wrap", "hostname").stdout.strip()
        fields = bed.wait("%s drained by the Prolog" % node,
                          lambda: (lambda f: f if "DRAIN" in f["State"] else None)(bed.all_nodes()[node]), timeout=30)
        assert fields["Reason"].startswith("Prolog error")
        state = bed.sl("squeue", "-h", "-j", job, "-o", "%T %r").stdout.strip()
        assert state.startswith("PENDING") and "requeued" in state, state
        log = open(os.path.join(bed.dir, "nodes", node, "slurmd.log")).read()
        assert "job %s refused on %s: the job asks for image rocky9" % (job, node) in log
        assert "but this node booted sles15" in log
        # Not tide's drain: tided leaves it to an admin.
        time.sleep(5)
        assert bed.all_nodes()[node]["Reason"].startswith("Prolog error")
    finally:
        if job:
            bed.sl("scancel", job, check=False)
        with open(path, "w") as f:
            f.write(text)
        bed.sl("scontrol", "update", "NodeName=" + node, "State=RESUME", check=False)

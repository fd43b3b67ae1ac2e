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

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request

import pytest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TESTBED = os.path.join(TOP, "contrib", "testbed", "testbed")
TIDED = os.environ.get("TIDED") or os.path.join(TOP, "helper", "tided")
TIDE_NODE = os.path.join(TOP, "nodefeatures", "tide-node")
PREFIX = "tidepref"
SUSPEND_TIME = 10
SUSPEND_TIMEOUT = 5
HOLD_REASON = "tide: held while cheaper nodes can serve"   # decide.h: TIDED_HOLD_REASON
HOME_TIMEOUT = SUSPEND_TIME + SUSPEND_TIMEOUT + 60


def _missing():
    if os.geteuid() != 0:
        return "the testbed needs root (network namespaces, nsenter)"
    for prog in ("slurmctld", "slurmd", "munged", "scontrol", "ip", "nsenter"):
        if shutil.which(prog, path="/usr/sbin:/usr/bin:/sbin:/bin") is None:
            return "%s is not installed" % prog
    for prog in (TIDED, os.path.join(TOP, "helper", "tide"), TIDE_NODE):
        if not os.access(prog, os.X_OK):
            return "%s is not built" % prog
    return None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=_missing() or "")


def run(*args, timeout=120, check=True):
    proc = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError("%s -> %d\nstdout:\n%s\nstderr:\n%s"
                             % (" ".join(args), proc.returncode, proc.stdout, proc.stderr))
    return proc


def call(url, method="GET", body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"} if data else {})
    with urllib.request.urlopen(req, timeout=10) as resp:
        text = resp.read()
    return json.loads(text) if text else None


def wait_for(what, predicate, timeout=60.0, step=0.5):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.0fs waiting for %s" % (timeout, what))
        time.sleep(step)


class Bed:
    """The testbed with tided started by the test (so that TIDED may name a sanitizer build)."""

    def __init__(self, directory):
        self.dir = directory
        self.exports = {}
        self.tided = None

    @property
    def sim(self):
        return self.exports["TIDE_SIM_URL"]

    def up(self):
        proc = run(TESTBED, "up", "--dir", self.dir, "--prefix", PREFIX, "--boot-delay", "1",
                   "--suspend-time", str(SUSPEND_TIME), "--suspend-timeout", str(SUSPEND_TIMEOUT),
                   "--programs", "tide", "--no-tided", timeout=120)
        for line in proc.stdout.splitlines():
            m = re.match(r"^export (\w+)=(.*)$", line)
            if m:
                self.exports[m.group(1)] = m.group(2)
        self.add_prolog()
        conf = os.path.join(self.dir, "etc", "tide.conf")
        self.log = open(os.path.join(self.dir, "log", "tided.log"), "ab")
        env = {"PATH": "%s:%s:/usr/sbin:/usr/bin:/sbin:/bin" % (os.path.join(self.dir, "bin"),
                                                                os.path.join(TOP, "helper")),
               "SLURM_CONF": os.path.join(self.dir, "etc", "slurm.conf"), "TIDE_CONF": conf}
        self.tided = subprocess.Popen(["nsenter", "--net=/run/netns/%s-ctl" % PREFIX, TIDED, "-c", conf, "-D", "-v"],
                                      stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
                                      env=env, start_new_session=True)

    def add_prolog(self):
        """slurm.conf Prolog=: tide-node under the name tide-node-prolog.  The testbed's nodes share one
        kernel, so a two-line wrapper points it at the node's simulated /proc/cmdline and at tide.conf;
        slurmd runs it with Slurm's own environment (no PATH) and stdio.  No slurmd runs yet, so each
        reads the line when its node boots."""
        bindir = os.path.join(self.dir, "bin")
        os.symlink(TIDE_NODE, os.path.join(bindir, "tide-node-prolog"))
        wrapper = os.path.join(bindir, "tb-node-prolog")
        with open(wrapper, "w") as f:
            f.write("#!/bin/sh\nTIDE_CMDLINE=%s/nodes/$SLURMD_NODENAME/cmdline TIDE_CONF=%s/etc/tide.conf "
                    "exec %s/tide-node-prolog\n" % (self.dir, self.dir, bindir))
        os.chmod(wrapper, 0o755)
        with open(os.path.join(self.dir, "etc", "slurm.conf"), "a") as f:
            f.write("Prolog=%s\n" % wrapper)

    def down(self):
        if self.tided and self.tided.poll() is None:
            self.tided.send_signal(signal.SIGTERM)
            try:
                self.tided.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.tided.kill()
                self.tided.wait()
        run(TESTBED, "down", "--dir", self.dir, check=False, timeout=60)

    def sl(self, *args, timeout=120, check=True):
        return run(os.path.join(self.dir, "bin", "sl"), *args, timeout=timeout, check=check)

    def nodes(self):
        """Every Slurm node: name -> scontrol's fields."""
        out = {}
        for line in self.sl("scontrol", "show", "node", "-o").stdout.splitlines():
            fields = {}
            for m in re.finditer(r"(\w+)=(.*?)(?= \w+=|$)", line):
                fields[m.group(1)] = m.group(2)
            if "NodeName" in fields:
                out[fields["NodeName"]] = fields
        return out

    def members(self, group):
        return call("%s/hsm/v2/groups/%s/members" % (self.sim, group))["ids"]

    def journal(self, node):
        out = []
        for line in open(os.path.join(self.dir, "tided", "journal.jsonl")):
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("node") == node:
                out.append(entry)
        return out


def held(fields):
    return "DRAIN" in fields.get("State", "") and fields.get("Reason", "").startswith(HOLD_REASON)


def resting(fields):
    state = fields.get("State", "")
    return "POWERED_DOWN" in state and "POWERING" not in state


@pytest.fixture(scope="module")
def bed():
    directory = tempfile.mkdtemp(prefix="tide-pref-", dir="/tmp")
    os.chmod(directory, 0o755)
    b = Bed(directory)
    try:
        b.up()
        wait_for("tided to create the Slurm pool group",
                 lambda: "slurm" in [g["label"] for g in call(b.sim + "/hsm/v2/groups")], timeout=20)
        yield b
    finally:
        b.down()


@pytest.fixture(scope="module")
def a100(bed):
    """Kubernetes A100 nodes that sort before the free ones: the two lowest-named A100 nodes of nodes_free
    move to k8s_workers and become Kubernetes nodes.  Returns (free, k8s) node name lists."""
    nodes = bed.nodes()
    free = sorted(n for n in bed.members("nodes_free") if "a100" in nodes[n]["AvailableFeatures"].split(","))
    assert len(free) >= 4, "the zinal site has A100 nodes in nodes_free"
    for name in free[:2]:
        call("%s/hsm/v2/groups/nodes_free/members/%s" % (bed.sim, name), "DELETE")
        call("%s/hsm/v2/groups/k8s_workers/members" % bed.sim, "POST", {"id": name})
        call("%s/sim/k8s/nodes" % bed.sim, "POST",
             {"metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}}})
    free = free[2:]
    k8s = sorted(n for n in bed.members("k8s_workers") if "a100" in nodes[n]["AvailableFeatures"].split(","))
    assert k8s[0] < free[0], "a Kubernetes A100 node sorts first: 22.05 alone would take it"
    return free, k8s


def all_held(bed, k8s):
    nodes = bed.nodes()
    return all(held(nodes[n]) for n in k8s)


def test_a_dearer_nodes_held(bed, a100):
    free, k8s = a100
    wait_for("every Kubernetes A100 node held", lambda: all_held(bed, k8s), timeout=30)
    nodes = bed.nodes()
    assert not [n for n in free if "DRAIN" in nodes[n]["State"]], "the cheap nodes are not held"
    # Only ever nodes of the dearer pool: nodes_free is the cheapest.
    assert not [n for n in bed.members("nodes_free") if held(nodes[n])]
    for n in k8s:
        assert ("hold", "ok") in [(e["step"], e["result"]) for e in bed.journal(n)]


def test_b_srun_takes_a_free_node(bed, a100):
    free, k8s = a100
    wait_for("every Kubernetes A100 node held", lambda: all_held(bed, k8s), timeout=30)
    out = bed.sl("srun", "-C", "a100", "-N1", "--chdir", os.path.join(bed.dir, "jobs"), "hostname").stdout
    node = out.strip()
    assert node in free, "%s is not a free-pool node (%s)" % (node, ", ".join(free))
    assert all_held(bed, k8s)
    # Give it back before the next test counts the free nodes.
    wait_for("%s back in nodes_free" % node,
             lambda: resting(bed.nodes()[node]) and node in bed.members("nodes_free"), timeout=HOME_TIMEOUT)


def test_c_job_bigger_than_the_free_pool_borrows_the_rest(bed, a100):
    free, k8s = a100
    wait_for("every free A100 node resting",
             lambda: all(resting(f) for n, f in bed.nodes().items() if n in free), timeout=HOME_TIMEOUT)
    wait_for("every Kubernetes A100 node held", lambda: all_held(bed, k8s), timeout=30)
    proc = bed.sl("srun", "-C", "a100", "-N%d" % (len(free) + 1), "--chdir", os.path.join(bed.dir, "jobs"),
                  "hostname", timeout=180)
    ran = sorted(set(proc.stdout.split()))
    borrowed = [n for n in ran if n in k8s]
    assert sorted(n for n in ran if n in free) == free, "every free A100 node ran the job"
    assert len(borrowed) == 1, "exactly one node borrowed from k8s_workers, not %s" % borrowed
    node = borrowed[0]
    steps = [(e["step"], e["result"]) for e in bed.journal(node)]
    assert ("unhold", "ok") in steps and ("drain", "ok") in steps
    # Level-triggered: once every node is home again, every Kubernetes A100 node is held again.
    wait_for("%s back in k8s_workers" % node,
             lambda: resting(bed.nodes()[node]) and node in bed.members("k8s_workers"), timeout=HOME_TIMEOUT)
    wait_for("every free A100 node resting",
             lambda: all(resting(f) for n, f in bed.nodes().items() if n in free), timeout=HOME_TIMEOUT)
    wait_for("every Kubernetes A100 node held again", lambda: all_held(bed, k8s), timeout=30)


def test_d_prolog_refuses_a_node_in_another_image(bed, a100):
    free, _ = a100
    jobs = os.path.join(bed.dir, "jobs")
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
        fields = wait_for("%s drained by the Prolog" % node,
                          lambda: (lambda f: f if "DRAIN" in f["State"] else None)(bed.nodes()[node]), timeout=30)
        assert fields["Reason"].startswith("Prolog error")
        state = bed.sl("squeue", "-h", "-j", job, "-o", "%T %r").stdout.strip()
        assert state.startswith("PENDING") and "requeued" in state, state
        log = open(os.path.join(bed.dir, "nodes", node, "slurmd.log")).read()
        assert "job %s refused on %s: the job asks for image rocky9" % (job, node) in log
        assert "but this node booted sles15" in log
        # Not tide's drain: tided leaves it to an admin.
        time.sleep(5)
        assert bed.nodes()[node]["Reason"].startswith("Prolog error")
    finally:
        if job:
            bed.sl("scancel", job, check=False)
        with open(path, "w") as f:
            f.write(text)
        bed.sl("scontrol", "update", "NodeName=" + node, "State=RESUME", check=False)

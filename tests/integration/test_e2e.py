"""tide end to end on the testbed: real slurmctld 22.05, one slurmd per node, tide-sim, tided.

One testbed for the module (contrib/testbed/testbed, its own --dir and --prefix), brought up
once and always taken down (finalizer).  tided is started by the fixture (not by the testbed)
so that a scenario can SIGKILL and restart it; $TIDED selects another build (a sanitizer one).
The scenarios of issue 4, item 5; each asserts the Slurm job, SMD membership, BSS parameters
and Kubernetes state:

  a) sbatch -C a100 -N1 while the A100 nodes are only in nodes_free: claimed, DefaultImage,
     booted, COMPLETED; back in nodes_free (powered off) after SuspendTime;
  b) the same once nodes_free has no A100 left (a job holds them all): borrowed from
     k8s_workers (cordoned, tainted, pods evicted through a PodDisruptionBudget that refuses
     the first evictions, the DaemonSet pod left alone), given back and uncordoned;
  c) sbatch -C "epyc7742&sles15" landing on a node up in rocky9: ResumeProgram `<node> sles15`,
     BSS switched, rebooted, the job sees sles15;
  d) scontrol reboot <node>: booted again by tided, back IDLE;
  e) BSS answering 500 during a resume: back POWERED_DOWN and home with a strike; the third
     strike quarantines it (DRAIN, reason in sinfo -R); an admin RESUME lifts it;
  f) tided SIGKILLed in the middle of an acquire (after the claim; after the boot was issued)
     and restarted: converges, the job runs, no node lost or in two groups;
  g) 6 jobs at once for 4 matching nodes: no node in two groups at any moment (SMD groups
     sampled every 0.2 s), every job completes;
  h) auth on the testbed (light; tests/integration/test_tided_api.py covers it in depth):
     no, replayed credential refused; other users read status and leases, cannot change
     anything; no credential in any log.

Waits live in Bed.wait() and friends (testbed_util.py, shared with the other testbed
tests): each has a timeout and, when it runs out, the error carries sinfo, squeue,
`scontrol show node` of the nodes concerned, tided's status, the tail of tided's log, of its
journal and of the Slurm programs' log.

Needs root, the Debian packages slurmctld slurmd slurm-client munge iproute2, and a build
with helper/tided and helper/tide.  About 5 minutes on 2 cores.

    /usr/bin/python3 -m pytest -v tests/integration/test_e2e.py
"""

import json
import os
import re
import signal
import subprocess
import time

import pytest

import testbed_util
from testbed_util import TIDE, TIDED

PREFIX = "tidee2e"          # network namespaces: never the developer's `tide` testbed
BOOT_DELAY = 1              # tide-sim: seconds from power-on/kexec to booted
SUSPEND_TIME = 10           # an idle node goes home this long after its last job
SUSPEND_TIMEOUT = 5
RESUME_TIMEOUT = 90         # > DrainTimeout (60) of the testbed's Kubernetes pool
# A batch job waits for slurmctld's 30 s tick once its nodes are up (22.05): plan for it.
BATCH = 30 + 25
# From a job's end to the node powered down and home: SuspendTime, the power-save scan,
# tided's release (a boot into the home image for Kubernetes nodes), SuspendTimeout.
RELEASE = SUSPEND_TIME + SUSPEND_TIMEOUT + 40
BSS_500 = {"method": "PUT", "path": "^/boot/v1/bootparameters", "status": 500, "count": -1,
           "content_type": "application/problem+json",
           "body": json.dumps({"type": "about:blank", "title": "Internal Server Error",
                               "detail": "e2e: database is locked", "status": 500})}

pytestmark = testbed_util.needs(("slurmctld", "slurmd", "munged", "munge", "scontrol", "ip", "nsenter", "runuser"),
                                built=(TIDED, TIDE), hint=" (contrib/install-deps)", prefix=PREFIX)


# ---- plumbing --------------------------------------------------------------------------------

class Bed(testbed_util.Testbed):
    """The testbed plus tided (testbed_util.Testbed), and what only these scenarios ask of them."""

    release = RELEASE

    def up(self, *options, **kw):
        super().up(*options, **kw)
        with open(os.path.join(self.dir, "etc", "nodes")) as f:
            self.nodes = sorted(line.strip() for line in f if line.strip())
        self.features = {n: set(self.node(n).get("AvailableFeatures", "").split(",")) for n in self.nodes}

    def tide_marks(self):
        """Kubernetes nodes that carry any of tide's marks (cordon, taint, label, annotation)."""
        marked = {}
        for k in self.get("/api/v1/nodes")["items"]:
            meta, spec = k["metadata"], k.get("spec", {})
            marks = []
            if spec.get("unschedulable"):
                marks.append("cordoned")
            if [t for t in spec.get("taints") or [] if t.get("key") == "tide/borrowed"]:
                marks.append("taint")
            if "tide/borrowed" in (meta.get("labels") or {}):
                marks.append("label")
            if "tide/claimed-boot-id" in (meta.get("annotations") or {}):
                marks.append("annotation")
            if marks:
                marked[meta["name"]] = marks
        return marked

    def strikes(self, node):
        status, body = self.api("GET", "/v1/status")
        assert status == 200, body
        for t in body["transitions"]:
            if t["node"] == node:
                return t.get("strikes") or 0
        return 0

    def wait_powered_down(self, nodes, timeout=RELEASE):
        """A scenario's precondition: its nodes are powered down, at home and not drained
        (but for tide's own holds: a Kubernetes node held while cheaper ones can serve, or a
        pool at MaxBorrow, which tided lets go when a job needs the node)."""
        def ok():
            where = self.exclusive_groups()
            slurm = self.all_nodes()
            reasons = self.drain_reasons()
            for n in nodes:
                state = slurm[n].get("State", "")
                if "POWERED_DOWN" not in state or "POWERING" in state:
                    return False
                if "DRAIN" in state and not (reasons.get(n, "").startswith("tide: ")
                                             and not reasons[n].startswith("tide: quarantined")):
                    return False
                if where.get(n) not in (["nodes_free"], ["k8s_workers"]):
                    return False
            return True
        self.wait("%s powered down at home" % ",".join(sorted(nodes)), ok, timeout=timeout, step=0.5,
                  nodes=sorted(nodes))

    def pool_nodes(self, group, feature=None):
        return sorted(n for n in self.members(group) if n in self.features
                      and (feature is None or feature in self.features[n]))

    def assert_one_pool_each(self):
        """Nothing lost: every Slurm node is in exactly one pool group."""
        where = self.exclusive_groups()
        bad = {n: where.get(n, []) for n in self.nodes if len(where.get(n, [])) != 1}
        assert not bad, self.diag("nodes in no pool or in two: %s" % bad, nodes=sorted(bad))


@pytest.fixture(scope="module")
def bed():
    with testbed_util.quick(PREFIX, SUSPEND_TIME, SUSPEND_TIMEOUT, "--resume-timeout", str(RESUME_TIMEOUT),
                            boot_delay=BOOT_DELAY, cls=Bed, timeout=180) as b:
        yield b
    # tided stopped cleanly on SIGTERM and never crashed (sanitizer builds report here).
    assert b.tided_status == 0, b.tided_log_tail
    for mark in ("Sanitizer", "runtime error", "Segmentation"):
        assert mark not in b.tided_log_tail, b.tided_log_tail


@pytest.fixture(autouse=True)
def clean_slate(bed):
    """No job, fault or latency left over from a scenario that failed half-way."""
    bed.send("DELETE", "/sim/faults")
    bed.send("POST", "/sim/latency", {"ms": 0})
    if bed.tided.poll() is not None:
        bed.start_tided()
    yield
    bed.cancel_all()
    bed.send("DELETE", "/sim/faults")
    bed.send("POST", "/sim/latency", {"ms": 0})


def boots(bed, node):
    return bed.machine(node).get("bootCount", 0)


# ---- a) a free-pool node for sbatch -----------------------------------------------------------

def test_a_free_pool_node_for_sbatch(bed):
    free_a100 = bed.pool_nodes("nodes_free", "a100")
    assert free_a100, "the zinal site has A100 nodes in nodes_free"
    k8s_a100 = bed.pool_nodes("k8s_workers", "a100")
    bed.wait_powered_down(free_a100 + k8s_a100)
    before = {n: boots(bed, n) for n in free_a100}

    job = bed.sbatch("-C", "a100", "-N1", tag="a")
    rec = bed.wait_job(job, timeout=BATCH, nodes=free_a100[:1])
    node = rec["NodeList"]
    assert rec["JobState"] == "COMPLETED", bed.diag("job %d: %s" % (job, rec), [node], [job])
    assert node in free_a100, (node, free_a100)
    host, cmdline = bed.job_output(job, "a").splitlines()[:2]
    assert host == node
    assert "tide.image=rocky9" in cmdline.split()              # DefaultImage

    # Leased: in the Slurm pool (home recorded in SMD), BSS and the machine in rocky9.
    assert bed.exclusive_groups()[node] == ["slurm"], bed.diag("groups", [node])
    assert node in bed.members("tide-home-free")
    assert bed.bss_image(node) == "rocky9"
    m = bed.machine(node)
    assert m["power"] == "on" and m["image"] == "rocky9" and m["bootCount"] == before[node] + 1, m
    assert bed.active_image(node) == "rocky9"
    bed.wait("%s verified in the journal" % node, lambda: ("verify", "ok") in bed.steps(node, job),
             timeout=10, nodes=[node])
    done = bed.steps(node, job)
    assert ("claim", "ok") in done and ("boot", "ok") in done, done
    assert ("drain", "ok") not in done                         # a free node needs no drain
    assert not bed.tide_marks(), bed.tide_marks()              # Kubernetes untouched
    leases = bed.tide("leases", "--json")
    assert leases.returncode == 0, leases.stderr
    assert node in [l["node"] for l in json.loads(leases.stdout)["leases"]]

    # After SuspendTime: powered off (free pool, no HomeImage) and back in nodes_free.
    bed.wait_home([node], "nodes_free")
    assert node not in bed.members("slurm")
    assert bed.machine(node)["power"] == "off"
    assert ("home-group", "ok") in bed.steps(node)
    assert [n for n in bed.pool_nodes("nodes_free", "a100") if n != node] == [n for n in free_a100 if n != node]
    bed.assert_one_pool_each()


# ---- b) borrowed from Kubernetes ---------------------------------------------------------------

def _e2e_pod(name, node):
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "labels": {"app": "e2e-svc"},
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "e2e-svc-7f9c",
                                              "uid": "00000000-0000-4000-8000-0000000000e2", "controller": True}]},
            "spec": {"nodeName": node, "containers": [{"name": "svc", "image": "registry.tide.invalid/svc:1"}]},
            "status": {"phase": "Running"}}


def test_b_kubernetes_node_borrowed_and_given_back(bed):
    free_a100 = bed.pool_nodes("nodes_free", "a100")
    k8s_a100 = bed.pool_nodes("k8s_workers", "a100")
    assert k8s_a100, "the zinal site has A100 nodes in k8s_workers"
    bed.wait_powered_down(free_a100 + k8s_a100)
    # A service on every Kubernetes A100 node, behind a budget that refuses the first two
    # evictions: a drain must wait for it, not delete the pod.
    pods = {}
    for i, n in enumerate(k8s_a100):
        pods[n] = "e2e-svc-7f9c-%d" % i
        assert bed.send("POST", "/sim/k8s/pods", _e2e_pod(pods[n], n)) == 201
    assert bed.send("POST", "/sim/k8s/pdbs", {
        "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
        "metadata": {"name": "e2e-svc", "namespace": "default",
                     "annotations": {"tide.sim/deny-first-evictions": "2"}},
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "e2e-svc"}}}}) == 201
    boot_ids = {n: bed.k8s_node(n)["status"]["nodeInfo"]["bootID"] for n in k8s_a100}
    bed.send("DELETE", "/sim/requests")
    occupier = None
    try:
        # nodes_free has no A100 left: a job holds every one of them.
        occupier = bed.sbatch("-C", "a100", "-N%d" % len(free_a100), "--exclusive", script="sleep 600", tag="occupy")
        bed.wait("job %d to hold the free A100 nodes" % occupier,
                 lambda: bed.job(occupier).get("JobState") in ("CONFIGURING", "RUNNING"), timeout=30, jobs=[occupier])
        assert bed.sl("scontrol", "show", "hostnames", bed.job(occupier)["NodeList"]).stdout.split() == free_a100

        job = bed.sbatch("-C", "a100", "-N1", tag="b")
        rec = bed.wait_job(job, timeout=BATCH + 30, nodes=k8s_a100)
        node = rec["NodeList"]
        assert rec["JobState"] == "COMPLETED", bed.diag("job %d: %s" % (job, rec), [node], [job])
        assert node in k8s_a100
        host, cmdline = bed.job_output(job, "b").splitlines()[:2]
        assert host == node and "tide.image=rocky9" in cmdline.split()

        # Leased: SMD, BSS, Kubernetes (cordoned, tainted, labelled, bootID recorded).
        assert bed.exclusive_groups()[node] == ["slurm"], bed.diag("groups", [node])
        assert node in bed.members("tide-home-k8s")
        assert bed.bss_image(node) == "rocky9"
        k = bed.k8s_node(node)
        assert k["spec"].get("unschedulable") is True
        assert {"key": "tide/borrowed", "value": "slurm", "effect": "NoSchedule"} in k["spec"].get("taints", [])
        assert k["metadata"]["labels"].get("tide/borrowed") == "slurm"
        assert k["metadata"]["annotations"].get("tide/claimed-boot-id") == boot_ids[node]
        assert set(bed.tide_marks()) == {node}, bed.tide_marks()     # only the borrowed node
        # Its service pod was evicted (after the budget's two refusals) and runs elsewhere; the
        # DaemonSet pod was left alone; the other node's pod was not touched.
        left = [p["metadata"]["name"] for p in bed.pods_on(node)]
        assert pods[node] not in left and [p for p in left if p.startswith("cilium-")], left
        evictions = [(r["target"], r["status"]) for r in bed.get("/sim/requests")
                     if r["method"] == "POST" and r["target"].endswith("/eviction")]
        ours = [s for t, s in evictions if "/pods/%s/" % pods[node] in t]
        assert ours[:2] == [429, 429] and ours[-1] in (200, 201) and len([s for s in ours if s < 300]) == 1, evictions
        assert not [t for t, s in evictions if "/pods/cilium-" in t], evictions
        for other in k8s_a100:
            if other != node:
                assert pods[other] in [p["metadata"]["name"] for p in bed.pods_on(other)]
        assert [p for p in bed.get("/api/v1/pods")["items"]
                if p["metadata"]["labels"].get("app") == "e2e-svc" and p["status"]["phase"] == "Running"
                and p["spec"].get("nodeName") not in (node, None)], "the evicted service runs elsewhere"
        done = bed.steps(node, job)
        assert ("claim", "ok") in done and ("drain", "ok") in done and ("boot", "ok") in done, done

        # Given back: k8s image, home group, Ready with a new bootID, tide's marks gone.
        bed.sl("scancel", str(occupier))
        occupier = None
        bed.wait_home([node], "k8s_workers")
        bed.wait("%s uncordoned" % node, lambda: node not in bed.tide_marks(), timeout=30, nodes=[node])
        k = bed.k8s_node(node)
        assert not k["spec"].get("unschedulable")
        assert [c for c in k["status"]["conditions"] if c["type"] == "Ready"][0]["status"] == "True"
        assert k["status"]["nodeInfo"]["bootID"] != boot_ids[node]
        assert bed.bss_image(node) == "k8s" and bed.machine(node)["image"] == "k8s"
        assert ("k8s-return", "ok") in bed.steps(node)
        bed.wait_home(free_a100, "nodes_free")
        assert not bed.tide_marks(), bed.tide_marks()
        bed.assert_one_pool_each()
    finally:
        if occupier:
            bed.sl("scancel", str(occupier), check=False)
        # Leave no e2e pod behind (a bare pod is not replaced when deleted).
        for p in bed.get("/api/v1/pods")["items"]:
            if p["metadata"].get("labels", {}).get("app") == "e2e-svc":
                bare = dict(p, metadata=dict(p["metadata"], ownerReferences=[]))
                bed.send("POST", "/sim/k8s/pods", bare)
                bed.send("DELETE", "/sim/k8s/pods/default/%s" % p["metadata"]["name"])


# ---- c) image switch of a running node ---------------------------------------------------------

def test_c_running_node_switches_image_for_sbatch(bed):
    epyc = bed.pool_nodes("nodes_free", "epyc7742")
    # A node up in rocky9, idle in Slurm.
    node = bed.sl("srun", "-C", "epyc7742&rocky9", "-N1", "--chdir", bed.jobdir, "hostname").stdout.strip()
    assert node in epyc
    assert bed.active_image(node) == "rocky9" and bed.bss_image(node) == "rocky9"
    up_in_rocky9 = [n for n, f in bed.all_nodes().items() if "rocky9" in f.get("ActiveFeatures", "")
                    and "POWERED_DOWN" not in f["State"] and "epyc7742" in bed.features[n]]
    assert up_in_rocky9 == [node], up_in_rocky9
    before = boots(bed, node)

    job = bed.sbatch("-C", "epyc7742&sles15", tag="c")
    rec = bed.wait_job(job, timeout=BATCH, nodes=[node])
    assert rec["JobState"] == "COMPLETED", bed.diag("job %d: %s" % (job, rec), [node], [job])
    # 22.05 puts it on the node that is up, and asks ResumeProgram for the switch.
    assert rec["NodeList"] == node
    host, cmdline = bed.job_output(job, "c").splitlines()[:2]
    assert host == node and "tide.image=sles15" in cmdline.split()
    with open(bed.programs_log) as f:
        log = f.read()
    call = re.search(r"tide-slurm-resume\[\d+\] argc=2 '%s' '([^']*)'\n((?:    .*\n)*)" % node, log)
    assert call and "sles15" in call.group(1).split(","), log[-2000:]
    assert "env SLURM_JOB_ID=%d\n" % job in call.group(2)
    # BSS, the machine and Slurm agree on sles15; still in the Slurm pool.
    assert bed.bss_image(node) == "sles15"
    assert bed.machine(node)["image"] == "sles15" and boots(bed, node) == before + 1
    assert bed.active_image(node) == "sles15"
    assert bed.exclusive_groups()[node] == ["slurm"]
    bed.wait("%s verified in sles15" % node, lambda: ("verify", "ok") in bed.steps(node, job), timeout=10, nodes=[node])
    images = [e["to"] for e in bed.journal(node, job) if e["step"] in ("image", "boot", "verify") and e["result"] == "ok"]
    assert images and set(images) == {"sles15"}, images
    assert not bed.tide_marks()
    # Home again; a powered-down node shows the image BSS names for it.
    bed.wait_home([node], "nodes_free")
    assert bed.active_image(node) == bed.bss_image(node), (bed.node(node)["ActiveFeatures"], bed.bss_image(node))


# ---- d) scontrol reboot -----------------------------------------------------------------------

def test_d_scontrol_reboot_reimages_through_tided(bed):
    slurm = bed.all_nodes()
    candidates = [n for n in bed.pool_nodes("nodes_free", "epyc7742") if "POWERED_DOWN" in slurm[n]["State"]]
    node = candidates[len(candidates) // 2]     # not one that (c) or (g) use
    assert bed.sl("srun", "-w", node, "--chdir", bed.jobdir, "hostname").stdout.strip() == node
    image = bed.active_image(node)
    assert image in ("rocky9", "sles15")
    before, pid_before = boots(bed, node), open(os.path.join(bed.dir, "nodes", node, "slurmd.pid")).read()
    since = len(bed.journal(node))

    bed.sl("scontrol", "reboot", node)
    bed.wait("%s booted again" % node, lambda: boots(bed, node) > before, timeout=20, nodes=[node])

    def back():
        s = bed.state(node)
        return s.startswith("IDLE") and not re.search(r"REBOOT|POWER|DRAIN|DOWN|NOT_RESPONDING", s)
    bed.wait("%s IDLE after the reboot" % node, back, timeout=30, nodes=[node])
    assert boots(bed, node) == before + 1
    assert open(os.path.join(bed.dir, "nodes", node, "slurmd.pid")).read() != pid_before
    assert bed.bss_image(node) == image and bed.machine(node)["image"] == image
    assert bed.active_image(node) == image
    assert bed.exclusive_groups()[node] == ["slurm"]
    new = bed.journal(node)[since:]
    assert [e for e in new if e["step"] == "reboot" and e["result"] == "accepted"], new
    assert [e for e in new if e["step"] == "boot" and e["result"] == "ok"], new
    assert bed.sl("srun", "-w", node, "--chdir", bed.jobdir, "hostname").stdout.strip() == node
    assert not bed.tide_marks()


# ---- e) BSS fails during resumes: strikes, then quarantine ------------------------------------

def test_e_bss_500_strikes_then_quarantine(bed):
    mi200 = bed.pool_nodes("nodes_free", "mi200")
    node = mi200[-1]
    bed.wait_powered_down([node])
    image = bed.bss_image(node)
    assert image != "sles15"        # the job asks sles15: tided must PUT BSS, which fails
    before = boots(bed, node)
    assert bed.send("POST", "/sim/faults", BSS_500) == 201
    try:
        for attempt in (1, 2, 3):
            job = bed.sbatch("-w", node, "-C", "sles15", script="true", tag="e")
            bed.wait("strike %d of %s" % (attempt, node),
                     lambda: [e for e in bed.journal(node, job) if e["step"] == "strike"],
                     timeout=30, nodes=[node], jobs=[job])
            strike = [e for e in bed.journal(node, job) if e["step"] == "strike"][-1]
            assert strike["to"] == str(attempt), strike
            assert "BSS: PUT" in strike["error"] and "HTTP 500" in strike["error"], strike
            # Back safe: powered down in Slurm, home in nodes_free, never booted, BSS unchanged.
            bed.wait_home([node], "nodes_free", timeout=40)
            bed.sl("scancel", str(job))
            assert boots(bed, node) == before and bed.machine(node)["power"] == "off"
            assert bed.bss_image(node) == image
            if attempt < 3:
                assert "DRAIN" not in bed.state(node)
                assert bed.strikes(node) == attempt
        # The third strike quarantined it: drained with a reason an admin reads in sinfo -R.
        reason = bed.wait("the quarantine in sinfo -R", lambda: (
            lambda r: r if r.startswith("tide: quarantined") else None)(bed.drain_reasons().get(node, "")),
            timeout=20, nodes=[node])
        assert reason.startswith("tide: quarantined after 3 failed attempts: BSS: PUT "), reason
        assert "HTTP 500" in reason and "e2e: database is locked" in reason, reason
        assert "DRAIN" in bed.state(node)
        st = json.loads(bed.tide("status", "--json").stdout)
        row = [t for t in st["transitions"] if t["node"] == node][0]
        assert row["quarantined"] and row["strikes"] == 3, row
        metrics = bed.api("GET", "/metrics", auth=False)[1]
        assert re.search(r"(?m)^tide_quarantined_nodes 1$", metrics), metrics
        assert bed.exclusive_groups()[node] == ["nodes_free"]
        assert not bed.tide_marks()
    finally:
        bed.send("DELETE", "/sim/faults")
        bed.cancel_all()
    # An admin lifts the quarantine: tided forgets the strikes.
    bed.sl("scontrol", "update", "NodeName=" + node, "State=RESUME")
    bed.wait("quarantine lifted", lambda: ("unquarantine", "ok") in bed.steps(node), timeout=15, nodes=[node])
    assert bed.strikes(node) == 0


# ---- f) tided SIGKILLed in the middle of an acquire ---------------------------------------------

@pytest.mark.parametrize("kill_after", ["claim", "boot"])
def test_f_tided_killed_mid_acquire_converges(bed, kill_after):
    slurm = bed.all_nodes()
    mi200 = [n for n in bed.pool_nodes("nodes_free", "mi200") if "DRAIN" not in slurm[n]["State"]]
    nodes = mi200[:2] if kill_after == "claim" else mi200[2:4]
    bed.wait_powered_down(nodes)
    before = {n: boots(bed, n) for n in nodes}
    bed.send("POST", "/sim/latency", {"ms": 150})      # every service call slower: a wider window
    srun = subprocess.Popen([os.path.join(bed.dir, "bin", "sl"), "srun", "-w", ",".join(nodes), "-N2",
                             "--chdir", bed.jobdir, "hostname"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        def reached():
            for e in bed.journal():
                if e.get("node") in nodes and e["step"] == kill_after and e["result"] in ("ok", "started"):
                    return e
            return None
        seen = bed.wait("tided to reach %s" % kill_after, reached, timeout=30, step=0.02, nodes=nodes)
        assert bed.kill_tided(signal.SIGKILL) == -signal.SIGKILL
        killed_at = len(bed.journal())
        bed.send("POST", "/sim/latency", {"ms": 0})
        time.sleep(1)
        bed.start_tided()
        try:
            out, err = srun.communicate(timeout=RESUME_TIMEOUT)
        except subprocess.TimeoutExpired:
            srun.kill()
            out, err = srun.communicate()
            raise AssertionError("srun did not end\n%s" % bed.diag("srun", nodes))
        assert srun.returncode == 0, "%s\n%s" % (err, bed.diag("srun failed", nodes))
        assert sorted(out.split()) == sorted(nodes)
        after = bed.journal()[killed_at:]
        for n in nodes:
            assert bed.exclusive_groups()[n] == ["slurm"], bed.diag("groups", nodes)
            assert bed.bss_image(n) == "rocky9" and bed.active_image(n) == "rocky9"
            # at most one extra boot after a restart
            assert before[n] + 1 <= boots(bed, n) <= before[n] + 2, (n, before[n], boots(bed, n))
        # (A node whose slurmd registered before the new tided's first pass needs no verify
        # step: Slurm already runs it, in the image asserted above.)
        assert seen["step"] == kill_after, (seen, after)
        bed.assert_one_pool_each()
        # Given back by the new tided: nothing lost.  When the boot was in flight, the dead
        # tided's SMD reservation for it (deputy keys lost with the process) blocks the power
        # step of the release until it expires (TIDED_RESERVATION_MINUTES, 1): up to a minute.
        bed.wait_home(nodes, "nodes_free", timeout=RELEASE + (75 if kill_after == "boot" else 0))
        bed.assert_one_pool_each()
        for n in nodes:
            assert bed.strikes(n) == 0
    finally:
        if srun.poll() is None:
            srun.kill()
            srun.communicate()


# ---- g) six jobs, four nodes --------------------------------------------------------------------

def test_g_six_jobs_four_nodes_no_node_in_two_groups(bed):
    free = bed.pool_nodes("nodes_free", "epyc7742")[-2:]
    k8s = [n for n in bed.pool_nodes("k8s_workers", "epyc7742")
           if not [p for p in bed.pods_on(n) if not p["metadata"]["name"].startswith("cilium-")]][-2:]
    four = sorted(free + k8s)
    assert len(four) == 4, four
    bed.wait_powered_down(four)
    others = [n for n in bed.nodes if n not in four]
    sampler = testbed_util.GroupSampler(bed, bed.nodes)
    sampler.start()
    jobs = []
    try:
        started = time.monotonic()
        for _ in range(6):
            jobs.append(subprocess.Popen(
                [os.path.join(bed.dir, "bin", "sl"), "srun", "-N1", "--exclusive", "-C", "epyc7742",
                 "-x", ",".join(others), "--chdir", bed.jobdir, "bash", "-c", "hostname; sleep 3"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        hosts = []
        for p in jobs:
            try:
                out, err = p.communicate(timeout=max(1, 150 - (time.monotonic() - started)))
            except subprocess.TimeoutExpired:
                raise AssertionError("a job did not end\n%s" % bed.diag("six jobs", four))
            assert p.returncode == 0, "%s\n%s" % (err, bed.diag("a job failed", four))
            hosts.append(out.strip())
        assert set(hosts) <= set(four) and len(hosts) == 6, hosts
        assert len(set(hosts)) == 4, hosts          # 4 ran at once; 2 reused a node after it
        for n in k8s:
            assert ("drain", "ok") in bed.steps(n), bed.steps(n)
        bed.wait_home(free, "nodes_free")
        bed.wait_home(k8s, "k8s_workers")
        bed.wait("Kubernetes nodes returned", lambda: not bed.tide_marks(), timeout=30, nodes=k8s)
    finally:
        sampler.stop()
        for p in jobs:
            if p.poll() is None:
                p.kill()
                p.communicate()
    assert sampler.samples > 50, sampler.samples
    assert not sampler.errors, sampler.errors[:5]
    assert not sampler.doubles, sampler.doubles[:10]
    # a claim or a return moves a node with two SMD calls (out of one group, into the
    # other): it may be seen in neither for an instant, never for long
    assert max(sampler.longest_absent.values() or [0]) < 2.0, sampler.longest_absent
    bed.assert_one_pool_each()


# ---- h) auth (light: test_tided_api.py covers it in depth) --------------------------------------

def test_h_auth_on_the_testbed(bed):
    status, body = bed.api("GET", "/v1/status", auth=False)
    assert status == 401 and "missing credential" in body["error"], body
    cred = bed.credential("GET /v1/leases\n")
    assert bed.api("GET", "/v1/leases", cred=cred)[0] == 200
    status, body = bed.api("GET", "/v1/leases", cred=cred)
    assert status == 401 and "replayed" in body["error"], body
    status, body = bed.api("GET", "/v1/status", cred="MUNGE:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=:")
    assert status == 401, body
    # Another user reads status and leases but changes nothing.
    for args in (("status",), ("leases",), ("status", "--json")):
        proc = bed.tide(*args, user="nobody")
        assert proc.returncode == 0, proc.stderr
    node = bed.pool_nodes("nodes_free", "epyc7742")[0]
    since = len(bed.journal())
    proc = bed.tide("slurm", "resume", node, user="nobody")
    assert proc.returncode == 1 and "HTTP 403 Forbidden" in proc.stderr, proc.stderr
    proc = bed.tide("slurm", "reboot", node, user="nobody")
    assert proc.returncode == 1 and "HTTP 403 Forbidden" in proc.stderr, proc.stderr
    assert not [e for e in bed.journal()[since:] if e.get("node") == node], bed.journal()[since:]
    # A job of another user still gets its node (the programs run as SlurmUser).
    out = bed.sl("srun", "-C", "epyc7742", "-N1", "--chdir", bed.jobdir, "id", "-un", user="nobody").stdout
    assert out.strip() == "nobody"
    # No munge credential in any log tide writes.
    for path in (bed.tided_log, bed.journal_path, bed.programs_log):
        with open(path, errors="replace") as f:
            assert "MUNGE:" not in f.read(), path


# ---- last: nothing lost ----------------------------------------------------------------------

def test_z_everything_home_and_consistent(bed):
    bed.cancel_all()
    leased = [n for n in bed.nodes if "slurm" in bed.exclusive_groups().get(n, [])]
    for n in leased:
        home = "k8s_workers" if n in bed.members("tide-home-k8s") else "nodes_free"
        bed.wait_home([n], home)
    bed.assert_one_pool_each()
    # Every node's home group records where it came from.
    homes = bed.members("tide-home-free") | bed.members("tide-home-k8s")
    assert set(bed.nodes) <= homes
    assert not (bed.members("tide-home-free") & bed.members("tide-home-k8s"))
    assert not bed.tide_marks()
    assert not bed.members("slurm")
    st = json.loads(bed.tide("status", "--json").stdout)
    assert not [t for t in st["transitions"] if t.get("direction") not in (None, "quarantined")], st

"""tided end to end on the testbed: a quick smoke check of the reconcile loop.

One testbed for the module (real slurmctld 22.05, one slurmd per node, tide-sim)
with tided and tide's Slurm programs.  Each scenario asserts the Slurm job,
SMD membership, BSS parameters and, for Kubernetes nodes, the Node object:

  a) srun -C a100: a node is pulled from nodes_free, booted in DefaultImage,
     the job runs; after SuspendTime it is back in nodes_free;
  b) a node of k8s_workers with a PodDisruptionBudget-protected pod: drained
     (cordon, taint, eviction through the budget's 429), booted, the job runs;
     it comes back home and is uncordoned;
  c) a running node switched to another image through ResumeProgram
     `<node> <feature>` (power saving on).

The full suite (races, faults, crashes) lives elsewhere; this is what a
developer runs after touching helper/reconcile.c.  Needs root, the Debian
Slurm and munge packages, and a build with helper/tided and helper/tide.
"""

import pytest

import testbed_util
from testbed_util import TIDE, TIDED

PREFIX = "tidesmoke"
SUSPEND_TIME = 10
SUSPEND_TIMEOUT = 5
RELEASE = SUSPEND_TIME + SUSPEND_TIMEOUT + 40

pytestmark = testbed_util.needs(("slurmctld", "slurmd", "munged", "scontrol", "ip", "nsenter"), built=(TIDED, TIDE))


@pytest.fixture(scope="module")
def bed():
    with testbed_util.quick(PREFIX, SUSPEND_TIME, SUSPEND_TIMEOUT) as b:
        yield b


def test_a_free_pool_node_for_srun(bed):
    free_a100 = [n for n in bed.members("nodes_free") if "a100" in bed.node(n).get("AvailableFeatures", "")]
    assert free_a100, "the zinal site has A100 nodes in nodes_free"
    out = bed.sl("srun", "-C", "a100", "-N1", "--chdir", bed.jobdir,
                 "bash", "-c", "hostname; cat $TIDE_CMDLINE").stdout.split("\n")
    node = out[0].strip()
    assert node in free_a100
    assert "tide.image=rocky9" in out[1]          # DefaultImage
    assert node in bed.members("slurm")
    assert node not in bed.members("nodes_free")
    assert node in bed.members("tide-home-free")  # home recorded in SMD
    assert bed.bss_image(node) == "rocky9"
    assert node in bed.members("rocky9")          # its image's CloudInitGroup, and no other
    assert node not in bed.members("sles15") | bed.members("k8s")
    # The job may end before tided's next pass has seen slurmd register (the verify step).
    bed.wait("%s verified" % node, lambda: ("verify", "ok") in bed.steps(node), timeout=10)
    done = bed.steps(node)
    assert ("claim", "ok") in done and ("boot", "ok") in done

    # After SuspendTime Slurm gives it back: powered off, home in nodes_free.
    bed.wait_home([node], "nodes_free", timeout=RELEASE)
    assert node not in bed.members("slurm")
    assert ("home-group", "ok") in bed.steps(node)


def test_b_kubernetes_node_drained_and_returned(bed):
    # The node holding a pod of the "web" ReplicaSet, whose budget refuses the first eviction.
    pods = bed.get("/api/v1/pods")["items"]
    web = sorted(p["spec"]["nodeName"] for p in pods if p["metadata"]["name"].startswith("web-"))
    node = web[0]
    assert node in bed.members("k8s_workers")
    out = bed.sl("srun", "-w", node, "--chdir", bed.jobdir, "bash", "-c", "cat $TIDE_CMDLINE").stdout
    assert "tide.image=rocky9" in out
    k = bed.k8s_node(node)
    assert k["spec"].get("unschedulable") is True
    assert {"key": "tide/borrowed", "value": "slurm", "effect": "NoSchedule"} in k["spec"].get("taints", [])
    assert k["metadata"]["labels"].get("tide/borrowed") == "slurm"
    assert "tide/claimed-boot-id" in k["metadata"].get("annotations", {})
    pods = bed.get("/api/v1/pods")["items"]
    assert not [p for p in pods if p["spec"].get("nodeName") == node and p["metadata"]["name"].startswith("web-")]
    assert ("drain", "ok") in bed.steps(node)

    # Given back: k8s image, home group, Ready with a new bootID, taint/label gone, uncordoned.
    bed.wait_home([node], "k8s_workers", timeout=RELEASE)
    bed.wait("%s uncordoned" % node, lambda: not bed.k8s_node(node)["spec"].get("unschedulable"), timeout=20)
    k = bed.k8s_node(node)
    assert not [t for t in k["spec"].get("taints") or [] if t["key"] == "tide/borrowed"]
    assert "tide/borrowed" not in k["metadata"].get("labels", {})
    assert "tide/claimed-boot-id" not in (k["metadata"].get("annotations") or {})
    ready = [c for c in k["status"]["conditions"] if c["type"] == "Ready"][0]
    assert ready["status"] == "True"
    assert bed.bss_image(node) == "k8s"
    assert node in bed.members("k8s") and node not in bed.members("rocky9")


def test_c_running_node_switches_image(bed):
    jobdir = bed.jobdir
    node = bed.sl("srun", "-C", "epyc7713", "-N1", "--chdir", jobdir, "hostname").stdout.strip()
    assert "rocky9" in bed.node(node)["ActiveFeatures"]
    # Pin the reboot job only once the node is IDLE again: a job pinned onto a node still finishing
    # its last job races slurmctld 22.05's reboot bookkeeping (seen on the testbed: srun hangs).
    def idle():
        state = bed.node(node).get("State", "")
        return state.split("+")[0] == "IDLE" and "COMPLETING" not in state
    bed.wait("%s idle" % node, idle, timeout=60)
    # Up and idle in rocky9; a job that wants sles15 makes Slurm run ResumeProgram <node> sles15.
    out = bed.sl("srun", "-w", node, "-C", "sles15", "--chdir", jobdir, "bash", "-c", "cat $TIDE_CMDLINE").stdout
    assert "tide.image=sles15" in out
    assert bed.bss_image(node) == "sles15"
    assert node in bed.members("sles15") and node not in bed.members("rocky9")
    assert "sles15" in bed.node(node)["ActiveFeatures"]
    def verified():
        return [e["to"] for e in bed.journal(node) if e["step"] == "verify" and e["result"] == "ok"]
    bed.wait("%s verified in sles15" % node, lambda: verified()[-1:] == ["sles15"], timeout=10)
    assert verified()[-2:] == ["rocky9", "sles15"]

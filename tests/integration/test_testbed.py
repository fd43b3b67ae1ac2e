"""The testbed (contrib/testbed/testbed): a real Slurm 22.05 cluster, one
slurmd per site node in its own namespaces, wired to tide-sim.

Brings one testbed up in a fresh directory for the whole module and always
takes it down again (finalizer), even when a test fails.  tide's programs and
tided are kept out (--programs log --no-tided): this tests the testbed itself,
so nothing but the test may boot a node.  Needs root and the
Debian packages slurmctld, slurmd, slurm-client, munge, iproute2.
"""

import os
import re
import time

import pytest

import testbed_util
from testbed_util import TESTBED, run

PREFIX = "tidetest"  # namespace prefix: never clashes with a developer's `tide` testbed
IMAGES = ("rocky9", "sles15")
WAIT = {"timeout": 20, "step": 0.2}

# The hardware features the zinal site must give (contrib/testbed/slurm-nodes
# documents the rule); models not listed here are not checked.
MODEL_FEATURES = {
    "AMD EPYC 7742 64-Core Processor": "epyc7742",
    "AMD EPYC 7713 64-Core Processor": "epyc7713",
    "AMD EPYC 7A53 64-Core Processor": "epyc7a53",
    "NVIDIA_A100-SXM4-80GB": "a100",
    "AMD INSTINCT MI200 (MCM) OAM LC": "mi200",
}

pytestmark = testbed_util.needs(
    ("slurmctld", "slurmd", "munged", "mungekey", "scontrol", "ip", "nsenter", "unshare"),
    hint=" (apt-get install slurmctld slurmd slurm-client munge iproute2)")


def our_namespaces():
    return testbed_util.namespaces(PREFIX)


def bed_pids(bed):
    """Every PID the testbed owns right now: daemons and namespace members."""
    pids = set()
    for rel in ("munge/munged.pid", "run/sim.pid", "run/forward.pid", "ctld/slurmctld.pid"):
        try:
            with open(os.path.join(bed.dir, rel)) as f:
                pids.add(int(f.read()))
        except (OSError, ValueError):
            pass
    for ns in our_namespaces():
        pids.update(int(p) for p in run("ip", "netns", "pids", ns).stdout.split())
    return pids


@pytest.fixture(scope="module")
def testbed():
    if our_namespaces():
        pytest.fail("namespaces %s-* exist already: a previous run left them" % PREFIX)
    with testbed_util.brought_up(PREFIX, "--boot-delay", "0.5", "--programs", "log", "--no-tided",
                                 tided=False) as bed:
        yield bed


@pytest.fixture(scope="module")
def site(testbed):
    """What tide-sim says: the Slurm nodes, their hardware and their image."""
    nodes = {}
    for group in ("nodes_free", "k8s_workers"):
        for xname in testbed.members(group):
            nodes[xname] = {"group": group, "models": set(), "image": None, "power": None}
    inv = testbed.get("/hsm/v2/Inventory/Hardware/Query/s0")
    for node in inv.get("Nodes") or []:
        if node["ID"] not in nodes:
            continue
        for key, fru in (("Processors", "ProcessorFRUInfo"), ("NodeAccels", "NodeAccelFRUInfo")):
            for entry in node.get(key) or []:
                model = ((entry.get("PopulatedFRU") or {}).get(fru) or {}).get("Model")
                if model:
                    nodes[node["ID"]]["models"].add(model)
    for element in testbed.get("/boot/v1/bootparameters") or []:
        m = re.search(r"tide\.image=(\S+)", element.get("params") or "")
        for host in element.get("hosts") or []:
            if host in nodes and m:
                nodes[host]["image"] = m.group(1)
    for machine in testbed.get("/sim/nodes"):
        if machine["xname"] in nodes:
            nodes[machine["xname"]]["power"] = machine["power"]
    return nodes


def powered(site, **want):
    """Powered-on nodes whose fields match, in xname order."""
    return sorted(x for x, n in site.items()
                  if n["power"] == "on" and all(n[k] == v for k, v in want.items()))


def test_up_prints_exports_and_is_fast(testbed):
    for name in ("SLURM_CONF", "TIDE_CONF", "TIDE_SIM_URL", "PATH"):
        assert name in testbed.exports, testbed.up_proc.stdout
    assert testbed.exports["SLURM_CONF"] == os.path.join(testbed.dir, "etc", "slurm.conf")
    assert testbed.exports["PATH"].startswith(os.path.join(testbed.dir, "bin") + ":")
    assert re.search(r"up: \d+ nodes idle~ in [\d.]+s", testbed.up_proc.stderr)
    assert testbed.up_seconds < 60, "up took %.1fs" % testbed.up_seconds
    assert testbed.get("/sim/nodes")  # tide-sim answers at the exported URL


def test_every_site_node_is_a_powered_down_cloud_node(testbed, site):
    assert len(site) >= 32
    states = {}
    for line in testbed.sl("sinfo", "-h", "-N", "-o", "%N %T").stdout.splitlines():
        name, state = line.split()
        states[name] = state
    assert set(states) == set(site)
    assert set(states.values()) == {"idle~"}, states
    info = testbed.node(sorted(site)[0])
    assert "CLOUD" in info["State"] and "POWERED_DOWN" in info["State"]


def test_features_from_inventory_and_image(testbed, site):
    for xname, node in sorted(site.items()):
        info = testbed.node(xname)
        avail = set(info["AvailableFeatures"].split(","))
        active = set(info["ActiveFeatures"].split(",")) - {"(null)"}
        for model in node["models"]:
            if model in MODEL_FEATURES:
                assert MODEL_FEATURES[model] in avail, (xname, model, avail)
        assert {"rocky9", "sles15"} <= avail
        assert any(re.match(r"^mem\d+g$", f) for f in avail), avail
        # the 22.05 trap: only the image the node really has counts as active
        want = {node["image"]} if node["image"] in IMAGES else set()
        assert active & set(IMAGES) == want, (xname, node["image"], active)
        assert active - set(IMAGES) == avail - set(IMAGES)


def test_up_again_is_a_no_op(testbed):
    proc = run(TESTBED, "up", "--dir", testbed.dir, "--prefix", PREFIX)
    assert "already up" in proc.stderr
    assert proc.stdout == testbed.up_proc.stdout


def test_slurm_asks_resume_program_for_a_job(testbed, site):
    node = powered(site, group="nodes_free")[-1]
    log = os.path.join(testbed.dir, "log", "programs.log")
    job = testbed.sl("sbatch", "--parsable", "-w", node, "-C", "sles15", "-o", "/dev/null",
                     "--chdir", os.path.join(testbed.dir, "jobs"), "--wrap", "true").stdout.strip()
    try:
        record = testbed.wait("ResumeProgram in programs.log", lambda: re.search(
            r"tide-slurm-resume\[\d+\] argc=2 '%s' 'sles15'\n(    .*\n)*" % node,
            open(log).read()), **WAIT)
        assert "env SLURM_JOB_ID=%s\n" % job in record.group(0)
        assert "env PATH=" + os.path.join(testbed.dir, "bin") in record.group(0)
    finally:
        testbed.sl("scancel", job)


def test_boot_through_tide_sim_starts_slurmd_in_that_image(testbed, site):
    # a free node, powered and running rocky9: point BSS at sles15, kexec it
    node = powered(site, group="nodes_free")[0]
    ndir = os.path.join(testbed.dir, "nodes", node)
    assert testbed.slurmd_pid(node) is None
    params = "console=ttyS0 tide.image=sles15 testbed.mark=%d" % os.getpid()
    assert testbed.send("PUT", "/boot/v1/bootparameters",
                     {"hosts": [node], "kernel": "http://images.tide.invalid/sles15/vmlinuz",
                      "initrd": "http://images.tide.invalid/sles15/initrd",
                      "params": params}) == 200
    assert testbed.send("POST", "/sim/nodes/%s/kexec" % node, {}) == 202

    pid = testbed.wait("slurmd of %s" % node, lambda: testbed.slurmd_pid(node), **WAIT)
    assert open(os.path.join(ndir, "cmdline")).read().strip() == params
    # slurmd runs in the node's own namespaces, as the node
    ns_pids = run("ip", "netns", "pids", "%s-%s" % (PREFIX, node)).stdout.split()
    assert str(pid) in ns_pids
    assert run("nsenter", "--uts", "--target", str(pid), "hostname").stdout.strip() == node
    environ = open("/proc/%d/environ" % pid, "rb").read().split(b"\0")
    assert ("TIDE_CMDLINE=%s/cmdline" % ndir).encode() in environ
    # the Helper read the image back from the cmdline: Slurm sees sles15
    info = testbed.wait("%s registered in sles15" % node, lambda: (
        lambda i: i if "sles15" in i["ActiveFeatures"].split(",") and
        "POWERED_DOWN" not in i["State"] else None)(testbed.node(node)), **WAIT)
    assert "rocky9" not in info["ActiveFeatures"].split(",")
    helper = run("nsenter", "--net=/run/netns/%s-%s" % (PREFIX, node), "env",
                 "TIDE_CMDLINE=%s/cmdline" % ndir, os.path.join(testbed.dir, "bin", "tide-helper"))
    assert helper.stdout == "sles15\n"
    # and a job runs there, seeing the simulated /proc/cmdline
    out = testbed.sl("srun", "-w", node, "-C", "sles15", "--chdir", os.path.join(testbed.dir, "jobs"),
                     "sh", "-c", 'echo "$(hostname) $(cat "$TIDE_CMDLINE")"').stdout
    assert out.strip() == "%s %s" % (node, params)

    # power off through tide-sim: the hook stops the node
    assert testbed.send("POST", "/sim/nodes/%s/power" % node, {"state": "off"}) == 202
    testbed.wait("%s stopped" % node, lambda: not os.path.exists("/proc/%d" % pid), **WAIT)
    testbed.wait("no process left in %s" % node, lambda: not run(
        "ip", "netns", "pids", "%s-%s" % (PREFIX, node)).stdout.strip(), **WAIT)
    assert not os.path.exists(os.path.join(ndir, "cmdline"))


def test_pcs_restart_boots_the_node(testbed, site):
    # PCS gives the hook power-off, power-on, then boot (after the boot delay)
    node = powered(site, group="nodes_free", image="rocky9")[1]
    resp = testbed.send("POST", "/power-control/v1/transitions",
                     {"operation": "hard-restart", "location": [{"xname": node}]})
    assert resp == 200
    pid = testbed.wait("slurmd of %s" % node, lambda: testbed.slurmd_pid(node), **WAIT)
    cmdline = open(os.path.join(testbed.dir, "nodes", node, "cmdline")).read().split()
    assert "tide.image=rocky9" in cmdline
    testbed.wait("%s registered in rocky9" % node, lambda: "rocky9" in testbed.node(
        node)["ActiveFeatures"].split(",") and "POWERED_DOWN" not in testbed.node(node)["State"], **WAIT)
    log = open(os.path.join(testbed.dir, "log", "nodes.log")).read()
    events = re.findall(r"hook: %s (\S+)" % node, log)
    assert events == ["power-off", "power-on", "boot"], events
    assert testbed.slurmd_pid(node) == pid


def test_boot_into_a_non_slurm_image_runs_no_slurmd(testbed, site):
    node = powered(site, image="k8s")[0]
    assert testbed.send("POST", "/sim/nodes/%s/kexec" % node, {}) == 202
    cmdline = os.path.join(testbed.dir, "nodes", node, "cmdline")
    testbed.wait("cmdline of %s" % node, lambda: os.path.exists(cmdline), **WAIT)
    assert "tide.image=k8s" in open(cmdline).read().split()
    status = testbed.wait("status of %s" % node, lambda: (lambda s: s if "(no slurmd)" in s else None)(
        testbed.cmd("status").stdout), **WAIT)
    assert "node %s up image=k8s (no slurmd)" % node in status
    assert testbed.slurmd_pid(node) is None


def test_down_leaves_nothing_behind(testbed):
    before = bed_pids(testbed)
    assert len(before) >= 4  # munged, tide-sim, forwarder, slurmctld (+ slurmds)
    assert our_namespaces()
    started = time.monotonic()
    proc = testbed.cmd("down", timeout=60)
    took = time.monotonic() - started
    assert "down in" in proc.stderr
    assert took < 20, took
    assert not os.path.exists(testbed.dir)
    assert our_namespaces() == []
    alive = [p for p in before if os.path.exists("/proc/%d" % p)
             and open("/proc/%d/stat" % p).read().rsplit(")", 1)[1].split()[0] != "Z"]
    assert alive == [], alive
    # and down again: nothing to stop, still fine
    again = testbed.cmd("down")
    assert "nothing to stop" in again.stderr

"""The testbed (contrib/testbed/testbed): a real Slurm 22.05 cluster, one
slurmd per site node in its own namespaces, wired to tide-sim.

Brings one testbed up in a fresh directory for the whole module and always
takes it down again (finalizer), even when a test fails.  tide's programs and
tided are kept out (--programs log --no-tided): this tests the testbed itself,
so nothing but the test may boot a node.  Needs root and the
Debian packages slurmctld, slurmd, slurm-client, munge, iproute2.
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request

import pytest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TESTBED = os.path.join(TOP, "contrib", "testbed", "testbed")
PREFIX = "tidetest"  # namespace prefix: never clashes with a developer's `tide` testbed
IMAGES = ("rocky9", "sles15")

# The hardware features the zinal site must give (contrib/testbed/slurm-nodes
# documents the rule); models not listed here are not checked.
MODEL_FEATURES = {
    "AMD EPYC 7742 64-Core Processor": "epyc7742",
    "AMD EPYC 7713 64-Core Processor": "epyc7713",
    "AMD EPYC 7A53 64-Core Processor": "epyc7a53",
    "NVIDIA_A100-SXM4-80GB": "a100",
    "AMD INSTINCT MI200 (MCM) OAM LC": "mi200",
}


def _missing():
    if os.geteuid() != 0:
        return "the testbed needs root (network namespaces, nsenter)"
    for prog in ("slurmctld", "slurmd", "munged", "mungekey", "scontrol", "ip", "nsenter", "unshare"):
        if shutil.which(prog, path="/usr/sbin:/usr/bin:/sbin:/bin") is None:
            return "%s is not installed (apt-get install slurmctld slurmd slurm-client munge iproute2)" % prog
    return None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=_missing() or "")


def run(*args, timeout=120, check=True):
    proc = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError("%s -> %d\nstdout:\n%s\nstderr:\n%s"
                             % (" ".join(args), proc.returncode, proc.stdout, proc.stderr))
    return proc


def get_json(url):
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.load(resp)


def send_json(method, url, body):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.status


def wait_for(what, predicate, timeout=20.0, step=0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.0fs waiting for %s" % (timeout, what))
        time.sleep(step)


def our_namespaces():
    out = run("ip", "netns", "list").stdout
    return [line.split()[0] for line in out.splitlines() if line.startswith(PREFIX + "-")]


class Bed:
    def __init__(self, directory):
        self.dir = directory
        self.up_seconds = None
        self.up_proc = None
        self.exports = {}

    def cmd(self, *args, timeout=120, check=True):
        return run(TESTBED, *args, "--dir", self.dir, timeout=timeout, check=check)

    def up(self):
        started = time.monotonic()
        self.up_proc = run(TESTBED, "up", "--dir", self.dir, "--prefix", PREFIX,
                           "--boot-delay", "0.5", "--programs", "log", "--no-tided",
                           timeout=120)
        self.up_seconds = time.monotonic() - started
        for line in self.up_proc.stdout.splitlines():
            m = re.match(r"^export (\w+)=(.*)$", line)
            if m:
                self.exports[m.group(1)] = m.group(2)

    @property
    def sim(self):
        return self.exports["TIDE_SIM_URL"]

    def sl(self, *args, timeout=60, check=True):
        return run(os.path.join(self.dir, "bin", "sl"), *args, timeout=timeout, check=check)

    def node_info(self, node):
        out = self.sl("scontrol", "show", "node", "-o", node).stdout
        return dict(f.split("=", 1) for f in out.split() if "=" in f)

    def slurmd_pid(self, node):
        try:
            pid = int(open(os.path.join(self.dir, "nodes", node, "slurmd.pid")).read())
        except (OSError, ValueError):
            return None
        return pid if os.path.exists("/proc/%d" % pid) else None

    def pids(self):
        """Every PID the testbed owns right now: daemons and namespace members."""
        pids = set()
        for rel in ("munge/munged.pid", "run/sim.pid", "run/forward.pid", "ctld/slurmctld.pid"):
            try:
                pids.add(int(open(os.path.join(self.dir, rel)).read()))
            except (OSError, ValueError):
                pass
        for ns in our_namespaces():
            pids.update(int(p) for p in run("ip", "netns", "pids", ns).stdout.split())
        return pids


@pytest.fixture(scope="module")
def testbed():
    if our_namespaces():
        pytest.fail("namespaces %s-* exist already: a previous run left them" % PREFIX)
    directory = tempfile.mkdtemp(prefix="tide-testbed-", dir="/tmp")
    os.chmod(directory, 0o755)  # munged needs o+x above its socket
    bed = Bed(directory)
    try:
        bed.up()
        yield bed
    finally:
        proc = run(TESTBED, "down", "--dir", directory, check=False, timeout=60)
        if proc.returncode != 0:
            print(proc.stdout, proc.stderr)
        if os.path.isdir(directory) and not os.listdir(directory):
            os.rmdir(directory)


@pytest.fixture(scope="module")
def site(testbed):
    """What tide-sim says: the Slurm nodes, their hardware and their image."""
    nodes = {}
    for group in ("nodes_free", "k8s_workers"):
        for xname in get_json("%s/hsm/v2/groups/%s/members" % (testbed.sim, group))["ids"]:
            nodes[xname] = {"group": group, "models": set(), "image": None, "power": None}
    inv = get_json(testbed.sim + "/hsm/v2/Inventory/Hardware/Query/s0")
    for node in inv.get("Nodes") or []:
        if node["ID"] not in nodes:
            continue
        for key, fru in (("Processors", "ProcessorFRUInfo"), ("NodeAccels", "NodeAccelFRUInfo")):
            for entry in node.get(key) or []:
                model = ((entry.get("PopulatedFRU") or {}).get(fru) or {}).get("Model")
                if model:
                    nodes[node["ID"]]["models"].add(model)
    for element in get_json(testbed.sim + "/boot/v1/bootparameters") or []:
        m = re.search(r"tide\.image=(\S+)", element.get("params") or "")
        for host in element.get("hosts") or []:
            if host in nodes and m:
                nodes[host]["image"] = m.group(1)
    for machine in get_json(testbed.sim + "/sim/nodes"):
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
    assert get_json(testbed.sim + "/sim/nodes")  # tide-sim answers at the exported URL


def test_every_site_node_is_a_powered_down_cloud_node(testbed, site):
    assert len(site) >= 32
    states = {}
    for line in testbed.sl("sinfo", "-h", "-N", "-o", "%N %T").stdout.splitlines():
        name, state = line.split()
        states[name] = state
    assert set(states) == set(site)
    assert set(states.values()) == {"idle~"}, states
    info = testbed.node_info(sorted(site)[0])
    assert "CLOUD" in info["State"] and "POWERED_DOWN" in info["State"]


def test_features_from_inventory_and_image(testbed, site):
    for xname, node in sorted(site.items()):
        info = testbed.node_info(xname)
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
        record = wait_for("ResumeProgram in programs.log", lambda: re.search(
            r"tide-slurm-resume\[\d+\] argc=2 '%s' 'sles15'\n(    .*\n)*" % node,
            open(log).read()))
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
    assert send_json("PUT", testbed.sim + "/boot/v1/bootparameters",
                     {"hosts": [node], "kernel": "http://images.tide.invalid/sles15/vmlinuz",
                      "initrd": "http://images.tide.invalid/sles15/initrd",
                      "params": params}) == 200
    assert send_json("POST", testbed.sim + "/sim/nodes/%s/kexec" % node, {}) == 202

    pid = wait_for("slurmd of %s" % node, lambda: testbed.slurmd_pid(node))
    assert open(os.path.join(ndir, "cmdline")).read().strip() == params
    # slurmd runs in the node's own namespaces, as the node
    ns_pids = run("ip", "netns", "pids", "%s-%s" % (PREFIX, node)).stdout.split()
    assert str(pid) in ns_pids
    assert run("nsenter", "--uts", "--target", str(pid), "hostname").stdout.strip() == node
    environ = open("/proc/%d/environ" % pid, "rb").read().split(b"\0")
    assert ("TIDE_CMDLINE=%s/cmdline" % ndir).encode() in environ
    # the Helper read the image back from the cmdline: Slurm sees sles15
    info = wait_for("%s registered in sles15" % node, lambda: (
        lambda i: i if "sles15" in i["ActiveFeatures"].split(",") and
        "POWERED_DOWN" not in i["State"] else None)(testbed.node_info(node)))
    assert "rocky9" not in info["ActiveFeatures"].split(",")
    helper = run("nsenter", "--net=/run/netns/%s-%s" % (PREFIX, node), "env",
                 "TIDE_CMDLINE=%s/cmdline" % ndir, os.path.join(testbed.dir, "bin", "tide-helper"))
    assert helper.stdout == "sles15\n"
    # and a job runs there, seeing the simulated /proc/cmdline
    out = testbed.sl("srun", "-w", node, "-C", "sles15", "--chdir", os.path.join(testbed.dir, "jobs"),
                     "sh", "-c", 'echo "$(hostname) $(cat "$TIDE_CMDLINE")"').stdout
    assert out.strip() == "%s %s" % (node, params)

    # power off through tide-sim: the hook stops the node
    assert send_json("POST", testbed.sim + "/sim/nodes/%s/power" % node, {"state": "off"}) == 202
    wait_for("%s stopped" % node, lambda: not os.path.exists("/proc/%d" % pid))
    wait_for("no process left in %s" % node, lambda: not run(
        "ip", "netns", "pids", "%s-%s" % (PREFIX, node)).stdout.strip())
    assert not os.path.exists(os.path.join(ndir, "cmdline"))


def test_pcs_restart_boots_the_node(testbed, site):
    # PCS gives the hook power-off, power-on, then boot (after the boot delay)
    node = powered(site, group="nodes_free", image="rocky9")[1]
    resp = send_json("POST", testbed.sim + "/power-control/v1/transitions",
                     {"operation": "hard-restart", "location": [{"xname": node}]})
    assert resp == 200
    pid = wait_for("slurmd of %s" % node, lambda: testbed.slurmd_pid(node))
    cmdline = open(os.path.join(testbed.dir, "nodes", node, "cmdline")).read().split()
    assert "tide.image=rocky9" in cmdline
    wait_for("%s registered in rocky9" % node, lambda: "rocky9" in testbed.node_info(
        node)["ActiveFeatures"].split(",") and "POWERED_DOWN" not in testbed.node_info(node)["State"])
    log = open(os.path.join(testbed.dir, "log", "nodes.log")).read()
    events = re.findall(r"hook: %s (\S+)" % node, log)
    assert events == ["power-off", "power-on", "boot"], events
    assert testbed.slurmd_pid(node) == pid


def test_boot_into_a_non_slurm_image_runs_no_slurmd(testbed, site):
    node = powered(site, image="k8s")[0]
    assert send_json("POST", testbed.sim + "/sim/nodes/%s/kexec" % node, {}) == 202
    cmdline = os.path.join(testbed.dir, "nodes", node, "cmdline")
    wait_for("cmdline of %s" % node, lambda: os.path.exists(cmdline))
    assert "tide.image=k8s" in open(cmdline).read().split()
    status = wait_for("status of %s" % node, lambda: (lambda s: s if "(no slurmd)" in s else None)(
        testbed.cmd("status").stdout))
    assert "node %s up image=k8s (no slurmd)" % node in status
    assert testbed.slurmd_pid(node) is None


def test_down_leaves_nothing_behind(testbed):
    before = testbed.pids()
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

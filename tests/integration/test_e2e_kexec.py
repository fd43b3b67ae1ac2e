"""tided switches a running node's image by kexec through its node agent, on the testbed.

One testbed for the module (real slurmctld 22.05, one slurmd per node, tide-sim), tided started
by the fixture, the Slurm images with Transition=kexec.  Next to every slurmd the testbed runs
the node agent, `tide-node agent --kexec-command ...`, whose kexec is tide-sim's
(POST /sim/nodes/XNAME/kexec: the node boots what BSS names, without a power cycle).

  a) sbatch -C "<hw>&sles15" onto a node up in rocky9: the job COMPLETED in sles15; tide-sim saw a
     kexec of the node and no PCS transition for it; BSS names sles15; the journal's boot entry
     says kexec; tided counts it (tide_boots_total{transport="kexec"});
  b) scontrol reboot of a node up in Slurm: kexec again, back IDLE;
  c) the node's agent is down: tided falls back to a PCS transition in the same pass;
  d) the agent's auth, against munge: no credential, forged, replayed, another request's,
     non-root, another node's -> refused; root -> accepted, once.

Needs root, the Debian packages slurmctld slurmd slurm-client munge iproute2, and a build with
helper/tided, helper/tide and nodefeatures/tide-node.  About 1.5 minutes on 2 cores.
"""

import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest

import testbed_util
from testbed_util import TIDE, TIDED, TOP

PREFIX = "tidekexec"
TIDE_NODE = os.path.join(TOP, "nodefeatures", "tide-node")
HW = "epyc7713"                 # the zinal site has a few of these in nodes_free
BATCH = 30 + 30                 # a batch job waits for slurmctld's 30 s tick once its node is up (22.05)
AGENT_PORT = 6820               # tide.conf's default AgentPort

pytestmark = testbed_util.needs(("slurmctld", "slurmd", "munged", "munge", "scontrol", "ip", "nsenter", "runuser"),
                                built=(TIDED, TIDE, TIDE_NODE), hint=" (contrib/install-deps)", prefix=PREFIX)


def kexec_images(bed):
    """The Slurm images switch by kexec (the testbed's tide.conf may say so already)."""
    with open(bed.conf) as f:
        lines = f.read().splitlines()
    out = []
    for line in lines:
        if re.match(r"^Image=(rocky9|sles15)\s", line):
            line = re.sub(r"\s+Transition=\S+", "", line) + " Transition=kexec"
        out.append(line)
    with open(bed.conf, "w") as f:
        f.write("\n".join(out) + "\n")


@pytest.fixture(scope="module")
def bed():
    # SuspendTime long enough that a node brought up for one scenario is still up for the next.
    with testbed_util.quick(PREFIX, 90, 5, setup=kexec_images) as b:
        yield b
    assert b.tided_status == 0, b.tided_log_tail


@pytest.fixture(autouse=True)
def clean_slate(bed):
    yield
    bed.cancel_all()


# ---- helpers ---------------------------------------------------------------------------------

def sim_log(bed):
    with open(os.path.join(bed.dir, "log", "sim.log"), errors="replace") as f:
        return f.read()


def pcs_transitions_for(bed, node):
    """The PCS transitions tide-sim was asked for (since the last DELETE /sim/requests) that name node."""
    return [r for r in bed.get("/sim/requests")
            if r["method"] == "POST" and r["target"].startswith("/power-control/v1/transitions")
            and node in (r.get("body") or "")]


def agent_info(bed, node):
    """GET /v1/agent of the node's agent, from the controller's namespace (where tided asks it)."""
    addr = bed.node(node)["NodeAddr"]
    code = ("import sys, urllib.request as u\n"
            "print(u.urlopen('http://%s:%d/v1/agent', timeout=5).read().decode())" % (addr, AGENT_PORT))
    return json.loads(bed.sl("python3", "-c", code).stdout)


def boot_entries(bed, node, since=0):
    return [e for e in bed.journal(node)[since:] if e["step"] == "boot"]


def up_in(bed, node, image):
    """The node is up in Slurm in `image` (its slurmd registered there) and idle."""
    f = bed.node(node)
    state = f.get("State", "")
    return (state.split("+")[0] == "IDLE" and not re.search(r"POWER|REBOOT|COMPLETING|DRAIN|DOWN", state)
            and image in f.get("ActiveFeatures", "").split(","))


def running_node(bed, image):
    """A node of HW brought up in `image` for an srun, then idle in Slurm (the first boot is a cold one)."""
    node = bed.sl("srun", "-C", "%s&%s" % (HW, image), "-N1", "--chdir", bed.jobdir, "hostname").stdout.strip()
    bed.wait("%s up and idle in %s" % (node, image), lambda: up_in(bed, node, image), timeout=60, nodes=[node])
    bed.wait("%s verified" % node, lambda: ("verify", "ok") in bed.steps(node), timeout=20, nodes=[node])
    bed.wait("the agent of %s" % node, lambda: agent_info(bed, node)["image"] == image, timeout=20, nodes=[node])
    return node


def agent_pid(bed, node):
    with open(os.path.join(bed.dir, "nodes", node, "agent.pid")) as f:
        pid = int(f.read())
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        assert b"agent" in f.read().split(b"\0"), "pid %d is not %s's agent" % (pid, node)
    return pid


# ---- a) sbatch switches a running node's image by kexec -----------------------------------------

def test_a_sbatch_switches_a_running_node_by_kexec(bed):
    node = running_node(bed, "rocky9")
    cold = boot_entries(bed, node)
    assert [e["from"] for e in cold if e["result"] == "ok"] == ["pcs"], cold   # from off: PCS
    assert agent_info(bed, node) == {"node": node, "image": "rocky9",
                                     "kexec": {"state": "idle", "image": None, "error": None}}
    before = bed.machine(node)
    since = len(bed.journal(node))
    log_since = len(sim_log(bed))
    bed.send("DELETE", "/sim/requests")

    job = bed.sbatch("-w", node, "-C", "%s&sles15" % HW, tag="kexec")
    rec = bed.wait_job(job, timeout=BATCH, nodes=[node])
    assert rec["JobState"] == "COMPLETED", bed.diag("job %d: %s" % (job, rec), [node], [job])
    host, cmdline = bed.job_output(job, "kexec").splitlines()[:2]
    assert host == node and "tide.image=sles15" in cmdline.split()

    # tide-sim: one kexec of the node, no PCS transition for it, no power cycle; BSS says sles15.
    log = sim_log(bed)[log_since:]
    assert len(re.findall(r"^POST /sim/nodes/%s/kexec 202$" % node, log, re.M)) == 1, log[-3000:]
    assert not pcs_transitions_for(bed, node), pcs_transitions_for(bed, node)
    assert "event %s power-off" % node not in log
    after = bed.machine(node)
    assert after["image"] == "sles15" and after["bootCount"] == before["bootCount"] + 1
    assert bed.bss_image(node) == "sles15"
    assert bed.active_image(node) == "sles15"
    assert bed.exclusive_groups()[node] == ["slurm"]

    # tided: the boot went by kexec, and the verify step accepted it as for a PCS boot.
    bed.wait("%s verified in sles15" % node,
             lambda: [e["to"] for e in bed.journal(node)[since:] if e["step"] == "verify"] == ["sles15"],
             timeout=20, nodes=[node])
    boots = boot_entries(bed, node, since)
    assert [(e["from"], e["to"], e["result"]) for e in boots] == [("kexec", "sles15", "ok")], boots
    assert boots[0]["job"] == job
    status, metrics = bed.api("GET", "/metrics", auth=False)
    assert status == 200
    assert re.search(r'^tide_boots_total\{transport="kexec",result="ok"\} 1$', metrics, re.M), metrics
    # The agent that came up with the new slurmd reports the new image.
    bed.wait("the agent of %s in sles15" % node, lambda: agent_info(bed, node)["image"] == "sles15", timeout=20)


# ---- b) scontrol reboot -----------------------------------------------------------------------------

def test_b_scontrol_reboot_by_kexec(bed):
    up = [n for n, f in bed.all_nodes().items() if HW in f.get("AvailableFeatures", "") and up_in(bed, n, "sles15")]
    node = up[0] if up else running_node(bed, "sles15")
    before = bed.machine(node)["bootCount"]
    since = len(bed.journal(node))
    bed.send("DELETE", "/sim/requests")

    bed.sl("scontrol", "reboot", node)
    bed.wait("%s booted again" % node, lambda: bed.machine(node)["bootCount"] > before, timeout=30, nodes=[node])
    bed.wait("%s IDLE after the reboot" % node, lambda: up_in(bed, node, "sles15"), timeout=30, nodes=[node])
    assert bed.machine(node)["bootCount"] == before + 1
    assert not pcs_transitions_for(bed, node)
    boots = boot_entries(bed, node, since)
    assert [(e["from"], e["result"]) for e in boots] == [("kexec", "ok")], boots
    assert bed.sl("srun", "-w", node, "--chdir", bed.jobdir, "hostname").stdout.strip() == node


# ---- c) no agent: PCS in the same pass ----------------------------------------------------------------

def test_c_agent_down_falls_back_to_pcs(bed):
    up = [n for n, f in bed.all_nodes().items() if HW in f.get("AvailableFeatures", "") and up_in(bed, n, "sles15")]
    node = up[0] if up else running_node(bed, "sles15")
    pid = agent_pid(bed, node)
    os.kill(pid, signal.SIGTERM)
    bed.wait("the agent of %s stopped" % node, lambda: not os.path.exists("/proc/%d" % pid), timeout=10)
    before = bed.machine(node)["bootCount"]
    since = len(bed.journal(node))
    log_since = len(sim_log(bed))
    bed.send("DELETE", "/sim/requests")

    out = bed.sl("srun", "-w", node, "-C", "rocky9", "--chdir", bed.jobdir, "bash", "-c", "cat $TIDE_CMDLINE").stdout
    assert "tide.image=rocky9" in out.split()
    boots = boot_entries(bed, node, since)
    assert [(e["from"], e["result"]) for e in boots] == [("kexec", "fallback"), ("pcs", "started"), ("pcs", "ok")], \
        boots
    assert "node agent" in boots[0]["error"], boots[0]
    assert len(pcs_transitions_for(bed, node)) == 1
    assert "/sim/nodes/%s/kexec" % node not in sim_log(bed)[log_since:]
    assert bed.machine(node)["bootCount"] == before + 1 and bed.machine(node)["image"] == "rocky9"
    # The power cycle brought the agent back with slurmd.
    bed.wait("the agent of %s back" % node, lambda: agent_info(bed, node)["image"] == "rocky9", timeout=20)


# ---- d) the agent's auth ------------------------------------------------------------------------------

class Agent:
    """A node agent of its own on 127.0.0.1 (the testbed's munged, tide.conf), whose kexec command
    only records the order."""

    def __init__(self, bed, tmp):
        self.bed = bed
        self.node = "x9000c0s0b0n0"
        self.orders = os.path.join(tmp, "orders")
        cmdline = os.path.join(tmp, "cmdline")
        with open(cmdline, "w") as f:
            f.write("console=ttyS0 xname=%s tide.image=rocky9\n" % self.node)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.log = open(os.path.join(tmp, "agent.log"), "wb")
        env = {"PATH": testbed_util.SYS_PATH, "TIDE_CMDLINE": cmdline}
        self.proc = subprocess.Popen([TIDE_NODE, "agent", "-c", bed.conf, "--listen", "127.0.0.1:%d" % self.port,
                                      "--kexec-command", 'echo "$TIDE_KEXEC_NODE $TIDE_KEXEC_IMAGE" >> %s'
                                      % self.orders], env=env, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        testbed_util.wait_for("the agent on port %d" % self.port, self.listening, timeout=10, step=0.1)

    def listening(self):
        try:
            return self.request("GET", "/v1/agent")[0] == 200
        except OSError:
            return False

    def request(self, method, path, body=None, cred=None):
        data = body.encode() if body is not None else None
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port, path), data=data, method=method)
        if cred is not None:
            req.add_header("Authorization", "Munge " + cred)
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read())

    def kexec(self, body, cred):
        return self.request("POST", "/v1/kexec", body, cred)

    def ran(self):
        try:
            with open(self.orders) as f:
                return f.read().splitlines()
        except OSError:
            return []

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        status = self.proc.wait(timeout=10)
        self.log.close()
        return status


def test_d_agent_refuses_what_munge_does_not_vouch_for(bed):
    with tempfile.TemporaryDirectory(prefix="tidekexec-agent-") as tmp:
        os.chmod(tmp, 0o755)
        agent = Agent(bed, tmp)
        try:
            status, info = agent.request("GET", "/v1/agent")
            assert (status, info["node"], info["image"]) == (200, agent.node, "rocky9")
            body = json.dumps({"node": agent.node, "image": "sles15", "kernel": "http://s3/sles15/vmlinuz",
                               "initrd": "http://s3/sles15/initrd", "params": "console=ttyS0 tide.image=sles15"})
            payload = "POST /v1/kexec\n" + body

            status, reply = agent.kexec(body, None)
            assert status == 401 and reply["error"].startswith("missing credential"), reply
            status, reply = agent.kexec(body, "MUNGE:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=:")
            assert status == 401 and "munge credential" in reply["error"], reply
            status, reply = agent.kexec(body, bed.credential("POST /v1/kexec\n{}"))
            assert status == 401 and "made for another request" in reply["error"], reply
            nobody = testbed_util.run("runuser", "-u", "nobody", "--", "munge", "-S", bed.munge_socket,
                                      input=payload).stdout.strip()
            status, reply = agent.kexec(body, nobody)
            assert status == 403 and reply["error"].startswith("uid 65534 may not order a kexec"), reply
            other = body.replace(agent.node, "x9000c0s0b0n1")
            status, reply = agent.kexec(other, bed.credential("POST /v1/kexec\n" + other))
            assert status == 421 and "not of x9000c0s0b0n1" in reply["error"], reply
            assert agent.ran() == []

            cred = bed.credential(payload)
            status, reply = agent.kexec(body, cred)
            assert (status, reply) == (202, {"accepted": True, "node": agent.node, "image": "sles15"})
            testbed_util.wait_for("the kexec command", lambda: agent.ran(), timeout=10, step=0.1)
            assert agent.ran() == ["%s sles15" % agent.node]
            status, reply = agent.kexec(body, cred)              # the same credential again
            assert status == 401 and "replayed" in reply["error"], reply
            time.sleep(0.5)
            assert agent.ran() == ["%s sles15" % agent.node]   # nothing refused ever ran
        finally:
            assert agent.stop() == 0
        with open(os.path.join(tmp, "agent.log"), errors="replace") as f:
            log = f.read()
        assert "MUNGE:" not in log, log                        # no credential in the log
        assert "refused POST /v1/kexec: uid 65534 may not order a kexec" in log, log

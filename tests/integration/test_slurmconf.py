"""`tide slurm-conf` against tide-sim's zinal site, the files it writes fed to
a real slurmctld, and `tide-node`, the node_features Helper, on simulated
kernel command lines.

The binaries are ./helper/tide (or $TIDE_BIN) and ./nodefeatures/tide-node
(or $TIDE_NODE_BIN).  The slurmctld check needs Debian's slurmctld and
slurm-client; the set-mode check needs munge.  Each is skipped without them.
"""

import ctypes
import http.server
import json
import os
import pwd
import re
import shutil
import socket
import socketserver
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import REPO
from test_cli import assert_one_error, run, site, write_conf

TIDE_NODE = os.environ.get("TIDE_NODE_BIN") or os.path.join(REPO, "nodefeatures", "tide-node")
SYS_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"

FEATURES = {   # the rule of tide(1), for the zinal models
    "AMD EPYC 7742 64-Core Processor": "epyc7742",
    "AMD EPYC 7713 64-Core Processor": "epyc7713",
    "AMD EPYC 7A53 64-Core Processor": "epyc7a53",
    "NVIDIA_A100-SXM4-80GB": "a100",
    "AMD INSTINCT MI200 (MCM) OAM LC": "mi200",
    "SS11 200Gb 2P NIC Mezz REV02 (HSN)": "ss11",
}
SLURM_CONF_EXTRA = (
    "SlurmPool=slurm\nDefaultImage=rocky9\n"
    "Pool=slurm Group=slurm Kind=slurm\n"
    "Image=rocky9 Kernel=http://s3/rocky9/vmlinuz Initrd=http://s3/rocky9/initrd\n"
    "Image=sles15 Kernel=http://s3/sles15/vmlinuz Initrd=http://s3/sles15/initrd\n"
    "Image=k8s Kernel=http://s3/k8s/vmlinuz Initrd=http://s3/k8s/initrd\n")


@pytest.fixture
def conf(zinal, tmp_path):
    """test_cli's tide.conf (tenant zinal, free Cost=1, k8s Cost=20) plus images and a Slurm pool."""
    path = write_conf(tmp_path / "tide.conf", zinal.base, extra=SLURM_CONF_EXTRA)
    text = path.read_text().replace("Kind=kubernetes Cost=20", "Kind=kubernetes Cost=20 HomeImage=k8s")
    path.write_text(text)
    return path


def expand(expr):
    """x1c0s0b0n[0-1],x2 -> names (tide writes brackets only at the end of a name)."""
    names = []
    for part in re.findall(r"[^,\[]+(?:\[[^\]]*\])?", expr):
        m = re.match(r"^(.*)\[(.*)\]$", part)
        if not m:
            names.append(part)
            continue
        for rng in m.group(2).split(","):
            lo, _, hi = rng.partition("-")
            names += ["%s%s" % (m.group(1), str(i).zfill(len(lo))) for i in range(int(lo), int(hi or lo) + 1)]
    return names


def node_lines(text):
    """[(xname, {key: value})] in file order, host lists expanded."""
    out = []
    for line in text.splitlines():
        if not line.startswith("NodeName="):
            continue
        fields = dict(f.split("=", 1) for f in line.split())
        for name in expand(fields.pop("NodeName")):
            out.append((name, fields))
    return out


def site_hardware():
    """xname -> (feature list, DIMM MiB, sockets, cores, threads) straight from the site file."""
    hw = {}
    for entry in site()["hardware"]:
        m = re.match(r"^(x\d+c\d+s\d+b\d+n\d+)", entry["ID"])
        if not m or entry.get("Status") == "Empty":
            continue
        rec = hw.setdefault(m.group(1), {"models": [], "mib": 0, "sockets": 0, "cores": 0, "threads": 0})
        info = next((v for k, v in (entry.get("PopulatedFRU") or {}).items() if k.endswith("FRUInfo")), {}) or {}
        if entry["Type"] == "Memory":
            rec["mib"] += info.get("CapacityMiB") or 0
        elif entry["Type"] == "Processor":
            rec["sockets"] += 1
            rec["cores"] += info["TotalCores"]
            rec["threads"] += info["TotalThreads"]
            rec["models"].append(("p", info["Model"]))
        elif entry["Type"] == "NodeAccel":
            rec["models"].append(("a", info["Model"]))
        elif entry["Type"] == "NodeHsnNic":
            rec["models"].append(("h", entry["NodeHsnNicLocationInfo"]["Description"]))
    return hw


def expected_features(rec):
    feats = []
    for kind in ("p", "a"):
        feats += [FEATURES[m] for k, m in rec["models"] if k == kind]
    feats.append("mem%dg" % (rec["mib"] // 1024))
    feats += [FEATURES[m] for k, m in rec["models"] if k == "h"]
    feats += ["rocky9", "sles15"]
    return list(dict.fromkeys(feats))


# ---- tide slurm-conf ----------------------------------------------------------------------------

def test_zinal_nodes(conf):
    files = json.loads(run("slurm-conf", "--json", conf=conf)[1])
    assert sorted(files) == ["helpers.conf", "nodes.conf", "power.conf"]
    nodes = node_lines(files["nodes.conf"])
    groups = {g["label"]: g["members"]["ids"] for g in site()["groups"]}
    names = [n for n, _ in nodes]
    # every node of the lending pools once, none of the tenant pool; cheapest pool (free) first
    assert sorted(names) == sorted(groups["nodes_free"] + groups["k8s_workers"])
    assert set(names[:len(groups["nodes_free"])]) == set(groups["nodes_free"])
    hw = site_hardware()
    for name, f in nodes:
        rec = hw[name]
        assert f["Features"].split(",") == expected_features(rec), name
        assert f["CPUs"] == str(rec["threads"]), name
        assert f["SocketsPerBoard"] == str(rec["sockets"]), name
        assert f["CoresPerSocket"] == str(rec["cores"] // rec["sockets"]), name
        assert f["ThreadsPerCore"] == str(rec["threads"] // rec["cores"]), name
        reserve = max(rec["mib"] // 32, 1024)
        assert f["RealMemory"] == str((rec["mib"] - reserve) // 1024 * 1024), name
        assert f["Weight"] == ("2" if name in groups["nodes_free"] else "21"), name
        assert f["State"] == "CLOUD"
        gpus = [m for k, m in rec["models"] if k == "a"]
        assert f.get("Gres") == ("gpu:%s:%d" % (FEATURES[gpus[0]], len(gpus)) if gpus else None), name
    assert "GresTypes=gpu\n" in files["nodes.conf"]
    assert "# Pool slurm: SMD has no group slurm, so none of its nodes is defined.\n" in files["nodes.conf"]
    # k8s is Pool=k8s's HomeImage and not DefaultImage: not a Slurm image
    helpers = [l for l in files["helpers.conf"].splitlines() if l and not l.startswith("#")]
    assert len(helpers) == 5, helpers
    assert helpers[2:] == ["MutuallyExclusive=rocky9,sles15", "ExecTime=10", "BootTime=300"]
    assert re.match(r"^Feature=rocky9 Helper=/\S+/tide-node$", helpers[0])
    assert re.match(r"^Feature=sles15 Helper=/\S+/tide-node$", helpers[1])
    power = dict(l.split("=", 1) for l in files["power.conf"].splitlines() if l and not l.startswith("#"))
    assert power["ResumeTimeout"] == "1500"   # 900 + DrainTimeout 600 (default) of pool k8s
    assert power["PrivateData"] == "cloud" and power["NodeFeaturesPlugins"] == "node_features/helpers"
    assert re.match(r"^/\S+/tide-slurm-resume$", power["ResumeProgram"])

    # --expand: the same nodes in the same order, one per line
    expanded = run("slurm-conf", "--json", "--expand", conf=conf)[1]
    lines = [l for l in json.loads(expanded)["nodes.conf"].splitlines() if l.startswith("NodeName=")]
    assert [l.split()[0][len("NodeName="):] for l in lines] == names


def test_output_dir_and_plain_output(conf, tmp_path):
    out_dir = tmp_path / "slurm"
    out_dir.mkdir()
    rc, out, err = run("slurm-conf", "-o", out_dir, "--bindir", "/opt/tide/bin/", "--helper", "/opt/tide/sbin/tide-node",
                       "--no-gres", "--suspend-time", "30", conf=conf)
    assert (rc, out, err) == (0, "", "")
    assert sorted(os.listdir(out_dir)) == ["helpers.conf", "nodes.conf", "power.conf"]
    power = (out_dir / "power.conf").read_text()
    assert "\nResumeProgram=/opt/tide/bin/tide-slurm-resume\n" in power
    assert "\nSuspendTime=30\n" in power
    assert "\nFeature=rocky9 Helper=/opt/tide/sbin/tide-node\n" in (out_dir / "helpers.conf").read_text()
    nodes = (out_dir / "nodes.conf").read_text()
    assert "Gres" not in nodes
    # without -o and --json: the three files, one after the other
    plain = run("slurm-conf", "--bindir", "/opt/tide/bin", "--helper", "/opt/tide/sbin/tide-node", "--no-gres",
                "--suspend-time", "30", conf=conf)[1]
    assert plain == nodes + "\n" + (out_dir / "helpers.conf").read_text() + "\n" + power


def test_from_dump(conf, tmp_path):
    dump = tmp_path / "site.json"
    run("dump", "-o", dump, conf=conf)
    live = json.loads(run("slurm-conf", "--json", conf=conf)[1])
    for args in (("--from", dump, "slurm-conf", "--json"), ("slurm-conf", "--from", dump, "--json")):
        offline = json.loads(run(*args, conf=conf)[1])
        for name in live:
            assert offline[name] == re.sub(r"from SMD at \S+ and", "from dump %s and" % dump, live[name])


def test_errors(conf, tmp_path):
    rc, out, err = run("slurm-conf", "--bogus", conf=conf)
    assert (rc, out) == (2, "") and err.startswith("tide: error: unknown option --bogus")
    rc, out, err = run("slurm-conf", "--bindir", "bin", conf=conf)
    assert (rc, out) == (2, "") and "--bindir must be an absolute path" in err
    rc, out, err = run("slurm-conf", "--resume-timeout", "soon", conf=conf)
    assert (rc, out) == (2, "") and "--resume-timeout wants a number of seconds" in err
    assert_one_error(*run("slurm-conf", "--images", "rocky8", conf=conf),
                     "image rocky8 is not an Image= record of")
    assert_one_error(*run("slurm-conf", "-o", tmp_path / "missing", conf=conf),
                     "cannot write %s/missing/nodes.conf" % tmp_path)
    assert run("slurm-conf", "--help", conf=conf)[1].startswith("Usage: tide slurm-conf")


# ---- Slurm reads what it wrote --------------------------------------------------------------------

def _slurm_missing():
    for prog in ("slurmctld", "scontrol"):
        if shutil.which(prog, path=SYS_PATH) is None:
            return "%s is not installed (apt-get install slurmctld slurm-client)" % prog
    return None


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(_slurm_missing() is not None, reason=_slurm_missing() or "")
def test_slurmctld_accepts_the_files(conf, tmp_path):
    """A throwaway slurmctld (auth/none, its own port and state) runs on the three files and
    shows the nodes as tide wrote them."""
    etc, state, bindir = tmp_path / "etc", tmp_path / "state", tmp_path / "bin"
    for d in (etc, state, bindir):
        d.mkdir()
    # power saving wants executable programs that are not group- or world-writable
    for prog in ("resume", "suspend", "resume-fail", "reboot", "prolog", "epilog"):
        p = bindir / ("tide-slurm-" + prog)
        p.write_text("#!/bin/sh\nexit 0\n")
        p.chmod(0o755)
    run("slurm-conf", "-o", etc, "--bindir", bindir, "--helper", "/bin/true", conf=conf)
    slurm_conf = etc / "slurm.conf"
    slurm_conf.write_text(
        "ClusterName=tidetest\nSlurmctldHost=localhost(127.0.0.1)\nSlurmctldPort=%d\nSlurmUser=%s\n"
        "AuthType=auth/none\nCredType=cred/none\nStateSaveLocation=%s\nSlurmctldPidFile=%s/slurmctld.pid\n"
        "SlurmctldLogFile=%s/slurmctld.log\nSlurmctldDebug=info\nProctrackType=proctrack/linuxproc\n"
        "TaskPlugin=task/none\nJobAcctGatherType=jobacct_gather/none\nAccountingStorageType=accounting_storage/none\n"
        "MpiDefault=none\nSchedulerType=sched/backfill\nSelectType=select/cons_tres\nSelectTypeParameters=CR_Core\n"
        "MailProg=/bin/true\nInclude %s/power.conf\nInclude %s/nodes.conf\n"
        "PartitionName=all Nodes=ALL Default=YES State=UP\n"
        % (_free_port(), pwd.getpwuid(os.geteuid()).pw_name, state, state, tmp_path, etc, etc))
    env = {"PATH": SYS_PATH, "SLURM_CONF": str(slurm_conf)}
    ctld = subprocess.Popen(["slurmctld", "-D", "-i", "-f", str(slurm_conf)], env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + 15
        while time.time() < deadline and ctld.poll() is None:
            ping = subprocess.run(["scontrol", "ping"], env=env, capture_output=True, text=True)
            if "is UP" in ping.stdout:
                break
            time.sleep(0.1)
        assert ctld.poll() is None, "slurmctld exited: %s\n%s" % (
            ctld.stdout.read(), (tmp_path / "slurmctld.log").read_text())

        def scontrol(*args):
            return subprocess.run(["scontrol"] + list(args), env=env, capture_output=True, text=True,
                                  check=True).stdout

        a100 = scontrol("show", "node", "x1005c0s5b0n0")
        for needle in ("AvailableFeatures=epyc7713,a100,mem512g,ss11,rocky9,sles15", "Gres=gpu:a100:4",
                       "RealMemory=507904", "State=IDLE+CLOUD+POWERED_DOWN", "Weight=2", "CPUTot=128"):
            assert needle in a100, (needle, a100)
        k8s = scontrol("show", "node", "x1002c1s0b0n0")
        assert "Weight=21" in k8s and "CPUTot=256" in k8s
        # slurmctld sorts its node table (the index cons_tres prefers low among equals) by name,
        # whatever the order of the lines: nodes.conf says so
        order = re.findall(r"^NodeName=(\S+)", scontrol("show", "nodes"), re.M)
        names = [n for n, _ in node_lines((etc / "nodes.conf").read_text())]
        assert order == sorted(names, key=lambda n: [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", n)])
        assert order != names
        config = scontrol("show", "config")
        for key, value in (("ResumeTimeout", "1500 sec"), ("SuspendProgram", "%s/tide-slurm-suspend" % bindir),
                           ("NodeFeaturesPlugins", "node_features/helpers"), ("PrivateData", "cloud"),
                           ("TreeWidth", "65533"), ("ReturnToService", "2")):
            assert re.search(r"^%s\s+= %s$" % (key, re.escape(value)), config, re.M), key
    finally:
        ctld.terminate()
        try:
            ctld.wait(10)
        except subprocess.TimeoutExpired:
            ctld.kill()
            ctld.wait()
        ctld.stdout.close()


# ---- tide-node --------------------------------------------------------------------------------

def node(*args, cmdline=None, env_extra=None):
    env = {"PATH": SYS_PATH}
    if cmdline is not None:
        env["TIDE_CMDLINE"] = str(cmdline)
    env.update(env_extra or {})
    proc = subprocess.run([TIDE_NODE] + [str(a) for a in args], env=env, capture_output=True, text=True, timeout=30)
    return proc.returncode, proc.stdout, proc.stderr


BOOTED = ("nomodeset ro root=live:http://s3/rocky9/rootfs ip=dhcp console=ttyS0,115200 tide.image=rocky9 "
          "xname=x1002c0s0b0n0 nid=13\n")


def test_tide_node_query(tmp_path):
    booted = tmp_path / "cmdline"
    booted.write_text(BOOTED)
    assert node(cmdline=booted) == (0, "rocky9\n", "")
    assert node("image", cmdline=booted) == (0, "rocky9\n", "")
    # a later tide.image= wins, as for the kernel
    booted.write_text(BOOTED.strip() + " tide.image=sles15\n")
    assert node(cmdline=booted)[1] == "sles15\n"
    # booted by something else: Slurm hears nothing, an admin hears why
    other = tmp_path / "other"
    other.write_text("ro quiet\n")
    assert node(cmdline=other) == (0, "", "")
    rc, out, err = node("image", cmdline=other)
    assert (rc, out) == (1, "") and "has no tide.image=<name>: this node was not booted by tide" in err
    rc, out, err = node(cmdline=tmp_path / "missing")
    assert (rc, out) == (1, "") and "cannot read the kernel command line" in err
    assert node("--bogus")[0] == 2
    assert node("a", "b")[0] == 2
    assert node("--help")[1].startswith("Usage: tide-node")


def _exec_raw(path, env, close_fds):
    """Run path as slurmd runs a Helper: argv NULL, stdin /dev/null or closed, stdout+stderr one pipe."""
    libc = ctypes.CDLL(None, use_errno=True)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            if close_fds:
                for fd in (0, 1, 2):
                    os.close(fd)
            else:
                os.dup2(w, 1)
                os.dup2(w, 2)
                nul = os.open(os.devnull, os.O_RDONLY)
                os.dup2(nul, 0)
            envp = (ctypes.c_char_p * (len(env) + 1))(*[("%s=%s" % kv).encode() for kv in env.items()], None)
            libc.execve(path.encode(), None, envp)
        finally:
            os._exit(127)
    os.close(w)
    chunks = []
    while True:
        data = os.read(r, 4096)
        if not data:
            break
        chunks.append(data)
    os.close(r)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), b"".join(chunks).decode()


def test_tide_node_as_slurmd_runs_it(tmp_path):
    booted = tmp_path / "cmdline"
    booted.write_text(BOOTED)
    assert _exec_raw(TIDE_NODE, {"TIDE_CMDLINE": str(booted)}, close_fds=False) == (0, "rocky9\n")
    # fds 0-2 closed and no PATH: still answers (nowhere to print; the exit status tells)
    assert _exec_raw(TIDE_NODE, {"TIDE_CMDLINE": str(booted)}, close_fds=True)[0] == 0
    assert _exec_raw(TIDE_NODE, {"TIDE_CMDLINE": str(tmp_path / "missing")}, close_fds=True)[0] == 1


# ---- set mode: a request to tided ----------------------------------------------------------------

def _munge_missing():
    for prog in ("munged", "mungekey", "unmunge"):
        if shutil.which(prog, path=SYS_PATH) is None:
            return "%s is not installed (apt-get install munge)" % prog
    return None


class _UnixHTTPServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


@pytest.fixture
def munge_and_tided():
    """A private munged and a fake tided on a Unix socket that records requests."""
    top = tempfile.mkdtemp(prefix="tide-sc-", dir="/tmp")
    os.chmod(top, 0o755)   # munged wants o+x on every directory above its socket
    key, sock = os.path.join(top, "munge.key"), os.path.join(top, "munge.socket")
    subprocess.run(["mungekey", "-c", "-b", "1024", "-k", key], check=True, capture_output=True)
    os.chmod(key, 0o600)
    subprocess.run(["munged", "--key-file=" + key, "--socket=" + sock, "--pid-file=" + top + "/munged.pid",
                    "--log-file=" + top + "/munged.log", "--seed-file=" + top + "/munged.seed"],
                   check=True, capture_output=True, env={"PATH": SYS_PATH})
    requests = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            requests.append((self.command, self.path, dict(self.headers), body.decode()))
            reply = b'{"accepted":1}'
            self.send_response(202)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def address_string(self):
            return "unix"

        def log_message(self, *args):
            pass

    tided_sock = os.path.join(top, "tided.sock")
    server = _UnixHTTPServer(tided_sock, Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    conf = os.path.join(top, "tide.conf")
    with open(conf, "w") as f:
        f.write("Listen=unix:%s\nMungeSocket=%s\n" % (tided_sock, sock))
    yield {"conf": conf, "munge_socket": sock, "requests": requests, "dir": top}
    server.shutdown()
    server.server_close()
    with open(os.path.join(top, "munged.pid")) as f:
        pid = int(f.read().strip())
    os.kill(pid, 15)
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    shutil.rmtree(top, ignore_errors=True)


@pytest.mark.skipif(_munge_missing() is not None, reason=_munge_missing() or "")
def test_tide_node_set_asks_tided(munge_and_tided, tmp_path):
    booted = tmp_path / "cmdline"
    booted.write_text(BOOTED)
    rc, out, err = node("sles15", cmdline=booted, env_extra={"TIDE_CONF": munge_and_tided["conf"]})
    assert (rc, out, err) == (0, "", "")
    [(method, path, headers, body)] = munge_and_tided["requests"]
    assert (method, path) == ("POST", "/v1/reboot")
    assert json.loads(body) == {"nodes": ["x1002c0s0b0n0"], "features": "sles15"}
    # the credential is munge's, bound to this request
    auth = headers["Authorization"]
    assert auth.startswith("Munge ")
    dec = subprocess.run(["unmunge", "--socket=" + munge_and_tided["munge_socket"], "--metadata=/dev/null"],
                         input=auth[len("Munge "):], capture_output=True, text=True, check=True)
    assert dec.stdout == "POST /v1/reboot\n" + body

    # no tided: one line that says so, exit 1
    os.unlink(munge_and_tided["dir"] + "/tided.sock")
    rc, out, err = node("sles15", cmdline=booted, env_extra={"TIDE_CONF": munge_and_tided["conf"]})
    assert (rc, out) == (1, "")
    assert err.startswith("tide-node: error: cannot ask tided to boot sles15 next on x1002c0s0b0n0: tided")
    assert len(err.splitlines()) == 1

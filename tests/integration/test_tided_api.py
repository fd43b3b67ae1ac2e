"""tided's API, run against a munged of its own and tide-sim: munge authentication (missing,
forged, expired, replayed credentials and credentials made for another request), read-only
access for users other than root and SlurmUser, the Slurm programs' requests, /metrics in
Prometheus text, and service tokens kept out of tided's log and journal.

Needs root (munged, `runuser -u nobody`).  The binaries are ./helper/tided and ./helper/tide,
or $TIDED_BIN and $TIDE_BIN.

    /usr/bin/python3 -m pytest -q tests/integration/test_tided_api.py
"""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import REPO, ZINAL
from testbed_util import UnixHTTPConnection

TIDE = os.environ.get("TIDE_BIN") or os.path.join(REPO, "helper", "tide")
TIDED = os.environ.get("TIDED_BIN") or os.path.join(REPO, "helper", "tided")
TOKEN = "tide-test-token-3f9c2a7e51d04b8a"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("munged") or not shutil.which("mungekey")
    or not shutil.which("runuser") or not os.access(TIDED, os.X_OK),
    reason="needs root, munge (munged, mungekey), runuser and a built helper/tided")


# ---- a munged, tide-sim and tided in one directory -------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    """munged + tide-sim + tided under one world-readable directory (nobody must reach the sockets)."""

    def __init__(self, sim):
        self.sim = sim
        self.dir = tempfile.mkdtemp(prefix="tided-api-", dir="/tmp")
        os.chmod(self.dir, 0o755)
        self.munge_dir = os.path.join(self.dir, "munge")
        os.mkdir(self.munge_dir)
        os.chmod(self.munge_dir, 0o755)
        self.munge_socket = os.path.join(self.munge_dir, "munge.socket")
        self.socket = os.path.join(self.dir, "tided.sock")
        self.port = free_port()
        self.state = os.path.join(self.dir, "state")
        self.journal = os.path.join(self.state, "journal.jsonl")
        self.log = os.path.join(self.dir, "tided.log")
        self.conf = os.path.join(self.dir, "tide.conf")
        self.slurm_conf = os.path.join(self.dir, "slurm.conf")
        self.munged_pid = None
        self.tided = None
        try:
            self._start_munged()
            self._write_conf()
            self._start_tided()
        except BaseException:
            self.stop()   # leave no munged or tided behind
            raise

    def _start_munged(self):
        key = os.path.join(self.munge_dir, "munge.key")
        subprocess.run(["mungekey", "-c", "-b", "1024", "-k", key], check=True)
        os.chmod(key, 0o600)
        pidfile = os.path.join(self.munge_dir, "munged.pid")
        subprocess.run(["munged", "--key-file=" + key, "--socket=" + self.munge_socket,
                        "--pid-file=" + pidfile, "--log-file=" + os.path.join(self.munge_dir, "munged.log"),
                        "--seed-file=" + os.path.join(self.munge_dir, "munged.seed")], check=True)
        with open(pidfile) as f:
            self.munged_pid = int(f.read().strip())

    def _write_conf(self):
        token_file = os.path.join(self.dir, "token")
        with open(token_file, "w") as f:
            f.write(TOKEN + "\n")
        os.chmod(token_file, 0o600)
        base = self.sim.base
        lines = [
            "SmdUrl=%s/hsm/v2" % base,
            "BssUrl=%s/boot/v1" % base,
            "PcsUrl=%s/power-control/v1" % base,
            "TokenFile=%s" % token_file,
            "Listen=unix:%s,tcp:127.0.0.1:%d" % (self.socket, self.port),
            "StateDir=%s" % self.state,
            "MungeSocket=%s" % self.munge_socket,
            "SlurmPool=slurm",
            "DefaultImage=rocky9",
            "Pool=free Group=nodes_free Kind=free Cost=1",
            "Pool=slurm Group=slurm Kind=slurm",
            'Image=rocky9 Kernel=%s/images/rocky9/vmlinuz Initrd=%s/images/rocky9/initrd Params="console=ttyS0"'
            % (base, base),
            'Image=sles15 Kernel=%s/images/sles15/vmlinuz Initrd=%s/images/sles15/initrd Params="console=ttyS0"'
            % (base, base),
        ]
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.chmod(self.conf, 0o644)
        # libslurm needs a configuration to start; no slurmctld answers on its port, so every
        # pass of the loop fails to read Slurm, and the API must go on regardless.
        with open(self.slurm_conf, "w") as f:
            f.write("ClusterName=tidetest\nSlurmctldHost=localhost(127.0.0.1)\nSlurmctldPort=%d\n"
                    "MessageTimeout=1\nAuthType=auth/munge\nAuthInfo=socket=%s\nNodeName=x1000c0s0b0n0 State=CLOUD\n"
                    "PartitionName=all Nodes=ALL\n" % (free_port(), self.munge_socket))

    def _start_tided(self):
        logf = open(self.log, "w")
        env = dict(os.environ, SLURM_CONF=self.slurm_conf)
        env.pop("TIDE_CONF", None)
        self.tided = subprocess.Popen([TIDED, "-c", self.conf, "-D", "-vv"], stdin=subprocess.DEVNULL,
                                      stdout=logf, stderr=subprocess.STDOUT, env=env)
        logf.close()
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.tided.poll() is not None:
                raise RuntimeError("tided exited: " + self.log_text())
            if os.path.exists(self.socket):
                try:
                    if self.request("GET", "/v1/health", auth=False)[0] == 200:
                        return
                except OSError:
                    pass
            time.sleep(0.05)
        raise RuntimeError("tided did not answer: " + self.log_text())

    def log_text(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def journal_lines(self):
        if not os.path.exists(self.journal):
            return []
        with open(self.journal) as f:
            return [json.loads(line) for line in f if line.strip()]

    def credential(self, payload, ttl=None):
        cmd = ["munge", "-S", self.munge_socket] + (["-t", str(ttl)] if ttl else [])
        out = subprocess.run(cmd, input=payload.encode(), capture_output=True, check=True)
        return out.stdout.decode().strip()

    def request(self, method, path, body=None, auth=True, cred=None, tcp=False):
        """(status, parsed JSON or text, headers).  auth=True signs the request as root."""
        data = json.dumps(body).encode() if body is not None else b""
        headers = {}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if cred is None and auth:
            cred = self.credential("%s %s\n" % (method, path) + data.decode())
        if cred is not None:
            headers["Authorization"] = "Munge " + cred
        conn = (http.client.HTTPConnection("127.0.0.1", self.port, timeout=10) if tcp
                else UnixHTTPConnection(self.socket))
        conn.request(method, path, data or None, headers)
        resp = conn.getresponse()
        raw = resp.read()
        conn.close()
        ctype = resp.getheader("Content-Type") or ""
        parsed = json.loads(raw) if ctype.startswith("application/json") else raw.decode()
        return resp.status, parsed, resp

    def tide(self, *args, user=None, env_extra=None, program=None):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "TIDE_CONF": self.conf}
        env.update(env_extra or {})
        cmd = ([program] if program else [TIDE]) + list(args)
        if user:
            cmd = ["runuser", "-u", user, "--"] + cmd
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, timeout=60)
        return proc.returncode, proc.stdout, proc.stderr

    def stop(self):
        """Stop everything; returns tided's exit status and log."""
        status, log = None, ""
        if self.tided:
            if self.tided.poll() is None:
                self.tided.send_signal(signal.SIGTERM)
                try:
                    self.tided.wait(10)
                except subprocess.TimeoutExpired:
                    self.tided.kill()
                    self.tided.wait()
            status, log = self.tided.returncode, self.log_text()
        if self.munged_pid:
            try:
                os.kill(self.munged_pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            for _ in range(100):
                try:
                    os.kill(self.munged_pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.05)
        shutil.rmtree(self.dir, ignore_errors=True)
        return status, log


@pytest.fixture
def stack(sim_factory):
    s = Stack(sim_factory(site=ZINAL, token=TOKEN))
    yield s
    status, log = s.stop()
    # tided stops cleanly on SIGTERM, and never crashed (sanitizer builds report here).
    assert status == 0, log
    for mark in ("Sanitizer", "runtime error", "Segmentation"):
        assert mark not in log, log


# ---- authentication ---------------------------------------------------------------------------

def test_no_credential_is_401(stack):
    status, body, resp = stack.request("GET", "/v1/status", auth=False)
    assert status == 401
    assert "missing credential" in body["error"]
    assert resp.getheader("WWW-Authenticate") == "Munge"
    status, body, _ = stack.request("POST", "/v1/resume", {"nodes": ["x1000c0s0b0n0"]}, auth=False)
    assert status == 401
    # Over TCP as well.
    status, _, _ = stack.request("GET", "/v1/leases", auth=False, tcp=True)
    assert status == 401


def test_forged_credential_is_401(stack):
    status, body, _ = stack.request("GET", "/v1/status", cred="MUNGE:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=:")
    assert status == 401
    assert body["error"].startswith("munge credential")
    status, body, _ = stack.request("GET", "/v1/status", cred="bm90IGEgY3JlZGVudGlhbA==")
    assert status == 401
    assert body["error"].startswith("munge credential")


def test_expired_credential_is_401(stack):
    cred = stack.credential("GET /v1/status\n", ttl=1)
    time.sleep(2.5)
    status, body, _ = stack.request("GET", "/v1/status", cred=cred)
    assert status == 401
    assert "expired" in body["error"]


def test_replayed_credential_is_401(stack):
    cred = stack.credential("GET /v1/status\n")
    status, body, _ = stack.request("GET", "/v1/status", cred=cred)
    assert status == 200, body
    status, body, _ = stack.request("GET", "/v1/status", cred=cred)
    assert status == 401
    assert "replayed" in body["error"]


def test_credential_for_another_request_is_401(stack):
    cred = stack.credential("GET /v1/leases\n")
    status, body, _ = stack.request("GET", "/v1/status", cred=cred)
    assert status == 401
    assert "another request" in body["error"]
    # The body is part of what the credential vouches for.
    signed = '{"nodes":["x1000c0s0b0n0"]}'
    cred = stack.credential("POST /v1/suspend\n" + signed)
    status, body, _ = stack.request("POST", "/v1/suspend", {"nodes": ["x1000c0s1b0n0"]}, cred=cred)
    assert status == 401
    assert "another request" in body["error"]


def test_other_users_may_read_but_not_change(stack):
    rc, out, err = stack.tide("status", user="nobody")
    assert rc == 0, err
    assert out == "No transition in flight.\n"
    rc, out, err = stack.tide("leases", "--json", user="nobody")
    assert rc == 0, err
    assert json.loads(out)["leases"] == []
    rc, out, err = stack.tide("slurm", "resume", "x1000c0s0b0n0", user="nobody")
    assert rc == 1
    assert "HTTP 403 Forbidden: uid 65534 may not resume" in err
    assert "tided (unix:%s): POST http://tided/v1/resume" % stack.socket in err
    assert not [j for j in stack.journal_lines() if j["step"] == "resume"]


# ---- requests ---------------------------------------------------------------------------------

def test_root_resume_is_accepted_and_journaled(stack):
    rc, out, err = stack.tide("slurm", "resume", "x1000c0s0b0n0")
    assert rc == 0, err
    assert out == ""
    lines = [j for j in stack.journal_lines() if j["step"] == "resume"]
    assert len(lines) == 1
    line = lines[0]
    assert line["node"] == "x1000c0s0b0n0"
    assert line["who"] == "root(0)"
    assert line["result"] == "accepted"
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", line["ts"])
    assert "resume x1000c0s0b0n0 from root(0): accepted" in stack.log_text()

    # The API itself: 202 with the node count, host lists expanded, the image found in the features.
    status, body, _ = stack.request("POST", "/v1/resume",
                                    {"nodes": ["x1000c0s[0-3]b0n0"], "features": "a100,sles15", "job_id": 12,
                                     "resume_file": None})
    assert status == 202
    assert body == {"accepted": 4}
    line = stack.journal_lines()[-1]
    assert (line["node"], line["job"], line["to"]) == ("x1000c0s0b0n0,x1000c0s1b0n0,x1000c0s2b0n0,x1000c0s3b0n0",
                                                      12, "sles15")


def test_slurm_programs_with_closed_stdio_and_no_path(stack):
    """As slurmctld runs them: argv[0] a tide-slurm-* name, fds 0-2 closed, an environment without PATH."""
    links = os.path.join(stack.dir, "bin")
    os.mkdir(links)
    for prog in ("resume", "suspend", "epilog"):
        os.symlink(os.path.abspath(TIDE), os.path.join(links, "tide-slurm-" + prog))
    resume_file = os.path.join(stack.dir, "resume.json")
    with open(resume_file, "w") as f:
        json.dump({"all_nodes": "x1000c0s0b0n[0-1]", "jobs": [{"job_id": 77, "nodes": "x1000c0s0b0n[0-1]"}]}, f)

    def run(prog, args, env):
        def close_stdio():
            for fd in (0, 1, 2):
                os.close(fd)
        proc = subprocess.Popen([os.path.join(links, prog)] + args, env=env, preexec_fn=close_stdio,
                                close_fds=True)
        return proc.wait(30)

    env = {"SLURM_CONF": "/nonexistent/slurm.conf", "TIDE_CONF": stack.conf}
    assert run("tide-slurm-resume", ["x1000c0s0b0n[0-1]", "rocky9"],
               dict(env, SLURM_RESUME_FILE=resume_file, SLURM_JOB_ID="77")) == 0
    assert run("tide-slurm-suspend", ["x1000c0s0b0n1"], env) == 0
    assert run("tide-slurm-epilog", [], dict(env, SLURM_JOB_ID="77", SLURM_JOB_NODELIST="x1000c0s0b0n0",
                                              SLURM_JOB_CONSTRAINTS="a100&rocky9", SPANK_TIDE_RELEASE="1")) == 0
    steps = [(j["step"], j["node"], j["job"], j["to"]) for j in stack.journal_lines()]
    assert ("resume", "x1000c0s0b0n[0-1]", 77, "rocky9") in steps
    assert ("suspend", "x1000c0s0b0n1", None, None) in steps
    assert ("epilog", "x1000c0s0b0n0", 77, None) in steps
    # Without tided: a non-zero exit (and a syslog line).
    bad = dict(env, TIDE_CONF=os.path.join(stack.dir, "other.conf"))
    with open(bad["TIDE_CONF"], "w") as f:
        f.write("Listen=unix:%s/nothing.sock\nMungeSocket=%s\n" % (stack.dir, stack.munge_socket))
    assert run("tide-slurm-suspend", ["x1000c0s0b0n1"], bad) == 1


def test_bad_requests(stack):
    status, body, _ = stack.request("POST", "/v1/resume", {"nodes": []})
    assert status == 400
    assert body == {"error": "\"nodes\" must be a non-empty array of node names"}
    status, body, _ = stack.request("POST", "/v1/suspend", {"nodes": ["x1000c0s[0-b0n0"]})
    assert status == 400
    assert "never closed" in body["error"]
    status, body, _ = stack.request("POST", "/v1/prolog", {"nodes": ["n1"]})
    assert status == 400
    assert body["error"] == "\"job_id\" is required"
    status, body, _ = stack.request("GET", "/v1/nothing")
    assert status == 404
    status, body, resp = stack.request("GET", "/v1/resume")
    assert status == 405
    assert resp.getheader("Allow") == "POST"
    rc, out, err = stack.tide("slurm", "resume", "x1000c0s[0-", user=None)
    assert rc == 2
    assert "'[' is never closed" in err


def test_health_needs_no_credential(stack):
    status, body, _ = stack.request("GET", "/v1/health", auth=False, tcp=True)
    assert status == 200
    assert body["status"] == "ok"


# ---- metrics ----------------------------------------------------------------------------------

METRIC_LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)')


def parse_exposition(text):
    """A strict reading of the Prometheus text format (0.0.4): {family: (type, [(name, labels, value)])}."""
    assert text.endswith("\n")
    families, helps = {}, set()
    current = None
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name = line.split(" ", 3)[2]
            assert name not in helps, "HELP twice for " + name
            helps.add(name)
            continue
        if line.startswith("# TYPE "):
            _, _, name, mtype = line.split(" ")
            assert mtype in ("counter", "gauge", "histogram", "summary", "untyped")
            assert name not in families, "TYPE twice for " + name
            families[name] = (mtype, [])
            current = name
            continue
        assert not line.startswith("#") and line, line
        m = METRIC_LINE.match(line)
        assert m, "not a sample line: %r" % line
        name, _, labels_text, value = m.groups()
        labels = {}
        if labels_text:
            pos = 0
            while pos < len(labels_text):
                lm = LABEL.match(labels_text, pos)
                assert lm, "bad labels in %r" % line
                labels[lm.group(1)] = lm.group(2)
                pos = lm.end()
        float(value)
        base = current
        assert name == base or (families[base][0] == "histogram" and name in
                                (base + "_bucket", base + "_sum", base + "_count")), line
        families[base][1].append((name, labels, float(value)))
    assert helps == set(families)
    return families


def test_metrics_parse_as_prometheus_text(stack):
    stack.request("GET", "/v1/status", auth=False)   # a 401 to count
    status, text, resp = stack.request("GET", "/metrics", auth=False)
    assert status == 200
    assert resp.getheader("Content-Type").startswith("text/plain; version=0.0.4")
    families = parse_exposition(text)
    for name, mtype in (("tide_transitions_total", "counter"), ("tide_step_duration_seconds", "histogram"),
                        ("tide_pool_nodes", "gauge"), ("tide_borrowed_nodes", "gauge"),
                        ("tide_quarantined_nodes", "gauge"), ("tide_api_requests_total", "counter")):
        assert families[name][0] == mtype, name
    requests = {(s[1]["route"], s[1]["code"]): s[2] for s in families["tide_api_requests_total"][1]}
    assert requests[("/v1/status", "401")] >= 1
    # Histograms, when there are any, are cumulative and end in +Inf == count.
    buckets = [s for s in families["tide_step_duration_seconds"][1] if s[0].endswith("_bucket")]
    for step in {s[1]["step"] for s in buckets}:
        mine = [s for s in buckets if s[1]["step"] == step]
        values = [s[2] for s in mine]
        assert values == sorted(values)
        assert mine[-1][1]["le"] == "+Inf"


# ---- secrets ----------------------------------------------------------------------------------

def test_tokens_never_logged(stack):
    stack.tide("slurm", "resume", "x1000c0s0b0n0", "rocky9")
    stack.tide("slurm", "suspend", "x1000c0s0b0n0")
    stack.tide("status")
    time.sleep(3)   # a pass or two of the loop, which talks to the services with the token
    stack.tided.send_signal(signal.SIGTERM)
    assert stack.tided.wait(15) == 0
    log = stack.log_text()
    assert "tided stopped" in log
    assert TOKEN not in log
    with open(stack.journal) as f:
        assert TOKEN not in f.read()
    # Nor the munge credentials tided received.
    assert "MUNGE:" not in log

"""What the testbed-based tests share (test_testbed.py, test_e2e_smoke.py, test_preference.py,
test_e2e.py): a testbed (contrib/testbed/testbed) brought up in a fresh directory and always
taken down, Slurm commands run in it, tide-sim's SMD, BSS and Kubernetes read back, tided
started by the test (so that $TIDED may name a sanitizer build and a scenario may kill it),
tided's API, CLI and journal, and waits with a deadline whose error says what was going on.

    pytestmark = testbed_util.needs(("slurmctld", "slurmd", ...), built=(TIDED, TIDE))

    @pytest.fixture(scope="module")
    def bed():
        with testbed_util.brought_up("tidesmoke", "--boot-delay", "1", "--programs", "tide") as b:
            yield b

Each module uses its own namespace prefix: never the developer's `tide` testbed, nor another
module's.
"""

import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

import pytest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TESTBED = os.path.join(TOP, "contrib", "testbed", "testbed")
TIDED = os.environ.get("TIDED") or os.path.join(TOP, "helper", "tided")   # e.g. a sanitizer build
TIDE = os.environ.get("TIDE") or os.path.join(TOP, "helper", "tide")
SYS_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
TERMINAL = ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "BOOT_FAIL",
            "OUT_OF_MEMORY", "DEADLINE", "PREEMPTED")


# ---- plumbing --------------------------------------------------------------------------------

def missing(programs, built=(), hint="", prefix=None):
    """Why the testbed cannot run here (a skip reason), or None."""
    if os.geteuid() != 0:
        return "the testbed needs root (network namespaces, nsenter)"
    for prog in programs:
        if shutil.which(prog, path=SYS_PATH) is None:
            return "%s is not installed%s" % (prog, hint)
    for prog in built:
        if not os.access(prog, os.X_OK):
            return "%s is not built" % prog
    if prefix and os.path.exists("/run/netns/%s-ctl" % prefix):
        return "a testbed with prefix %s is up already (a previous run left it?)" % prefix
    return None


def needs(programs, built=(), hint="", prefix=None):
    """A module's pytestmark: skip it where missing() names a reason."""
    reason = missing(programs, built, hint, prefix)
    return pytest.mark.skipif(reason is not None, reason=reason or "")


def run(*args, timeout=120, check=True, **kw):
    proc = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, **kw)
    if check and proc.returncode != 0:
        raise AssertionError("%s -> %d\nstdout:\n%s\nstderr:\n%s"
                             % (" ".join(args), proc.returncode, proc.stdout, proc.stderr))
    return proc


def tail(path, n):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError as err:
        return "(%s)\n" % err


def wait_for(what, predicate, timeout, step=0.5, detail=None):
    """Poll predicate() until it returns something truthy, and return that; when `timeout`
    seconds pass first, fail with `what` and detail() (diagnostics) in the message."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.0fs waiting for %s%s"
                                 % (timeout, what, "\n" + detail() if detail else ""))
        time.sleep(step)


def namespaces(prefix):
    """The network namespaces of the testbed with this prefix."""
    out = run("ip", "netns", "list").stdout
    return [line.split()[0] for line in out.splitlines() if line.startswith(prefix + "-")]


def parse_fields(line):
    """`scontrol show ... -o` fields: values may hold spaces (Reason=, OS=)."""
    return {m.group(1): m.group(2) for m in re.finditer(r"(\w+)=(.*?)(?= \w+=|$)", line)}


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=10):
        super().__init__("tided", timeout=timeout)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


@contextlib.contextmanager
def brought_up(prefix, *options, cls=None, tided=True, setup=None, timeout=120):
    """A testbed up in a fresh directory (`testbed up --prefix PREFIX OPTIONS`), taken down
    and removed on the way out whatever happened.  setup(bed) runs before tided starts; with
    tided, the testbed's own tided must be kept out (--no-tided): the test starts its own and
    waits for it to create the Slurm pool group.  Afterwards bed.tided_status is tided's exit
    status and bed.tided_log_tail the end of its log."""
    directory = tempfile.mkdtemp(prefix=prefix + "-", dir="/tmp")
    os.chmod(directory, 0o755)   # munged wants o+x above its socket; nobody reads tide.conf
    bed = (cls or Testbed)(directory, prefix)
    try:
        bed.up(*options, timeout=timeout)
        if setup:
            setup(bed)
        if tided:
            bed.start_tided()
            bed.wait("tided to create the Slurm pool group",
                     lambda: "slurm" in [g["label"] for g in bed.get("/hsm/v2/groups")], timeout=30)
        yield bed
    finally:
        bed.tided_status, bed.tided_log_tail = bed.down()
        if os.environ.get("TIDE_KEEP_TESTBED"):   # for a post-mortem: logs, journal, slurmctld state
            print("testbed directory kept: %s" % directory)
        else:
            shutil.rmtree(directory, ignore_errors=True)


def quick(prefix, suspend_time=10, suspend_timeout=5, *options, boot_delay=1, **kw):
    """brought_up() for tided's end-to-end modules: tide's Slurm programs, BOOT_DELAY s boots,
    nodes back home SUSPEND_TIME s after their job (then SUSPEND_TIMEOUT s to power off); more
    testbed OPTIONS, and brought_up()'s keywords, as given."""
    return brought_up(prefix, "--boot-delay", str(boot_delay), "--suspend-time", str(suspend_time),
                      "--suspend-timeout", str(suspend_timeout), "--programs", "tide", "--no-tided", *options, **kw)


class Testbed:
    """One testbed (its --dir and --prefix), tided when the test started one, and what a
    scenario asks of them."""

    release = 60   # wait_home()'s default: from a job's end to the node home again

    def __init__(self, directory, prefix):
        self.dir = directory
        self.prefix = prefix
        self.exports = {}
        self.up_proc = None
        self.up_seconds = None
        self.tided = None
        self.tided_status = self.tided_log_tail = None
        self.conf = os.path.join(directory, "etc", "tide.conf")
        self.socket = os.path.join(directory, "run", "tided.sock")
        self.munge_socket = os.path.join(directory, "munge", "munge.socket")
        self.tided_log = os.path.join(directory, "log", "tided.log")
        self.journal_path = os.path.join(directory, "tided", "journal.jsonl")
        self.programs_log = os.path.join(directory, "log", "programs.log")
        self.jobdir = os.path.join(directory, "jobs")
        self._journal, self._journal_pos = [], 0

    # -- life cycle
    def cmd(self, *args, timeout=120, check=True):
        """A testbed subcommand on this testbed's directory."""
        return run(TESTBED, *args, "--dir", self.dir, timeout=timeout, check=check)

    def up(self, *options, timeout=120):
        started = time.monotonic()
        self.up_proc = run(TESTBED, "up", "--dir", self.dir, "--prefix", self.prefix, *options, timeout=timeout)
        self.up_seconds = time.monotonic() - started
        for line in self.up_proc.stdout.splitlines():
            m = re.match(r"^export (\w+)=(.*)$", line)
            if m:
                self.exports[m.group(1)] = m.group(2)

    def start_tided(self):
        """tided in the controller's namespace, as the testbed would start it; waits until it answers."""
        log = open(self.tided_log, "ab")
        env = {"PATH": "%s:%s:%s" % (os.path.join(self.dir, "bin"), os.path.dirname(TIDE), SYS_PATH),
               "SLURM_CONF": os.path.join(self.dir, "etc", "slurm.conf"), "TIDE_CONF": self.conf}
        for key in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if key in os.environ:
                env[key] = os.environ[key]
        self.tided = subprocess.Popen(["nsenter", "--net=/run/netns/%s-ctl" % self.prefix, TIDED, "-c", self.conf,
                                       "-D", "-v"], stdin=subprocess.DEVNULL, stdout=log,
                                      stderr=subprocess.STDOUT, env=env, start_new_session=True)
        log.close()

        def healthy():
            if self.tided.poll() is not None:
                raise AssertionError("tided exited with %s:\n%s" % (self.tided.returncode, tail(self.tided_log, 30)))
            try:
                return self.api("GET", "/v1/health", auth=False)[0] == 200
            except OSError:
                return False
        self.wait("tided to answer on %s" % self.socket, healthy, timeout=20, step=0.1)

    def kill_tided(self, sig=signal.SIGKILL):
        if self.tided and self.tided.poll() is None:
            self.tided.send_signal(sig)
            try:
                self.tided.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.tided.kill()
                self.tided.wait()
        return self.tided.returncode if self.tided else None

    def down(self):
        """Stop tided (SIGTERM) and the testbed: (tided's exit status, the tail of its log)."""
        status = self.kill_tided(signal.SIGTERM)
        log = tail(self.tided_log, 200)
        keep = ["--keep"] if os.environ.get("TIDE_KEEP_TESTBED") else []
        proc = run(TESTBED, "down", "--dir", self.dir, *keep, check=False, timeout=90)
        if proc.returncode != 0:
            print(proc.stdout, proc.stderr)
        return status, log

    # -- Slurm
    def sl(self, *args, timeout=120, check=True, user=None):
        pre = [os.path.join(self.dir, "bin", "sl")] + (["-u", user] if user else [])
        return run(*(pre + list(args)), timeout=timeout, check=check)

    def node(self, name):
        return parse_fields(self.sl("scontrol", "show", "node", "-o", name).stdout.strip())

    def state(self, name):
        return self.node(name).get("State", "")

    def all_nodes(self):
        """Every Slurm node's `scontrol show node` fields, in one call: name -> fields."""
        out = {}
        for line in self.sl("scontrol", "show", "node", "-o").stdout.splitlines():
            fields = parse_fields(line)
            if "NodeName" in fields:
                out[fields["NodeName"]] = fields
        return out

    def active_image(self, name):
        active = self.node(name).get("ActiveFeatures", "").split(",")
        found = [i for i in ("rocky9", "sles15") if i in active]
        return found[0] if len(found) == 1 else found or None

    def slurmd_pid(self, node):
        """The PID of the node's slurmd while it runs, else None."""
        try:
            with open(os.path.join(self.dir, "nodes", node, "slurmd.pid")) as f:
                pid = int(f.read())
        except (OSError, ValueError):
            return None
        return pid if os.path.exists("/proc/%d" % pid) else None

    def job(self, job_id):
        out = self.sl("scontrol", "show", "job", "-o", str(job_id), check=False).stdout
        return dict(f.split("=", 1) for f in out.split() if "=" in f)

    def sbatch(self, *args, script="hostname; cat $TIDE_CMDLINE", tag="job"):
        out = self.sl("sbatch", "--parsable", "--chdir", self.jobdir, "-o",
                      os.path.join(self.jobdir, "%s-%%j.out" % tag), *args, "--wrap", script).stdout
        return int(out.strip().split(";")[0])

    def job_output(self, job_id, tag="job"):
        with open(os.path.join(self.jobdir, "%s-%d.out" % (tag, job_id))) as f:
            return f.read()

    def wait_job(self, job_id, timeout, nodes=()):
        """Wait for the job to end; returns its final record (JobState, NodeList, ...)."""
        def ended():
            j = self.job(job_id)
            return j if j.get("JobState") in TERMINAL else None
        return self.wait("job %s to end" % job_id, ended, timeout=timeout, nodes=nodes, jobs=[job_id])

    def cancel_all(self):
        ids = self.sl("squeue", "-h", "-o", "%i").stdout.split()
        if ids:
            self.sl("scancel", *ids, check=False)
        return ids

    def drain_reasons(self):
        """node -> the reason of its DRAIN/DOWN, as an admin reads it in `sinfo -R`."""
        out = {}
        for line in self.sl("sinfo", "-R", "-h", "-N", "-o", "%N|%E").stdout.splitlines():
            node, _, reason = line.partition("|")
            out[node.strip()] = reason.strip()
        return out

    # -- tide-sim: SMD, BSS, Kubernetes and the sim's own paths
    @property
    def sim(self):
        return self.exports["TIDE_SIM_URL"]

    def get(self, path):
        with urllib.request.urlopen(self.sim + path, timeout=15) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def send(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.sim + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=15) as resp:
            return resp.status

    def members(self, group):
        """The group's members; none when the group does not exist (yet)."""
        try:
            return set(self.get("/hsm/v2/groups/%s/members" % group)["ids"])
        except urllib.error.HTTPError as err:
            if err.code == 404:
                return set()
            raise

    def exclusive_groups(self):
        """node -> [labels of the exclusive groups (pools) it is in]"""
        where = {}
        for g in self.get("/hsm/v2/groups"):
            if g.get("exclusiveGroup"):
                for m in (g.get("members") or {}).get("ids") or []:
                    where.setdefault(m, []).append(g["label"])
        return where

    def bss_image(self, node):
        try:
            elements = self.get("/boot/v1/bootparameters?name=%s" % node) or []
        except urllib.error.HTTPError:
            return None
        for el in elements:
            m = re.search(r"(?:^|\s)tide\.image=(\S+)", el.get("params") or "")
            if m and node in (el.get("hosts") or []):
                return m.group(1)
        return None

    def machine(self, node):
        return self.get("/sim/nodes/%s" % node)

    def k8s_node(self, name):
        return self.get("/api/v1/nodes/%s" % name)

    def pods_on(self, node):
        return [p for p in self.get("/api/v1/pods")["items"] if p["spec"].get("nodeName") == node]

    # -- tided
    def credential(self, payload, ttl=None):
        cmd = ["munge", "-S", self.munge_socket] + (["-t", str(ttl)] if ttl else [])
        return run(*cmd, input=payload).stdout.strip()

    def api(self, method, path, body=None, auth=True, cred=None):
        data = json.dumps(body) if body is not None else ""
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if cred is None and auth:
            cred = self.credential("%s %s\n%s" % (method, path, data))
        if cred is not None:
            headers["Authorization"] = "Munge " + cred
        conn = UnixHTTPConnection(self.socket)
        try:
            conn.request(method, path, data.encode() or None, headers)
            resp = conn.getresponse()
            raw = resp.read()
        finally:
            conn.close()
        ctype = resp.getheader("Content-Type") or ""
        return resp.status, (json.loads(raw) if ctype.startswith("application/json") else raw.decode())

    def tide(self, *args, user=None):
        env = {"PATH": SYS_PATH, "TIDE_CONF": self.conf}
        cmd = ([] if not user else ["runuser", "-u", user, "--"]) + [TIDE] + list(args)
        return run(*cmd, check=False, env=env, timeout=60)

    def journal(self, node=None, job=None):
        """The journal's entries so far (read incrementally: it only grows)."""
        try:
            with open(self.journal_path, "rb") as f:
                f.seek(self._journal_pos)
                chunk = f.read()
        except OSError:
            chunk = b""
        end = chunk.rfind(b"\n") + 1          # a line being written stays for the next read
        self._journal_pos += end
        for line in chunk[:end].splitlines():
            try:
                self._journal.append(json.loads(line))
            except ValueError:
                pass                           # a torn line (tided killed mid-write)
        return [e for e in self._journal
                if (not node or e.get("node") == node) and (not job or e.get("job") == job)]

    def steps(self, node, job=None):
        return [(e["step"], e["result"]) for e in self.journal(node, job)]

    # -- waiting, with diagnostics
    def diag(self, what="", nodes=(), jobs=()):
        parts = ["---- %s" % what if what else "---- diagnostics"]

        def section(title, fn):
            try:
                parts.append("== %s\n%s" % (title, fn()))
            except Exception as err:  # noqa: BLE001 - diagnostics must never hide the failure
                parts.append("== %s: %r" % (title, err))
        section("sinfo", lambda: self.sl("sinfo", "-N", "-o", "%N %T %E", check=False).stdout)
        section("squeue", lambda: self.sl("squeue", "-o", "%i %T %r %N %f", check=False).stdout)
        for n in nodes:
            section("scontrol show node %s" % n, lambda n=n: self.sl("scontrol", "show", "node", n, check=False).stdout)
            section("SMD/BSS/sim %s" % n, lambda n=n: "groups=%s bss=%s machine=%s" % (
                self.exclusive_groups().get(n), self.bss_image(n), self.machine(n)))
        for j in jobs:
            section("scontrol show job %s" % j, lambda j=j: self.sl("scontrol", "show", "job", str(j), check=False).stdout)
        if self.tided is not None:
            section("tided", lambda: "pid %s, exit status %s" % (self.tided.pid, self.tided.poll()))
            section("tide status", lambda: self.tide("status").stdout)
            section("tided.log (tail)", lambda: tail(self.tided_log, 40))
            section("journal (tail)", lambda: tail(self.journal_path, 30))
        section("programs.log (tail)", lambda: "".join(
            line for line in tail(self.programs_log, 200).splitlines(True) if not line.startswith("    env "))[-3000:])
        section("slurmctld.log (tail)", lambda: "".join(
            line for line in tail(os.path.join(self.dir, "log", "slurmctld.log"), 400).splitlines(True)
            if "debug" not in line)[-3000:])
        return "\n".join(parts)

    def wait(self, what, predicate, timeout, step=0.3, nodes=(), jobs=()):
        """wait_for() whose error carries diag() of these nodes and jobs."""
        return wait_for(what, predicate, timeout, step, detail=lambda: self.diag(what, nodes, jobs))

    def wait_home(self, nodes, group, timeout=None):
        """Back home: POWERED_DOWN in Slurm (no transition under way), in `group` and only there."""
        def home():
            slurm, where = self.all_nodes(), self.exclusive_groups()
            return all("POWERED_DOWN" in slurm[n]["State"] and "POWERING" not in slurm[n]["State"]
                       and where.get(n) == [group] for n in nodes)
        self.wait("%s powered down and back in %s" % (",".join(sorted(nodes)), group),
                  home, timeout=timeout or self.release, step=0.5, nodes=sorted(nodes))


class GroupSampler(threading.Thread):
    """GET /hsm/v2/groups every `period` s: which node is in two exclusive groups, or none."""

    def __init__(self, bed, nodes, period=0.2):
        super().__init__(daemon=True)
        self.bed, self.nodes, self.period = bed, set(nodes), period
        self.halt = threading.Event()
        self.samples = 0
        self.errors = []
        self.doubles = []          # (t, node, groups)
        self.absent_since = {}     # node -> t of the first sample it was in no group
        self.longest_absent = {}   # node -> seconds

    def run(self):
        while not self.halt.is_set():
            t = time.monotonic()
            try:
                groups = self.bed.get("/hsm/v2/groups")
            except Exception as err:  # noqa: BLE001 - a sampler must keep sampling
                self.errors.append(repr(err))
                time.sleep(self.period)
                continue
            where = {}
            for g in groups:
                if g.get("exclusiveGroup"):
                    for m in (g.get("members") or {}).get("ids") or []:
                        where.setdefault(m, []).append(g["label"])
            for node in self.nodes:
                labels = where.get(node, [])
                if len(labels) > 1:
                    self.doubles.append((t, node, labels))
                if not labels:
                    self.absent_since.setdefault(node, t)
                elif node in self.absent_since:
                    gone = t - self.absent_since.pop(node)
                    self.longest_absent[node] = max(gone, self.longest_absent.get(node, 0))
            self.samples += 1
            time.sleep(max(0, self.period - (time.monotonic() - t)))

    def stop(self):
        self.halt.set()
        self.join(10)
        now = time.monotonic()
        for node, since in self.absent_since.items():   # still absent: counts until now
            self.longest_absent[node] = max(now - since, self.longest_absent.get(node, 0))

"""Spec fidelity: tide's SMD, BSS and PCS clients, through Prism, against the
services' official API specs.

For each service the test starts tide-sim (zinal site), a small relay, and
`prism proxy` (npm @stoplight/prism-cli 5.14.2) for the service's spec:

    tide-fidelity --> Prism :P --> relay :R --> tide-sim :S
                      validates    (see spec_exceptions.PROXY_WORKAROUNDS)

Prism matches request paths against the spec's `paths` and ignores its
basePath / servers; it forwards each request path appended to the upstream
URL.  So the client's base URL is Prism plus whatever part of the service
prefix the spec's paths leave out, and the upstream URL carries the rest:

    service  spec paths       client base URL              Prism upstream
    SMD      /groups, ...     http://127.0.0.1:P           http://127.0.0.1:R/hsm/v2
    BSS      /boot/v1/...     http://127.0.0.1:P/boot/v1   http://127.0.0.1:R
    PCS      /transitions...  http://127.0.0.1:P           http://127.0.0.1:R/power-control/v1

(The PCS sequence reserves its node in SMD first, as tide does, to hand PCS a
deputy key; it calls tide-sim's SMD directly, since SMD has its own run.)

tests/integration/fidelity/tide-fidelity (built by make) calls every client
function of the service.  Prism runs without --errors so that the real reply
reaches the client: an accepted difference must not stop the sequence.  It
still validates every request and response and logs each violation under the
request it belongs to; the test fails on any violation that
spec_exceptions.EXCEPTIONS does not list, on any error Prism raised itself,
and on any listed exception that no run hit.  The log is read as Prism 5.14.2
writes it; were its format to change, the listed exceptions would stop
matching and test_every_listed_exception_occurs would fail, so the check
cannot go blind unnoticed.

The specs are not part of tide: they are looked up in $TIDE_SPECS_DIR, else
../shared/specs beside the repository.  Without them, or without prism or the
driver, the tests skip, or fail when $CI is true.
"""

import http.client
import os
import re
import shutil
import subprocess
import threading
import time
from collections import namedtuple
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import spec_exceptions
from conftest import REPO, ZINAL, Sim

SPECS_DIR = os.environ.get("TIDE_SPECS_DIR") or os.path.join(os.path.dirname(REPO), "shared", "specs")
DRIVER = os.environ.get("TIDE_FIDELITY_BIN") or os.path.join(REPO, "tests", "integration", "fidelity",
                                                             "tide-fidelity")
PRISM = os.environ.get("TIDE_PRISM") or shutil.which("prism")

Service = namedtuple("Service", "spec upstream_prefix client_prefix")
SERVICES = {
    "smd": Service("openchami-smd/swagger_v2.yaml", "/hsm/v2", ""),
    "bss": Service("openchami-bss/swagger.yaml", "", "/boot/v1"),
    "pcs": Service("openchami-power-control/swagger.yaml", "/power-control/v1", ""),
}

Violation = namedtuple("Violation", "service method path location message severity")
ProxyError = namedtuple("ProxyError", "service method path message")


def in_ci():
    return os.environ.get("CI", "").lower() in ("true", "1", "yes")


def unavailable(reason):
    """Skip locally; in CI a missing piece is a failure, not a silently green job."""
    if in_ci():
        pytest.fail(reason + " (CI is set, so this is an error)")
    pytest.skip(reason)


# ---- the relay between Prism and tide-sim ------------------------------------------------------

HOP_HEADERS = ("connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer",
               "upgrade", "host", "content-length")


def is_json_type(value):
    media = value.split(";")[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


class Relay:
    """Forwards everything to tide-sim unchanged but for PROXY_WORKAROUNDS: the Content-Type of an
    empty non-204 reply is dropped (Prism would answer 500 instead of forwarding it).  Each such
    rewrite is recorded as (method, path without the upstream prefix)."""

    def __init__(self, upstream_port, strip_prefix):
        self.rewrites = []
        relay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _body(self):
                if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                    data = b""
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                        if size == 0:
                            self.rfile.readline()
                            return data
                        data += self.rfile.read(size)
                        self.rfile.readline()
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else None

            def _forward(self):
                body = self._body()
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
                conn = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=60)
                conn.request(self.command, self.path, body, headers)
                resp = conn.getresponse()
                data = resp.read()
                conn.close()
                out = [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP_HEADERS]
                if not data and resp.status != 204 and any(
                        k.lower() == "content-type" and is_json_type(v) for k, v in out):
                    out = [(k, v) for k, v in out if k.lower() != "content-type"]
                    path = self.path.split("?")[0]
                    relay.rewrites.append((self.command, path[len(strip_prefix):]
                                           if path.startswith(strip_prefix) else path))
                self.send_response_only(resp.status)
                for key, value in out:
                    self.send_header(key, value)
                if resp.status not in (204, 304):
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if resp.status not in (204, 304) and self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


# ---- Prism -------------------------------------------------------------------------------------

ANSI = re.compile(r"\x1b\[[0-9;]*m")
LISTENING = re.compile(r"Prism is listening on http://127\.0\.0\.1:(\d+)")
REQUEST = re.compile(r"\[HTTP SERVER\] (\w+) (\S+) .*Request received")
TERMINATED = re.compile(r"\[HTTP SERVER\] (\w+) (\S+) .*Request terminated with error: (.*)$")
VIOLATION = re.compile(r"\[VALIDATOR\] .*?(\w+)\s+Violation: (\S+) (.*)$")


class Prism:
    """`prism proxy SPEC UPSTREAM` on a free port, its log kept line by line."""

    def __init__(self, spec, upstream):
        env = dict(os.environ, SCARF_ANALYTICS="false", NO_COLOR="1", FORCE_COLOR="0")
        self.proc = subprocess.Popen([PRISM, "proxy", spec, upstream, "-p", "0", "-h", "127.0.0.1"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, env=env)
        self.lines = []
        self.last_line_at = time.time()
        self.listening = threading.Event()
        self.port = None
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        for line in self.proc.stdout:
            line = ANSI.sub("", line.rstrip("\n"))
            self.lines.append(line)
            self.last_line_at = time.time()
            match = LISTENING.search(line)
            if match:
                self.port = int(match.group(1))
                self.listening.set()
        self.listening.set()  # exited: wake the waiter

    def wait_ready(self, timeout=90):
        if not self.listening.wait(timeout) or self.port is None:
            raise RuntimeError("prism did not start:\n" + "\n".join(self.lines[-30:]))

    def wait_quiet(self, quiet=0.5, timeout=10):
        """Wait until the log has been still for `quiet` seconds: every violation is written."""
        deadline = time.time() + timeout
        while time.time() < deadline and time.time() - self.last_line_at < quiet:
            time.sleep(0.05)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def parse_prism_log(service, lines):
    """(requests, violations, errors): each violation tied to the request logged before it (the
    driver sends one request at a time)."""
    requests, violations, errors = [], [], []
    method = path = None
    for line in lines:
        match = REQUEST.search(line)
        if match:
            method, path = match.group(1).upper(), match.group(2).split("?")[0]
            requests.append((method, path))
            continue
        match = TERMINATED.search(line)
        if match:
            errors.append(ProxyError(service, match.group(1).upper(), match.group(2).split("?")[0],
                                     match.group(3)))
            continue
        match = VIOLATION.search(line)
        if match:
            violations.append(Violation(service, method, path, match.group(2), match.group(3),
                                        match.group(1)))
    return requests, violations, errors


def exception_for(violation):
    """The EXCEPTIONS entry that accepts `violation`, or None."""
    for exc in spec_exceptions.EXCEPTIONS:
        if (exc.service == violation.service and violation.method and violation.path
                and re.fullmatch(exc.method, violation.method)
                and re.fullmatch(exc.path, violation.path)
                and re.fullmatch(exc.location, violation.location)
                and re.search(exc.message, violation.message)):
            return exc
    return None


def workaround_for(service, method, path):
    for work in spec_exceptions.PROXY_WORKAROUNDS:
        if work.service == service and re.fullmatch(work.method, method) and re.fullmatch(work.path, path):
            return work
    return None


# ---- one run per service -----------------------------------------------------------------------

Run = namedtuple("Run", "service rc output requests violations errors rewrites sim_requests")
SIM_REQUEST = re.compile(r"^(GET|POST|PUT|PATCH|DELETE|HEAD) (\S+) (\d{3})$")


class Stack:
    """tide-sim, relay and Prism for one service."""

    def __init__(self, name, service):
        self.name = name
        self.service = service
        self.sim = Sim(["--boot-delay", "0.2", "--site", ZINAL])
        self.relay = Relay(self.sim.port, service.upstream_prefix)
        self.prism = Prism(os.path.join(SPECS_DIR, service.spec),
                           "http://127.0.0.1:%d%s" % (self.relay.port, service.upstream_prefix))

    def start_driver(self):
        self.prism.wait_ready()
        args = [DRIVER, self.name, "http://127.0.0.1:%d%s" % (self.prism.port, self.service.client_prefix)]
        if self.name == "pcs":
            args.append(self.sim.base + "/hsm/v2")   # its reservation: straight to SMD, checked there
        return subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)

    def finish(self, driver):
        try:
            output, _ = driver.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            driver.kill()
            output, _ = driver.communicate()
            output += "\n(tide-fidelity timed out)"
        self.prism.wait_quiet()
        requests, violations, errors = parse_prism_log(self.name, self.prism.lines)
        prefix = self.service.upstream_prefix + self.service.client_prefix
        sim_requests = [line for line in self.sim.log_lines()
                        if SIM_REQUEST.match(line) and SIM_REQUEST.match(line).group(2).startswith(prefix)]
        return Run(self.name, driver.returncode, output, requests, violations, errors,
                   list(self.relay.rewrites), sim_requests)

    def stop(self):
        self.prism.stop()
        self.relay.stop()
        self.sim.stop()


@pytest.fixture(scope="module")
def runs():
    """Run tide-fidelity for every service once (the stacks start in parallel) -> {name: Run}."""
    if not os.path.isdir(SPECS_DIR):
        unavailable("API specs not found in %s (set TIDE_SPECS_DIR)" % SPECS_DIR)
    for service in SERVICES.values():
        if not os.path.isfile(os.path.join(SPECS_DIR, service.spec)):
            unavailable("API spec %s not found in %s" % (service.spec, SPECS_DIR))
    if not PRISM:
        unavailable("prism not found (npm install -g @stoplight/prism-cli@5.14.2, or set TIDE_PRISM)")
    if not os.access(DRIVER, os.X_OK):
        unavailable("%s not built (run make)" % DRIVER)

    stacks = []
    try:
        for name, service in SERVICES.items():
            stacks.append(Stack(name, service))
        drivers = [stack.start_driver() for stack in stacks]
        yield {stack.name: stack.finish(driver) for stack, driver in zip(stacks, drivers)}
    finally:
        for stack in stacks:
            stack.stop()


def describe(items):
    return "\n".join("  " + " | ".join(str(field) for field in item) for item in items)


# ---- the tests ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(SERVICES))
def test_driver_passes(runs, name):
    run = runs[name]
    assert run.rc == 0, run.output
    assert "FAIL" not in run.output, run.output
    assert run.output.rstrip().endswith("PASSED " + name), run.output


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_call_went_through_prism(runs, name):
    run = runs[name]
    assert run.requests, "Prism logged no request"
    assert run.errors == [], "Prism failed requests itself:\n" + describe(run.errors)
    # Each request Prism received reached tide-sim, and no request for this service went around it.
    assert len(run.requests) == len(run.sim_requests), (run.requests, run.sim_requests)


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_no_violation_beyond_the_listed_exceptions(runs, name):
    run = runs[name]
    unlisted = [v for v in run.violations if exception_for(v) is None]
    assert unlisted == [], ("%d violation(s) of the %s spec not listed in spec_exceptions.py:\n%s\n"
                            "driver output:\n%s" % (len(unlisted), name, describe(unlisted), run.output))


def test_every_listed_exception_occurs(runs):
    seen = {exception_for(v) for run in runs.values() for v in run.violations}
    unused = [exc for exc in spec_exceptions.EXCEPTIONS if exc not in seen and not exc.conditional]
    assert unused == [], ("listed in spec_exceptions.py but not seen in any run (remove them, or mark "
                          "them conditional and say why):\n" + describe(unused))


def test_proxy_workarounds_are_listed_and_used(runs):
    rewrites = [(run.service,) + rewrite for run in runs.values() for rewrite in run.rewrites]
    unlisted = [r for r in rewrites if workaround_for(*r) is None]
    assert unlisted == [], "relay rewrites not in PROXY_WORKAROUNDS:\n" + describe(unlisted)
    used = {workaround_for(*r) for r in rewrites}
    unused = [w for w in spec_exceptions.PROXY_WORKAROUNDS if w not in used]
    assert unused == [], "PROXY_WORKAROUNDS never needed:\n" + describe(unused)


def test_exception_entries_are_complete():
    for exc in spec_exceptions.EXCEPTIONS:
        assert exc.service in SERVICES, exc
        for field in ("method", "path", "location", "message"):
            re.compile(getattr(exc, field))
        assert exc.differs and exc.source, exc
        assert exc.conditional is None or exc.conditional.strip(), exc
    assert len(set(spec_exceptions.EXCEPTIONS)) == len(spec_exceptions.EXCEPTIONS)

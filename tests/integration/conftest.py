"""Fixtures that run tide-sim (contrib/sim/tide-sim) on a free port.

    def test_x(sim_factory):
        sim = sim_factory(site=ZINAL, boot_delay=0.2, token="t")
        resp = sim.get("/hsm/v2/groups")
        assert resp.status == 200 and resp.json()[0]["label"] == "k8s_workers"

Each simulator is started with --port 0; the port is read from its
"tide-sim: listening on 127.0.0.1:N" line, and it is stopped when the test
ends.  Its log (one "METHOD PATH STATUS" line per request, plus event lines)
is kept in Sim.log_lines().
"""

import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SIM_DIR = os.path.join(REPO, "contrib", "sim")
TIDE_SIM = os.path.join(SIM_DIR, "tide-sim")
TIDE_SIM_SEED = os.path.join(SIM_DIR, "tide-sim-seed")
ZINAL = os.path.join(SIM_DIR, "sites", "zinal.json")
READY = re.compile(r"tide-sim: listening on 127\.0\.0\.1:(\d+)")


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    @property
    def text(self):
        return self.body.decode("utf-8")

    def json(self):
        return json.loads(self.body)


class Sim:
    def __init__(self, args):
        self.proc = subprocess.Popen([sys.executable, TIDE_SIM, "--port", "0"] + args,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        self._lines = []
        self.port = self._wait_ready()
        self.base = "http://127.0.0.1:%d" % self.port
        threading.Thread(target=self._drain, daemon=True).start()

    def _wait_ready(self):
        deadline = time.time() + 20
        while time.time() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                raise RuntimeError("tide-sim exited: " + "".join(self._lines))
            self._lines.append(line)
            match = READY.search(line)
            if match:
                return int(match.group(1))
        raise RuntimeError("tide-sim did not become ready")

    def _drain(self):
        for line in self.proc.stderr:
            self._lines.append(line)

    def log_lines(self):
        return [line.rstrip("\n") for line in list(self._lines)]

    def request(self, method, path, body=None, headers=None, raw=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        conn.request(method, path, data, headers)
        resp = conn.getresponse()
        result = Response(resp.status, resp.getheaders(), resp.read())
        conn.close()
        return result

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.request("PUT", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body, **kw)

    def delete(self, path, body=None, **kw):
        return self.request("DELETE", path, body, **kw)

    def wait_for(self, predicate, timeout=10.0, interval=0.05):
        """Poll predicate() until it returns something truthy."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(interval)
        raise AssertionError("condition not met within %.1fs" % timeout)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def sim_factory():
    """sim_factory(site=None, token=None, boot_delay=0.2, extra=[]) -> Sim."""
    sims = []

    def start(site=None, token=None, boot_delay=0.2, extra=()):
        args = ["--boot-delay", str(boot_delay)]
        if site:
            args += ["--site", site]
        if token:
            args += ["--token", token]
        sim = Sim(args + list(extra))
        sims.append(sim)
        return sim

    yield start
    for sim in sims:
        sim.stop()


@pytest.fixture
def zinal(sim_factory):
    """A fresh simulator loaded with the zinal site (boot delay 0.2 s)."""
    return sim_factory(site=ZINAL)

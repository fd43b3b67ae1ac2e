"""The simulator's shared state: one lock, the per-service stores, the
scheduler for delayed events (boots, PCS steps) and the log.

Every HTTP handler and every scheduled event runs with State.lock held, so
the stores need no locking of their own.  One lock is plenty for a test
double and makes the cross-service effects (a PCS transition changing SMD,
BSS history and Kubernetes at once) trivially consistent.
"""

import heapq
import itertools
import sys
import threading
import time
import traceback
from collections import deque

from . import bss, faults, hwinv, k8s, locks, machine, pcs, redfish, smd


class Config:
    def __init__(self, token=None, boot_delay=1.0, hook=None, latency_ms=0,
                 auth_mode="openchami"):
        self.token = token
        self.auth_mode = auth_mode
        self.boot_delay = boot_delay
        self.hook = hook
        self.latency_ms = latency_ms
        # Set once the socket is bound; BSS needs it for iPXE chain lines.
        self.base_url = "http://127.0.0.1"


class Log:
    """Line-oriented log to stderr or a file; hooks write into the same stream."""

    def __init__(self, path=None):
        self.stream = open(path, "a", buffering=1) if path else sys.stderr
        self._lock = threading.Lock()

    def line(self, text):
        with self._lock:
            self.stream.write(text + "\n")
            self.stream.flush()


class Scheduler(threading.Thread):
    """Runs callables after a delay, each under the state lock."""

    def __init__(self, state):
        super().__init__(name="tide-sim-scheduler", daemon=True)
        self.state = state
        self._heap = []
        self._seq = itertools.count()
        self._cond = threading.Condition()

    def call_later(self, delay, func, *args):
        with self._cond:
            due = time.monotonic() + max(0.0, delay)
            heapq.heappush(self._heap, (due, next(self._seq), func, args))
            self._cond.notify()

    def run(self):
        while True:
            with self._cond:
                while not self._heap or self._heap[0][0] > time.monotonic():
                    timeout = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._cond.wait(timeout)
                _, _, func, args = heapq.heappop(self._heap)
            with self.state.lock:
                try:
                    func(self.state, *args)
                except Exception:  # keep the simulator alive, but say why
                    self.state.log.line("tide-sim: event failed:\n" + traceback.format_exc())


class State:
    def __init__(self, config, log):
        self.lock = threading.RLock()
        self.config = config
        self.log = log
        self.scheduler = Scheduler(self)
        self.smd = smd.SmdStore()
        self.hw = hwinv.HardwareStore()
        self.locks = locks.LockStore()
        self.bss = bss.BssStore()
        self.pcs = pcs.PcsStore()
        self.machines = machine.Machines()
        self.redfish = redfish.RedfishStore()
        self.k8s = k8s.K8sStore()
        self.faults = faults.Faults()
        # Recent requests, for tests that compare a client's wire traffic.
        self.requests = deque(maxlen=20000)

    def start(self):
        self.scheduler.start()

    def call_later(self, delay, func, *args):
        self.scheduler.call_later(delay, func, *args)

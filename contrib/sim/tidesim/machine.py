"""Simulated nodes: power, booting, and everything a boot changes.

PCS, Redfish and the sim-only kexec path all end up here, so a boot looks
the same whichever way it was started: after --boot-delay seconds the node
boots what BSS names for it at that moment, fetches its boot script (BSS
endpoint history), goes On -> Ready in SMD, and, if it is a Kubernetes
node, comes back with a new bootID and Ready=True.
"""

import queue
import shlex
import subprocess
import threading
import time

from .bss import image_name
from .util import iso

POWERED_STATES = ("On", "Ready", "Standby", "Halt")


class Machine:
    def __init__(self, xname, powered):
        self.xname = xname
        self.power = "on" if powered else "off"
        self.booting = False
        self.boot_count = 0
        self.image = None  # what the running OS was booted from
        self.boot_error = None
        self.last_change = time.time()
        self.last_boot = None
        # Bumped by every power or boot action, so a boot scheduled before a
        # later power-off (or a second reset) is recognised as stale.
        self.generation = 0
        self.waiters = []  # called once the next boot has happened

    def json(self):
        return {"xname": self.xname, "power": self.power, "booting": self.booting,
                "bootCount": self.boot_count,
                "image": self.image["name"] if self.image else None,
                "kernel": self.image["kernel"] if self.image else None,
                "initrd": self.image["initrd"] if self.image else None,
                "cmdline": self.image["params"] if self.image else None,
                "lastBoot": iso(self.last_boot) if self.last_boot else None,
                "bootError": self.boot_error, "lastChange": iso(self.last_change)}


def image_of(entry):
    return {"kernel": entry["kernel"], "initrd": entry["initrd"], "params": entry["params"],
            "name": image_name(entry["params"])}


class Machines:
    def __init__(self):
        self.nodes = {}
        self.hooks = Hooks()

    def track(self, st, cid):
        """Every SMD Node component is a machine; its power follows its State."""
        comp = st.smd.components.get(cid)
        if comp and comp["Type"] == "Node" and cid not in self.nodes:
            self.nodes[cid] = Machine(cid, comp["State"] in POWERED_STATES)

    def get(self, cid):
        return self.nodes.get(cid)

    def adopt_boot_params(self, st, host):
        """A powered node that has not booted since the simulator started is
        taken to run the first boot parameters it is given (seeding order:
        components first, then BSS)."""
        m = self.nodes.get(host)
        if m and m.power == "on" and m.boot_count == 0 and m.image is None:
            m.image = image_of(st.bss.entries[host])


class Hooks:
    """Runs --hook commands off the request path.  Each node has its own
    queue and worker thread, so one node's hooks run in event order while
    different nodes' hooks run in parallel."""

    def __init__(self):
        self.queues = {}

    def submit(self, xname, command, log):
        if xname not in self.queues:
            self.queues[xname] = queue.Queue()
            threading.Thread(target=self._work, args=(self.queues[xname], log),
                             daemon=True).start()
        self.queues[xname].put(command)

    @staticmethod
    def _work(commands, log):
        while True:
            command = commands.get()
            subprocess.run(command, shell=True, stdin=subprocess.DEVNULL, stdout=log.stream,
                           stderr=subprocess.STDOUT, check=False)


def fire_hook(st, xname, event, image):
    """Log the event and queue --hook as `CMD <xname> <event> <image>`; its
    output goes to the simulator's log."""
    image = image or "-"
    st.log.line("tide-sim: event %s %s %s" % (xname, event, image))
    if st.config.hook:
        command = "%s %s %s %s" % (st.config.hook, shlex.quote(xname), event,
                                   shlex.quote(image))
        st.machines.hooks.submit(xname, command, st.log)


def _next_image_name(st, m):
    entry = st.bss.entries.get(m.xname)
    return image_name(entry["params"]) if entry else None


def power_off(st, m):
    if m.power == "off":
        return
    m.power = "off"
    m.booting = False
    m.generation += 1
    m.last_change = time.time()
    st.smd.set_state(m.xname, "Off")
    st.k8s.node_down(m.xname)
    fire_hook(st, m.xname, "power-off", m.image["name"] if m.image else None)


def power_on(st, m, waiter=None):
    """Power on and boot after --boot-delay.  waiter() runs after the boot
    (at once if the node is already up)."""
    if m.power == "on":
        if waiter and m.booting:
            m.waiters.append(waiter)
        elif waiter:
            waiter(st)
        return
    if waiter:
        m.waiters.append(waiter)
    m.power = "on"
    m.generation += 1
    m.last_change = time.time()
    st.smd.set_state(m.xname, "On")
    st.k8s.node_down(m.xname)
    fire_hook(st, m.xname, "power-on", _next_image_name(st, m))
    _start_boot(st, m)


def restart(st, m, waiter=None):
    power_off(st, m)
    power_on(st, m, waiter)


def kexec(st, m, waiter=None):
    """Jump into a new kernel: no power change, just a boot."""
    if waiter:
        m.waiters.append(waiter)
    m.generation += 1
    m.last_change = time.time()
    st.smd.set_state(m.xname, "On")
    st.k8s.node_down(m.xname)
    _start_boot(st, m)


def _start_boot(st, m):
    m.booting = True
    st.call_later(st.config.boot_delay, _boot, m, m.generation)


def _boot(st, m, generation):
    if generation != m.generation or m.power != "on":
        return  # powered off or reset again meanwhile
    m.booting = False
    m.last_change = m.last_boot = time.time()
    entry = st.bss.entries.get(m.xname)
    if entry and entry["kernel"]:
        # The node's iPXE fetched its boot script, which BSS records.
        st.bss.touch(m.xname, "bootscript")
        m.image = image_of(entry)
        m.boot_count += 1
        m.boot_error = None
        st.smd.set_state(m.xname, "Ready")
        st.k8s.node_booted(m.xname)
        fire_hook(st, m.xname, "boot", m.image["name"])
    else:
        # BSS would answer 404 and iPXE would retry forever: stays On.
        m.boot_error = "no boot parameters in BSS"
        st.log.line("tide-sim: event %s boot-failed -" % m.xname)
    waiters, m.waiters = m.waiters, []
    for waiter in waiters:
        waiter(st)

"""PCS under /power-control/v1: transitions and power status.

The transition logic follows OpenCHAMI power-control's doTransition: tasks
that cannot be reserved fail with "Unable to reserve component" (or the
deputy-key variant), restarts need the node On, and the Redfish ResetType
for each step comes from the node's allowed values.  Where real PCS polls
the power state every 15 s to confirm a power-on, the simulator confirms
when the node has booted (--boot-delay), so "completed" also means booted;
clients should still check BSS endpoint-history or SMD Ready themselves.
"""

import re
import time

from . import machine
from . import xname as xn
from .util import iso, new_uuid
from .web import empty, json_response, problem

OPERATIONS = {"on": "On", "off": "Off", "soft-off": "Soft-Off", "soft-restart": "Soft-Restart",
              "hard-restart": "Hard-Restart", "init": "Init", "force-off": "Force-Off"}
TRANSITIONS = ["On", "Off", "Soft-Restart", "Hard-Restart", "Init", "Force-Off", "Soft-Off"]
POWER_TYPES = {"Node", "NodeBMC", "ChassisBMC", "RouterBMC", "Chassis", "ComputeModule",
               "RouterModule"}
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                  r"[0-9a-fA-F]{12}$")
FINAL = ("succeeded", "failed", "unsupported")
EXPIRY = 24 * 3600
RESERVATION_MINUTES = 15


class Task:
    def __init__(self, xname, deputy_key):
        self.xname = xname
        self.deputy_key = deputy_key or ""
        self.status = "new"
        self.desc = "Gathering data"
        self.error = ""

    def json(self):
        out = {"xname": self.xname, "taskStatus": self.status,
               "taskStatusDescription": self.desc}
        if self.error:
            out["error"] = self.error
        return out


class Transition:
    def __init__(self, operation, deadline, locations):
        self.id = new_uuid()
        self.operation = operation
        self.deadline = deadline
        self.created = time.time()
        self.status = "new"
        self.tasks = [Task(xn.normalize(loc.get("xname", "")), loc.get("deputyKey"))
                      for loc in locations]

    def counts(self):
        counts = {"total": len(self.tasks), "new": 0, "in-progress": 0, "failed": 0,
                  "succeeded": 0, "un-supported": 0}
        for task in self.tasks:
            counts["un-supported" if task.status == "unsupported" else task.status] += 1
        return counts

    def json(self, with_tasks=True):
        out = {"transitionID": self.id, "operation": self.operation,
               "createTime": iso(self.created),
               "automaticExpirationTime": iso(self.created + EXPIRY),
               "transitionStatus": self.status, "taskCounts": self.counts()}
        if with_tasks:
            out["tasks"] = [t.json() for t in self.tasks]
        return out


class PcsStore:
    def __init__(self):
        self.transitions = {}


# ---- task outcomes -----------------------------------------------------------------------

def fail(task, error, desc="Failed to achieve transition"):
    task.status, task.error, task.desc = "failed", error, desc


def succeed(task, desc):
    task.status, task.desc = "succeeded", desc


def begin(task, action):
    task.status, task.desc = "in-progress", "Confirming successful transition, " + action


def finish_if_done(st, tr):
    if tr.status == "in-progress" and all(t.status in FINAL for t in tr.tasks):
        tr.status = "completed"
        st.locks.release_held_by(tr.id)


def confirmer(tr, task, action):
    """A machine waiter that confirms the task once the node is up."""
    def confirm(st):
        if task.status == "in-progress" and tr.status == "in-progress":
            succeed(task, "Transition confirmed, " + action)
            finish_if_done(st, tr)
    return confirm


# ---- running a transition ----------------------------------------------------------------

def reserve(st, tr, task):
    """PCS reserves every target unless the caller holds it and passed its
    deputy key.  Returns an error string or None."""
    res = st.locks.get(task.xname)
    if res is not None:
        if task.deputy_key and task.deputy_key == res.deputy_key:
            return None
        if task.deputy_key:
            return "Invalid deputy key and unable to reserve component"
        return "Unable to reserve component"
    if st.locks.blocker(st.smd.components[task.xname]):
        return "Unable to reserve component"
    st.locks.reserve(task.xname, RESERVATION_MINUTES, holder=tr.id)
    return None


def run_task(st, tr, task):
    htype = xn.hms_type(task.xname)
    if htype is None:
        return fail(task, "Invalid xname")
    if htype not in POWER_TYPES:
        task.status, task.desc = "unsupported", "Failed to achieve transition"
        task.error = "No power control for component type " + htype
        return None
    m = st.machines.get(task.xname)
    if m is None:
        return fail(task, "Missing xname")
    if task.xname not in st.smd.components:
        return fail(task, "Xname not found in HSM")
    error = reserve(st, tr, task)
    if error:
        return fail(task, error)
    broken = st.redfish.power_failure(task.xname)
    if broken:
        return fail(task, broken, "Failed to apply transition")
    op = tr.operation
    if op == "On":
        if m.power == "on":
            return succeed(task, "Component already in desired state")
        return start(st, tr, task, m, ["on"], "on")
    if op in ("Off", "Soft-Off", "Force-Off"):
        if m.power == "off":
            return succeed(task, "Component already in desired state")
        action = "forceoff" if op == "Force-Off" else "gracefulshutdown"
        return start(st, tr, task, m, [action], action)
    if op in ("Soft-Restart", "Hard-Restart") and m.power != "on":
        return fail(task, "Component is in the wrong power state",
                    "Component must be in the On state for " + op)
    if op == "Soft-Restart" and st.redfish.reset_type(task.xname, "gracefulrestart"):
        return start(st, tr, task, m, ["gracefulrestart"], "gracefulrestart")
    if m.power == "on":  # Hard-Restart, Init, Soft-Restart without GracefulRestart
        return start(st, tr, task, m, ["gracefulshutdown", "on"], "on")
    return start(st, tr, task, m, ["on"], "on")  # Init of an Off node


def start(st, tr, task, m, actions, last):
    """Apply the Redfish actions in order; confirm after the last one."""
    for action in actions:
        if not st.redfish.reset_type(task.xname, action):
            return fail(task, "Power action not supported for " + task.xname,
                        "Failed to construct payload")
    begin(task, last)
    no_wait = tr.deadline == 0
    if last in ("gracefulshutdown", "forceoff"):
        machine.power_off(st, m)
        return succeed(task, "Transition confirmed, " + last)
    waiter = None if no_wait else confirmer(tr, task, last)
    if actions[0] == "gracefulrestart" or len(actions) == 2:
        machine.restart(st, m, waiter)
    else:
        machine.power_on(st, m, waiter)
    if no_wait:
        succeed(task, "Transition applied, %s. Not confirming." % last)
    return None


def run_transition(st, tr):
    if tr.status != "new":
        return  # aborted before it started
    tr.status = "in-progress"
    for task in tr.tasks:
        run_task(st, tr, task)
    finish_if_done(st, tr)


def abort_transition(st, tr):
    for task in tr.tasks:
        if task.status in ("new", "in-progress"):
            fail(task, "Transition aborted", "Aborted. Last status - " + task.desc)
    tr.status = "aborted"
    st.locks.release_held_by(tr.id)


# ---- handlers ----------------------------------------------------------------------------

def transitions_post(st, req):
    if not req.body.strip():
        return problem(400, "empty body")
    try:
        data = req.json()
    except ValueError as err:
        return problem(400, "Unable to parse request: " + str(err))
    if not isinstance(data, dict):
        return problem(400, "Unable to parse request")
    operation = OPERATIONS.get(str(data.get("operation", "")).lower())
    if operation is None:
        return problem(400, "invalid Operation type " + str(data.get("operation", "")))
    deadline = data.get("taskDeadlineMinutes", 5)
    locations = data.get("location") or []
    if not isinstance(locations, list) or not all(isinstance(l, dict) for l in locations):
        return problem(400, "Unable to parse request: bad location list")
    tr = Transition(operation, deadline, locations)
    st.pcs.transitions[tr.id] = tr
    st.call_later(0, run_transition, tr)
    return json_response({"transitionID": tr.id, "operation": operation}, 200,
                         {"Location": "../transitions/" + tr.id})


def lookup(st, tid):
    if not UUID.match(tid):
        return None, problem(400, "invalid UUID format: " + tid)
    tr = st.pcs.transitions.get(tid.lower())
    if tr is None:
        return None, problem(404, "TransitionID does not exist")
    return tr, None


def transition_get(st, req, tid):
    tr, error = lookup(st, tid)
    return error or json_response(tr.json())


def transitions_get(st, req):
    return json_response({"transitions": [t.json(False) for t in st.pcs.transitions.values()]})


def transition_delete(st, req, tid):
    tr, error = lookup(st, tid)
    if error:
        return error
    if tr.status == "completed":
        return problem(400, "Transition is already finished and cannot be aborted.")
    if tr.status not in ("aborted", "abort-signaled"):
        tr.status = "abort-signaled"
        st.call_later(0, abort_transition, tr)
    return json_response({"abortStatus": "Accepted - abort initiated"}, 202)


def status_entry(st, xname):
    m = st.machines.get(xname)
    if m is None:
        return {"xname": xname, "powerState": "undefined", "managementState": "unavailable",
                "error": "Component not found in component map.",
                "supportedPowerTransitions": [], "lastUpdated": iso()}
    return {"xname": xname, "powerState": m.power, "managementState": "available",
            "error": "", "supportedPowerTransitions": TRANSITIONS,
            "lastUpdated": iso(m.last_change)}


def power_status(st, xnames, power_filter, mgmt_filter):
    if power_filter and power_filter.lower() not in ("on", "off", "undefined"):
        return problem(400, "invalid PowerStateFilter type " + power_filter)
    if mgmt_filter and mgmt_filter.lower() not in ("available", "unavailable"):
        return problem(400, "invalid ManagementStateFilter type " + mgmt_filter)
    names = [xn.normalize(x) for x in xnames]
    bad = [x for x, n in zip(xnames, names) if not xn.is_valid(n)]
    if bad:
        return problem(400, "Invalid xnames detected: " + ",".join(bad))
    if not names:
        names = sorted(st.machines.nodes, key=xn.natural_key)
    out = [status_entry(st, x) for x in names]
    if power_filter:
        out = [s for s in out if s["powerState"] == power_filter.lower()]
    if mgmt_filter:
        out = [s for s in out if s["managementState"] == mgmt_filter.lower()]
    return json_response({"status": out})


def power_status_get(st, req):
    return power_status(st, req.args("xname"), req.arg("powerStateFilter"),
                        req.arg("managementStateFilter"))


def power_status_post(st, req):
    try:
        data = req.json()
    except ValueError as err:
        return problem(400, "Unable to parse request: " + str(err))
    if not isinstance(data, dict):
        return problem(400, "Unable to parse request")
    return power_status(st, data.get("xname") or [], data.get("powerStateFilter"),
                        data.get("managementStateFilter"))


def register(router):
    base = "/power-control/v1"
    add = router.add
    add("POST", base + "/transitions", transitions_post)
    add("GET", base + "/transitions", transitions_get)
    add("GET", base + "/transitions/{tid}", transition_get)
    add("DELETE", base + "/transitions/{tid}", transition_delete)
    add("GET", base + "/power-status", power_status_get)
    add("POST", base + "/power-status", power_status_post)
    add("GET", base + "/liveness", lambda st, req: empty(204))
    add("GET", base + "/readiness", lambda st, req: empty(204))
    add("GET", base + "/health", lambda st, req: json_response(
        {"KvStore": "connected, responsive", "StateManager": "connected, responsive",
         "DistLocking": "connected, responsive", "Vault": "connected, responsive",
         "TaskRunner": "connected, responsive, local mode"}))

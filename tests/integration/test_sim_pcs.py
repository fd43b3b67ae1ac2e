"""tide-sim PCS: transitions, reservations/deputy keys, power status, boots
and the --hook command."""

import os
import stat
import uuid

from conftest import ZINAL

TR = "/power-control/v1/transitions"
NODE = "x1001c1s5b0n0"
OFF_NODE = "x1002c0s2b1n1"   # nodes_free, State Off
K8S_NODE = "x1002c1s0b0n0"


def start(sim, operation, *xnames, **extra):
    body = {"operation": operation,
            "location": [{"xname": x} if isinstance(x, str) else x for x in xnames]}
    body.update(extra)
    resp = sim.post(TR, body)
    assert resp.status == 200, resp.text
    return resp


def wait_done(sim, tid, timeout=10):
    return sim.wait_for(lambda: (lambda t: t if t["transitionStatus"] in ("completed", "aborted")
                                 else None)(sim.get(TR + "/" + tid).json()), timeout)


def test_bad_requests(zinal):
    resp = zinal.post(TR, {"operation": "reboot", "location": [{"xname": NODE}]})
    assert resp.status == 400 and resp.header("Content-Type") == "application/problem+json"
    assert resp.json()["detail"] == "invalid Operation type reboot"
    assert zinal.post(TR, raw=b"").status == 400
    assert zinal.get(TR + "/not-a-uuid").status == 400
    resp = zinal.get(TR + "/" + str(uuid.uuid4()))
    assert resp.status == 404 and resp.json()["status"] == 404


def test_soft_restart_lifecycle(zinal):
    resp = start(zinal, "SOFT-RESTART", NODE, OFF_NODE, NODE + "p0", taskDeadlineMinutes=5)
    created = resp.json()
    assert list(created) == ["transitionID", "operation"]
    assert created["operation"] == "Soft-Restart"
    tid = created["transitionID"]
    assert resp.header("Location") == "../transitions/" + tid
    early = zinal.get(TR + "/" + tid).json()
    assert early["transitionStatus"] in ("new", "in-progress")
    assert set(early["taskCounts"]) == {"total", "new", "in-progress", "failed", "succeeded",
                                        "un-supported"}
    done = wait_done(zinal, tid)
    assert done["transitionStatus"] == "completed"
    assert done["taskCounts"] == {"total": 3, "new": 0, "in-progress": 0, "failed": 1,
                                  "succeeded": 1, "un-supported": 1}
    tasks = {t["xname"]: t for t in done["tasks"]}
    assert tasks[NODE]["taskStatus"] == "succeeded"
    assert tasks[OFF_NODE]["error"] == "Component is in the wrong power state"
    assert tasks[NODE + "p0"]["taskStatus"] == "unsupported"
    node = zinal.get("/sim/nodes/" + NODE).json()
    assert node["bootCount"] == 1 and node["image"] == "rocky9" and node["power"] == "on"
    assert zinal.get("/hsm/v2/State/Components/" + NODE).json()["State"] == "Ready"
    listed = zinal.get(TR).json()["transitions"]
    assert listed[0]["transitionID"] == tid and "tasks" not in listed[0]
    resp = zinal.delete(TR + "/" + tid)
    assert resp.status == 400  # already completed


def test_reserved_component_needs_deputy_key(zinal):
    res = zinal.post("/hsm/v2/locks/service/reservations",
                     {"ComponentIDs": [NODE, "x1001c1s5b0n1"], "ReservationDuration": 5}).json()
    keys = {s["ID"]: s["DeputyKey"] for s in res["Success"]}
    tid = start(zinal, "init", NODE, {"xname": "x1001c1s5b0n1",
                                      "deputyKey": keys["x1001c1s5b0n1"]}).json()["transitionID"]
    done = wait_done(zinal, tid)
    tasks = {t["xname"]: t for t in done["tasks"]}
    assert tasks[NODE]["taskStatus"] == "failed"
    assert tasks[NODE]["error"] == "Unable to reserve component"
    assert tasks["x1001c1s5b0n1"]["taskStatus"] == "succeeded"
    tid = start(zinal, "init", {"xname": NODE, "deputyKey": "x:dk:wrong"}).json()["transitionID"]
    task = wait_done(zinal, tid)["tasks"][0]
    assert task["error"] == "Invalid deputy key and unable to reserve component"


def test_pcs_holds_its_own_reservation_while_running(sim_factory):
    sim = sim_factory(site=ZINAL, boot_delay=1.0)
    tid = start(sim, "hard-restart", NODE).json()["transitionID"]
    sim.wait_for(lambda: sim.get(TR + "/" + tid).json()["transitionStatus"] == "in-progress")
    resp = sim.post("/hsm/v2/locks/service/reservations", {"ComponentIDs": [NODE]})
    assert resp.status == 400 and resp.json()["detail"] == "Component is Reserved"
    wait_done(sim, tid)
    resp = sim.post("/hsm/v2/locks/service/reservations", {"ComponentIDs": [NODE]})
    assert resp.status == 200


def test_off_on_init_and_power_status(zinal):
    tid = start(zinal, "off", NODE).json()["transitionID"]
    assert wait_done(zinal, tid)["tasks"][0]["taskStatus"] == "succeeded"
    status = zinal.get("/power-control/v1/power-status?xname=%s&xname=%s" % (NODE, OFF_NODE))
    entries = status.json()["status"]
    assert [(e["xname"], e["powerState"]) for e in entries] == [(NODE, "off"), (OFF_NODE, "off")]
    assert entries[0]["managementState"] == "available"
    assert "Soft-Restart" in entries[0]["supportedPowerTransitions"]
    assert zinal.get("/hsm/v2/State/Components/" + NODE).json()["State"] == "Off"
    tid = start(zinal, "init", NODE, OFF_NODE).json()["transitionID"]
    assert wait_done(zinal, tid)["taskCounts"]["succeeded"] == 2
    posted = zinal.post("/power-control/v1/power-status",
                        {"xname": [NODE, OFF_NODE], "powerStateFilter": "on"}).json()
    assert [e["xname"] for e in posted["status"]] == [NODE, OFF_NODE]
    assert zinal.get("/hsm/v2/State/Components/" + OFF_NODE).json()["State"] == "Ready"
    tid = start(zinal, "on", NODE).json()["transitionID"]
    task = wait_done(zinal, tid)["tasks"][0]
    assert task["taskStatusDescription"] == "Component already in desired state"
    assert zinal.get("/power-control/v1/power-status?powerStateFilter=bogus").status == 400
    unknown = zinal.get("/power-control/v1/power-status?xname=x9c0s0b0n0").json()["status"][0]
    assert unknown["powerState"] == "undefined" and unknown["error"]


def test_abort(sim_factory):
    sim = sim_factory(site=ZINAL, boot_delay=2.0)
    tid = start(sim, "soft-restart", NODE).json()["transitionID"]
    resp = sim.delete(TR + "/" + tid)
    assert resp.status == 202 and resp.json() == {"abortStatus": "Accepted - abort initiated"}
    done = wait_done(sim, tid)
    assert done["transitionStatus"] == "aborted"
    assert done["tasks"][0]["error"] == "Transition aborted"


def test_boot_switches_image_and_fires_hooks(sim_factory, tmp_path):
    out = tmp_path / "hook.out"
    hook = tmp_path / "hook.sh"
    hook.write_text('#!/bin/sh\necho "$1 $2 $3" >> %s\n' % out)
    hook.chmod(hook.stat().st_mode | stat.S_IEXEC)
    sim = sim_factory(site=ZINAL, extra=["--hook", str(hook)])
    bss = {"hosts": [K8S_NODE], "kernel": "http://images/slurm/vmlinuz",
           "initrd": "http://images/slurm/initrd", "params": "ro tide.image=slurm"}
    assert sim.put("/boot/v1/bootparameters", bss).status == 200
    before = sim.get("/api/v1/nodes/" + K8S_NODE).json()["status"]["nodeInfo"]["bootID"]
    assert sim.get("/sim/nodes/" + K8S_NODE).json()["image"] == "k8s"  # not rebooted yet
    tid = start(sim, "init", K8S_NODE).json()["transitionID"]
    wait_done(sim, tid)
    node = sim.get("/sim/nodes/" + K8S_NODE).json()
    assert node["image"] == "slurm" and node["cmdline"] == "ro tide.image=slurm"
    assert node["kernel"] == "http://images/slurm/vmlinuz" and node["bootCount"] == 1
    k8s = sim.get("/api/v1/nodes/" + K8S_NODE).json()
    assert k8s["status"]["nodeInfo"]["bootID"] != before
    ready = [c for c in k8s["status"]["conditions"] if c["type"] == "Ready"][0]
    assert ready["status"] == "True"
    lines = sim.wait_for(lambda: os.path.exists(out) and
                         len(out.read_text().splitlines()) >= 3 and out.read_text().splitlines())
    assert lines == ["%s power-off k8s" % K8S_NODE, "%s power-on slurm" % K8S_NODE,
                     "%s boot slurm" % K8S_NODE]
    assert "tide-sim: event %s boot slurm" % K8S_NODE in sim.log_lines()

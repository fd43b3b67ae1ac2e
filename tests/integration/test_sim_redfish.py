"""tide-sim Redfish: systems, Reset with allowed values (inline or via
ActionInfo, configurable per node), auth, and how PCS follows the same
allowed values."""

import base64

from conftest import ZINAL

RF = "/redfish/v1"
NODE = "x1001c1s5b0n0"
EX425 = "x1006c1s5b0n0"  # zinal.json gives it ForceOff/On/Off through ActionInfo
DEFAULT = ["On", "ForceOff", "GracefulShutdown", "GracefulRestart", "ForceRestart"]


def reset(sim, node, reset_type, **kw):
    return sim.post("%s/Systems/%s/Actions/ComputerSystem.Reset" % (RF, node),
                    {"ResetType": reset_type}, **kw)


def test_service_root_and_systems(zinal):
    root = zinal.get(RF).json()
    assert root["Systems"] == {"@odata.id": RF + "/Systems"}
    assert zinal.get(RF + "/").json() == root
    systems = zinal.get(RF + "/Systems").json()
    assert systems["Members@odata.count"] == 50
    assert {"@odata.id": RF + "/Systems/" + NODE} in systems["Members"]
    system = zinal.get(RF + "/Systems/" + NODE).json()
    assert system["PowerState"] == "On"
    action = system["Actions"]["#ComputerSystem.Reset"]
    assert action["target"] == RF + "/Systems/%s/Actions/ComputerSystem.Reset" % NODE
    assert action["ResetType@Redfish.AllowableValues"] == DEFAULT
    assert zinal.get(RF + "/Managers").json()["Members@odata.count"] == 1
    assert zinal.get(RF + "/Systems/x9c0s0b0n0").status == 404


def test_reset_boots_and_rejects_disallowed_type(zinal):
    resp = reset(zinal, NODE, "Nmi")
    assert resp.status == 400
    info = resp.json()["error"]["@Message.ExtendedInfo"][0]
    assert info["MessageId"].endswith("ActionParameterValueNotInList")
    assert zinal.post(RF + "/Systems/%s/Actions/ComputerSystem.Reset" % NODE, {}).status == 400
    resp = reset(zinal, NODE, "GracefulRestart")
    assert resp.status == 204 and resp.body == b""
    zinal.wait_for(lambda: zinal.get("/sim/nodes/" + NODE).json()["bootCount"] == 1)
    assert reset(zinal, NODE, "ForceOff").status == 204
    assert zinal.get(RF + "/Systems/" + NODE).json()["PowerState"] == "Off"
    assert zinal.get("/hsm/v2/State/Components/" + NODE).json()["State"] == "Off"
    assert reset(zinal, NODE, "On").status == 204
    assert zinal.get(RF + "/Systems/" + NODE).json()["PowerState"] == "On"
    zinal.wait_for(lambda: zinal.get("/sim/nodes/" + NODE).json()["bootCount"] == 2)


def test_action_info_quirk_and_fallbacks(zinal):
    action = zinal.get(RF + "/Systems/" + EX425).json()["Actions"]["#ComputerSystem.Reset"]
    assert "ResetType@Redfish.AllowableValues" not in action
    info = zinal.get(action["@Redfish.ActionInfo"]).json()
    assert info["Parameters"][0]["AllowableValues"] == ["ForceOff", "On", "Off"]
    assert reset(zinal, EX425, "GracefulRestart").status == 400
    assert reset(zinal, EX425, "Off").status == 204
    assert zinal.get(RF + "/Systems/" + EX425).json()["PowerState"] == "Off"
    # PCS picks "Off" for a graceful shutdown, then "On": a soft-restart
    # without GracefulRestart/ForceRestart becomes off -> on.
    reset(zinal, EX425, "On")
    zinal.wait_for(lambda: zinal.get("/sim/nodes/" + EX425).json()["bootCount"] == 1)
    tid = zinal.post("/power-control/v1/transitions", {
        "operation": "soft-restart", "location": [{"xname": EX425}]}).json()["transitionID"]
    done = zinal.wait_for(lambda: (lambda t: t if t["transitionStatus"] == "completed" else None)(
        zinal.get("/power-control/v1/transitions/" + tid).json()))
    assert done["tasks"][0]["taskStatusDescription"] == "Transition confirmed, on"


def test_reset_types_are_configurable_at_runtime(zinal):
    resp = zinal.post("/sim/redfish", {"systems": {NODE: {"ResetTypes": ["ForceOff", "On"]}}})
    assert resp.status == 200
    system = zinal.get(RF + "/Systems/" + NODE).json()
    assert system["Actions"]["#ComputerSystem.Reset"]["ResetType@Redfish.AllowableValues"] == \
        ["ForceOff", "On"]
    assert reset(zinal, NODE, "ForceRestart").status == 400
    # Neither GracefulShutdown nor Off: PCS cannot build the payload.
    tid = zinal.post("/power-control/v1/transitions", {
        "operation": "hard-restart", "location": [{"xname": NODE}]}).json()["transitionID"]
    task = zinal.wait_for(lambda: (lambda t: t["tasks"][0] if t["transitionStatus"] ==
                                   "completed" else None)(
        zinal.get("/power-control/v1/transitions/" + tid).json()))
    assert task["error"] == "Power action not supported for " + NODE
    zinal.post("/sim/redfish", {"systems": {NODE: {"FailPower": "BMC unreachable"}}})
    assert reset(zinal, NODE, "ForceOff").status == 500


def test_redfish_auth(sim_factory):
    sim = sim_factory(site=ZINAL, token="pw")
    assert sim.get(RF).status == 200  # the service root is public
    resp = sim.get(RF + "/Systems")
    assert resp.status == 401 and resp.header("WWW-Authenticate")
    basic = "Basic " + base64.b64encode(b"root:pw").decode()
    assert sim.get(RF + "/Systems", headers={"Authorization": basic}).status == 200
    login = sim.post(RF + "/SessionService/Sessions", {"UserName": "root", "Password": "pw"})
    assert login.status == 201
    token = login.header("X-Auth-Token")
    assert sim.get(RF + "/Systems", headers={"X-Auth-Token": token}).status == 200
    assert sim.post(RF + "/SessionService/Sessions",
                    {"UserName": "root", "Password": "bad"}).status == 401

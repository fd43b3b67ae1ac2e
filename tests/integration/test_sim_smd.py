"""tide-sim SMD: components, hardware inventory, groups, memberships, locks,
auth, and seeding through the write APIs."""

import base64
import subprocess
import sys
import threading
import time

from conftest import SIM_DIR, TIDE_SIM_SEED, ZINAL

PROBLEM = "application/problem+json"
FREE_NODE = "x1002c0s0b0n0"      # in nodes_free
ZINAL_NODE = "x1001c1s5b0n0"     # in zinal


def assert_problem(resp, status, detail=None):
    assert resp.status == status
    assert resp.header("Content-Type") == PROBLEM
    body = resp.json()
    assert set(body) == {"type", "title", "detail", "status"}
    assert body["type"] == "about:blank" and body["status"] == status
    if detail is not None:
        assert body["detail"] == detail
    return body


# ---- components --------------------------------------------------------------------------

def test_component_filters_are_repeatable_and_case_insensitive(zinal):
    comps = zinal.get("/hsm/v2/State/Components?type=node&group=ZINAL&state=ready").json()
    assert len(comps["Components"]) == 16
    node = comps["Components"][0]
    assert node["ID"] == ZINAL_NODE
    assert node["Type"] == "Node" and node["Role"] == "Compute" and node["NID"] == 1
    both = zinal.get("/hsm/v2/State/Components?type=Node&type=NodeBMC").json()["Components"]
    assert {c["Type"] for c in both} == {"Node", "NodeBMC"}
    off = zinal.get("/hsm/v2/State/Components?group=nodes_free&state=Off").json()
    assert [c["ID"] for c in off["Components"]] == \
        ["x1002c0s2b1n1", "x1005c0s7b0n1", "x1006c1s7b1n0"]
    assert_problem(zinal.get("/hsm/v2/State/Components?type=bogus"), 400)


def test_component_get_and_404(zinal):
    assert zinal.get("/hsm/v2/State/Components/X01001C1S5B0N0").json()["ID"] == ZINAL_NODE
    assert_problem(zinal.get("/hsm/v2/State/Components/x9c0s0b0n0"), 404, "no such xname.")


def test_components_query_and_seed_post(zinal):
    resp = zinal.post("/hsm/v2/State/Components/Query",
                      {"ComponentIDs": [ZINAL_NODE, "x1005c0s4b0n0", "x9c0s0b0n0"]})
    assert [c["ID"] for c in resp.json()["Components"]] == [ZINAL_NODE, "x1005c0s4b0n0"]
    resp = zinal.post("/hsm/v2/State/Components", {"Components": [
        {"ID": "x9c0s0b0n0", "State": "Ready", "Role": "Compute", "NID": 9000}],
        "Force": False})
    assert resp.status == 204 and resp.body == b""
    assert zinal.get("/hsm/v2/State/Components/x9c0s0b0n0").json()["NID"] == 9000


# ---- hardware inventory ------------------------------------------------------------------

def models(entries, info):
    return [e["PopulatedFRU"][info]["Model"] for e in entries if "PopulatedFRU" in e]


def test_inventory_query_node_shape(zinal):
    inv = zinal.get("/hsm/v2/Inventory/Hardware/Query/x1001c1s6b0n0").json()
    assert list(inv) == ["XName", "Format", "Nodes"]
    assert inv["XName"] == "x1001c1s6b0n0" and inv["Format"] == "NestNodesOnly"
    node = inv["Nodes"][0]
    assert node["ID"] == "x1001c1s6b0n0" and node["HWInventoryByLocationType"] == "HWInvByLocNode"
    assert set(k for k, v in node.items() if isinstance(v, list)) == \
        {"Processors", "Memory", "NodeHsnNics"}  # no empty NodeAccels array
    assert models(node["Processors"], "ProcessorFRUInfo") == \
        ["AMD EPYC 7742 64-Core Processor"] * 2
    sizes = [m["PopulatedFRU"]["MemoryFRUInfo"]["CapacityMiB"]
             for m in node["Memory"] if m["Status"] == "Populated"]
    assert sizes == [16384] * 15
    empty = [m for m in node["Memory"] if m["Status"] == "Empty"]
    assert len(empty) == 1 and "PopulatedFRU" not in empty[0]
    assert node["NodeHsnNics"][0]["NodeHsnNicLocationInfo"]["Description"] == \
        "SS11 200Gb 2P NIC Mezz REV02 (HSN)"
    assert node["NodeLocationInfo"]["MemorySummary"]["TotalSystemMemoryGiB"] == 240


def test_inventory_query_gpu_nodes(zinal):
    a100 = zinal.get("/hsm/v2/Inventory/Hardware/Query/x1005c0s4b0n1").json()["Nodes"][0]
    assert models(a100["NodeAccels"], "NodeAccelFRUInfo") == ["NVIDIA_A100-SXM4-80GB"] * 4
    assert models(a100["Processors"], "ProcessorFRUInfo") == ["AMD EPYC 7713 64-Core Processor"]
    assert len(a100["NodeHsnNics"]) == 4 and len(a100["Memory"]) == 8
    mi200 = zinal.get("/hsm/v2/Inventory/Hardware/Query/x1006c1s4b1n0").json()["Nodes"][0]
    assert models(mi200["NodeAccels"], "NodeAccelFRUInfo") == \
        ["AMD INSTINCT MI200 (MCM) OAM LC"] * 8
    assert a100["NodeAccels"][0]["ID"] == "x1005c0s4b0n1a0"


def test_inventory_query_prefixes_and_unknown(zinal):
    all_nodes = zinal.get("/hsm/v2/Inventory/Hardware/Query/s0").json()["Nodes"]
    assert len(all_nodes) == 50
    assert len(zinal.get("/hsm/v2/Inventory/Hardware/Query/all").json()["Nodes"]) == 50
    cabinet = zinal.get("/hsm/v2/Inventory/Hardware/Query/x1001").json()["Nodes"]
    assert len(cabinet) == 12
    chassis = zinal.get("/hsm/v2/Inventory/Hardware/Query/x1005c0").json()["Nodes"]
    assert [n["ID"] for n in chassis][:2] == ["x1005c0s4b0n0", "x1005c0s4b0n1"]
    assert len(chassis) == 8
    unknown = zinal.get("/hsm/v2/Inventory/Hardware/Query/x9c0s0b0n0")
    assert unknown.status == 200
    assert unknown.json() == {"XName": "x9c0s0b0n0", "Format": "NestNodesOnly"}
    assert_problem(zinal.get("/hsm/v2/Inventory/Hardware/Query/notanxname"), 400)


def test_inventory_flat_post_get_delete(zinal):
    entry = {"ID": "x1001c1s5b0n0a0", "Type": "NodeAccel", "Ordinal": 0, "Status": "Populated",
             "PopulatedFRU": {"NodeAccelFRUInfo": {"Model": "NVIDIA_A100-SXM4-80GB"}}}
    resp = zinal.post("/hsm/v2/Inventory/Hardware", {"Hardware": [entry]})
    assert resp.status == 200 and resp.json() == {"code": 0, "message": "Created 1 entries"}
    flat = zinal.get("/hsm/v2/Inventory/Hardware?type=NodeAccel&id=x1001c1s5b0n0a0").json()
    assert [e["ID"] for e in flat] == ["x1001c1s5b0n0a0"]
    node = zinal.get("/hsm/v2/Inventory/Hardware/Query/x1001c1s5b0n0").json()["Nodes"][0]
    assert len(node["NodeAccels"]) == 1
    assert zinal.get("/hsm/v2/Inventory/Hardware/x1001c1s5b0n0a0").json()["Type"] == "NodeAccel"
    resp = zinal.delete("/hsm/v2/Inventory/Hardware/x1001c1s5b0n0a0")
    assert resp.status == 200 and resp.json() == {"code": 0, "message": "deleted 1 entry"}
    assert_problem(zinal.get("/hsm/v2/Inventory/Hardware/x1001c1s5b0n0a0"), 404, "no such xname.")


# ---- groups ------------------------------------------------------------------------------

def test_group_create_conflicts_and_errors(zinal):
    resp = zinal.post("/hsm/v2/groups", {"label": "Test.Group", "description": "d",
                                         "tags": ["T1"], "members": {"ids": ["X1001C1S7B0N0"]}})
    assert resp.status == 201
    assert resp.json() == [{"URI": "/hsm/v2/groups/test.group"}]
    assert resp.header("Location") == "/hsm/v2/groups/test.group"
    group = zinal.get("/hsm/v2/groups/test.group").json()
    assert group == {"label": "test.group", "description": "d", "tags": ["t1"],
                     "members": {"ids": ["x1001c1s7b0n0"]}}
    assert_problem(zinal.post("/hsm/v2/groups", {"label": "test.group"}), 409,
                   "operation would conflict with an existing group that has the same label.")
    # FREE_NODE is in nodes_free, exclusiveGroup "tide"
    assert_problem(zinal.post("/hsm/v2/groups", {"label": "other", "exclusiveGroup": "TIDE",
                                                 "members": {"ids": [FREE_NODE]}}), 409,
                   "operation would conflict with an existing member in another exclusive "
                   "group.")
    assert_problem(zinal.post("/hsm/v2/groups", raw=b"{not json",
                              headers={"Content-Type": "application/json"}), 500)
    assert_problem(zinal.post("/hsm/v2/groups", {"label": "bad label!"}), 400)
    assert_problem(zinal.post("/hsm/v2/groups", {"label": "ghost",
                                                 "members": {"ids": ["x9c0s0b0n0"]}}),
                   400, "linked component does not exist")
    assert zinal.get("/hsm/v2/groups/labels").json() == \
        ["k8s_workers", "nodes_free", "test.group", "zinal"]
    assert [g["label"] for g in zinal.get("/hsm/v2/groups?tag=t1").json()] == ["test.group"]
    assert [g["label"] for g in zinal.get("/hsm/v2/groups?group=zinal&group=Nodes_Free")
            .json()] == ["nodes_free", "zinal"]


def test_group_patch_delete_and_405(zinal):
    resp = zinal.patch("/hsm/v2/groups/zinal", {"description": "new", "tags": ["a"]})
    assert resp.status == 204 and resp.body == b""
    assert zinal.get("/hsm/v2/groups/zinal").json()["tags"] == ["a"]
    assert_problem(zinal.patch("/hsm/v2/groups/zinal", {}), 400)
    assert_problem(zinal.get("/hsm/v2/groups/nope"), 404, "No such group: nope")
    resp = zinal.delete("/hsm/v2/groups/k8s_workers")
    assert resp.status == 200 and resp.json() == {"code": 0, "message": "deleted 1 entry"}
    assert_problem(zinal.delete("/hsm/v2/groups/k8s_workers"), 404, "no such group.")
    resp = zinal.delete("/hsm/v2/groups")
    assert_problem(resp, 405, "allow GET,POST")
    assert resp.header("Allow") == "GET,POST"


def test_member_move_between_exclusive_groups(zinal):
    members = "/hsm/v2/groups/%s/members"
    assert FREE_NODE in zinal.get(members % "nodes_free").json()["ids"]
    assert_problem(zinal.post(members % "zinal", {"id": FREE_NODE}), 409,
                   "operation would conflict with an existing member in another exclusive "
                   "group.")
    assert_problem(zinal.post(members % "nodes_free", {"id": FREE_NODE}), 409,
                   "operation would conflict with an existing member in the same group.")
    resp = zinal.delete((members % "nodes_free") + "/" + FREE_NODE)
    assert resp.status == 200 and resp.json() == {"code": 0, "message": "deleted 1 entry"}
    assert_problem(zinal.delete((members % "nodes_free") + "/" + FREE_NODE), 404,
                   "group has no such member.")
    resp = zinal.post(members % "zinal", {"id": "X01002C0S00B0N0"})  # normalised
    assert resp.status == 201
    assert resp.json() == [{"URI": "/hsm/v2/groups/zinal/members/" + FREE_NODE}]
    assert zinal.get("/hsm/v2/memberships/" + FREE_NODE).json() == \
        {"id": FREE_NODE, "groupLabels": ["zinal"], "partitionName": ""}
    assert_problem(zinal.post(members % "zinal", {"id": "x9c0s0b0n0"}), 400,
                   "linked component does not exist")
    assert_problem(zinal.post(members % "zinal", {"id": "garbage"}), 400, "invalid xname ID")
    assert_problem(zinal.post(members % "nope", {"id": FREE_NODE}), 404, "No such group: nope")


def test_put_members_quirks(zinal):
    zinal.post("/hsm/v2/groups", {"label": "scratch", "exclusiveGroup": "tide"})
    url = "/hsm/v2/groups/scratch/members"
    # FREE_NODE is held by nodes_free in the same exclusive namespace: the
    # real server answers 500 here, not 409.
    assert_problem(zinal.put(url, {"group": "scratch", "ids": [FREE_NODE]}), 500,
                   "operation 'PUT' failed during store.")
    assert_problem(zinal.put(url, {"ids": ["x9c0s0b0n0"]}), 500)
    for node in (FREE_NODE, "x1002c0s0b0n1"):
        zinal.delete("/hsm/v2/groups/nodes_free/members/" + node)
    resp = zinal.put(url, {"ids": [FREE_NODE, "x1002c0s0b0n1"]})
    assert resp.status == 201 and len(resp.json()) == 2
    assert resp.json()[0] == {"URI": "/hsm/v2/groups/scratch/members/" + FREE_NODE}
    resp = zinal.put(url, {"ids": []})
    assert resp.status == 204 and resp.body == b""
    assert zinal.get(url).json() == {"ids": []}


def test_a_held_put_that_meets_a_rival_changes_nothing(zinal):
    """The race tided's bulk claim relies on: a PUT of members that a rival's POST overtakes
    (the fault holds it, then serves it) is refused whole, and the rival keeps the node."""
    zinal.post("/hsm/v2/groups", {"label": "scratch", "exclusiveGroup": "tide"})
    url = "/hsm/v2/groups/scratch/members"
    other = "x1002c0s0b0n1"
    for node in (FREE_NODE, other):
        zinal.delete("/hsm/v2/groups/nodes_free/members/" + node)
    assert zinal.post("/sim/faults", {"method": "PUT", "path": "/groups/scratch/members$",
                                      "delay_ms": 800, "pass": True}).status == 201
    answer = {}
    held = threading.Thread(target=lambda: answer.update(
        put=zinal.put(url, {"group": "scratch", "ids": [FREE_NODE, other]})))
    held.start()
    time.sleep(0.2)
    assert zinal.post("/hsm/v2/groups/zinal/members", {"id": FREE_NODE}).status == 201
    held.join(10)
    assert_problem(answer["put"], 500, "operation 'PUT' failed during store.")
    assert zinal.get(url).json() == {"ids": []}
    assert zinal.get("/hsm/v2/memberships/" + FREE_NODE).json()["groupLabels"] == ["zinal"]
    assert zinal.get("/hsm/v2/memberships/" + other).json()["groupLabels"] == []
    assert zinal.get("/sim/faults").json() == []   # count 1: used up
    assert zinal.put(url, {"ids": [other]}).status == 201   # not held any more


def test_memberships(zinal):
    all_m = zinal.get("/hsm/v2/memberships?type=Node").json()
    assert len(all_m) == 50
    assert {"id": ZINAL_NODE, "groupLabels": ["zinal"], "partitionName": ""} in all_m
    assert_problem(zinal.get("/hsm/v2/memberships/x9c0s0b0n0"), 404)


# ---- locks -------------------------------------------------------------------------------

def test_service_reservations(zinal):
    url = "/hsm/v2/locks/service/reservations"
    ids = [ZINAL_NODE, "x1001c1s5b0n1"]
    resp = zinal.post(url, {"ComponentIDs": ids, "ProcessingModel": "rigid",
                            "ReservationDuration": 5})
    assert resp.status == 200
    body = resp.json()
    assert body["Failure"] == [] and [s["ID"] for s in body["Success"]] == ids
    first = body["Success"][0]
    assert first["DeputyKey"].startswith(ZINAL_NODE + ":dk:")
    assert first["ReservationKey"].startswith(ZINAL_NODE + ":rk:")
    assert first["ExpirationTime"].endswith("Z")
    assert_problem(zinal.post(url, {"ComponentIDs": [ZINAL_NODE, "x1001c1s6b0n0"]}), 400,
                   "Component is Reserved")
    flex = zinal.post(url, {"ComponentIDs": [ZINAL_NODE, "x1001c1s6b0n0"],
                            "ProcessingModel": "flexible", "ReservationDuration": 1}).json()
    assert flex["Failure"] == [{"ID": ZINAL_NODE, "Reason": "Reserved"}]
    assert [s["ID"] for s in flex["Success"]] == ["x1001c1s6b0n0"]
    assert_problem(zinal.post(url, {"ComponentIDs": ["x1001c1s7b0n0"],
                                    "ReservationDuration": 16}), 400,
                   "Invalid Reservation Duration")
    check = zinal.post(url + "/check", {"DeputyKeys": [
        {"ID": ZINAL_NODE, "Key": first["DeputyKey"]},
        {"ID": "x1001c1s5b0n1", "Key": "wrong"}]}).json()
    assert [s["ID"] for s in check["Success"]] == [ZINAL_NODE]
    assert check["Failure"] == [{"ID": "x1001c1s5b0n1", "Reason": "NotFound"}]
    status = zinal.post("/hsm/v2/locks/status", {"ComponentIDs": [ZINAL_NODE, "x9c0s0b0n0"]})
    comp = status.json()["Components"][0]
    assert comp["Reserved"] is True and comp["Locked"] is False and "CreationTime" in comp
    assert status.json()["NotFound"] == ["x9c0s0b0n0"]
    renew = zinal.post(url + "/renew", {"ReservationKeys": [
        {"ID": ZINAL_NODE, "Key": first["ReservationKey"]}], "ReservationDuration": 10})
    assert renew.json()["Counts"] == {"Total": 1, "Success": 1, "Failure": 0}
    release = zinal.post(url + "/release", {"ReservationKeys": [
        {"ID": ZINAL_NODE, "Key": first["ReservationKey"]}]}).json()
    assert release == {"Counts": {"Total": 1, "Success": 1, "Failure": 0},
                       "Success": {"ComponentIDs": [ZINAL_NODE]}, "Failure": []}
    reserved = zinal.get("/hsm/v2/locks/status?reserved=true").json()["Components"]
    assert [c["ID"] for c in reserved] == ["x1001c1s5b0n1", "x1001c1s6b0n0"]


def test_expired_reservations_are_reaped():
    """Reservations last at least a minute, so check the reaper directly."""
    sys.path.insert(0, SIM_DIR)
    from tidesim import locks
    store = locks.LockStore()
    res = store.reserve("x1c0s0b0n0", 1)
    assert store.get("x1c0s0b0n0") is res
    res.expires = time.time() - 1
    assert store.get("x1c0s0b0n0") is None and store.reservations == {}


# ---- auth --------------------------------------------------------------------------------

def test_token_required_text_plain_401(sim_factory):
    sim = sim_factory(site=ZINAL, token="s3cret")
    resp = sim.get("/hsm/v2/groups")
    assert resp.status == 401
    assert resp.header("Content-Type").startswith("text/plain")
    assert resp.text.strip() == "no token found"
    resp = sim.get("/hsm/v2/groups", headers={"Authorization": "Bearer nope"})
    assert resp.status == 401 and resp.text.strip() == "Unauthorized"
    resp = sim.get("/hsm/v2/groups", headers={"Authorization": "Bearer s3cret"})
    assert resp.status == 200
    assert sim.get("/hsm/v2/service/ready").status == 200
    assert sim.get("/sim/nodes").status == 200
    assert sim.put("/boot/v1/bootparameters", {"hosts": [ZINAL_NODE]}).status == 401
    assert sim.get("/power-control/v1/transitions").status == 401


def test_gateway_auth_mode_protects_everything(sim_factory):
    sim = sim_factory(site=ZINAL, token="t", extra=["--auth-mode", "gateway"])
    assert sim.get("/hsm/v2/State/Components").status == 401
    assert sim.get("/boot/v1/bootscript?name=" + ZINAL_NODE).status == 401
    assert sim.get("/hsm/v2/service/ready").status == 200


def test_oauth2_client_credentials(sim_factory):
    sim = sim_factory(token="s3cret")
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    basic = dict(form, Authorization="Basic " + base64.b64encode(b"tide:s3cret").decode())
    resp = sim.post("/oauth2/token", raw=b"grant_type=client_credentials&scope=smd.read",
                    headers=basic)
    assert resp.status == 200
    assert resp.json() == {"access_token": "s3cret", "expires_in": 3600, "scope": "smd.read",
                           "token_type": "bearer"}
    resp = sim.post("/oauth2/token", headers=form,
                    raw=b"grant_type=client_credentials&client_id=tide&client_secret=bad")
    assert resp.status == 401 and resp.json()["error"] == "invalid_client"
    resp = sim.post("/oauth2/token", headers=form, raw=b"grant_type=password&client_id=x")
    assert resp.status == 400 and resp.json()["error"] == "unsupported_grant_type"


# ---- seeding -----------------------------------------------------------------------------

def test_seeding_through_write_apis_matches_site_load(sim_factory):
    loaded = sim_factory(site=ZINAL)
    seeded = sim_factory()
    assert seeded.get("/boot/v1/bootparameters").text.strip() == "null"
    subprocess.run([sys.executable, TIDE_SIM_SEED, seeded.base, ZINAL], check=True)
    for path in ("/hsm/v2/groups", "/hsm/v2/State/Components",
                 "/hsm/v2/Inventory/Hardware/Query/s0", "/hsm/v2/Inventory/EthernetInterfaces",
                 "/hsm/v2/memberships"):
        assert seeded.get(path).json() == loaded.get(path).json(), path
    strip = [{k: v for k, v in n.items() if k not in ("lastChange",)}
             for n in loaded.get("/sim/nodes").json()]
    assert [{k: v for k, v in n.items() if k not in ("lastChange",)}
            for n in seeded.get("/sim/nodes").json()] == strip
    names = [n["metadata"]["name"] for n in loaded.get("/api/v1/nodes").json()["items"]]
    assert [n["metadata"]["name"] for n in seeded.get("/api/v1/nodes").json()["items"]] == names
    assert len(seeded.get("/api/v1/pods").json()["items"]) == 15

"""tide-sim Kubernetes API: discovery, node patches and conflicts, pod lists,
evictions against PodDisruptionBudgets, and node reboots (bootID, Ready)."""

import time

from conftest import ZINAL

NODE = "x1002c1s0b0n0"   # first k8s worker: a cilium pod, a web pod, a mirror pod
SMP = {"Content-Type": "application/strategic-merge-patch+json"}
MERGE = {"Content-Type": "application/merge-patch+json"}


def pods_on(sim, node):
    items = sim.get("/api/v1/pods?fieldSelector=spec.nodeName%3D" + node).json()["items"]
    return {p["metadata"]["name"]: p for p in items}


def web_pod(sim, node=NODE):
    return next(n for n in pods_on(sim, node) if n.startswith("web-"))


def ready(node_obj):
    return next(c for c in node_obj["status"]["conditions"] if c["type"] == "Ready")["status"]


def assert_status(resp, code, reason):
    assert resp.status == code
    body = resp.json()
    assert body["kind"] == "Status" and body["status"] == "Failure"
    assert body["code"] == code and body["reason"] == reason
    return body


def test_discovery(zinal):
    assert zinal.get("/api").json()["versions"] == ["v1"]
    groups = {g["name"]: g for g in zinal.get("/apis").json()["groups"]}
    assert groups["policy"]["preferredVersion"]["groupVersion"] == "policy/v1"
    assert "apps" in groups
    resources = {r["name"]: r for r in zinal.get("/api/v1").json()["resources"]}
    eviction = resources["pods/eviction"]
    assert (eviction["kind"], eviction["group"], eviction["version"]) == \
        ("Eviction", "policy", "v1")
    assert any(r["name"] == "daemonsets" for r in zinal.get("/apis/apps/v1").json()["resources"])
    assert zinal.get("/apis/policy/v1").json()["groupVersion"] == "policy/v1"
    assert_status(zinal.get("/api/v1/nodes/nope"), 404, "NotFound")
    assert_status(zinal.get("/api/v1/secrets"), 404, "NotFound")


def test_cordon_taint_label_and_conflict(zinal):
    url = "/api/v1/nodes/" + NODE
    node = zinal.get(url).json()
    rv = int(node["metadata"]["resourceVersion"])
    assert "unschedulable" not in node["spec"]
    resp = zinal.patch(url, {"spec": {"unschedulable": True}}, headers=SMP)
    assert resp.status == 200 and resp.json()["spec"]["unschedulable"] is True
    rv2 = int(resp.json()["metadata"]["resourceVersion"])
    assert rv2 > rv
    taints = [{"key": "hpc.example.org/borrowed-by", "value": "slurm", "effect": "NoSchedule"}]
    resp = zinal.patch(url, {"metadata": {"labels": {"hpc.example.org/owner": "slurm"},
                                          "resourceVersion": str(rv2)},
                             "spec": {"taints": taints}}, headers=MERGE)
    assert resp.status == 200
    got = resp.json()
    assert got["spec"]["taints"] == taints
    assert got["metadata"]["labels"]["hpc.example.org/owner"] == "slurm"
    assert got["metadata"]["labels"]["kubernetes.io/hostname"] == NODE  # merged, not replaced
    # taints is an atomic list: a patch replaces it whole
    other = [{"key": "a", "effect": "NoSchedule"}]
    assert zinal.patch(url, {"spec": {"taints": other}}, headers=SMP).json()["spec"]["taints"] \
        == other
    stale = zinal.patch(url, {"metadata": {"resourceVersion": str(rv2)},
                              "spec": {"unschedulable": None}}, headers=SMP)
    body = assert_status(stale, 409, "Conflict")
    assert body["details"] == {"name": NODE, "kind": "nodes"}
    resp = zinal.patch(url, {"spec": {"unschedulable": None, "taints": None},
                             "metadata": {"labels": {"hpc.example.org/owner": None}}},
                       headers=SMP)
    got = resp.json()
    assert "unschedulable" not in got["spec"] and "taints" not in got["spec"]
    assert "hpc.example.org/owner" not in got["metadata"]["labels"]
    assert zinal.patch(url, {"spec": {}}, headers={"Content-Type": "application/json"}).status \
        == 415
    node = zinal.get(url).json()
    node["spec"]["unschedulable"] = True
    resp = zinal.put(url, node)
    assert resp.status == 200 and resp.json()["spec"]["unschedulable"] is True
    assert_status(zinal.put(url, node), 409, "Conflict")  # node's resourceVersion is old now


def test_pod_lists_selectors_and_paging(zinal):
    pods = pods_on(zinal, NODE)
    assert sorted(n.split("-")[0] for n in pods) == ["cilium", "kube", "web"]
    web = zinal.get("/api/v1/pods?labelSelector=app%3Dweb").json()["items"]
    assert len(web) == 3
    assert len(zinal.get("/api/v1/namespaces/kube-system/pods?labelSelector=k8s-app+in+"
                         "(cilium)").json()["items"]) == 10
    first = zinal.get("/api/v1/pods?limit=6").json()
    assert len(first["items"]) == 6 and first["metadata"]["continue"]
    names = [p["metadata"]["name"] for p in first["items"]]
    token = first["metadata"]["continue"]
    while token:
        page = zinal.get("/api/v1/pods?limit=6&continue=" + token).json()
        names += [p["metadata"]["name"] for p in page["items"]]
        token = page["metadata"].get("continue")
    assert len(names) == len(set(names)) == 15
    mirror = zinal.get("/api/v1/namespaces/kube-system/pods/kube-vip-" + NODE).json()
    assert "kubernetes.io/config.mirror" in mirror["metadata"]["annotations"]
    ds = zinal.get("/apis/apps/v1/namespaces/kube-system/daemonsets/cilium")
    assert ds.status == 200 and ds.json()["kind"] == "DaemonSet"
    assert_status(zinal.get("/apis/apps/v1/namespaces/kube-system/daemonsets/nope"), 404,
                  "NotFound")


def evict(sim, name, namespace="default", api_version="policy/v1"):
    return sim.post("/api/v1/namespaces/%s/pods/%s/eviction" % (namespace, name),
                    {"apiVersion": api_version, "kind": "Eviction",
                     "metadata": {"name": name, "namespace": namespace}})


def test_eviction_with_pdb_denying_first(zinal):
    name = web_pod(zinal)
    body = assert_status(evict(zinal, name), 429, "TooManyRequests")
    assert body["message"] == \
        "Cannot evict pod as it would violate the pod's disruption budget."
    cause = body["details"]["causes"][0]
    assert cause["reason"] == "DisruptionBudget"
    assert cause["message"] == "The disruption budget web needs 2 healthy pods and has 3 " \
                               "currently"
    resp = evict(zinal, name, api_version="policy/v1beta1")
    assert resp.status == 201
    assert resp.json() == {"kind": "Status", "apiVersion": "v1", "metadata": {},
                           "status": "Success", "code": 201}
    assert_status(zinal.get("/api/v1/namespaces/default/pods/" + name), 404, "NotFound")
    assert_status(evict(zinal, name), 404, "NotFound")
    # the ReplicaSet put a replacement on another schedulable node
    web = zinal.get("/api/v1/pods?labelSelector=app%3Dweb").json()["items"]
    assert len(web) == 3 and all(p["spec"]["nodeName"] != NODE for p in web)
    pdb = zinal.get("/apis/policy/v1/namespaces/default/poddisruptionbudgets/web").json()
    assert pdb["status"]["currentHealthy"] == 3 and pdb["status"]["disruptionsAllowed"] == 1


def test_pdb_deny_seconds_and_budget_math(zinal):
    assert zinal.post("/sim/k8s/pdbs", {
        "metadata": {"name": "web", "namespace": "default",
                     "annotations": {"tide.sim/deny-seconds": "0.5"}},
        "spec": {"minAvailable": "100%", "selector": {"matchLabels": {"app": "web"}}}}
    ).status == 201
    name = web_pod(zinal)
    assert evict(zinal, name).status == 429
    time.sleep(0.6)
    assert evict(zinal, name).status == 429  # minAvailable 100% still forbids it
    zinal.post("/sim/k8s/pdbs", {"metadata": {"name": "web", "namespace": "default"},
                                 "spec": {"maxUnavailable": 1,
                                          "selector": {"matchLabels": {"app": "web"}}}})
    assert evict(zinal, name).status == 201
    zinal.post("/sim/k8s/pdbs", {"metadata": {"name": "web2", "namespace": "default"},
                                 "spec": {"maxUnavailable": 1,
                                          "selector": {"matchLabels": {"app": "web"}}}})
    assert_status(evict(zinal, web_pod(zinal, "x1002c1s0b0n1")), 500, "InternalError")


def test_kexec_gives_new_boot_id_and_ready(sim_factory):
    sim = sim_factory(site=ZINAL, boot_delay=0.5)
    url = "/api/v1/nodes/" + NODE
    before = sim.get(url).json()
    assert ready(before) == "True"
    assert sim.post("/sim/nodes/%s/kexec" % NODE).status == 202
    during = sim.get(url).json()
    assert ready(during) == "Unknown"
    assert int(during["metadata"]["resourceVersion"]) > int(before["metadata"]["resourceVersion"])
    after = sim.wait_for(lambda: (lambda n: n if ready(n) == "True" else None)(
        sim.get(url).json()))
    assert after["status"]["nodeInfo"]["bootID"] != before["status"]["nodeInfo"]["bootID"]
    lease = sim.get("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/" + NODE)
    assert lease.json()["spec"]["holderIdentity"] == NODE
    assert sim.get("/sim/nodes/" + NODE).json()["bootCount"] == 1


def test_sim_admin_creates_objects_and_token_401(sim_factory):
    sim = sim_factory(token="t")
    resp = sim.post("/sim/k8s/nodes", {"metadata": {"name": "n1"}})
    assert resp.status == 201
    sim.post("/sim/k8s/pods", {"metadata": {"name": "p1", "namespace": "default"},
                               "spec": {"nodeName": "n1"}})
    assert_status(sim.get("/api/v1/nodes/n1"), 401, "Unauthorized")
    auth = {"Authorization": "Bearer t"}
    node = sim.get("/api/v1/nodes/n1", headers=auth).json()
    assert ready(node) == "True" and node["status"]["nodeInfo"]["bootID"]
    assert pods_on_auth(sim, "n1", auth) == ["p1"]


def pods_on_auth(sim, node, auth):
    items = sim.get("/api/v1/pods?fieldSelector=spec.nodeName%3D" + node,
                    headers=auth).json()["items"]
    return [p["metadata"]["name"] for p in items]

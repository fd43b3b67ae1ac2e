"""Real kubectl (Debian's 1.20.2) against tide-sim: cordon, drain with a PDB
that refuses the first eviction and a DaemonSet pod that must be skipped,
then uncordon."""

import os
import shutil
import subprocess

import pytest

KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"

pytestmark = pytest.mark.skipif(not os.access(KUBECTL, os.X_OK),
                                reason="kubectl is not installed (apt-get install "
                                       "kubernetes-client)")


def seed(sim):
    for name in ("kn1", "kn2"):
        assert sim.post("/sim/k8s/nodes", {"metadata": {"name": name}}).status == 201
    sim.post("/sim/k8s/daemonsets", {"metadata": {"name": "ds", "namespace": "kube-system"}})
    sim.post("/sim/k8s/pdbs", {
        "metadata": {"name": "web", "namespace": "default",
                     "annotations": {"tide.sim/deny-first-evictions": "1"}},
        "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}}})
    rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-6b9f",
          "uid": "0b7c7a52-0000-4000-8000-000000000001", "controller": True}
    ds = {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "ds",
          "uid": "0b7c7a52-0000-4000-8000-000000000002", "controller": True}
    pods = [
        ("default", "web-6b9f-aaaaa", "kn1", {"app": "web"}, [rs], None),
        ("default", "web-6b9f-bbbbb", "kn2", {"app": "web"}, [rs], None),
        ("kube-system", "ds-ccccc", "kn1", {"app": "ds"}, [ds], None),
        ("kube-system", "static-kn1", "kn1", {"app": "static"}, [],
         {"kubernetes.io/config.mirror": "abc123"}),
    ]
    for namespace, name, node, labels, owners, notes in pods:
        meta = {"name": name, "namespace": namespace, "labels": labels,
                "ownerReferences": owners}
        if notes:
            meta["annotations"] = notes
        spec = {"nodeName": node, "containers": [{"name": "c", "image": "busybox"}]}
        if name.startswith("web-"):
            spec["volumes"] = [{"name": "cache", "emptyDir": {}}]
        assert sim.post("/sim/k8s/pods", {"metadata": meta, "spec": spec}).status == 201


def unschedulable(sim, node):
    return sim.get("/api/v1/nodes/" + node).json()["spec"].get("unschedulable", False)


def test_kubectl_cordon_drain_uncordon(sim_factory, tmp_path):
    sim = sim_factory()
    seed(sim)
    env = dict(os.environ, HOME=str(tmp_path))
    env.pop("KUBECONFIG", None)

    def kubectl(*args):
        cmd = [KUBECTL, "--server=" + sim.base, "--cache-dir=" + str(tmp_path / "cache")]
        return subprocess.run(cmd + list(args), env=env, capture_output=True, text=True,
                              timeout=90)

    result = kubectl("cordon", "kn1")
    assert result.returncode == 0, result.stderr
    assert "node/kn1 cordoned" in result.stdout
    assert unschedulable(sim, "kn1") is True

    result = kubectl("drain", "kn1", "--ignore-daemonsets", "--delete-emptydir-data",
                     "--timeout=60s")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "ignoring daemonset-managed pods: kube-system/ds-ccccc" in output.lower()
    assert "Cannot evict pod as it would violate the pod's disruption budget." in output
    assert "will retry after 5s" in output
    assert "evicted" in output
    assert unschedulable(sim, "kn1") is True
    assert sim.get("/api/v1/namespaces/default/pods/web-6b9f-aaaaa").status == 404
    assert sim.get("/api/v1/namespaces/kube-system/pods/ds-ccccc").status == 200
    assert sim.get("/api/v1/namespaces/kube-system/pods/static-kn1").status == 200
    evictions = [r["status"] for r in sim.get("/sim/requests").json()
                 if r["target"].endswith("/pods/web-6b9f-aaaaa/eviction")]
    assert evictions == [429, 201]

    result = kubectl("uncordon", "kn1")
    assert result.returncode == 0, result.stderr
    assert "node/kn1 uncordoned" in result.stdout
    assert unschedulable(sim, "kn1") is False

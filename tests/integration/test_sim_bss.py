"""tide-sim BSS: boot parameters (Postgres-style grouping), the iPXE boot
script, endpoint history, plus fault injection and latency."""

import http.client
import re
import subprocess
import sys
import time

import pytest

from conftest import SIM_DIR

NODE = "x1001c1s5b0n0"
K8S_NODE = "x1002c1s0b0n0"
BP = "/boot/v1/bootparameters"
CLOUD_INIT = {"meta-data": None, "user-data": None,
              "phone-home": {"pub_key_dsa": "", "pub_key_rsa": "", "pub_key_ecdsa": "",
                             "instance_id": "", "hostname": "", "fqdn": ""}}
IMAGES = "http://images.tide.invalid/boot-images"


def test_get_all_is_grouped_like_postgres(zinal):
    params = zinal.get(BP).json()
    assert len(params) == 2
    rocky = next(p for p in params if "tide.image=rocky9" in p["params"])
    assert list(rocky) == ["hosts", "macs", "nids", "params", "kernel", "initrd", "cloud-init"]
    assert len(rocky["hosts"]) == 40 and NODE in rocky["hosts"]
    assert rocky["macs"] == [] and rocky["nids"] == []
    assert rocky["cloud-init"] == CLOUD_INIT
    assert rocky["kernel"] == IMAGES + "/rocky9/vmlinuz-5.14.0-570.26.1.el9_6.x86_64"


def test_get_selected_and_404(zinal):
    sel = zinal.get(BP + "?name=%s,%s" % (NODE, K8S_NODE)).json()
    assert sorted(h for p in sel for h in p["hosts"]) == [NODE, K8S_NODE]
    assert len(zinal.get(BP + "?name=%s&name=x1001c1s5b0n1" % NODE).json()[0]["hosts"]) == 2
    assert zinal.get(BP + "?nid=1").json()[0]["hosts"] == [NODE]
    assert zinal.get(BP + "?mac=02:00:00:00:00:01").json()[0]["hosts"] == [NODE]
    resp = zinal.get(BP + "?name=x9c0s0b0n0")
    assert resp.status == 404 and resp.header("Content-Type") == "application/problem+json"
    assert resp.json()["detail"] == "Cannot find boot parameters for requested Hosts"
    resp = zinal.get(BP + "?name=x9c0s0b0n0&nid=99999")
    assert resp.json()["detail"] == "Cannot find boot parameters for requested Hosts or NIDs"
    assert zinal.get(BP + "?nid=abc").status == 400


def test_empty_bss_answers_null(sim_factory):
    resp = sim_factory().get(BP)
    assert resp.status == 200 and resp.body.strip() == b"null"


def test_post_put_patch_delete(zinal):
    new = {"hosts": ["x9c0s0b0n0", "x9c0s0b0n1"], "kernel": "k", "initrd": "i",
           "params": "p tide.image=x"}
    resp = zinal.post(BP, new)
    assert resp.status == 201 and resp.body == b""
    assert re.match(r"^[0-9a-f-]{36}$", resp.header("BSS-Referral-Token"))
    assert zinal.post(BP, {**new, "hosts": ["x9c0s0b0n0"]}).status == 400  # all exist
    resp = zinal.put(BP, {"hosts": [NODE], "kernel": "k2", "initrd": "i2",
                          "params": "q tide.image=slurm"})
    assert resp.status == 200 and resp.body == b""
    assert resp.header("Content-Type") == "application/json; charset=UTF-8"
    got = zinal.get(BP + "?name=" + NODE).json()
    assert got == [{"hosts": [NODE], "macs": [], "nids": [], "params": "q tide.image=slurm",
                    "kernel": "k2", "initrd": "i2", "cloud-init": CLOUD_INIT}]
    assert zinal.put(BP, {"hosts": ["x1001c1s5b0"], "kernel": "k"}).status == 400  # a BMC
    resp = zinal.patch(BP, {"hosts": [NODE], "params": "patched", "kernel": ""})
    assert resp.status == 200 and resp.body == b""
    got = zinal.get(BP + "?name=" + NODE).json()[0]
    assert got["params"] == "patched" and got["kernel"] == "k2"
    resp = zinal.patch(BP, {"hosts": ["x9c0s1b0n0"], "params": "x"})
    assert resp.status == 404 and resp.json()["detail"].startswith("Not Found")
    resp = zinal.delete(BP, {"hosts": [NODE]})
    assert resp.status == 200 and resp.body == b""
    assert zinal.get(BP + "?name=" + NODE).status == 404
    assert zinal.put(BP, raw=b"{broken").status == 400


def test_bootscript_ipxe_text(zinal):
    resp = zinal.get("/boot/v1/bootscript?name=" + NODE)
    assert resp.status == 200 and resp.header("Content-Type") == "text/plain; charset=UTF-8"
    token = re.search(r"bss_referral_token=([0-9a-f-]+)", resp.text).group(1)
    expected = (
        "#!ipxe\n"
        "kernel --name kernel {img}/rocky9/vmlinuz-5.14.0-570.26.1.el9_6.x86_64 initrd=initrd "
        "nomodeset ro root=live:{img}/rocky9/rootfs ip=dhcp overlayroot=tmpfs "
        "console=ttyS0,115200 tide.image=rocky9 xname={node} nid=1 bss_referral_token={tok} "
        "ds=nocloud-net;s={base}/ || goto boot_retry\n"
        "initrd --name initrd {img}/rocky9/initramfs-5.14.0-570.26.1.el9_6.x86_64.img "
        "|| goto boot_retry\n"
        "boot || goto boot_retry\n"
        ":boot_retry\n"
        "sleep 30\n"
        "chain {base}/boot/v1/bootscript?name={node}&retry=1\n\n"
    ).format(img=IMAGES, node=NODE, tok=token, base=zinal.base)
    assert resp.text == expected
    by_mac = zinal.get("/boot/v1/bootscript?mac=02:00:00:00:00:01&retry=2").text
    assert "BOOTIF=01-02-00-00-00-00-01" in by_mac
    assert "bootscript?mac=02:00:00:00:00:01&retry=3" in by_mac


def test_bootscript_json_and_errors(zinal):
    data = zinal.get("/boot/v1/bootscript?nid=1&json=1").json()
    assert data["params"].startswith("kernel initrd=initrd nomodeset ")
    assert data["kernel"] == {"path": IMAGES + "/rocky9/vmlinuz-5.14.0-570.26.1.el9_6.x86_64",
                              "params": ""}
    assert data["initrd"]["path"].endswith(".img")
    resp = zinal.get("/boot/v1/bootscript")
    assert resp.status == 400 and resp.json()["detail"] == "Need a mac=, name=, or nid= parameter"
    assert zinal.get("/boot/v1/bootscript?name=x9c0s0b0n0").status == 404


def test_endpoint_history_records_boots(zinal):
    url = "/boot/v1/endpoint-history?name=%s&endpoint=bootscript" % NODE
    assert zinal.get(url).json() == [{"name": NODE, "endpoint": "bootscript", "last_epoch": 0}]
    # Fetching the script as a client does not count; a node booting does.
    zinal.get("/boot/v1/bootscript?name=" + NODE)
    assert zinal.get(url).json()[0]["last_epoch"] == 0
    before = int(time.time())
    assert zinal.post("/sim/nodes/%s/kexec" % NODE).status == 202
    epoch = zinal.wait_for(lambda: zinal.get(url).json()[0]["last_epoch"])
    assert epoch >= before
    assert zinal.get("/boot/v1/service/status").json() == {"bss-status": "running"}


def test_faults_and_latency(zinal):
    rule = {"method": "PUT", "path": "^/boot/v1/bootparameters", "status": 500,
            "body": "{garbage", "content_type": "application/problem+json", "count": 2}
    assert zinal.post("/sim/faults", rule).status == 201
    body = {"hosts": [NODE], "kernel": "k", "params": "p"}
    for _ in range(2):
        resp = zinal.put(BP, body)
        assert resp.status == 500 and resp.body == b"{garbage"
        assert resp.header("Content-Type") == "application/problem+json"
    assert zinal.put(BP, body).status == 200  # count used up
    assert zinal.get(BP + "?name=" + NODE).status == 200  # GET never matched
    zinal.post("/sim/faults", {"path": "/groups", "status": 503, "count": -1})
    assert zinal.get("/hsm/v2/groups").status == 503
    assert zinal.get("/hsm/v2/groups").status == 503
    assert len(zinal.get("/sim/faults").json()) == 1
    assert zinal.delete("/sim/faults").status == 204
    assert zinal.get("/hsm/v2/groups").status == 200
    zinal.post("/sim/latency", {"ms": 300})
    start = time.time()
    zinal.get("/hsm/v2/groups/labels")
    assert time.time() - start >= 0.3
    zinal.post("/sim/latency", {"ms": 0})
    assert any(line == "PUT /boot/v1/bootparameters 500" for line in zinal.log_lines())


def test_faults_can_drop_the_connection(zinal):
    zinal.post("/sim/faults", {"path": "^/boot/v1/service/status$", "drop": True})
    with pytest.raises((OSError, http.client.HTTPException)):
        zinal.get("/boot/v1/service/status")
    assert zinal.get("/boot/v1/service/status").status == 200


def test_site_flag_with_many_nodes_loads(sim_factory, tmp_path):
    """Benchmarks use synthetic sites with 1000+ nodes."""
    site = tmp_path / "big.json"
    with open(site, "w") as out:
        subprocess.run([sys.executable, SIM_DIR + "/sites/gen-site.py", "--nodes", "1200"],
                       stdout=out, check=True)
    start = time.time()
    sim = sim_factory(site=str(site))
    assert time.time() - start < 10
    comps = sim.get("/hsm/v2/State/Components?type=Node").json()["Components"]
    assert len(comps) == 1200
    groups = {g["label"]: len(g["members"]["ids"]) for g in sim.get("/hsm/v2/groups").json()}
    assert groups == {"bench": 120, "k8s_workers": 16, "nodes_free": 1064}

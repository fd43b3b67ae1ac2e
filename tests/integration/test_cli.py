"""The `tide` CLI's inventory views against tide-sim: inventory, node, pools,
dump (and --from), and bad input that must give one error line, never a crash.

The binary is ./helper/tide, or $TIDE_BIN.
"""

import json
import os
import socket
import subprocess

import pytest

from conftest import REPO, TIDE_SIM_SEED, ZINAL

TIDE = os.environ.get("TIDE_BIN") or os.path.join(REPO, "helper", "tide")

EPYC7742 = "AMD EPYC 7742 64-Core Processor"
A100 = "NVIDIA_A100-SXM4-80GB"
MI200 = "AMD INSTINCT MI200 (MCM) OAM LC"
EMPTY_SLOT_NODE = "x1001c1s6b0n0"
CRASH_MARKS = ("Segmentation", "Sanitizer", "runtime error", "Aborted", "core dumped", "LeakSanitizer")


# ---- helpers -----------------------------------------------------------------------------------

def run(*args, conf=None, env_extra=None, timeout=60):
    """Run tide; returns (exit status, stdout, stderr)."""
    env = dict(os.environ)
    env.pop("TIDE_CONF", None)
    env.update(env_extra or {})
    cmd = [TIDE] + (["-c", str(conf)] if conf else []) + [str(a) for a in args]
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          env=env, timeout=timeout)
    return proc.returncode, proc.stdout, proc.stderr


def run_ok(*args, **kw):
    rc, out, err = run(*args, **kw)
    assert rc == 0, err
    assert err == ""
    return out


def run_json(*args, **kw):
    return json.loads(run_ok(*args, "--json", **kw))


def assert_one_error(rc, out, err, *needles):
    """Exit 1, nothing on stdout, exactly one stderr line `tide: error: ...` holding every needle."""
    for mark in CRASH_MARKS:
        assert mark not in err, err
    assert rc == 1, (rc, err)
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("tide: error: "), err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def write_conf(path, sim_base, token_file=None, extra=""):
    kubeconfig = path.parent / "kubeconfig"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\n")
    text = (
        "SmdUrl=%(b)s/hsm/v2\nBssUrl=%(b)s/boot/v1\nPcsUrl=%(b)s/power-control/v1\n"
        "Retries=0\nConnectTimeout=2\nRequestTimeout=20\n"
        "Pool=zinal Kind=tenant\n"
        "Pool=free Group=nodes_free Kind=free Cost=1\n"
        "Pool=k8s Group=k8s_workers Kind=kubernetes Cost=20 Kubeconfig=%(k)s\n"
        % {"b": sim_base, "k": kubeconfig})
    if token_file:
        text += "TokenFile=%s\n" % token_file
    path.write_text(text + extra)
    return path


@pytest.fixture
def conf(zinal, tmp_path):
    return write_conf(tmp_path / "tide.conf", zinal.base)


def site():
    with open(ZINAL) as f:
        return json.load(f)


def seed_expected_nodes():
    """The seed's hardware of the zinal group, written out by hand (the test's contract)."""
    nodes = []
    for s in (5, 6, 7):
        for b in (0, 1):
            for n in (0, 1):
                x = "x1001c1s%db%dn%d" % (s, b, n)
                dimms = 15 if x == EMPTY_SLOT_NODE else 16
                nodes.append((x, {EPYC7742: 2}, {}, dimms * 16384))
    return nodes


def check_seed_inventory(doc):
    assert doc["group"] == "zinal"
    assert len(doc["nodes"]) == 16
    assert all(set(n) == {"xname", "processors", "accelerators", "memory_mib", "hsn_nics"}
               for n in doc["nodes"])
    by_name = {n["xname"]: n for n in doc["nodes"]}
    assert len(by_name) == 16
    for x, procs, accels, mib in seed_expected_nodes():
        assert by_name[x]["processors"] == procs, x
        assert by_name[x]["accelerators"] == accels, x
        assert by_name[x]["memory_mib"] == mib, x
    for x in ("x1005c0s4b0n0", "x1005c0s4b0n1"):
        assert by_name[x]["accelerators"] == {A100: 4}, x
    for x in ("x1006c1s4b0n0", "x1006c1s4b1n0"):
        assert by_name[x]["accelerators"] == {MI200: 8}, x
    # Rows come in natural xname order.
    assert [n["xname"] for n in doc["nodes"]][:4] == [
        "x1001c1s5b0n0", "x1001c1s5b0n1", "x1001c1s5b1n0", "x1001c1s5b1n1"]
    assert [n["xname"] for n in doc["nodes"]][-4:] == [
        "x1005c0s4b0n0", "x1005c0s4b0n1", "x1006c1s4b0n0", "x1006c1s4b1n0"]


def sim_requests(sim):
    return [(r["method"], r["target"]) for r in sim.get("/sim/requests").json()]


# ---- tide inventory --------------------------------------------------------------------------

def test_inventory_json_is_the_seed(zinal, conf):
    zinal.delete("/sim/requests")
    check_seed_inventory(run_json("inventory", "zinal", conf=conf))
    # One GET of the group and ONE bulk inventory query, not one per node.
    assert sim_requests(zinal) == [("GET", "/hsm/v2/groups/zinal"),
                                   ("GET", "/hsm/v2/Inventory/Hardware/Query/s0")]


def test_inventory_of_a_sim_seeded_through_the_write_apis(sim_factory, tmp_path):
    sim = sim_factory()
    path = write_conf(tmp_path / "tide.conf", sim.base)
    assert_one_error(*run("inventory", "zinal", conf=path), "No such group: zinal")
    subprocess.run([TIDE_SIM_SEED, sim.base, ZINAL], check=True, timeout=120)
    check_seed_inventory(run_json("inventory", "zinal", conf=path))


def test_inventory_text_matrix(conf):
    out = run_ok("inventory", "zinal", conf=conf)
    lines = out.splitlines()
    assert len(lines) == 17
    header = lines[0]
    assert header.startswith("NODE ") and header.endswith("ERROR")
    for column in (EPYC7742, A100, MI200, "16384 MiB", "SS11 200Gb 2P NIC Mezz REV02 (HSN)"):
        assert column in header
    rows = {line.split()[0]: line for line in lines[1:]}
    assert "✅ (2)" in rows["x1001c1s5b0n0"] and "✅ (16)" in rows["x1001c1s5b0n0"]
    assert "❌" in rows["x1001c1s5b0n0"]
    assert rows[EMPTY_SLOT_NODE].endswith("empty slot: x1001c1s6b0n0d15")
    assert "✅ (15)" in rows[EMPTY_SLOT_NODE]
    assert "✅ (4)" in rows["x1005c0s4b0n0"] and "✅ (8)" in rows["x1006c1s4b0n0"]
    # The ERROR column starts at the same display column in every row that has one.
    assert not rows["x1001c1s5b0n0"].rstrip().endswith("d15")
    # Cells are aligned by display width: ✅/❌ count two columns each.
    def width(s):
        return sum(2 if ch in "✅❌" else 1 for ch in s)
    col = width(header[:header.index("ERROR")])
    row = rows[EMPTY_SLOT_NODE]
    assert width(row[:row.index("empty slot")]) == col


def test_inventory_unknown_group(conf):
    assert_one_error(*run("inventory", "nosuch", conf=conf), "SMD", "404", "No such group: nosuch")


# ---- tide node --------------------------------------------------------------------------------

def test_node_shows_missing_info(conf):
    out = run_ok("node", EMPTY_SLOT_NODE, conf=conf)
    lines = out.splitlines()
    assert lines[0].split() == ["NODE", "COMPONENT", "TYPE", "INFO"]
    d15 = [line for line in lines if "x1001c1s6b0n0d15" in line]
    assert len(d15) == 1 and d15[0].split()[2] == "Memory"
    assert d15[0].endswith("*** Missing info")
    assert sum("16384 MiB" in line for line in lines) == 15
    assert sum(EPYC7742 in line for line in lines) == 2


def test_node_json(conf):
    doc = run_json("node", "X01001C1S6B0N0", conf=conf)
    assert doc["xname"] == EMPTY_SLOT_NODE
    assert doc["processors"] == {EPYC7742: 2}
    assert doc["memory_mib"] == 15 * 16384
    assert doc["empty_slots"] == ["x1001c1s6b0n0d15"]
    assert doc["profile"].startswith("2x " + EPYC7742 + ", 240 GiB")
    comps = {c["xname"]: c for c in doc["components"]}
    assert comps["x1001c1s6b0n0d15"] == {"xname": "x1001c1s6b0n0d15", "type": "Memory",
                                          "info": "*** Missing info", "empty": True}
    assert comps["x1001c1s6b0n0p0"]["info"] == EPYC7742
    gpu = run_json("node", "x1005c0s4b0n0", conf=conf)
    assert sum(c["type"] == "NodeAccel" and c["info"] == A100 for c in gpu["components"]) == 4


@pytest.mark.parametrize("xname", ["x1001c1s6b0", "nonsense", "x1001c9s6b0n0"])
def test_node_invalid_xname(conf, xname):
    assert_one_error(*run("node", xname, conf=conf), "'%s' is not a node xname" % xname)


def test_node_without_inventory(conf):
    assert_one_error(*run("node", "x9c0s0b0n0", conf=conf), "no hardware inventory for x9c0s0b0n0")


# ---- tide pools --------------------------------------------------------------------------------

def expected_profiles(data, label):
    """Profiles computed independently from the site file: node -> profile string."""
    hw = {}
    for entry in data["hardware"]:
        for item in [entry] + [c for key in ("Processors", "Memory", "NodeAccels", "NodeHsnNics")
                               for c in entry.get(key, [])]:
            hw[item["ID"]] = item
    group = next(g for g in data["groups"] if g["label"] == label)
    result = {}
    for x in group["members"]["ids"]:
        procs, accels, nics, mib = {}, {}, {}, 0
        for hid, item in hw.items():
            if not hid.startswith(x) or hid == x or item.get("Status") == "Empty":
                continue
            fru = item.get("PopulatedFRU", {})
            if item["Type"] == "Processor":
                m = fru["ProcessorFRUInfo"]["Model"]
                procs[m] = procs.get(m, 0) + 1
            elif item["Type"] == "NodeAccel":
                m = fru["NodeAccelFRUInfo"]["Model"]
                accels[m] = accels.get(m, 0) + 1
            elif item["Type"] == "NodeHsnNic":
                m = item["NodeHsnNicLocationInfo"]["Description"]
                nics[m] = nics.get(m, 0) + 1
            elif item["Type"] == "Memory":
                mib += fru["MemoryFRUInfo"]["CapacityMiB"]
        parts = ["%dx %s" % (v, k) for k, v in sorted(procs.items())]
        parts += ["%dx %s" % (v, k) for k, v in sorted(accels.items())]
        parts += ["%d GiB" % (mib // 1024)]
        parts += ["%dx %s" % (v, k) for k, v in sorted(nics.items())]
        result[x] = ", ".join(parts)
    return result


def test_pools_counts(conf):
    data = site()
    doc = run_json("pools", conf=conf)
    assert [p["pool"] for p in doc["pools"]] == ["zinal", "free", "k8s"]
    for pool, label, kind in (("zinal", "zinal", "tenant"), ("free", "nodes_free", "free"),
                              ("k8s", "k8s_workers", "kubernetes")):
        got = next(p for p in doc["pools"] if p["pool"] == pool)
        want = expected_profiles(data, label)
        assert got["kind"] == kind and got["group"] == label and got["group_exists"] is True
        assert got["nodes"] == len(want)
        counts = {}
        for x, profile in want.items():
            counts[profile] = counts.get(profile, 0) + 1
        assert {p["profile"]: p["nodes"] for p in got["profiles"]} == counts
        assert sorted(x for p in got["profiles"] for x in p["xnames"]) == sorted(want)
        assert [p["nodes"] for p in got["profiles"]] == sorted(counts.values(), reverse=True)
    zinal = doc["pools"][0]["profiles"]
    assert zinal[0] == {"profile": "2x %s, 256 GiB, 1x SS11 200Gb 2P NIC Mezz REV02 (HSN)" % EPYC7742,
                        "nodes": 11, "xnames": zinal[0]["xnames"]}
    assert {p["nodes"] for p in zinal[1:]} == {2, 1}

    out = run_ok("pools", conf=conf)
    lines = out.splitlines()
    assert lines[0].split() == ["POOL", "KIND", "GROUP", "NODES", "PROFILE"]
    assert lines[1].split()[:4] == ["zinal", "tenant", "zinal", "11"]
    assert sum(line.startswith("free ") for line in lines) == 1


def test_pools_with_a_missing_group(zinal, tmp_path):
    path = write_conf(tmp_path / "tide.conf", zinal.base, extra="Pool=ghost Group=nope Kind=tenant\n")
    doc = run_json("pools", conf=path)
    ghost = doc["pools"][-1]
    assert ghost == {"pool": "ghost", "kind": "tenant", "group": "nope", "group_exists": False,
                     "nodes": 0, "profiles": []}
    assert "(no such SMD group)" in run_ok("pools", conf=path).splitlines()[-1]


# ---- tide dump and --from ----------------------------------------------------------------------

def test_dump_round_trips(zinal, conf, tmp_path):
    out = tmp_path / "site.json"
    assert run_ok("dump", "-o", out, conf=conf) == ""
    dump = json.loads(out.read_text())
    assert set(dump) == {"components", "groups", "inventory"}
    # SMD's own bodies, untouched.
    assert dump["components"] == zinal.get("/hsm/v2/State/Components?type=Node").json()
    assert dump["groups"] == zinal.get("/hsm/v2/groups").json()
    assert dump["inventory"] == zinal.get("/hsm/v2/Inventory/Hardware/Query/s0").json()
    assert json.loads(run_ok("dump", conf=conf)) == dump

    # Offline: the same answers from the dump, with no tide.conf and no SMD.
    for args in (("inventory", "zinal"), ("node", EMPTY_SLOT_NODE)):
        live = run_json(*args, conf=conf)
        offline = run_json("--from", out, *args, conf=tmp_path / "absent.conf")
        assert offline == live
    assert run_json("--from", out, "pools", conf=conf) == run_json("pools", conf=conf)
    # A dump of a dump is the dump.
    assert json.loads(run_ok("--from", out, "dump")) == dump
    assert_one_error(*run("--from", out, "inventory", "nosuch"), "dump %s: no such group: nosuch" % out)


def test_dump_output_file_is_not_left_half_written(zinal, conf, tmp_path):
    out = tmp_path / "site.json"
    out.write_text("previous")
    zinal.post("/sim/faults", {"method": "GET", "path": "^/hsm/v2/Inventory/Hardware/Query/s0$",
                               "status": 500, "count": -1})
    assert_one_error(*run("dump", "-o", out, conf=conf), "HTTP 500")
    assert out.read_text() == "previous"
    assert sorted(os.listdir(tmp_path)) == sorted(["site.json", "tide.conf", "kubeconfig"])


def test_bad_dump_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert_one_error(*run("--from", bad, "inventory", "zinal"), "dump %s: not JSON" % bad)
    assert_one_error(*run("--from", tmp_path / "none.json", "inventory", "zinal"),
                     "cannot read %s" % (tmp_path / "none.json"))
    good = tmp_path / "good.json"
    good.write_text('{"groups": [], "inventory": {}, "components": {}}')
    assert_one_error(*run("--from", good, "dump", "-o", tmp_path / "no" / "dir.json"),
                     "cannot write %s" % (tmp_path / "no" / "dir.json"))


# ---- bad input: one line, exit 1, never a crash ----------------------------------------------

COMMANDS = [("inventory", "zinal"), ("node", EMPTY_SLOT_NODE), ("pools",), ("dump",)]


@pytest.mark.parametrize("args", COMMANDS)
def test_malformed_conf(tmp_path, args):
    path = tmp_path / "tide.conf"
    path.write_text("SmdUrl=http://127.0.0.1:1/hsm/v2\n# pools\nPool=free Group=nodes_free\n")
    assert_one_error(*run(*args, conf=path),
                     "%s:3: Pool=free needs Kind=free|kubernetes|slurm|tenant" % path)


def test_missing_conf(tmp_path):
    path = tmp_path / "nope.conf"
    assert_one_error(*run("inventory", "zinal", conf=path), "cannot read %s" % path)
    assert_one_error(*run("inventory", "zinal", env_extra={"TIDE_CONF": str(path)}),
                     "cannot read %s" % path)


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.mark.parametrize("args", COMMANDS)
def test_unreachable_smd(tmp_path, args):
    base = "http://127.0.0.1:%d" % closed_port()
    path = write_conf(tmp_path / "tide.conf", base)
    assert_one_error(*run(*args, conf=path), "SMD", base + "/hsm/v2/")


@pytest.mark.parametrize("args", COMMANDS)
def test_unauthorized(sim_factory, tmp_path, args):
    sim = sim_factory(site=ZINAL, token="the-right-token")
    token = tmp_path / "token"
    token.write_text("a-wrong-token\n")
    path = write_conf(tmp_path / "tide.conf", sim.base, token_file=token)
    line = assert_one_error(*run(*args, conf=path), "SMD", "401")
    assert "Unauthorized" in line


@pytest.mark.parametrize("args", COMMANDS)
def test_server_error(zinal, conf, args):
    zinal.post("/sim/faults", {"path": "^/hsm/v2/", "status": 500, "count": -1,
                               "content_type": "application/problem+json",
                               "body": json.dumps({"type": "about:blank", "title": "Internal Server Error",
                                                   "detail": "database is on fire", "status": 500})})
    assert_one_error(*run(*args, conf=conf), "SMD", "HTTP 500", "database is on fire")


@pytest.mark.parametrize("args", COMMANDS)
def test_garbage_json(zinal, conf, args):
    zinal.post("/sim/faults", {"path": "^/hsm/v2/", "status": 200, "count": -1,
                               "content_type": "application/json", "body": "{not json"})
    assert_one_error(*run(*args, conf=conf), "SMD", "not JSON")


def test_wrong_shape_json(zinal, conf):
    zinal.post("/sim/faults", {"path": "^/hsm/v2/Inventory/Hardware/Query/s0$", "status": 200,
                               "count": -1, "body": "[1, 2, 3]"})
    assert_one_error(*run("inventory", "zinal", conf=conf), "SMD", "Inventory/Hardware/Query/s0",
                     "not a JSON object")


def test_usage_errors(conf):
    for args in (("inventory",), ("inventory", "a", "b"), ("node",), ("pools", "extra"),
                 ("inventory", "--bogus", "zinal"), ("frobnicate",), ()):
        rc, out, err = run(*args, conf=conf)
        assert rc == 2, (args, err)
        assert out == ""
        assert len(err.splitlines()) == 1 and err.startswith("tide: error: "), (args, err)


def test_help_and_version():
    rc, out, err = run("--help")
    assert rc == 0 and err == ""
    for name in ("inventory", "node", "pools", "dump"):
        assert "\n  %s " % name in out
    for name in ("inventory", "node", "pools", "dump"):
        rc, out, err = run(name, "--help")
        assert rc == 0 and out.startswith("Usage: tide %s" % name) and err == ""
    rc, out, err = run("--version")
    assert rc == 0 and out.startswith("tide ")

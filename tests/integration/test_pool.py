"""`tide pool plan` and `tide pool apply` against tide-sim.

The seed example zinal:nvidia:2:mi200:4:7742:6:memory:80 on the zinal site,
live and from a dump; apply, then SMD read back; races with a second client
(an injected 409, and real ones: the other client moves the node between
tide's calls), SMD 500s on a DELETE and on a POST, bounded re-plans, a
reservation held by someone else, exclusiveGroup checks, and the errors that
must be one line.  After every apply scenario, every node that started in a
group of exclusiveGroup "tide" is in exactly one such group, and running the
same command again converges on the plan.

The binary is ./helper/tide, or $TIDE_BIN.
"""

import json
import os
import socket
import subprocess
import threading
import time

import pytest

from conftest import REPO

TIDE = os.environ.get("TIDE_BIN") or os.path.join(REPO, "helper", "tide")
CRASH_MARKS = ("Segmentation", "Sanitizer", "runtime error", "Aborted", "core dumped", "LeakSanitizer")

SEED = "zinal:nvidia:2:mi200:4:7742:6:memory:80"
# The plan tests/unit/test_solver.c finds by hand and by brute force.
SEED_MEMBERS = ["x1001c1s5b0n0", "x1001c1s5b0n1", "x1001c1s6b0n0", "x1005c0s4b0n0", "x1006c1s4b0n0"]
SEED_REMOVED = ["x1001c1s5b1n0", "x1001c1s5b1n1", "x1001c1s6b0n1", "x1001c1s6b1n0", "x1001c1s6b1n1",
                "x1001c1s7b0n0", "x1001c1s7b0n1", "x1001c1s7b1n0", "x1001c1s7b1n1", "x1005c0s4b0n1",
                "x1006c1s4b1n0"]
PLAN_KEYS = {"target", "parents", "members", "add", "remove", "request", "supply", "waste", "solve_us"}
APPLY_KEYS = {"target", "parents", "exclusive_group", "dry_run", "ok", "error", "plan", "plans",
              "created_target", "moves", "calls", "members", "verified", "notes", "timings_ms"}
MOVE_KEYS = {"node", "from", "to", "plan", "result", "put_back", "now", "error", "ms"}
# 12 A100 GPUs: zinal's two A100 nodes and one from nodes_free; everything else leaves zinal.
# Adds come first, so the removals (POSTs to nodes_free) follow a successful addition.
ADD_PATTERN = "zinal:nvidia:12"


# ---- helpers -----------------------------------------------------------------------------------

def run(*args, conf=None, timeout=120):
    env = dict(os.environ)
    env.pop("TIDE_CONF", None)
    cmd = [TIDE] + (["-c", str(conf)] if conf else []) + [str(a) for a in args]
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env,
                          timeout=timeout)
    for mark in CRASH_MARKS:
        assert mark not in proc.stderr, proc.stderr
    return proc.returncode, proc.stdout, proc.stderr


def run_ok(*args, **kw):
    rc, out, err = run(*args, **kw)
    assert rc == 0, err
    assert err == ""
    return out


def run_json(*args, **kw):
    return json.loads(run_ok(*args, "--json", **kw))


def one_error(rc, out, err, *needles, stdout_empty=True):
    """Exit 1 and exactly one stderr line `tide: error: ...` holding every needle."""
    assert rc == 1, (rc, err)
    if stdout_empty:
        assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("tide: error: "), err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def write_conf(tmp_path, sim, retries=0):
    path = tmp_path / "tide.conf"
    path.write_text("SmdUrl=%s/hsm/v2\nRetries=%d\nConnectTimeout=2\nRequestTimeout=20\n"
                    % (sim.base, retries))
    return path


@pytest.fixture
def conf(zinal, tmp_path):
    return write_conf(tmp_path, zinal)


def groups(sim):
    """label -> (exclusiveGroup, set of members), as SMD says now."""
    resp = sim.get("/hsm/v2/groups")
    assert resp.status == 200
    return {g["label"]: (g.get("exclusiveGroup"), set(g["members"]["ids"])) for g in resp.json()}


def tide_nodes(sim):
    return set().union(*(m for excl, m in groups(sim).values() if excl == "tide"))


def assert_each_node_in_one_group(sim, nodes):
    """Every node in exactly one group of exclusiveGroup "tide" (the managed groups and their peers)."""
    g = groups(sim)
    for node in nodes:
        holders = [label for label, (excl, members) in g.items() if excl == "tide" and node in members]
        assert len(holders) == 1, (node, holders)


def members(sim, label):
    return sorted(groups(sim)[label][1])


def fault(sim, **rule):
    resp = sim.post("/sim/faults", rule)
    assert resp.status in (200, 201, 204), resp.text


def problem(status, title, detail):
    return json.dumps({"type": "about:blank", "title": title, "detail": detail, "status": status})


def writes(sim):
    return [(r["method"], r["target"]) for r in sim.get("/sim/requests").json() if r["method"] != "GET"]


def reserved(sim, nodes):
    resp = sim.post("/hsm/v2/locks/status", {"ComponentIDs": sorted(nodes)})
    return sorted(c["ID"] for c in resp.json()["Components"] if c["Reserved"])


class Racer:
    """A second client: when `trigger` appears in tide-sim's log, it runs `act` (once)."""

    def __init__(self, sim, trigger, act):
        self.sim, self.trigger, self.act = sim, trigger, act
        self.done = threading.Event()
        self.result = None
        self.start = len(sim.log_lines())
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self):
        deadline = time.time() + 60
        while time.time() < deadline:
            if any(self.trigger in line for line in self.sim.log_lines()[self.start:]):
                self.result = self.act()
                self.done.set()
                return
            time.sleep(0.002)

    def join(self):
        self.thread.join(70)
        assert self.done.is_set(), "the racer never saw " + self.trigger


def take(sim, node, source, dest="k8s_workers"):
    """Another party's move: the node leaves `source` (if given) for `dest` (same exclusiveGroup)."""
    statuses = []
    if source:
        statuses.append(sim.delete("/hsm/v2/groups/%s/members/%s" % (source, node)).status)
    statuses.append(sim.post("/hsm/v2/groups/%s/members" % dest, {"id": node}).status)
    return statuses


def converges(sim, conf, pattern, want_members):
    """Running the same command again ends with the plan's membership, with no move left over."""
    rc, out, err = run("pool", "apply", pattern, "--json", conf=conf)
    assert rc == 0, err
    report = json.loads(out)
    assert report["ok"] and report["verified"]
    assert sorted(report["members"]) == sorted(want_members)
    assert members(sim, "zinal") == sorted(want_members)
    # And a third run has nothing to do.
    again = run_json("pool", "apply", pattern, conf=conf)
    assert again["moves"] == [] and again["verified"]
    return report


# ---- tide pool plan ------------------------------------------------------------------------------

def check_seed_plan(plan):
    assert set(plan) == PLAN_KEYS
    assert plan["target"] == "zinal"
    assert plan["parents"] == ["nodes_free"]
    assert plan["members"] == SEED_MEMBERS
    assert plan["add"] == []
    assert plan["remove"] == SEED_REMOVED
    assert plan["request"] == {"7742": 6, "memory": 80, "mi200": 4, "nvidia": 2}
    assert plan["supply"] == {"7742": 6, "memory": 111, "mi200": 8, "nvidia": 4,
                              "amd epyc 7713 64-core processor": 1, "amd epyc 7a53 64-core processor": 1,
                              "ss11 200gb 2p nic mezz rev02 (hsn)": 11}
    want = 0 / 48 + 31 / 895 + 4 / 64 + 2 / 32 + 1 / 8 + 1 / 8 + 11 / 88
    assert abs(plan["waste"] - want) < 1e-9
    assert isinstance(plan["solve_us"], int) and plan["solve_us"] >= 0


def test_plan_seed_live_and_from_dump(zinal, conf, tmp_path):
    live = run_json("pool", "plan", SEED, conf=conf)
    check_seed_plan(live)
    live.pop("solve_us")

    dump = tmp_path / "site.json"
    assert run_ok("dump", "-o", dump, conf=conf) == ""
    # Offline: no tide.conf needed; --from after the command or before it.
    for args in (("pool", "plan", SEED, "--from", dump), ("--from", dump, "pool", "plan", SEED)):
        offline = run_json(*args, conf=tmp_path / "absent.conf")
        check_seed_plan(offline)
        offline.pop("solve_us")
        assert offline == live
    # The pattern is case-insensitive and --keep changes nothing here (every chosen node is a member).
    keep = run_json("pool", "plan", SEED.upper(), "--keep", "--from", dump)
    check_seed_plan(keep)
    assert zinal.get("/sim/requests").json()[-1]["method"] == "GET"
    assert not writes(zinal)


def test_plan_text(conf):
    out = run_ok("pool", "plan", SEED, conf=conf)
    lines = out.splitlines()
    assert lines[0] == "pattern zinal:7742:6:memory:80:mi200:4:nvidia:2"
    assert lines[1] == ("candidates: 40 nodes in zinal (16 nodes, exclusiveGroup tide) and nodes_free "
                        "(24 nodes, exclusiveGroup tide)")
    # The new zinal as the inventory matrix: one row per chosen node.
    head = lines.index("zinal as planned:") + 1
    assert lines[head].startswith("NODE ") and lines[head].endswith("ERROR")
    assert "AMD EPYC 7742 64-Core Processor" in lines[head]
    assert [line.split()[0] for line in lines[head + 1:head + 6]] == SEED_MEMBERS
    assert "empty slot: x1001c1s6b0n0d15" in lines[head + 3]
    assert lines[head + 6] == ""
    # Wanted against got, requested terms first.
    types = lines.index("TYPE                                WANTED  GOT  CANDIDATES")
    assert lines[types + 1].split() == ["7742", "6", "6", "48"]
    assert lines[types + 2].split() == ["memory", "80", "111", "895"]
    assert lines[types + 5].split()[-3:] == ["-", "1", "8"]
    # The moves, then the summary and the solver's reason.
    moves = [line.split() for line in lines if line.startswith("out ")]
    assert moves == [["out", x, "zinal", "nodes_free"] for x in SEED_REMOVED]
    assert "5 nodes in 3 chassis, 0 in, 11 out, waste 0.5346, solved in " in out
    assert lines[-1].startswith("why: 5 nodes in 3 chassis give 7742 6/6, memory 111/80, mi200 8/4, nvidia 4/2;")


def test_plan_for_a_group_that_does_not_exist_yet(conf):
    plan = run_json("pool", "plan", "newpool:mi200:8", conf=conf)
    assert plan["target"] == "newpool" and plan["members"] == plan["add"] and len(plan["add"]) == 1
    assert plan["remove"] == []
    out = run_ok("pool", "plan", "newpool:mi200:8", conf=conf)
    assert "newpool (no such group yet: apply creates it)" in out.splitlines()[1]


def test_plan_with_several_parents(conf):
    plan = run_json("pool", "plan", "zinal:7742:40", "--parent", "nodes_free", "--parent", "K8S_WORKERS",
                    conf=conf)
    assert plan["parents"] == ["nodes_free", "k8s_workers"]
    assert plan["request"] == {"7742": 40} and plan["supply"]["7742"] >= 40


@pytest.mark.parametrize("args,needles", [
    (("zinal:nvidia:2:mi200",), ("field 4", "mi200", "no quantity")),
    (("zinal:nvidia:0",), ("field 3",)),
    (("zinal:nvidia:2:NVIDIA:3",), ("field 4", "repeats field 2")),
    (("zinal:nvidia:200:h100:1",), ("not enough hardware for pool zinal among the 40 candidate nodes",
                                    "h100 wanted 1, available 0", "nvidia wanted 200, available 32")),
    (("zinal:nvidia:2", "--parent", "nosuch"), ("has no group nosuch (a parent group of pool zinal)",)),
    (("zinal:nvidia:2", "--parent", "zinal"), ("target group cannot also be a parent",)),
])
@pytest.mark.parametrize("command", ["plan", "apply"])
def test_errors_are_one_line(zinal, conf, command, args, needles):
    zinal.delete("/sim/requests")
    one_error(*run("pool", command, *args, conf=conf), *needles)
    assert not writes(zinal)


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_unreachable_smd(tmp_path, command):
    path = tmp_path / "tide.conf"
    path.write_text("SmdUrl=http://127.0.0.1:%d/hsm/v2\nRetries=0\nConnectTimeout=2\n" % closed_port())
    one_error(*run("pool", command, SEED, conf=path), "SMD: GET http://127.0.0.1:", "/hsm/v2/")


def test_usage_errors(conf, tmp_path):
    for args in (("pool",), ("pool", "plan"), ("pool", "bogus"), ("pool", "plan", SEED, "extra"),
                 ("pool", "plan", SEED, "--dry-run"), ("pool", "apply", SEED, "--from", tmp_path / "x"),
                 ("pool", "plan", SEED, "--bogus")):
        rc, out, err = run(*args, conf=conf)
        assert rc == 2 and out == "" and len(err.splitlines()) == 1 and "--help" in err, (args, err)
    for args in (("pool", "--help"), ("pool", "plan", "--help"), ("pool", "apply", "--help")):
        assert "Usage: tide pool" in run_ok(*args)


# ---- tide pool apply -------------------------------------------------------------------------------

def test_apply_seed_then_read_back(zinal, conf):
    before = tide_nodes(zinal)
    plan = run_json("pool", "plan", SEED, conf=conf)
    zinal.delete("/sim/requests")
    report = run_json("pool", "apply", SEED, conf=conf)
    assert set(report) == APPLY_KEYS
    assert report["ok"] and report["error"] is None and report["verified"]
    assert report["plans"] == 1 and not report["created_target"] and not report["dry_run"]
    assert report["exclusive_group"] == "tide"
    report["plan"].pop("solve_us"), plan.pop("solve_us")
    assert report["plan"] == plan
    assert [m["node"] for m in report["moves"]] == SEED_REMOVED
    for m in report["moves"]:
        assert set(m) == MOVE_KEYS
        assert (m["from"], m["to"], m["result"], m["now"], m["put_back"], m["error"], m["plan"]) == \
            ("zinal", "nodes_free", "moved", "nodes_free", False, None, 1)
    assert report["members"] == SEED_MEMBERS
    assert report["notes"] == ['SMD groups zinal, nodes_free share exclusiveGroup "tide"']
    assert set(report["timings_ms"]) == {"plan", "reserve", "moves", "verify", "total"}

    # SMD itself: zinal is the plan, the others went to nodes_free, one group each, nothing reserved.
    assert members(zinal, "zinal") == SEED_MEMBERS
    assert set(SEED_REMOVED) <= set(members(zinal, "nodes_free"))
    # The wire: reserve (rigid) -> DELETE then POST per node -> release.
    w = writes(zinal)
    assert w[0] == ("POST", "/hsm/v2/locks/service/reservations")
    assert w[-1] == ("POST", "/hsm/v2/locks/service/reservations/release")
    pairs = w[1:-1]
    assert pairs == [step for x in SEED_REMOVED for step in
                     (("DELETE", "/hsm/v2/groups/zinal/members/" + x), ("POST", "/hsm/v2/groups/nodes_free/members"))]
    reqs = zinal.get("/sim/requests").json()
    reservation = next(r for r in reqs if r["target"] == "/hsm/v2/locks/service/reservations")
    assert json.loads(reservation["body"]) == {"ComponentIDs": SEED_REMOVED, "ProcessingModel": "rigid",
                                              "ReservationDuration": 15}
    assert tide_nodes(zinal) == before
    assert_each_node_in_one_group(zinal, before)
    assert reserved(zinal, before) == []

    # Idempotent: nothing left to do.
    again = run_json("pool", "apply", SEED, conf=conf)
    assert again["moves"] == [] and again["verified"] and again["members"] == SEED_MEMBERS


def test_apply_text_report(zinal, conf):
    out = run_ok("pool", "apply", SEED, conf=conf)
    lines = out.splitlines()
    assert 'SMD groups zinal, nodes_free share exclusiveGroup "tide"' in lines
    head = lines.index("NODE           FROM   TO          PLAN  RESULT  NOW         MS")
    assert [line.split()[:6] for line in lines[head + 1:head + 12]] == \
        [[x, "zinal", "nodes_free", "1", "moved", "nodes_free"] for x in SEED_REMOVED]
    assert "zinal holds 5 nodes in SMD, as planned (read back and checked)" in lines
    assert lines[-1].startswith("11 of 11 moves done in 1 plan; plan ")


def test_dry_run_lists_the_calls_and_changes_nothing(zinal, conf):
    zinal.delete("/sim/requests")
    report = run_json("pool", "apply", SEED, "--dry-run", conf=conf)
    assert report["dry_run"] and report["ok"] and not report["verified"]
    assert not writes(zinal)
    assert members(zinal, "zinal") != SEED_MEMBERS
    base = zinal.base + "/hsm/v2"
    calls = [(c["method"], c["url"], c["body"]) for c in report["calls"]]
    assert calls[0] == ("POST", base + "/locks/service/reservations",
                        {"ComponentIDs": SEED_REMOVED, "ProcessingModel": "rigid", "ReservationDuration": 15})
    assert calls[1:-2] == [c for x in SEED_REMOVED for c in (
        ("DELETE", base + "/groups/zinal/members/" + x, None),
        ("POST", base + "/groups/nodes_free/members", {"id": x}))]
    assert calls[-2][:2] == ("POST", base + "/locks/service/reservations/release")
    assert calls[-1] == ("GET", base + "/groups?group=zinal&group=nodes_free", None)
    assert [m["result"] for m in report["moves"]] == ["not tried"] * 11
    text = run_ok("pool", "apply", SEED, "--dry-run", conf=conf)
    assert "  DELETE %s/groups/zinal/members/x1001c1s5b1n0" % base in text.splitlines()
    assert '  POST %s/groups/nodes_free/members {"id":"x1001c1s5b1n0"}' % base in text.splitlines()


def test_apply_creates_a_missing_target_group(zinal, conf):
    before = tide_nodes(zinal)
    report = run_json("pool", "apply", "newpool:mi200:8", conf=conf)
    assert report["ok"] and report["created_target"] and report["verified"]
    assert 'created SMD group newpool with exclusiveGroup "tide"' in report["notes"]
    g = zinal.get("/hsm/v2/groups/newpool").json()
    assert g["exclusiveGroup"] == "tide" and g["description"] == "tide pool newpool:mi200:8"
    assert g["members"]["ids"] == report["members"] and len(report["members"]) == 1
    assert_each_node_in_one_group(zinal, before)


def test_apply_refuses_a_group_of_another_exclusive_group(zinal, conf):
    assert zinal.post("/hsm/v2/groups", {"label": "loose", "description": "no exclusiveGroup"}).status == 201
    assert zinal.post("/hsm/v2/groups", {"label": "elsewhere", "exclusiveGroup": "other"}).status == 201
    zinal.delete("/sim/requests")
    one_error(*run("pool", "apply", "loose:nvidia:4", conf=conf), "SMD group loose has no exclusiveGroup",
              'exclusiveGroup "tide"', "re-create loose")
    one_error(*run("pool", "apply", "zinal:nvidia:4", "--parent", "elsewhere", conf=conf),
              'SMD group elsewhere has exclusiveGroup "other"')
    assert not writes(zinal)
    # plan shows it, and does not mind.
    assert "loose (0 nodes, no exclusiveGroup)" in run_ok("pool", "plan", "loose:nvidia:4", conf=conf)


def test_apply_with_a_node_reserved_by_someone_else(zinal, conf):
    held = zinal.post("/hsm/v2/locks/service/reservations",
                      {"ComponentIDs": ["x1001c1s7b0n0"], "ReservationDuration": 5})
    assert held.status == 200
    zinal.delete("/sim/requests")
    one_error(*run("pool", "apply", SEED, conf=conf), "cannot reserve the 11 nodes to move",
              "Component is Reserved")
    assert writes(zinal) == [("POST", "/hsm/v2/locks/service/reservations")]
    assert len(members(zinal, "zinal")) == 16


# ---- races ------------------------------------------------------------------------------------------

def test_injected_409_replans_and_converges(zinal, conf):
    """SMD answers 409 to one member POST: the node goes back where it was and tide plans again."""
    before = tide_nodes(zinal)
    fault(zinal, method="POST", path="^/hsm/v2/groups/nodes_free/members$", status=409, count=1,
          content_type="application/problem+json",
          body=problem(409, "Conflict", "operation would conflict with an existing member in another exclusive group."))
    report = run_json("pool", "apply", SEED, conf=conf)
    assert report["ok"] and report["verified"] and report["plans"] == 2
    first = report["moves"][0]
    # Plan 1 put it back in zinal; plan 2 moved it: it is in nodes_free now.
    assert (first["node"], first["result"], first["put_back"], first["now"], first["plan"]) == \
        ("x1001c1s5b1n0", "not moved", True, "nodes_free", 1)
    assert "409" in first["error"]
    assert [m["node"] for m in report["moves"][1:]] == SEED_REMOVED
    assert all(m["result"] == "moved" and m["plan"] == 2 for m in report["moves"][1:])
    assert any(n.startswith("plan 1 stopped: another party changed x1001c1s5b1n0") for n in report["notes"])
    assert members(zinal, "zinal") == SEED_MEMBERS
    assert_each_node_in_one_group(zinal, before)
    converges(zinal, conf, SEED, SEED_MEMBERS)


def test_real_race_between_delete_and_post(sim_factory, tmp_path):
    """Another client puts the node in k8s_workers while tide waits between its DELETE and its POST:
    SMD itself answers tide's POST with 409 (one exclusiveGroup), tide leaves the node to the
    winner and plans again."""
    from conftest import ZINAL
    sim = sim_factory(site=ZINAL)
    conf = write_conf(tmp_path, sim, retries=1)
    before = tide_nodes(sim)
    node = SEED_REMOVED[0]
    # tide's first POST to nodes_free gets a 429: it waits (>= 125 ms) and sends it again.
    fault(sim, method="POST", path="^/hsm/v2/groups/nodes_free/members$", status=429, count=1)
    racer = Racer(sim, "POST /hsm/v2/groups/nodes_free/members 429", lambda: take(sim, node, None))
    rc, out, err = run("pool", "apply", SEED, "--json", conf=conf)
    racer.join()
    assert racer.result == [201]          # the other client won: tide had already taken the node out of zinal
    assert rc == 0, err
    report = json.loads(out)
    first = report["moves"][0]
    assert (first["node"], first["result"], first["now"], first["put_back"]) == (node, "taken", "k8s_workers", False)
    assert "409" in first["error"]
    assert report["plans"] == 2 and report["verified"]
    assert any("%s was taken by another party" % node in n for n in report["notes"])
    # The new plan no longer counts the node; the rest is as before.
    assert [m["node"] for m in report["moves"][1:]] == SEED_REMOVED[1:]
    assert members(sim, "zinal") == SEED_MEMBERS
    assert node in members(sim, "k8s_workers")
    assert_each_node_in_one_group(sim, before)
    # tide's own requests: its POST really reached SMD's handler and lost (409), then its put-back too.
    reqs = [(r["method"], r["target"], r["status"]) for r in sim.get("/sim/requests").json()]
    assert ("POST", "/hsm/v2/groups/nodes_free/members", 409) in reqs
    converges(sim, conf, SEED, SEED_MEMBERS)


def test_real_race_on_a_node_being_added(sim_factory, tmp_path):
    """The node tide pulls into zinal is taken on the way: tide plans again and picks another one."""
    from conftest import ZINAL
    sim = sim_factory(site=ZINAL)
    conf = write_conf(tmp_path, sim, retries=1)
    before = tide_nodes(sim)
    plan = run_json("pool", "plan", ADD_PATTERN, conf=conf)
    assert len(plan["add"]) == 1
    wanted = plan["add"][0]
    fault(sim, method="POST", path="^/hsm/v2/groups/zinal/members$", status=429, count=1)
    racer = Racer(sim, "POST /hsm/v2/groups/zinal/members 429", lambda: take(sim, wanted, None))
    report = run_json("pool", "apply", ADD_PATTERN, conf=conf)
    racer.join()
    assert report["ok"] and report["plans"] == 2 and report["verified"]
    assert (report["moves"][0]["node"], report["moves"][0]["result"]) == (wanted, "taken")
    replan = report["plan"]
    assert wanted not in replan["members"] and len(replan["add"]) == 1
    assert replan["add"][0] in members(sim, "zinal")
    assert members(sim, "zinal") == sorted(replan["members"])
    assert_each_node_in_one_group(sim, before)
    converges(sim, conf, ADD_PATTERN, replan["members"])


def test_node_gone_before_the_delete(sim_factory, tmp_path):
    """Another party moves a node out of zinal after tide planned: tide's DELETE gets 404."""
    from conftest import ZINAL
    sim = sim_factory(site=ZINAL)
    conf = write_conf(tmp_path, sim, retries=1)
    before = tide_nodes(sim)
    node = SEED_REMOVED[1]
    fault(sim, method="POST", path="^/hsm/v2/groups/nodes_free/members$", status=429, count=1)
    racer = Racer(sim, "POST /hsm/v2/groups/nodes_free/members 429", lambda: take(sim, node, "zinal"))
    report = run_json("pool", "apply", SEED, conf=conf)
    racer.join()
    assert racer.result == [200, 201]
    second = report["moves"][1]
    assert (second["node"], second["result"], second["now"]) == (node, "taken", "k8s_workers")
    assert "404" in second["error"]
    assert report["ok"] and report["plans"] == 2 and members(sim, "zinal") == SEED_MEMBERS
    assert_each_node_in_one_group(sim, before)
    converges(sim, conf, SEED, SEED_MEMBERS)


def test_replans_are_bounded(zinal, conf):
    before = tide_nodes(zinal)
    fault(zinal, method="POST", path="^/hsm/v2/groups/nodes_free/members$", status=409, count=-1,
          content_type="application/problem+json", body=problem(409, "Conflict", "conflict"))
    rc, out, err = run("pool", "apply", SEED, "--json", conf=conf)
    one_error(rc, out, err, "gave up after 4 plans", stdout_empty=False)
    report = json.loads(out)
    assert not report["ok"] and report["plans"] == 4 and report["error"] in err
    assert [(m["node"], m["result"], m["put_back"], m["now"]) for m in report["moves"]] == \
        [(SEED_REMOVED[0], "not moved", True, "zinal")] * 4
    assert len(members(zinal, "zinal")) == 16
    assert_each_node_in_one_group(zinal, before)
    assert reserved(zinal, before) == []
    zinal.delete("/sim/faults")
    converges(zinal, conf, SEED, SEED_MEMBERS)


# ---- SMD failing ------------------------------------------------------------------------------------

def test_500_on_a_delete(zinal, conf):
    before = tide_nodes(zinal)
    bad = SEED_REMOVED[3]
    fault(zinal, method="DELETE", path="/groups/zinal/members/%s$" % bad, status=500, count=1,
          content_type="application/problem+json", body=problem(500, "Internal Server Error", "database is sad"))
    rc, out, err = run("pool", "apply", SEED, conf=conf)
    line = one_error(rc, out, err, "moving %s from zinal to nodes_free" % bad, "HTTP 500", "database is sad",
                     stdout_empty=False)
    assert "DELETE" in line
    table = {l.split()[0]: l.split() for l in out.splitlines() if l.startswith("x1")}
    for x in SEED_REMOVED[:3]:
        assert table[x][4:6] == ["moved", "nodes_free"]
    assert table[bad][4:7] == ["not", "moved", "zinal"]
    for x in SEED_REMOVED[4:]:
        assert table[x][4:8] == ["not", "tried", "zinal", "-"]
    assert any(l.startswith(bad + ": SMD: DELETE") for l in out.splitlines())
    assert "3 of 11 moves done in 1 plan" in out
    assert "SMD's groups do not match the plan yet: run the same command again to finish" in out
    assert len(members(zinal, "zinal")) == 13
    assert_each_node_in_one_group(zinal, before)
    assert reserved(zinal, before) == []
    converges(zinal, conf, SEED, SEED_MEMBERS)


def test_500_on_a_post_puts_the_node_back(zinal, conf):
    before = tide_nodes(zinal)
    plan = run_json("pool", "plan", ADD_PATTERN, conf=conf)
    assert len(plan["add"]) == 1 and plan["remove"]
    # The addition goes through; the first removal's POST to nodes_free fails after its DELETE.
    fault(zinal, method="POST", path="^/hsm/v2/groups/nodes_free/members$", status=500, count=1,
          content_type="application/problem+json", body=problem(500, "Internal Server Error", "disk full"))
    rc, out, err = run("pool", "apply", ADD_PATTERN, "--json", conf=conf)
    one_error(rc, out, err, "moving %s from zinal to nodes_free" % plan["remove"][0], "disk full",
              stdout_empty=False)
    report = json.loads(out)
    assert not report["ok"] and not report["verified"] and report["plans"] == 1
    moves = report["moves"]
    assert (moves[0]["node"], moves[0]["result"], moves[0]["now"]) == (plan["add"][0], "moved", "zinal")
    assert (moves[1]["node"], moves[1]["result"], moves[1]["put_back"], moves[1]["now"]) == \
        (plan["remove"][0], "not moved", True, "zinal")
    assert "HTTP 500" in moves[1]["error"]
    assert [(m["result"], m["now"]) for m in moves[2:]] == [("not tried", "zinal")] * (len(plan["remove"]) - 1)
    assert sorted(report["members"]) == members(zinal, "zinal")
    assert_each_node_in_one_group(zinal, before)
    assert reserved(zinal, before) == []
    plan.pop("solve_us")
    final = converges(zinal, conf, ADD_PATTERN, plan["members"])
    final["plan"].pop("solve_us")
    assert final["plan"]["members"] == plan["members"]
    assert final["plan"]["add"] == [] and final["plan"]["remove"] == plan["remove"]


def test_node_stranded_when_smd_refuses_to_take_it_back(zinal, conf):
    """SMD refuses the POST and every put-back: the one case tide cannot repair; the report says
    exactly which node is in no group and how to put it back."""
    node = SEED_REMOVED[0]
    fault(zinal, method="POST", path="^/hsm/v2/groups/(nodes_free|zinal)/members$", status=503, count=-1,
          content_type="application/problem+json", body=problem(503, "Service Unavailable", "read-only"))
    rc, out, err = run("pool", "apply", SEED, "--json", conf=conf)
    one_error(rc, out, err, "moving %s from zinal to nodes_free" % node, "in no group", stdout_empty=False)
    report = json.loads(out)
    first = report["moves"][0]
    assert (first["result"], first["now"]) == ("stranded", None)
    assert 'POST /groups/zinal/members {"id":"%s"}' % node in first["error"]
    assert all(node not in m for _, m in groups(zinal).values())
    zinal.delete("/sim/faults")
    # Put it back as the report says; then the same command finishes the job.
    assert zinal.post("/hsm/v2/groups/zinal/members", {"id": node}).status == 201
    converges(zinal, conf, SEED, SEED_MEMBERS)

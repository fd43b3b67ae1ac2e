"""tided's SMD group moves in bulk, end to end on the testbed.

A job of several free-pool nodes is claimed with a fresh read and one PUT of members per
group (no DELETE or POST per node), and given back the same way.  A rival that takes one
of the nodes while tided's PUT into the Slurm pool is on its way (tide-sim holds that PUT
two seconds, then serves it) makes SMD refuse the whole list: tided then claims node by
node, the rival keeps its node (a lost race: no strike), and no node is ever in two pools.

Needs root, the Debian Slurm and munge packages, and a build with helper/tided and helper/tide.
"""

import pytest

import testbed_util
from testbed_util import TIDE, TIDED

PREFIX = "tidebulk"
SUSPEND_TIME = 10
SUSPEND_TIMEOUT = 5
RELEASE = SUSPEND_TIME + SUSPEND_TIMEOUT + 40
FEATURE = "epyc7742"

pytestmark = testbed_util.needs(("slurmctld", "slurmd", "munged", "scontrol", "ip", "nsenter"), built=(TIDED, TIDE))


@pytest.fixture(scope="module")
def bed():
    with testbed_util.quick(PREFIX, SUSPEND_TIME, SUSPEND_TIMEOUT) as b:
        yield b


def free_nodes(bed):
    """Powered-down nodes of nodes_free with FEATURE, by name."""
    slurm = bed.all_nodes()
    return sorted(n for n in bed.members("nodes_free") if n in slurm
                  and FEATURE in slurm[n].get("AvailableFeatures", "").split(",")
                  and "POWERED_DOWN" in slurm[n]["State"] and "DRAIN" not in slurm[n]["State"])


def group_writes(bed, nodes):
    """tide-sim's log of group writes since the last clear: (method, target) of the PUTs,
    and the per-node DELETEs and POSTs that name one of `nodes`."""
    reqs = [r for r in bed.get("/sim/requests") if "/hsm/v2/groups/" in r["target"]]
    puts = [(r["method"], r["target"], r["status"]) for r in reqs if r["method"] == "PUT"]
    per_node = [(r["method"], r["target"], r["status"]) for r in reqs if r["method"] in ("DELETE", "POST")
                and any(n in r["target"] or n in r["body"] for n in nodes)]
    return puts, per_node


def test_a_job_of_four_nodes_is_claimed_in_bulk(bed):
    free = free_nodes(bed)
    assert len(free) >= 4, free
    bed.send("DELETE", "/sim/requests")
    sampler = testbed_util.GroupSampler(bed, free)
    sampler.start()
    try:
        out = bed.sl("srun", "-N4", "-C", FEATURE, "--chdir", bed.jobdir, "hostname").stdout.split()
        nodes = set(out)
        assert len(nodes) == 4 and nodes <= set(free), out
        assert nodes <= bed.members("slurm")
        puts, per_node = group_writes(bed, nodes)
        assert ("PUT", "/hsm/v2/groups/nodes_free/members", 201) in puts, puts
        assert ("PUT", "/hsm/v2/groups/slurm/members", 201) in puts, puts
        assert not per_node, per_node
        for n in nodes:
            claims = [e for e in bed.journal(n) if e["step"] == "claim"]
            assert claims and claims[-1]["result"] == "ok" and claims[-1]["from"] == "nodes_free", claims

        # Given back after SuspendTime: home in nodes_free, and only there.
        bed.wait_home(nodes, "nodes_free", timeout=RELEASE)
        for n in nodes:
            assert ("home-group", "ok") in bed.steps(n)
    finally:
        sampler.stop()
        sampler.join(5)
    assert sampler.samples > 10 and not sampler.errors, sampler.errors
    assert not sampler.doubles, sampler.doubles


def test_a_rival_during_a_bulk_claim_wins_its_node_alone(bed):
    a, b, c = free_nodes(bed)[:3]
    exclusive = bed.get("/hsm/v2/groups/nodes_free")["exclusiveGroup"]
    assert bed.send("POST", "/hsm/v2/groups", {"label": "rival", "exclusiveGroup": exclusive}) == 201
    bed.send("DELETE", "/sim/requests")
    # tided's PUT into the Slurm pool is held 2 s, then served: time for the rival to act.
    assert bed.send("POST", "/sim/faults", {"method": "PUT", "path": "^/hsm/v2/groups/slurm/members$",
                                            "delay_ms": 2000, "pass": True, "count": 1}) == 201
    sampler = testbed_util.GroupSampler(bed, (a, b, c), period=0.05)
    sampler.start()
    try:
        job = bed.sbatch("-N3", "-w", ",".join((a, b, c)), script="hostname", tag="rival")
        # The PUT out of nodes_free is done: the three are on their way to the Slurm pool.
        bed.wait("the bulk claim to empty nodes_free of %s,%s,%s" % (a, b, c),
                 lambda: not {a, b, c} & bed.members("nodes_free"), timeout=40, step=0.05, nodes=(a, b, c))
        assert bed.send("POST", "/hsm/v2/groups/rival/members", {"id": b}) == 201

        # SMD refuses the held list whole; tided claims a and c one by one and loses b.
        bed.wait("%s and %s claimed node by node" % (a, c), lambda: {a, c} <= bed.members("slurm"),
                 timeout=30, nodes=(a, b, c))
        assert bed.exclusive_groups().get(b) == ["rival"]
        puts, per_node = group_writes(bed, (a, b, c))
        assert ("PUT", "/hsm/v2/groups/slurm/members", 500) in puts, puts
        assert ("POST", "/hsm/v2/groups/slurm/members", 409) in per_node, per_node
        assert [s for s in per_node if s[0] == "POST" and s[2] == 201], per_node
        bed.wait("%s's claim to fail" % b,
                 lambda: [e for e in bed.journal(b) if e["step"] == "claim" and e["result"] == "failed"],
                 timeout=10, nodes=(b,))
        failed = [e for e in bed.journal(b) if e["step"] == "claim" and e["result"] == "failed"][-1]
        assert "HTTP 409" in failed["error"], failed
        assert ("strike", "failed") not in bed.steps(b)   # a lost race is no fault of the node

        bed.sl("scancel", str(job))
        bed.wait_home([a, c], "nodes_free", timeout=RELEASE)
        assert bed.exclusive_groups().get(b) == ["rival"]   # never taken back from another party
    finally:
        sampler.stop()
        sampler.join(5)
        bed.send("DELETE", "/sim/faults")
        groups = bed.exclusive_groups()
        if groups.get(b) == ["rival"]:
            bed.send("DELETE", "/hsm/v2/groups/rival/members/" + b)
            bed.send("POST", "/hsm/v2/groups/nodes_free/members", {"id": b})
    assert not sampler.errors, sampler.errors
    assert not sampler.doubles, sampler.doubles

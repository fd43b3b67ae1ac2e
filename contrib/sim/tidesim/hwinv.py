"""SMD hardware inventory: /hsm/v2/Inventory/Hardware[...].

Entries are stored flat (one HWInvByLoc per location), indexed by the node
they belong to, so Query/<node> and Query/s0 stay linear in the answer size
even for sites with thousands of nodes.
"""

from . import xname as xn
from .smd import body_json
from .web import json_response, problem, smd_message

# Child arrays of a node in the NestNodesOnly format, in the order of the Go
# struct (pkg/sm/hwinv.go).  Spelling follows the code: NodeHsnNics.
NODE_CHILDREN = [("Processor", "Processors"), ("Memory", "Memory"),
                 ("NodeAccel", "NodeAccels"), ("NodeHsnNic", "NodeHsnNics"),
                 ("Drive", "Drives"), ("NodeAccelRiser", "NodeAccelRisers")]
CHILD_KEY = dict(NODE_CHILDREN)

# Top-level arrays of sm.SystemHWInventory for everything not nested.
TOP_LEVEL = {"Cabinet": "Cabinets", "Chassis": "Chassis", "ComputeModule": "ComputeModules",
             "RouterModule": "RouterModules", "NodeEnclosure": "NodeEnclosures",
             "HSNBoard": "HSNBoards", "Node": "Nodes", **CHILD_KEY}

FILTER_KEYS = {"manufacturer": "Manufacturer", "partnumber": "PartNumber",
               "serialnumber": "SerialNumber", "fruid": "FRUID"}


class HardwareStore:
    def __init__(self):
        self.entries = {}
        self.by_node = {}  # node xname -> set of child location xnames
        self.owner = {}  # location xname -> the node it belongs to (or None)

    def put(self, entry):
        """Store one HWInvByLoc; nested child arrays are flattened first.
        The entry dict is taken over (not copied): site loading of thousands
        of nodes must stay fast, and request bodies are not reused."""
        children = []
        for _, key in NODE_CHILDREN:
            children.extend(entry.pop(key, None) or [])
        hid = xn.normalize(entry.get("ID", ""))
        htype = xn.hms_type(hid)
        if htype is None or htype in ("System", "Partition"):
            raise ValueError("invalid xname ID: %s" % entry.get("ID"))
        entry["ID"] = hid
        entry.setdefault("Type", htype)
        entry.setdefault("Ordinal", 0)
        entry.setdefault("Status", "Populated")
        entry.setdefault("HWInventoryByLocationType", "HWInvByLoc" + entry["Type"])
        self.entries[hid] = entry
        node = xn.node_of(hid)
        self.owner[hid] = node
        if node and node != hid:
            self.by_node.setdefault(node, set()).add(hid)
        for child in children:
            self.put(child)
        return 1 + len(children)

    def delete(self, hid):
        if self.entries.pop(hid, None) is None:
            return False
        node = self.owner.pop(hid, None)
        if node in self.by_node:
            self.by_node[node].discard(hid)
        return True

    def select(self, target, children=True, parents=False):
        """IDs in the subtree of target (s0/all: everything)."""
        if target in ("s0", "all"):
            return set(self.entries)
        if xn.hms_type(target) == "Partition":
            return set()  # no partitions in the simulator
        picked = set()
        if target in self.entries:
            picked.add(target)
        if children:
            if xn.is_node(target):
                picked |= self.by_node.get(target, set())
            elif xn.node_of(target) is None:
                # cabinet, chassis, slot or BMC: normalised xnames make
                # "is an ancestor" a prefix test followed by a letter.
                cut = len(target)
                picked |= {hid for hid in self.entries
                           if hid.startswith(target) and hid[cut:cut + 1].isalpha()}
        if parents:
            picked |= {a for a in xn.ancestors(target) if a in self.entries}
        return picked

    def system_inventory(self, target, ids, nest):
        """sm.SystemHWInventory: per-type arrays present only when non-empty."""
        out = {"XName": target, "Format": "NestNodesOnly" if nest else "FullyFlat"}
        arrays = {}
        nodes = {hid for hid in ids if self.entries[hid]["Type"] == "Node"} if nest else set()
        for hid in sorted(ids, key=xn.natural_key):
            entry = self.entries[hid]
            if nest and entry["Type"] == "Node":
                arrays.setdefault("Nodes", []).append(self._nested_node(hid, ids))
            elif nest and self.owner.get(hid) in nodes and entry["Type"] in CHILD_KEY:
                continue  # already nested under its node
            else:
                key = TOP_LEVEL.get(entry["Type"], entry["Type"] + "s")
                arrays.setdefault(key, []).append(entry)
        out.update(arrays)
        return out

    def _nested_node(self, node, ids):
        nested = dict(self.entries[node])
        kids = sorted((self.by_node.get(node, set()) & ids), key=xn.natural_key)
        for htype, key in NODE_CHILDREN:
            items = [self.entries[k] for k in kids if self.entries[k]["Type"] == htype]
            if items:
                nested[key] = items
        return nested


def hardware_post(st, req):
    data = body_json(req)
    entries = data.get("Hardware") or []
    for entry in entries:
        hid = xn.normalize(entry.get("ID", "") if isinstance(entry, dict) else "")
        if xn.hms_type(hid) in (None, "System", "Partition"):
            return problem(400, "couldn't validate hardware entry: invalid xname ID")
    count = sum(st.hw.put(entry) for entry in entries)
    return smd_message(200, "Created %d entries" % count)


def hardware_get(st, req):
    ids = {xn.normalize(v) for v in req.args("id")}
    types = {v.lower() for v in req.args("type")}
    fields = {key: {v.lower() for v in req.args(name)} for name, key in FILTER_KEYS.items()}
    out = []
    for hid in sorted(st.hw.entries, key=xn.natural_key):
        entry = st.hw.entries[hid]
        if ids and hid not in ids:
            continue
        if types and entry["Type"].lower() not in types:
            continue
        if any(want and _fru_value(entry, key).lower() not in want
               for key, want in fields.items()):
            continue
        out.append(entry)
    return json_response(out)


def _fru_value(entry, key):
    fru = entry.get("PopulatedFRU") or {}
    if key == "FRUID":
        return str(fru.get("FRUID", ""))
    for name, value in fru.items():
        if name.endswith("FRUInfo") and isinstance(value, dict):
            return str(value.get(key, ""))
    return ""


def hardware_delete_all(st, req):
    count = len(st.hw.entries)
    st.hw.entries.clear()
    st.hw.by_node.clear()
    st.hw.owner.clear()
    return smd_message(200, "deleted %d entries" % count)


def hardware_get_one(st, req, xname):
    hid = xn.normalize(xname)
    if not xn.is_valid(hid):
        return problem(400, "invalid xname")
    entry = st.hw.entries.get(hid)
    if entry is None:
        return problem(404, "no such xname.")
    return json_response(entry)


def hardware_delete_one(st, req, xname):
    hid = xn.normalize(xname)
    if not xn.is_valid(hid):
        return problem(400, "invalid xname")
    if not st.hw.delete(hid):
        return problem(404, "no such xname.")
    return smd_message(200, "deleted 1 entry")


def hardware_query(st, req, xname):
    """Always 200, an empty inventory for an unknown but valid xname."""
    target = xn.normalize(xname)
    if not xn.is_valid(target):
        return problem(400, "Invalid xname: " + xname)
    fmt = req.arg("format", "NestNodesOnly")
    if fmt.lower() == "hierarchical":
        return problem(400, "Hierarchical format is not supported")
    if fmt.lower() not in ("nestnodesonly", "fullyflat"):
        return problem(400, "bad query param: invalid format")
    types = []
    for value in req.args("type"):
        if value.lower() not in xn.HMS_TYPES:
            return problem(400, "bad query param: Argument was not a valid HMS Type")
        types.append(xn.HMS_TYPES[value.lower()])
    children = req.arg("children", "true").lower() != "false"
    parents = req.arg("parents", "false").lower() == "true"
    ids = st.hw.select(target, children, parents)
    if types:
        ids = {hid for hid in ids if st.hw.entries[hid]["Type"] in types}
    return json_response(st.hw.system_inventory(target, ids, fmt.lower() == "nestnodesonly"))


def register(router):
    add = router.add
    add("GET", "/hsm/v2/Inventory/Hardware", hardware_get)
    add("POST", "/hsm/v2/Inventory/Hardware", hardware_post)
    add("DELETE", "/hsm/v2/Inventory/Hardware", hardware_delete_all)
    add("GET", "/hsm/v2/Inventory/Hardware/Query/{xname}", hardware_query)
    add("GET", "/hsm/v2/Inventory/Hardware/{xname}", hardware_get_one)
    add("DELETE", "/hsm/v2/Inventory/Hardware/{xname}", hardware_delete_one)

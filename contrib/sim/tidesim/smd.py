"""SMD (HSM) under /hsm/v2: components, groups, memberships and ethernet
interfaces.  Hardware inventory is in hwinv.py, locks in locks.py.

Behaviour follows the OpenCHAMI smd code, not its swagger: 201 bodies use
"URI", JSON decode errors answer 500, PUT members answers 500 on a conflict.
"""

import re

from . import xname as xn
from .web import Abort, json_response, problem, empty, smd_message

STATES = ["Unknown", "Empty", "Populated", "Off", "On", "Standby", "Halt", "Ready"]
FLAGS = ["Unknown", "OK", "Warning", "Alert", "Locked"]

# Key order of hms-base Component, so responses read like the real ones.
COMPONENT_KEYS = ["ID", "Type", "State", "Flag", "Enabled", "SoftwareStatus", "Role",
                  "SubRole", "NID", "NetType", "Arch", "Class", "ReservationDisabled",
                  "Locked"]

# ComponentFilter query parameter -> Component key.
FILTERS = {
    "id": "ID", "type": "Type", "state": "State", "flag": "Flag", "enabled": "Enabled",
    "softwarestatus": "SoftwareStatus", "role": "Role", "subrole": "SubRole",
    "subtype": "Subtype", "arch": "Arch", "class": "Class", "nid": "NID",
    "locked": "Locked", "reservation_disabled": "ReservationDisabled",
}

GROUP_FIELD = re.compile(r"^[-a-z0-9:._]+$")
GROUPS_URI = "/hsm/v2/groups"


class SmdError(Exception):
    """A data-store error, named like hmsds's errors."""


class NoComponent(SmdError):
    def __init__(self):
        super().__init__("linked component does not exist")


class ExclusiveConflict(SmdError):
    pass


class DuplicateMember(SmdError):
    pass


def canonical(value, choices):
    """Case-insensitive match against an enum; None if not a member."""
    for choice in choices:
        if choice.lower() == str(value).lower():
            return choice
    return None


def group_field(value):
    """Lower-case a label/tag/exclusiveGroup; None if it is invalid."""
    norm = (value or "").strip().lower()
    return norm if GROUP_FIELD.match(norm) else None


class SmdStore:
    def __init__(self):
        self.components = {}
        self.groups = {}
        # (component id, namespace) -> group label.  The namespace is the
        # label, or %<exclusiveGroup>% -- the DB's UNIQUE constraint.
        self.namespaces = {}
        self.eth = {}

    # ---- components ----------------------------------------------------------------------

    def put_component(self, comp):
        """Insert or update one component; returns its normalised ID."""
        cid = xn.normalize(comp.get("ID", ""))
        ctype = xn.hms_type(cid)
        if ctype is None:
            raise ValueError("invalid xname ID: %s" % comp.get("ID"))
        old = self.components.get(cid, {})
        new = dict(old)
        new.update({k: v for k, v in comp.items() if k in COMPONENT_KEYS})
        new["ID"] = cid
        new["Type"] = ctype
        state = canonical(new.get("State", "Unknown"), STATES)
        if state is None:
            raise ValueError("invalid state: %s" % new.get("State"))
        new["State"] = state
        new["Flag"] = canonical(new.get("Flag", "OK"), FLAGS) or "OK"
        new.setdefault("Enabled", True)
        new.setdefault("ReservationDisabled", False)
        new.setdefault("Locked", False)
        self.components[cid] = {k: new[k] for k in COMPONENT_KEYS
                                if k in new and new[k] not in ("", None)}
        return cid

    def delete_component(self, cid):
        """Remove a component and, like the FK cascade, its memberships."""
        if self.components.pop(cid, None) is None:
            return False
        for group in self.groups.values():
            if cid in group["members"]:
                self.unlink(group, cid)
        return True

    def set_state(self, cid, state, flag=None):
        comp = self.components.get(cid)
        if comp:
            comp["State"] = state
            if flag:
                comp["Flag"] = flag

    def by_nid(self, nid):
        for comp in self.components.values():
            if str(comp.get("NID", "")) == str(nid):
                return comp
        return None

    def filter_components(self, filters):
        """filters: {lower-case filter name: [values]} as in ComponentFilter."""
        wanted = {}
        for name, values in filters.items():
            values = [v for v in values if v != ""]
            if not values:
                continue
            if name == "id":
                values = [xn.normalize(v) for v in values]
            if name == "type":
                bad = [v for v in values if v.lower() not in xn.HMS_TYPES]
                if bad:
                    raise ValueError("bad query param: Argument was not a valid HMS Type")
            if name == "state" and any(canonical(v, STATES) is None for v in values):
                raise ValueError("bad query param: Argument was not a valid HMS State")
            wanted[name] = [v.lower() for v in values]
        members = None
        if "group" in wanted:
            members = set()
            for label in wanted.pop("group"):
                members |= self.groups.get(label, {}).get("members", set())
        partition = wanted.pop("partition", None)
        nid_start = wanted.pop("nid_start", None)
        nid_end = wanted.pop("nid_end", None)
        out = []
        for cid in sorted(self.components, key=xn.natural_key):
            comp = self.components[cid]
            if members is not None and cid not in members:
                continue
            if partition is not None and "null" not in partition:
                continue  # the simulator has no partitions
            if nid_start and int(comp.get("NID", -1)) < int(nid_start[0]):
                continue
            if nid_end and int(comp.get("NID", 1 << 62)) > int(nid_end[0]):
                continue
            if all(self._matches(comp, name, values) for name, values in wanted.items()):
                out.append(comp)
        return out

    @staticmethod
    def _matches(comp, name, values):
        key = FILTERS.get(name)
        if key is None:
            return True  # output modifiers such as stateonly are ignored
        return str(comp.get(key, "")).lower() in values

    # ---- groups --------------------------------------------------------------------------

    @staticmethod
    def _namespace(group):
        excl = group.get("exclusiveGroup")
        return "%" + excl + "%" if excl else group["label"]

    def link(self, group, cid):
        if cid not in self.components:
            raise NoComponent()
        key = (cid, self._namespace(group))
        holder = self.namespaces.get(key)
        if holder == group["label"]:
            raise DuplicateMember("Would create a duplicate key or non-unique field")
        if holder is not None:
            raise ExclusiveConflict("Would create a duplicate key in another exclusive group")
        self.namespaces[key] = group["label"]
        group["members"].add(cid)

    def unlink(self, group, cid):
        group["members"].discard(cid)
        self.namespaces.pop((cid, self._namespace(group)), None)

    def create_group(self, label, description, excl, tags, ids):
        """Insert a group and its members atomically (one DB transaction)."""
        group = {"label": label, "description": description or "", "tags": tags,
                 "exclusiveGroup": excl, "members": set()}
        try:
            for cid in ids:
                self.link(group, cid)
        except SmdError:
            for cid in list(group["members"]):
                self.unlink(group, cid)
            raise
        self.groups[label] = group

    def replace_members(self, group, ids):
        """OpenCHAMI PUT members: delete all, insert the list, roll back on error."""
        old = sorted(group["members"])
        for cid in old:
            self.unlink(group, cid)
        try:
            for cid in ids:
                self.link(group, cid)
        except SmdError:
            for cid in list(group["members"]):
                self.unlink(group, cid)
            for cid in old:
                self.link(group, cid)
            raise

    def delete_group(self, label):
        group = self.groups.pop(label)
        for cid in list(group["members"]):
            self.namespaces.pop((cid, self._namespace(group)), None)

    @staticmethod
    def group_json(group):
        out = {"label": group["label"], "description": group["description"]}
        if group["tags"]:
            out["tags"] = list(group["tags"])
        if group["exclusiveGroup"]:
            out["exclusiveGroup"] = group["exclusiveGroup"]
        out["members"] = {"ids": sorted(group["members"], key=xn.natural_key)}
        return out

    def labels_of(self, cid):
        return sorted(label for label, g in self.groups.items() if cid in g["members"])

    # ---- ethernet interfaces -------------------------------------------------------------

    def put_eth(self, obj):
        mac = (obj.get("MACAddress") or "").lower()
        eid = (obj.get("ID") or mac.replace(":", "")).lower()
        if not eid:
            raise ValueError("missing MACAddress")
        entry = {"ID": eid, "Description": obj.get("Description", ""), "MACAddress": mac,
                 "LastUpdate": obj.get("LastUpdate", ""),
                 "ComponentID": xn.normalize(obj.get("ComponentID", "")),
                 "Type": obj.get("Type", ""), "IPAddresses": obj.get("IPAddresses") or []}
        if entry["ComponentID"] and not entry["Type"]:
            entry["Type"] = xn.hms_type(entry["ComponentID"]) or ""
        self.eth[eid] = entry
        return eid

    def macs_of(self, cid):
        return [e["MACAddress"] for e in self.eth.values() if e["ComponentID"] == cid]

    def component_of_mac(self, mac):
        entry = self.eth.get(mac.lower().replace(":", "").replace("-", ""))
        return entry["ComponentID"] if entry else None


# ---- request helpers ---------------------------------------------------------------------

def body_json(req, want=dict):
    """SMD answers 500 when a body does not decode (smd-api.go)."""
    try:
        data = req.json()
    except ValueError as err:
        raise Abort(problem(500, "error decoding JSON " + str(err)))
    if not isinstance(data, want):
        raise Abort(problem(500, "error decoding JSON json: cannot unmarshal %s"
                            % type(data).__name__))
    return data


def created(uris, collection):
    """201 [{"URI":..}] with Location, as sendJsonNewResourceIDArray does."""
    if not uris:
        return empty(204)
    location = uris[0] if len(uris) == 1 else collection
    return json_response([{"URI": u} for u in uris], 201, {"Location": location})


def query_filters(req):
    return {key.lower(): values for key, values in req.query.items()}


def label_arg(label):
    norm = group_field(label)
    if norm is None:
        raise Abort(problem(400, "Invalid group label."))
    return norm


def xname_arg(value, detail="invalid xname"):
    norm = xn.normalize(value)
    if not xn.is_valid(norm):
        raise Abort(problem(400, detail))
    return norm


def get_group(st, label):
    group = st.smd.groups.get(label)
    if group is None:
        raise Abort(problem(404, "No such group: " + label))
    return group


# ---- components --------------------------------------------------------------------------

def components_get(st, req):
    try:
        comps = st.smd.filter_components(query_filters(req))
    except ValueError as err:
        return problem(400, str(err))
    return json_response({"Components": comps})


def components_post(st, req):
    data = body_json(req)
    comps = data.get("Components") or []
    for comp in comps:
        if not xn.is_valid(xn.normalize(comp.get("ID", ""))):
            return problem(400, "couldn't validate component: invalid xname ID")
        if canonical(comp.get("State", "Unknown"), STATES) is None:
            return problem(400, "couldn't validate component: invalid state")
    for comp in comps:
        cid = st.smd.put_component(comp)
        st.machines.track(st, cid)
    return empty(204)


def components_query(st, req):
    data = body_json(req)
    filters = {k.lower(): v if isinstance(v, list) else [str(v)]
               for k, v in data.items() if k != "ComponentIDs"}
    filters["id"] = data.get("ComponentIDs") or []
    if not filters["id"]:
        return problem(400, "Missing IDs")
    try:
        comps = st.smd.filter_components(filters)
    except ValueError as err:
        return problem(400, str(err))
    return json_response({"Components": comps})


def component_get(st, req, xname):
    cid = xname_arg(xname, "invalid xname")
    comp = st.smd.components.get(cid)
    if comp is None:
        return problem(404, "no such xname.")
    return json_response(comp)


def component_by_nid(st, req, nid):
    comp = st.smd.by_nid(nid)
    if comp is None:
        return problem(404, "no such nid.")
    return json_response(comp)


def component_delete(st, req, xname):
    cid = xname_arg(xname)
    if not st.smd.delete_component(cid):
        return problem(404, "no such xname.")
    st.machines.nodes.pop(cid, None)  # no component, no simulated hardware
    return smd_message(200, "deleted 1 entry")


def component_patch_state(st, req, xname):
    cid = xname_arg(xname)
    data = body_json(req)
    if cid not in st.smd.components:
        return problem(404, "no such xname.")
    state = canonical(data.get("State", ""), STATES)
    if state is None:
        return problem(400, "invalid state")
    st.smd.set_state(cid, state, canonical(data.get("Flag", ""), FLAGS))
    return empty(204)


def component_patch_enabled(st, req, xname):
    cid = xname_arg(xname)
    data = body_json(req)
    if cid not in st.smd.components:
        return problem(404, "no such xname.")
    st.smd.components[cid]["Enabled"] = bool(data.get("Enabled"))
    return empty(204)


# ---- groups ------------------------------------------------------------------------------

def groups_get(st, req):
    labels = [label_arg(v) for v in req.args("group")]
    tags = []
    for tag in req.args("tag"):
        norm = group_field(tag)
        if norm is None:
            return problem(400, "Invalid tag.")
        tags.append(norm)
    out = []
    for label in sorted(st.smd.groups):
        group = st.smd.groups[label]
        if labels and label not in labels:
            continue
        if tags and not set(tags) & set(group["tags"]):
            continue
        out.append(st.smd.group_json(group))
    return json_response(out)


def validate_group(data):
    """sm.NewGroup: normalise and check label, tags, exclusiveGroup, members."""
    label = group_field(data.get("label"))
    if label is None:
        raise Abort(problem(400, "couldn't validate group: group or partition field "
                                 "has invalid characters"))
    tags = []
    for tag in data.get("tags") or []:
        norm = group_field(tag)
        if norm is None:
            raise Abort(problem(400, "couldn't validate group: group or partition field "
                                     "has invalid characters"))
        tags.append(norm)
    excl = ""
    if data.get("exclusiveGroup"):
        excl = group_field(data["exclusiveGroup"])
        if excl is None:
            raise Abort(problem(400, "couldn't validate group: group or partition field "
                                     "has invalid characters"))
    ids = []
    for raw in (data.get("members") or {}).get("ids") or []:
        cid = xn.normalize(raw)
        if not xn.is_valid(cid):
            raise Abort(problem(400, "couldn't validate group: got invalid xname ID"))
        if cid not in ids:
            ids.append(cid)
    return label, tags, excl, ids


def groups_post(st, req):
    data = body_json(req)
    label, tags, excl, ids = validate_group(data)
    if label in st.smd.groups:
        return problem(409, "operation would conflict with an existing group that "
                            "has the same label.")
    try:
        st.smd.create_group(label, data.get("description", ""), excl, tags, ids)
    except ExclusiveConflict:
        return problem(409, "operation would conflict with an existing member in "
                            "another exclusive group.")
    except SmdError as err:
        return problem(400, str(err))
    return created([GROUPS_URI + "/" + label], GROUPS_URI)


def group_labels(st, req):
    return json_response(sorted(st.smd.groups))


def group_get(st, req, label):
    return json_response(st.smd.group_json(get_group(st, label_arg(label))))


def group_patch(st, req, label):
    data = body_json(req)
    if "description" not in data and "tags" not in data:
        return problem(400, "Request must have at least one patch field.")
    label = label_arg(label)
    tags = None
    if data.get("tags") is not None:
        tags = [group_field(t) for t in data["tags"]]
        if None in tags:
            return problem(400, "Invalid tag.")
    group = st.smd.groups.get(label)
    if group is None:
        return problem(404, "no such group.")
    if data.get("description") is not None:
        group["description"] = data["description"]
    if tags is not None:
        group["tags"] = tags
    return empty(204)


def group_delete(st, req, label):
    label = label_arg(label)
    if label not in st.smd.groups:
        return problem(404, "no such group.")
    st.smd.delete_group(label)
    return smd_message(200, "deleted 1 entry")


def members_get(st, req, label):
    group = get_group(st, label_arg(label))
    return json_response({"ids": sorted(group["members"], key=xn.natural_key)})


def members_post(st, req, label):
    label = label_arg(label)
    data = body_json(req)
    cid = xname_arg(data.get("id", ""), "invalid xname ID")
    group = get_group(st, label)
    try:
        st.smd.link(group, cid)
    except ExclusiveConflict:
        return problem(409, "operation would conflict with an existing member in "
                            "another exclusive group.")
    except DuplicateMember:
        return problem(409, "operation would conflict with an existing member in "
                            "the same group.")
    except SmdError as err:
        return problem(400, str(err))
    return created([GROUPS_URI + "/" + label + "/members/" + cid], GROUPS_URI)


def members_put(st, req, label):
    """OpenCHAMI-only PUT.  The DB errors come back wrapped and are compared by
    equality in the handler, so a conflict or unknown component is a 500."""
    label = label_arg(label)
    data = body_json(req)
    ids = []
    for raw in data.get("ids") or []:
        cid = xname_arg(raw, "invalid xname ID")
        if cid not in ids:
            ids.append(cid)
    group = get_group(st, label)
    try:
        st.smd.replace_members(group, ids)
    except SmdError:
        return problem(500, "operation 'PUT' failed during store.")
    return created([GROUPS_URI + "/" + label + "/members/" + c for c in ids], GROUPS_URI)


def member_delete(st, req, label, xname):
    label = label_arg(label)
    cid = xname_arg(xname, "invalid xname ID")
    group = get_group(st, label)
    if cid not in group["members"]:
        return problem(404, "group has no such member.")
    st.smd.unlink(group, cid)
    return smd_message(200, "deleted 1 entry")


# ---- memberships -------------------------------------------------------------------------

def membership_json(st, cid):
    return {"id": cid, "groupLabels": st.smd.labels_of(cid), "partitionName": ""}


def memberships_get(st, req):
    try:
        comps = st.smd.filter_components(query_filters(req))
    except ValueError as err:
        return problem(400, str(err))
    return json_response([membership_json(st, c["ID"]) for c in comps])


def membership_get(st, req, xname):
    cid = xname_arg(xname)
    if cid not in st.smd.components:
        return problem(404, "No such xname: " + cid)
    return json_response(membership_json(st, cid))


# ---- ethernet interfaces -----------------------------------------------------------------

def eth_get(st, req):
    filters = {
        "ID": [v.lower() for v in req.args("id")],
        "MACAddress": [v.lower() for v in req.args("macaddress")],
        "ComponentID": [xn.normalize(v) for v in req.args("componentid")],
        "Type": [v.lower() for v in req.args("type")],
    }
    out = []
    for eid in sorted(st.smd.eth):
        entry = st.smd.eth[eid]
        if all(not want or str(entry[key]).lower() in want for key, want in filters.items()):
            out.append(entry)
    ips = req.args("ipaddress")
    if ips:
        out = [e for e in out if any(ip["IPAddress"] in ips for ip in e["IPAddresses"])]
    return json_response(out)


def eth_post(st, req):
    data = body_json(req)
    eid = (data.get("ID") or data.get("MACAddress", "").replace(":", "")).lower()
    if eid in st.smd.eth:
        return problem(409, "operation would conflict with an existing resource that "
                            "has the same FQDN or xname ID.")
    try:
        eid = st.smd.put_eth(data)
    except ValueError as err:
        return problem(400, str(err))
    uri = "/hsm/v2/Inventory/EthernetInterfaces/" + eid
    return created([uri], uri)


def eth_get_one(st, req, eid):
    entry = st.smd.eth.get(eid.lower())
    if entry is None:
        return problem(404, "no such ethernet interface.")
    return json_response(entry)


def eth_delete(st, req, eid):
    if st.smd.eth.pop(eid.lower(), None) is None:
        return problem(404, "no such ethernet interface.")
    return smd_message(200, "deleted 1 entry")


# ---- service -----------------------------------------------------------------------------

def service_ready(st, req):
    return smd_message(200, "HSM is healthy")


def register(router):
    add = router.add
    add("GET", "/hsm/v2/service/ready", service_ready)
    add("GET", "/hsm/v2/service/liveness", lambda st, req: empty(204))
    add("GET", "/hsm/v2/State/Components", components_get)
    add("POST", "/hsm/v2/State/Components", components_post)
    add("POST", "/hsm/v2/State/Components/Query", components_query)
    add("GET", "/hsm/v2/State/Components/ByNID/{nid}", component_by_nid)
    add("GET", "/hsm/v2/State/Components/{xname}", component_get)
    add("DELETE", "/hsm/v2/State/Components/{xname}", component_delete)
    add("PATCH", "/hsm/v2/State/Components/{xname}/StateData", component_patch_state)
    add("PATCH", "/hsm/v2/State/Components/{xname}/Enabled", component_patch_enabled)
    add("GET", "/hsm/v2/groups", groups_get)
    add("POST", "/hsm/v2/groups", groups_post)
    add("GET", "/hsm/v2/groups/labels", group_labels)
    add("GET", "/hsm/v2/groups/{label}", group_get)
    add("PATCH", "/hsm/v2/groups/{label}", group_patch)
    add("DELETE", "/hsm/v2/groups/{label}", group_delete)
    add("GET", "/hsm/v2/groups/{label}/members", members_get)
    add("POST", "/hsm/v2/groups/{label}/members", members_post)
    add("PUT", "/hsm/v2/groups/{label}/members", members_put)
    add("DELETE", "/hsm/v2/groups/{label}/members/{xname}", member_delete)
    add("GET", "/hsm/v2/memberships", memberships_get)
    add("GET", "/hsm/v2/memberships/{xname}", membership_get)
    add("GET", "/hsm/v2/Inventory/EthernetInterfaces", eth_get)
    add("POST", "/hsm/v2/Inventory/EthernetInterfaces", eth_post)
    add("GET", "/hsm/v2/Inventory/EthernetInterfaces/{eid}", eth_get_one)
    add("DELETE", "/hsm/v2/Inventory/EthernetInterfaces/{eid}", eth_delete)

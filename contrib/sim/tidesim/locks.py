"""SMD locks and service reservations: /hsm/v2/locks/...

The real service answers 200 (not the 202 of its swagger).  Expired
reservations are reaped every 30 s there; here they are reaped lazily
before every use, which is indistinguishable to a client.
"""

import time

from . import xname as xn
from .smd import body_json
from .util import iso, new_uuid
from .web import json_response, problem

MAX_MINUTES = 15
FILTER_FIELDS = ["Group", "Partition", "Type", "State", "Flag", "Enabled", "Softwarestatus",
                 "Role", "Subrole", "Subtype", "Arch", "Class", "NID"]


class Reservation:
    def __init__(self, cid, minutes, holder):
        self.cid = cid
        self.deputy_key = "%s:dk:%s" % (cid, new_uuid())
        self.reservation_key = "%s:rk:%s" % (cid, new_uuid())
        self.created = time.time()
        self.expires = self.created + 60 * minutes
        self.holder = holder  # "client" or a PCS transition id

    def success_json(self):
        return {"ID": self.cid, "DeputyKey": self.deputy_key,
                "ReservationKey": self.reservation_key, "ExpirationTime": iso(self.expires)}


class LockStore:
    def __init__(self):
        self.reservations = {}

    def reap(self):
        now = time.time()
        for cid in [c for c, r in self.reservations.items() if r.expires <= now]:
            del self.reservations[cid]

    def get(self, cid):
        self.reap()
        return self.reservations.get(cid)

    def blocker(self, comp):
        """Why a component cannot be reserved now, or None."""
        if comp.get("ReservationDisabled"):
            return "Disabled"
        if comp.get("Locked"):
            return "Locked"
        if self.get(comp["ID"]):
            return "Reserved"
        return None

    def reserve(self, cid, minutes, holder="client"):
        res = Reservation(cid, minutes, holder)
        self.reservations[cid] = res
        return res

    def release_held_by(self, holder):
        for cid in [c for c, r in self.reservations.items() if r.holder == holder]:
            del self.reservations[cid]


def processing_model(data):
    model = (data.get("ProcessingModel") or "rigid").lower()
    if model not in ("rigid", "flexible"):
        return None
    return model


def duration(data, default=None):
    """ReservationDuration in minutes, or a problem response."""
    if "ReservationDuration" not in data and default is not None:
        return default
    minutes = data.get("ReservationDuration") or 0
    if not isinstance(minutes, int) or minutes <= 0:
        return problem(400, "ReservationDuration must be greater than 0")
    if minutes > MAX_MINUTES:
        return problem(400, "Invalid Reservation Duration")
    return minutes


def targets(st, data):
    """(existing components, missing ids) chosen by ComponentIDs + filters."""
    ids = [xn.normalize(i) for i in data.get("ComponentIDs") or []]
    filters = {f.lower(): [str(v) for v in data[f]] for f in FILTER_FIELDS
               if isinstance(data.get(f), list) and data[f]}
    if not ids and not filters:
        return [], []
    filters["id"] = ids
    found = st.smd.filter_components(filters)
    found_ids = {c["ID"] for c in found}
    return found, [i for i in ids if i not in found_ids]


def failure(cid, reason):
    return {"ID": cid, "Reason": reason}


def reservations_create(st, req):
    data = body_json(req)
    model = processing_model(data)
    if model is None:
        return problem(400, "invalid ProcessingModel")
    minutes = duration(data, default=1)
    if not isinstance(minutes, int):
        return minutes
    try:
        comps, missing = targets(st, data)
    except ValueError as err:
        return problem(400, str(err))
    if not comps:
        return problem(400, "Component not found")
    failures = [failure(cid, "NotFound") for cid in missing]
    ok = []
    for comp in comps:
        reason = st.locks.blocker(comp)
        if reason:
            failures.append(failure(comp["ID"], reason))
        else:
            ok.append(comp["ID"])
    if failures and model == "rigid":
        reason = failures[0]["Reason"]
        detail = "Component not found" if reason == "NotFound" else "Component is " + reason
        return problem(400, detail)
    success = [st.locks.reserve(cid, minutes).success_json() for cid in ok]
    return json_response({"Success": success, "Failure": failures})


def keyed_update(st, req, key_kind, apply):
    """Shared body of renew/release: a list of {ID, Key} with a processing model."""
    data = body_json(req)
    model = processing_model(data)
    if model is None:
        return problem(400, "invalid ProcessingModel")
    good, failures = [], []
    for item in data.get("ReservationKeys") or []:
        cid = xn.normalize(item.get("ID", ""))
        res = st.locks.get(cid)
        if res is None or getattr(res, key_kind) != item.get("Key"):
            failures.append(failure(cid, "NotFound"))
        else:
            good.append(res)
    if failures and model == "rigid":
        good = []
    for res in good:
        apply(res)
    return json_response({
        "Counts": {"Total": len(good) + len(failures), "Success": len(good),
                   "Failure": len(failures)},
        "Success": {"ComponentIDs": [r.cid for r in good]},
        "Failure": failures})


def reservations_renew(st, req):
    minutes = duration(body_json(req))
    if not isinstance(minutes, int):
        return minutes

    def renew(res):
        res.expires = time.time() + 60 * minutes
    return keyed_update(st, req, "reservation_key", renew)


def reservations_release(st, req):
    return keyed_update(st, req, "reservation_key",
                        lambda res: st.locks.reservations.pop(res.cid, None))


def reservations_check(st, req):
    data = body_json(req)
    success, failures = [], []
    for item in data.get("DeputyKeys") or []:
        cid = xn.normalize(item.get("ID", ""))
        res = st.locks.get(cid)
        if res is None or res.deputy_key != item.get("Key"):
            failures.append(failure(cid, "NotFound"))
        else:
            success.append({"ID": cid, "DeputyKey": res.deputy_key,
                            "ExpirationTime": iso(res.expires)})
    return json_response({"Success": success, "Failure": failures})


def lock_status(st, comp):
    res = st.locks.get(comp["ID"])
    out = {"ID": comp["ID"], "Locked": bool(comp.get("Locked")), "Reserved": res is not None}
    if res:
        out["CreationTime"] = iso(res.created)
        out["ExpirationTime"] = iso(res.expires)
    out["ReservationDisabled"] = bool(comp.get("ReservationDisabled"))
    return out


def status_post(st, req):
    data = body_json(req)
    ids = [xn.normalize(i) for i in data.get("ComponentIDs") or []]
    found = [st.smd.components[i] for i in ids if i in st.smd.components]
    return json_response({"Components": [lock_status(st, c) for c in found],
                          "NotFound": [i for i in ids if i not in st.smd.components]})


def status_get(st, req):
    filters = {name: req.args(name) for name in ("type", "state", "role", "subrole")}
    try:
        comps = st.smd.filter_components(filters)
    except ValueError as err:
        return problem(400, str(err))
    out = [lock_status(st, c) for c in comps]
    for name, key in (("locked", "Locked"), ("reserved", "Reserved"),
                      ("reservationDisabled", "ReservationDisabled")):
        value = req.arg(name)
        if value is not None:
            if value.lower() not in ("true", "false"):
                return problem(400, "bad '%s' query parameter: %s" % (name, value))
            out = [s for s in out if s[key] == (value.lower() == "true")]
    return json_response({"Components": out})


def admin_action(action):
    """lock / unlock / disable / repair on the components a filter selects."""
    def handler(st, req):
        data = body_json(req)
        try:
            comps, missing = targets(st, data)
        except ValueError as err:
            return problem(400, str(err))
        failures = [failure(cid, "NotFound") for cid in missing]
        done = []
        for comp in comps:
            if action == "lock" and comp.get("Locked"):
                failures.append(failure(comp["ID"], "Locked"))
                continue
            if action in ("lock", "unlock"):
                comp["Locked"] = action == "lock"
            else:
                comp["ReservationDisabled"] = action == "disable"
                if action == "disable":
                    st.locks.reservations.pop(comp["ID"], None)
            done.append(comp["ID"])
        return json_response({
            "Counts": {"Total": len(done) + len(failures), "Success": len(done),
                       "Failure": len(failures)},
            "Success": {"ComponentIDs": done}, "Failure": failures})
    return handler


def register(router):
    add = router.add
    add("POST", "/hsm/v2/locks/service/reservations", reservations_create)
    add("POST", "/hsm/v2/locks/service/reservations/renew", reservations_renew)
    add("POST", "/hsm/v2/locks/service/reservations/release", reservations_release)
    add("POST", "/hsm/v2/locks/service/reservations/check", reservations_check)
    add("POST", "/hsm/v2/locks/status", status_post)
    add("GET", "/hsm/v2/locks/status", status_get)
    for action in ("lock", "unlock", "disable", "repair"):
        add("POST", "/hsm/v2/locks/" + action, admin_action(action))

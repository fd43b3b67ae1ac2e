"""BSS under /boot/v1: boot parameters, the iPXE boot script and the
endpoint history.

Behaviour is the OpenCHAMI BSS with its Postgres backend: GET groups hosts
that share (params, kernel, initrd) into one element, writes answer with an
empty body (201 for POST, 200 for PUT/PATCH/DELETE), and a GET that finds
nothing is a 404, not an empty list.
"""

import re
import time

from . import xname as xn
from .util import new_uuid
from .web import Abort, json_response, problem, empty, text_response

MAC = re.compile(r"^([0-9A-Fa-f]{2}:){5}[0-9a-fA-F]{2}$")
WRITE_CTYPE = "application/json; charset=UTF-8"
RETRY_DELAY = 30


def default_cloud_init():
    return {"meta-data": None, "user-data": None,
            "phone-home": {"pub_key_dsa": "", "pub_key_rsa": "", "pub_key_ecdsa": "",
                           "instance_id": "", "hostname": "", "fqdn": ""}}


def image_name(params):
    """The tide.image=<name> token of a kernel command line, or None."""
    for token in (params or "").split():
        if token.startswith("tide.image="):
            return token.split("=", 1)[1]
    return None


class BssStore:
    def __init__(self):
        self.entries = {}  # host xname -> {"kernel","initrd","params","cloud-init","token"}
        self.history = {}  # (name, endpoint) -> last epoch

    def set(self, host, kernel, initrd, params, cloud_init, token):
        self.entries[host] = {"kernel": kernel or "", "initrd": initrd or "",
                              "params": params or "",
                              "cloud-init": cloud_init or default_cloud_init(),
                              "token": token}

    def touch(self, name, endpoint="bootscript"):
        self.history[(name, endpoint)] = int(time.time())

    def grouped(self, hosts):
        """BootParams elements, one per identical (params, kernel, initrd)."""
        groups = {}
        for host in sorted(hosts, key=xn.natural_key):
            entry = self.entries[host]
            key = (entry["params"], entry["kernel"], entry["initrd"])
            groups.setdefault(key, []).append(host)
        out = []
        for (params, kernel, initrd), members in groups.items():
            element = {"hosts": members, "macs": [], "nids": []}
            # Go's omitempty drops empty strings.
            for name, value in (("params", params), ("kernel", kernel), ("initrd", initrd)):
                if value:
                    element[name] = value
            element["cloud-init"] = self.entries[members[0]]["cloud-init"]
            out.append(element)
        return out


# ---- request helpers ---------------------------------------------------------------------

def boot_params_body(req):
    try:
        data = req.json()
    except ValueError as err:
        raise Abort(problem(400, "Bad Request: " + str(err)))
    if not isinstance(data, dict):
        raise Abort(problem(400, "Bad Request: json: cannot unmarshal into bssTypes.BootParams"))
    return data


def split_list(values):
    out = []
    for value in values:
        out.extend(v for v in value.split(",") if v)
    return out


def hosts_for(st, data):
    """The node xnames a BootParams body names: the first non-empty of hosts,
    macs, nids.  Hosts must be Node xnames (BSS CheckXnames)."""
    hosts = data.get("hosts") or []
    if hosts:
        out = []
        for host in hosts:
            norm = xn.normalize(host)
            if not xn.is_node(norm):
                raise Abort(problem(400, "Bad Request: invalid xname: %s" % host))
            out.append(norm)
        return out
    macs = data.get("macs") or []
    if macs:
        out = []
        for mac in macs:
            if not MAC.match(mac):
                raise Abort(problem(400, "Bad Request: invalid MAC address format: %s" % mac))
            cid = st.smd.component_of_mac(mac)
            if cid is None:
                raise Abort(problem(400, "Bad Request: unknown MAC address: %s" % mac))
            out.append(cid)
        return out
    nids = data.get("nids") or []
    out = []
    for nid in nids:
        comp = st.smd.by_nid(nid)
        if comp is None:
            raise Abort(problem(400, "Bad Request: unknown NID: %s" % nid))
        out.append(comp["ID"])
    return out


def written(status, token=None):
    headers = {"BSS-Referral-Token": token} if token else None
    return empty(status, headers, WRITE_CTYPE)


# ---- bootparameters ----------------------------------------------------------------------

def bootparameters_get(st, req):
    names = split_list(req.args("name"))
    macs = split_list(req.args("mac"))
    nids = split_list(req.args("nid"))
    if req.body and not (names or macs or nids):
        data = boot_params_body(req)
        names = data.get("hosts") or []
        macs = data.get("macs") or []
        nids = [str(n) for n in data.get("nids") or []]
    if not (names or macs or nids):
        # No selector: everything, and JSON null when there is nothing.
        return json_response(st.bss.grouped(st.bss.entries) or None)
    hosts = set()
    for name in names:
        if xn.normalize(name) in st.bss.entries:
            hosts.add(xn.normalize(name))
    for mac in macs:
        cid = st.smd.component_of_mac(mac)
        if cid in st.bss.entries:
            hosts.add(cid)
    for nid in nids:
        if not re.match(r"^-?(0x[0-9a-fA-F]+|\d+)$", nid):
            return problem(400, "Bad Request - Invalid nid '%s'" % nid)
        comp = st.smd.by_nid(int(nid, 0))
        if comp and comp["ID"] in st.bss.entries:
            hosts.add(comp["ID"])
    if not hosts:
        asked = [w for w, v in (("Hosts", names), ("MACs", macs), ("NIDs", nids)) if v]
        text = ", ".join(asked[:-1]) + (" or " if len(asked) > 1 else "") + asked[-1]
        return problem(404, "Cannot find boot parameters for requested " + text)
    return json_response(st.bss.grouped(hosts))


def store(st, hosts, data, token):
    for host in hosts:
        st.bss.set(host, data.get("kernel"), data.get("initrd"), data.get("params"),
                   data.get("cloud-init"), token)
        st.machines.adopt_boot_params(st, host)


def bootparameters_post(st, req):
    data = boot_params_body(req)
    hosts = hosts_for(st, data)
    if not hosts:
        return problem(400, "Bad Request: no hosts, macs or nids given")
    new = [h for h in hosts if h not in st.bss.entries]
    if not new:
        return problem(400, "Bad Request: Already exists: " + ", ".join(hosts))
    token = new_uuid()
    store(st, new, data, token)
    return written(201, token)


def bootparameters_put(st, req):
    data = boot_params_body(req)
    hosts = hosts_for(st, data)
    if not hosts:
        return problem(400, "No data")
    token = new_uuid()
    store(st, hosts, data, token)
    return written(200, token)


def bootparameters_patch(st, req):
    data = boot_params_body(req)
    hosts = hosts_for(st, data)
    missing = [h for h in hosts if h not in st.bss.entries]
    if not hosts or missing:
        names = ", ".join(missing or ["<no hosts>"])
        return problem(404, "Not Found: no boot parameters for " + names)
    for host in hosts:
        entry = st.bss.entries[host]
        for field in ("kernel", "initrd", "params"):
            if data.get(field):
                entry[field] = data[field]
        if isinstance(data.get("cloud-init"), dict):
            entry["cloud-init"] = {**entry["cloud-init"], **data["cloud-init"]}
    return written(200)


def bootparameters_delete(st, req):
    data = boot_params_body(req)
    hosts = hosts_for(st, data)
    if not hosts and (data.get("kernel") or data.get("initrd")):
        hosts = [h for h, e in st.bss.entries.items()
                 if e["kernel"] == data.get("kernel") or e["initrd"] == data.get("initrd")]
    if not hosts:
        return problem(400, "Bad Request: nothing to delete")
    for host in hosts:
        st.bss.entries.pop(host, None)
    return written(200)


# ---- bootscript --------------------------------------------------------------------------

def script_params(st, entry, comp, mac):
    """buildParams: the stored params plus xname=, nid=, bss_referral_token=,
    BOOTIF= and ds= unless already present, then initrd=initrd first."""
    params = entry["params"]
    tokens = params.split()

    def add(name, value):
        nonlocal params
        if value and not any(t.startswith(name) for t in tokens):
            params += " " + name + value

    add("xname=", comp["ID"])
    add("nid=", str(comp.get("NID", "")))
    add("bss_referral_token=", entry["token"])
    if mac:
        add("BOOTIF=", "01-" + mac.lower().replace(":", "-"))
    add("ds=", "nocloud-net;s=%s/" % st.config.base_url)
    if entry["initrd"]:
        words = params.split(" ")
        for i, word in enumerate(words):
            if word.startswith("initrd"):
                del words[i]
                break
        params = "initrd=initrd " + " ".join(words)
    return params.strip()


def bootscript_get(st, req):
    mac, name, nid = req.arg("mac", ""), req.arg("name", ""), req.arg("nid", "")
    if mac:
        cid, descr = st.smd.component_of_mac(mac), "MAC " + mac
    elif name:
        cid, descr = xn.normalize(name), name
    elif nid:
        comp = st.smd.by_nid(nid)
        cid, descr = (comp["ID"] if comp else None), "NID " + nid
    else:
        return problem(400, "Need a mac=, name=, or nid= parameter")
    comp = st.smd.components.get(cid or "")
    entry = st.bss.entries.get(cid or "")
    if comp is None or entry is None or not entry["kernel"]:
        return problem(404, "%s: this host not configured for booting." % descr)
    params = script_params(st, entry, comp, mac)
    if req.arg("json", "0") not in ("", "0"):
        return json_response({"params": "kernel " + params,
                              "kernel": {"path": entry["kernel"], "params": ""},
                              "initrd": {"path": entry["initrd"]}})
    retry_text = req.arg("retry", "0")
    retry = int(retry_text) if retry_text.isdigit() else 0
    chain = "chain %s/boot/v1/bootscript" % st.config.base_url
    chain += ("?mac=" + mac) if mac else ("?name=" + comp["ID"])
    chain += "&retry=%d" % (retry + 1)
    script = "#!ipxe\n"
    script += "kernel --name kernel %s %s || goto boot_retry\n" % (entry["kernel"], params)
    if entry["initrd"]:
        script += "initrd --name initrd %s || goto boot_retry\n" % entry["initrd"]
    script += "boot || goto boot_retry\n:boot_retry\n"
    script += "sleep %d\n%s\n" % (RETRY_DELAY, chain)
    # BootscriptGet writes the script with "%s\n", hence the blank last line.
    return text_response(200, script + "\n", "text/plain; charset=UTF-8")


# ---- other endpoints ---------------------------------------------------------------------

def endpoint_history(st, req):
    name = xn.normalize(req.arg("name", "")) if req.arg("name") else None
    endpoint = req.arg("endpoint")
    out = [{"name": n, "endpoint": e, "last_epoch": epoch}
           for (n, e), epoch in sorted(st.bss.history.items())
           if (name is None or n == name) and (endpoint is None or e == endpoint)]
    if not out and name and endpoint:
        out = [{"name": name, "endpoint": endpoint, "last_epoch": 0}]
    return json_response(out)


def hosts_get(st, req):
    names = [xn.normalize(n) for n in split_list(req.args("name"))]
    for name in names:
        if name not in st.smd.components:
            return problem(404, "Not Found - Unknown host name '%s'" % name)
    comps = [st.smd.components[n] for n in names] if names else \
        [c for c in st.smd.components.values() if c["Type"] == "Node"]
    out = []
    for comp in comps:
        out.append({**comp, "FQDN": "", "MAC": st.smd.macs_of(comp["ID"]),
                    "EndpointEnabled": True})
    return json_response(out)


def register(router):
    add = router.add
    add("GET", "/boot/v1/bootparameters", bootparameters_get)
    add("POST", "/boot/v1/bootparameters", bootparameters_post)
    add("PUT", "/boot/v1/bootparameters", bootparameters_put)
    add("PATCH", "/boot/v1/bootparameters", bootparameters_patch)
    add("DELETE", "/boot/v1/bootparameters", bootparameters_delete)
    add("GET", "/boot/v1/bootscript", bootscript_get)
    add("GET", "/boot/v1/endpoint-history", endpoint_history)
    add("GET", "/boot/v1/hosts", hosts_get)
    add("POST", "/boot/v1/hosts", lambda st, req: empty(204))
    add("GET", "/boot/v1/service/status", lambda st, req: json_response({"bss-status": "running"}))
    add("GET", "/boot/v1/service/version",
        lambda st, req: json_response({"bss-version": "tide-sim"}))
    add("GET", "/boot/v1/service/hsm",
        lambda st, req: json_response({"bss-status-hsm": "connected"}))
    add("GET", "/boot/v1/service/storage/status",
        lambda st, req: json_response({"bss-status-storage": "connected"}))

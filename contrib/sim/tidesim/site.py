"""Loading a site file straight into the stores (tide-sim --site).

The site file uses the services' own request shapes, so the same file can
also be pushed through the real write APIs by tide-sim-seed; both paths
run the same store code and give the same state.

  {"components": [SMD Component, ...],            POST /hsm/v2/State/Components
   "hardware": [flat HWInvByLoc, ...],           POST /hsm/v2/Inventory/Hardware
   "ethernetInterfaces": [CompEthInterfaceV2],   POST /hsm/v2/Inventory/EthernetInterfaces
   "groups": [SMD Group, ...],                   POST /hsm/v2/groups
   "bootparameters": [BSS BootParams, ...],      PUT  /boot/v1/bootparameters
   "redfish": {"defaults": {...}, "systems": {"<xname>": {...}}},  POST /sim/redfish
   "kubernetes": {"nodes": [], "daemonsets": [], "pdbs": [], "pods": []}}
                                                 POST /sim/k8s/<kind> per object
"""

import json
import uuid

from . import bss, smd
from .web import Abort


class SiteError(Exception):
    pass


def load_file(st, path):
    with open(path) as handle:
        data = json.load(handle)
    load(st, data)
    return data


def load(st, data):
    try:
        _load(st, data)
    except Abort as abort:
        raise SiteError(json.loads(abort.response.body).get("detail", "invalid site"))
    except (ValueError, KeyError, smd.SmdError) as err:
        raise SiteError(str(err))


def _load(st, data):
    for comp in data.get("components") or []:
        st.machines.track(st, st.smd.put_component(comp))
    for entry in data.get("hardware") or []:
        st.hw.put(entry)
    for entry in data.get("ethernetInterfaces") or []:
        st.smd.put_eth(entry)
    for group in data.get("groups") or []:
        label, tags, excl, ids = smd.validate_group(group)
        if label in st.smd.groups:
            raise SiteError("duplicate group " + label)
        st.smd.create_group(label, group.get("description", ""), excl, tags, ids)
    for params in data.get("bootparameters") or []:
        bss.store(st, bss.hosts_for(st, params), params, str(uuid.uuid4()))
    redfish = data.get("redfish") or {}
    st.redfish.defaults.update(redfish.get("defaults") or {})
    for name, overrides in (redfish.get("systems") or {}).items():
        st.redfish.configure(name, overrides)
    kube = data.get("kubernetes") or {}
    for node in kube.get("nodes") or []:
        st.k8s.put_node(node)
    for ds in kube.get("daemonsets") or []:
        st.k8s.put_daemonset(ds)
    for pdb in kube.get("pdbs") or []:
        st.k8s.put_pdb(pdb)
    for pod in kube.get("pods") or []:
        st.k8s.put_pod(pod)

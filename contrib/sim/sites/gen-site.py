#!/usr/bin/env python3
"""Generate a tide-sim site file (deterministic: same options, same bytes).

Without options it writes the "zinal" seed cluster (zinal.json):
  group zinal       16 nodes: x1001c1s[5-7]b[0-1]n[0-1] (2x EPYC 7742, 16x 16 GiB,
                    one HSN NIC; x1001c1s6b0n0 has one empty DIMM slot),
                    x1005c0s4b0n[0-1] (EPYC 7713, 4x A100, 8x 64 GiB, 4 HSN NICs),
                    x1006c1s4b[0-1]n0 (EPYC 7A53, 8x MI200, 8x 64 GiB, 4 HSN NICs)
  group nodes_free  24 nodes of the same three kinds over several chassis
  group k8s_workers 10 nodes, also Kubernetes nodes with a few pods
All three groups share exclusiveGroup "tide".  zinal and nodes_free boot
image "rocky9", k8s_workers image "k8s" (params carry tide.image=<name>).

With --nodes N it writes a synthetic site of N nodes for benchmarks: half
EPYC 7742, a quarter A100, a quarter MI200; --k8s nodes go to k8s_workers,
--target nodes to the group named by --name, the rest to nodes_free.

  gen-site.py > zinal.json
  gen-site.py --nodes 2000 --name bench --target 200 --k8s 40 > bench.json
"""

import argparse
import hashlib
import json
import re
import sys
import uuid

NS = uuid.UUID("6f1d3c52-8e0b-4c41-9d62-2a7a3f0e9b10")  # fixed: deterministic uuids
STAMP = "2026-01-01T00:00:00Z"
IMAGE_URL = "http://images.tide.invalid/boot-images"

KINDS = {
    "epyc7742": {"model": "EX425", "cpu": "AMD EPYC 7742 64-Core Processor", "cpus": 2,
                 "cores": 64, "mhz": 2250, "accel": None, "accels": 0,
                 "dimms": 16, "dimm_mib": 16384, "dimm_part": "M393A2K43DB3-CWE", "hsn": 1},
    "a100": {"model": "EX235n", "cpu": "AMD EPYC 7713 64-Core Processor", "cpus": 1,
             "cores": 64, "mhz": 2000, "accel": "NVIDIA_A100-SXM4-80GB", "accels": 4,
             "accel_vendor": "NVIDIA", "dimms": 8, "dimm_mib": 65536,
             "dimm_part": "M393A8G40AB2-CWE", "hsn": 4},
    "mi200": {"model": "EX235a", "cpu": "AMD EPYC 7A53 64-Core Processor", "cpus": 1,
              "cores": 64, "mhz": 2000, "accel": "AMD INSTINCT MI200 (MCM) OAM LC",
              "accels": 8, "accel_vendor": "AMD", "dimms": 8, "dimm_mib": 65536,
              "dimm_part": "M393A8G40AB2-CWE", "hsn": 4},
}
HSN_NIC = "SS11 200Gb 2P NIC Mezz REV02 (HSN)"

IMAGES = {
    "rocky9": {"kernel": IMAGE_URL + "/rocky9/vmlinuz-5.14.0-570.26.1.el9_6.x86_64",
               "initrd": IMAGE_URL + "/rocky9/initramfs-5.14.0-570.26.1.el9_6.x86_64.img",
               "params": "nomodeset ro root=live:" + IMAGE_URL + "/rocky9/rootfs ip=dhcp "
                         "overlayroot=tmpfs console=ttyS0,115200 tide.image=rocky9"},
    "k8s": {"kernel": IMAGE_URL + "/k8s/vmlinuz-5.14.0-570.26.1.el9_6.x86_64",
            "initrd": IMAGE_URL + "/k8s/initramfs-5.14.0-570.26.1.el9_6.x86_64.img",
            "params": "nomodeset ro root=live:" + IMAGE_URL + "/k8s/rootfs ip=dhcp "
                      "overlayroot=tmpfs console=ttyS0,115200 tide.image=k8s"},
}


# ---- naming helpers ----------------------------------------------------------------------

def expand(pattern):
    """x1001c1s[5-7]b[0-1]n[0-1] -> the 12 xnames, in order."""
    match = re.search(r"\[(\d+)-(\d+)\]", pattern)
    if not match:
        return [pattern]
    out = []
    for i in range(int(match.group(1)), int(match.group(2)) + 1):
        out.extend(expand(pattern[:match.start()] + str(i) + pattern[match.end():]))
    return out


def natural_key(text):
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text)]


def uid(*parts):
    return str(uuid.uuid5(NS, "/".join(parts)))


def serial(*parts):
    return hashlib.sha1("/".join(parts).encode()).hexdigest()[:12].upper()


def suffix(*parts):
    digest = hashlib.sha1("/".join(parts).encode()).hexdigest()
    return "".join("bcdfghjklmnpqrstvwxz2456789"[int(c, 16)] for c in digest[:5])


# ---- SMD ---------------------------------------------------------------------------------

def fru(kind, xname, htype, info_key, info):
    return {"FRUID": "%s.%s.%s" % (htype, info.get("Manufacturer", "HPE"), serial(xname)),
            "Type": htype, "Subtype": "", "HWInventoryByFRUType": "HWInvByFRU" + htype,
            info_key: info}


def location(xname, htype, ordinal, info_key, info, populated=None):
    entry = {"ID": xname, "Type": htype, "Ordinal": ordinal,
             "Status": "Populated" if populated else "Empty",
             "HWInventoryByLocationType": "HWInvByLoc" + htype, info_key: info}
    if populated:
        entry["PopulatedFRU"] = populated
    return entry


def hardware(xname, kind, empty_dimms=()):
    k = KINDS[kind]
    out = []
    populated = [d for d in range(k["dimms"]) if d not in empty_dimms]
    out.append(location(xname, "Node", int(xname[-1]), "NodeLocationInfo", {
        "Id": "Node%s" % xname[-1], "Name": "", "Description": "", "HostName": "",
        "ProcessorSummary": {"Count": k["cpus"], "Model": k["cpu"]},
        "MemorySummary": {"TotalSystemMemoryGiB": len(populated) * k["dimm_mib"] // 1024}},
        fru(kind, xname, "Node", "NodeFRUInfo", {
            "AssetTag": "", "BiosVersion": "1.9.2", "Model": k["model"], "Manufacturer": "HPE",
            "PartNumber": k["model"] + "-001", "SerialNumber": serial(xname), "SKU": "",
            "SystemType": "Physical", "UUID": uid(xname, "system")})))
    for p in range(k["cpus"]):
        cid = "%sp%d" % (xname, p)
        out.append(location(cid, "Processor", p, "ProcessorLocationInfo", {
            "Id": "CPU%d" % p, "Name": "", "Description": "", "Socket": "CPU %d" % p},
            fru(kind, cid, "Processor", "ProcessorFRUInfo", {
                "InstructionSet": "x86-64", "Manufacturer": "AMD", "MaxSpeedMHz": k["mhz"],
                "Model": k["cpu"], "SerialNumber": serial(cid), "PartNumber": "",
                "ProcessorArchitecture": "x86",
                "ProcessorId": {"EffectiveFamily": "25", "EffectiveModel": "1",
                                "IdentificationRegisters": "", "MicrocodeInfo": "",
                                "Step": "1", "VendorID": "AuthenticAMD"},
                "ProcessorType": "CPU", "TotalCores": k["cores"],
                "TotalThreads": 2 * k["cores"], "Oem": None})))
    per_socket = k["dimms"] // k["cpus"]
    for d in range(k["dimms"]):
        did = "%sd%d" % (xname, d)
        loc = {"Id": "DIMM%d" % d, "Name": "", "Description": "",
               "MemoryLocation": {"Socket": d // per_socket, "MemoryController": 0,
                                  "Channel": d % per_socket, "Slot": 0}}
        filled = None if d in empty_dimms else fru(kind, did, "Memory", "MemoryFRUInfo", {
            "CapacityMiB": k["dimm_mib"], "OperatingSpeedMhz": 3200,
            "SerialNumber": serial(did), "Manufacturer": "Samsung",
            "MemoryDeviceType": "DDR4", "PartNumber": k["dimm_part"]})
        out.append(location(did, "Memory", d, "MemoryLocationInfo", loc, filled))
    for a in range(k["accels"]):
        aid = "%sa%d" % (xname, a)
        out.append(location(aid, "NodeAccel", a, "NodeAccelLocationInfo", {
            "Id": "GPU%d" % a, "Name": "", "Description": "", "Socket": ""},
            fru(kind, aid, "NodeAccel", "NodeAccelFRUInfo", {
                "Manufacturer": k["accel_vendor"], "Model": k["accel"],
                "PartNumber": "", "SerialNumber": serial(aid)})))
    for h in range(k["hsn"]):
        hid = "%sh%d" % (xname, h)
        out.append(location(hid, "NodeHsnNic", h, "NodeHsnNicLocationInfo", {
            "Id": "HPCNet%d" % h, "Name": "", "Description": HSN_NIC},
            fru(kind, hid, "NodeHsnNic", "NodeHsnNicFRUInfo", {
                "Manufacturer": "HPE", "Model": HSN_NIC, "PartNumber": "P43012-001",
                "SerialNumber": serial(hid)})))
    return out


def component(xname, htype, state, nid=None):
    comp = {"ID": xname, "Type": htype, "State": state, "Flag": "OK", "Enabled": True}
    if htype == "Node":
        comp.update({"Role": "Compute", "NID": nid, "NetType": "Sling"})
    comp.update({"Arch": "X86", "Class": "Mountain"})
    return comp


def mac_of(nid):
    return "02:00:00:%02x:%02x:%02x" % ((nid >> 16) & 255, (nid >> 8) & 255, nid & 255)


def ethernet(xname, nid):
    mac = mac_of(nid)
    return {"ID": mac.replace(":", ""), "Description": "Node Management Network",
            "MACAddress": mac, "LastUpdate": STAMP, "ComponentID": xname, "Type": "Node",
            "IPAddresses": [{"IPAddress": "10.100.%d.%d" % (nid // 250, nid % 250 + 1),
                             "Network": "NMN"}]}


# ---- Kubernetes --------------------------------------------------------------------------

def k8s_node(xname, kind, nid):
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": xname, "uid": uid(xname, "k8s-node"),
                         "creationTimestamp": STAMP,
                         "labels": {"kubernetes.io/hostname": xname,
                                    "kubernetes.io/os": "linux",
                                    "kubernetes.io/arch": "amd64",
                                    "node.kubernetes.io/instance-type": kind}},
            "spec": {},
            "status": {"addresses": [{"type": "InternalIP",
                                      "address": ethernet(xname, nid)["IPAddresses"][0]
                                      ["IPAddress"]},
                                     {"type": "Hostname", "address": xname}],
                       "conditions": [{"type": "Ready", "status": "True",
                                       "lastHeartbeatTime": STAMP, "lastTransitionTime": STAMP,
                                       "reason": "KubeletReady",
                                       "message": "kubelet is posting ready status"}],
                       "nodeInfo": {"bootID": uid(xname, "boot", "0"),
                                    "machineID": uid(xname, "machine").replace("-", ""),
                                    "systemUUID": uid(xname, "system"),
                                    "kernelVersion": "5.14.0-570.26.1.el9_6.x86_64",
                                    "osImage": "Rocky Linux 9.6 (Blue Onyx)",
                                    "containerRuntimeVersion": "containerd://1.7.27",
                                    "kubeletVersion": "v1.30.4", "kubeProxyVersion": "v1.30.4",
                                    "operatingSystem": "linux", "architecture": "amd64"}}}


def pod(namespace, name, node, labels, owner, annotations=None, volumes=None):
    meta = {"name": name, "namespace": namespace, "uid": uid(namespace, name, "pod"),
            "creationTimestamp": STAMP, "labels": labels}
    if annotations:
        meta["annotations"] = annotations
    if owner:
        meta["ownerReferences"] = [owner]
    spec = {"nodeName": node, "containers": [{"name": name.split("-")[0],
                                              "image": "registry.tide.invalid/" +
                                                       name.split("-")[0] + ":1.0"}]}
    if volumes:
        spec["volumes"] = volumes
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec,
            "status": {"phase": "Running"}}


def kubernetes(workers, nids, kinds):
    """Worker nodes plus: a cilium DaemonSet pod on every worker, a ReplicaSet
    'web' (3 pods with emptyDir) behind a PDB that refuses its first
    eviction, and a static (mirror) kube-vip pod on the first two workers."""
    nodes = [k8s_node(x, kinds[x], nids[x]) for x in workers]
    ds_uid = uid("kube-system", "cilium", "ds")
    daemonsets = [{"apiVersion": "apps/v1", "kind": "DaemonSet",
                   "metadata": {"name": "cilium", "namespace": "kube-system", "uid": ds_uid,
                                "creationTimestamp": STAMP, "labels": {"k8s-app": "cilium"}},
                   "spec": {"selector": {"matchLabels": {"k8s-app": "cilium"}}}}]
    rs_name = "web-5d8f7c9b6d"
    rs_owner = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs_name,
                "uid": uid("default", rs_name, "rs"), "controller": True,
                "blockOwnerDeletion": True}
    pdbs = [{"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
             "metadata": {"name": "web", "namespace": "default", "uid": uid("default", "pdb"),
                          "creationTimestamp": STAMP,
                          "annotations": {"tide.sim/deny-first-evictions": "1"}},
             "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "web"}}}}]
    pods = []
    for x in workers:
        pods.append(pod("kube-system", "cilium-" + suffix(x, "cilium"), x,
                        {"k8s-app": "cilium"},
                        {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "cilium",
                         "uid": ds_uid, "controller": True, "blockOwnerDeletion": True}))
    for x in workers[:3]:
        pods.append(pod("default", rs_name + "-" + suffix(x, "web"), x,
                        {"app": "web", "pod-template-hash": "5d8f7c9b6d"}, rs_owner,
                        volumes=[{"name": "cache", "emptyDir": {}}]))
    for x in workers[:2]:
        pods.append(pod("kube-system", "kube-vip-" + x, x, {"component": "kube-vip"},
                        {"apiVersion": "v1", "kind": "Node", "name": x,
                         "uid": uid(x, "k8s-node"), "controller": True},
                        annotations={"kubernetes.io/config.mirror": serial(x, "mirror").lower(),
                                     "kubernetes.io/config.source": "file"}))
    return {"nodes": nodes, "daemonsets": daemonsets, "pdbs": pdbs, "pods": pods}


# ---- layouts -----------------------------------------------------------------------------

def zinal_layout():
    """[(xname, kind, group, state)] and the per-node hardware exceptions."""
    nodes = []

    def add(pattern, kind, group, off=()):
        for x in expand(pattern):
            nodes.append((x, kind, group, "Off" if x in off else "Ready"))

    add("x1001c1s[5-7]b[0-1]n[0-1]", "epyc7742", "zinal")
    add("x1005c0s4b0n[0-1]", "a100", "zinal")
    add("x1006c1s4b[0-1]n0", "mi200", "zinal")
    add("x1002c0s[0-2]b[0-1]n[0-1]", "epyc7742", "nodes_free", off=("x1002c0s2b1n1",))
    add("x1005c0s[5-7]b0n[0-1]", "a100", "nodes_free", off=("x1005c0s7b0n1",))
    add("x1006c1s[5-7]b[0-1]n0", "mi200", "nodes_free", off=("x1006c1s7b1n0",))
    add("x1002c1s[0-2]b0n[0-1]", "epyc7742", "k8s_workers")
    add("x1005c1s0b0n[0-1]", "a100", "k8s_workers")
    add("x1006c1s0b[0-1]n0", "mi200", "k8s_workers")
    empty_dimms = {"x1001c1s6b0n0": (15,)}
    # Two EX235a BMCs in the free pool behave like HPE Cray EX425 firmware:
    # ActionInfo listing only ForceOff, On and the non-standard Off.
    redfish = {x: {"ResetTypes": ["ForceOff", "On", "Off"], "ActionInfo": True}
               for x in ("x1006c1s5b0n0", "x1006c1s5b1n0")}
    return nodes, empty_dimms, redfish


def synthetic_layout(total, name, target, k8s):
    """total nodes: 1/2 epyc7742 in cabinets x1100+, 1/4 a100 in x1400+,
    1/4 mi200 in x1700+ (256 positions per cabinet: c0-7 s0-7 b0-1 n0-1)."""
    counts = {"epyc7742": total - 2 * (total // 4), "a100": total // 4, "mi200": total // 4}
    bases = {"epyc7742": 1100, "a100": 1400, "mi200": 1700}
    per_kind = {}
    for kind, count in counts.items():
        per_kind[kind] = []
        for i in range(count):
            cab, rem = bases[kind] + i // 256, i % 256
            per_kind[kind].append("x%dc%ds%db%dn%d" % (cab, rem // 32, (rem % 32) // 4,
                                                      (rem % 4) // 2, rem % 2))
    # Interleave the kinds so every group gets a mix.
    order = []
    while any(per_kind.values()):
        for kind in ("epyc7742", "a100", "epyc7742", "mi200"):
            if per_kind[kind]:
                order.append((per_kind[kind].pop(0), kind))
    nodes = []
    for i, (x, kind) in enumerate(order):
        group = "k8s_workers" if i < k8s else name if i < k8s + target else "nodes_free"
        nodes.append((x, kind, group, "Ready"))
    return nodes, {}, {}


def build(nodes, empty_dimms, redfish):
    nodes = sorted(nodes, key=lambda n: natural_key(n[0]))
    nids = {x: i + 1 for i, (x, _, _, _) in enumerate(nodes)}
    kinds = {x: kind for x, kind, _, _ in nodes}
    components, hw, eth = [], [], []
    bmcs = []
    for x, kind, _, state in nodes:
        bmc = x[:x.rindex("n")]
        if bmc not in bmcs:
            bmcs.append(bmc)
            components.append(component(bmc, "NodeBMC", "Ready"))
        components.append(component(x, "Node", state, nids[x]))
        hw.extend(hardware(x, kind, empty_dimms.get(x, ())))
        eth.append(ethernet(x, nids[x]))
    group_names = []
    for _, _, group, _ in nodes:
        if group not in group_names:
            group_names.append(group)
    groups = [{"label": g, "description": "tide %s" % g, "exclusiveGroup": "tide",
               "members": {"ids": [x for x, _, grp, _ in nodes if grp == g]}}
              for g in group_names]
    workers = [x for x, _, g, _ in nodes if g == "k8s_workers"]
    boot = []
    for image, members in (("rocky9", [x for x, _, g, _ in nodes if g != "k8s_workers"]),
                           ("k8s", workers)):
        if members:
            boot.append({"hosts": members, **IMAGES[image]})
    return {"components": components, "hardware": hw, "ethernetInterfaces": eth,
            "groups": groups, "bootparameters": boot,
            "redfish": {"systems": redfish},
            "kubernetes": kubernetes(workers, nids, kinds)}


def dump(value, out, depth=0, layout_depth=3):
    """JSON with one record per line: small and diff-friendly."""
    pad = " " * (depth + 1)
    if depth < layout_depth and isinstance(value, dict) and value:
        out.write("{\n")
        for i, (key, item) in enumerate(value.items()):
            out.write(pad + json.dumps(key) + ": ")
            dump(item, out, depth + 1, layout_depth)
            out.write(",\n" if i + 1 < len(value) else "\n")
        out.write(" " * depth + "}")
    elif depth < layout_depth and isinstance(value, list) and value:
        out.write("[\n")
        for i, item in enumerate(value):
            out.write(pad + json.dumps(item, separators=(",", ":")))
            out.write(",\n" if i + 1 < len(value) else "\n")
        out.write(" " * depth + "]")
    else:
        out.write(json.dumps(value, separators=(",", ":")))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, help="synthetic site with N nodes")
    parser.add_argument("--name", default="bench", help="target group of a synthetic site")
    parser.add_argument("--target", type=int, help="nodes in the target group (default N/10)")
    parser.add_argument("--k8s", type=int, help="Kubernetes workers (default min(16, N/10))")
    args = parser.parse_args()
    if args.nodes:
        target = args.target if args.target is not None else args.nodes // 10
        k8s = args.k8s if args.k8s is not None else min(16, args.nodes // 10)
        site = build(*synthetic_layout(args.nodes, args.name, target, k8s))
    else:
        site = build(*zinal_layout())
    dump(site, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

"""The Kubernetes objects the simulator keeps, and the rules kubectl relies
on: label/field selectors, merge patches with resourceVersion conflicts,
PodDisruptionBudgets deciding evictions, and node Ready/bootID changes.
The HTTP side is k8s_api.py.

PDB test knobs live in the PDB's own annotations, so they travel through
the normal object shape (site file or /sim/k8s/pdbs):
  tide.sim/deny-first-evictions: "K"  the first K evictions answer 429
  tide.sim/deny-seconds: "S"          429 for S seconds after the first try
After those, the budget's real arithmetic (minAvailable/maxUnavailable
against the healthy pods it selects) decides.
"""

import copy
import random
import string
import time
import uuid

from .util import iso, iso_seconds

XNAME_ANNOTATION = "tide.sim/xname"
DENY_FIRST = "tide.sim/deny-first-evictions"
DENY_SECONDS = "tide.sim/deny-seconds"


class K8sError(Exception):
    """An API error, rendered as a Kubernetes Status object."""

    def __init__(self, code, reason, message, details=None):
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details

    def status(self):
        body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": self.message, "reason": self.reason}
        if self.details:
            body["details"] = self.details
        body["code"] = self.code
        return body


def not_found(resource, name):
    return K8sError(404, "NotFound", '%s "%s" not found' % (resource, name),
                    {"name": name, "kind": resource})


# ---- selectors ---------------------------------------------------------------------------

def _split_top(text):
    """Split on commas that are not inside parentheses."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p.strip() for p in parts if p.strip()]


def parse_label_selector(text):
    """[(key, op, values)] for k=v, k==v, k!=v, k, !k, k in (..), k notin (..)."""
    reqs = []
    for part in _split_top(text or ""):
        words = part.split()
        if len(words) >= 2 and words[1] in ("in", "notin"):
            values = " ".join(words[2:]).strip("()").split(",")
            reqs.append((words[0], words[1], [v.strip() for v in values if v.strip()]))
        elif "!=" in part:
            key, value = part.split("!=", 1)
            reqs.append((key.strip(), "!=", [value.strip()]))
        elif "=" in part:
            key, value = part.replace("==", "=").split("=", 1)
            reqs.append((key.strip(), "=", [value.strip()]))
        elif part.startswith("!"):
            reqs.append((part[1:].strip(), "!", []))
        else:
            reqs.append((part, "exists", []))
    return reqs


def labels_match(labels, reqs):
    labels = labels or {}
    for key, op, values in reqs:
        have = key in labels
        if op in ("=", "in") and (not have or labels[key] not in values):
            return False
        if op in ("!=", "notin") and have and labels[key] in values:
            return False
        if op == "exists" and not have:
            return False
        if op == "!" and have:
            return False
    return True


def selector_match(labels, selector):
    """A metav1.LabelSelector (matchLabels + matchExpressions)."""
    reqs = [(k, "=", [v]) for k, v in (selector.get("matchLabels") or {}).items()]
    ops = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}
    for expr in selector.get("matchExpressions") or []:
        reqs.append((expr["key"], ops[expr["operator"]], expr.get("values") or []))
    return labels_match(labels, reqs)


def field_value(obj, path):
    for part in path.split("."):
        obj = obj.get(part, "") if isinstance(obj, dict) else ""
    return str(obj)


def fields_match(obj, text):
    for part in _split_top(text or ""):
        if "!=" in part:
            key, value = part.split("!=", 1)
            if field_value(obj, key.strip()) == value.strip():
                return False
        else:
            key, value = part.replace("==", "=").split("=", 1)
            if field_value(obj, key.strip()) != value.strip():
                return False
    return True


# ---- patches -----------------------------------------------------------------------------

def merge_patch(target, patch):
    """RFC 7386 merge patch; null deletes, lists are replaced.  Strategic
    merge patch directives ($patch, $setElementOrder/...) are ignored, which
    is exact for what kubectl patches on a Node (unschedulable, the atomic
    taints list, labels)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$"):
            continue
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


# ---- the store ---------------------------------------------------------------------------

def random_suffix(n=5):
    return "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(n))


def microtime(epoch=None):
    return iso(epoch)


class K8sStore:
    def __init__(self):
        self.rv = 1000
        self.nodes = {}
        self.pods = {}        # (namespace, name) -> Pod
        self.daemonsets = {}  # (namespace, name) -> DaemonSet
        self.pdbs = {}        # (namespace, name) -> PodDisruptionBudget
        self.pdb_tries = {}   # (namespace, name) -> {"denied": n, "first": epoch}
        self.lease_renewed = {}  # node name -> epoch of the last heartbeat

    def bump(self, obj):
        """Every change gets the next resourceVersion, as etcd's revision."""
        self.rv += 1
        obj["metadata"]["resourceVersion"] = str(self.rv)

    def _prepare(self, obj, kind, api_version, namespaced):
        obj = copy.deepcopy(obj)
        obj["kind"], obj["apiVersion"] = kind, api_version
        meta = obj.setdefault("metadata", {})
        if not meta.get("name"):
            raise K8sError(422, "Invalid", "%s: metadata.name: Required value" % kind)
        if namespaced:
            meta.setdefault("namespace", "default")
        meta.setdefault("uid", str(uuid.uuid4()))
        meta.setdefault("creationTimestamp", iso_seconds())
        self.bump(obj)
        return obj

    # nodes
    def put_node(self, obj):
        node = self._prepare(obj, "Node", "v1", False)
        spec = node.setdefault("spec", {})
        status = node.setdefault("status", {})
        info = status.setdefault("nodeInfo", {})
        info.setdefault("bootID", str(uuid.uuid4()))
        for key, value in (("machineID", uuid.uuid4().hex), ("systemUUID", str(uuid.uuid4())),
                           ("kernelVersion", "5.14.0"), ("osImage", "Linux"),
                           ("containerRuntimeVersion", "containerd://1.7.0"),
                           ("kubeletVersion", "v1.20.2"), ("kubeProxyVersion", "v1.20.2"),
                           ("operatingSystem", "linux"), ("architecture", "amd64")):
            info.setdefault(key, value)
        if not any(c.get("type") == "Ready" for c in status.get("conditions") or []):
            now = iso_seconds()
            status.setdefault("conditions", []).append(
                {"type": "Ready", "status": "True", "lastHeartbeatTime": now,
                 "lastTransitionTime": now, "reason": "KubeletReady",
                 "message": "kubelet is posting ready status"})
        if not spec.get("unschedulable"):
            spec.pop("unschedulable", None)
        self.nodes[node["metadata"]["name"]] = node
        self.lease_renewed[node["metadata"]["name"]] = time.time()
        return node

    def get_node(self, name):
        node = self.nodes.get(name)
        if node is None:
            raise not_found("nodes", name)
        return node

    def node_by_xname(self, xname):
        for node in self.nodes.values():
            meta = node["metadata"]
            if (meta.get("annotations") or {}).get(XNAME_ANNOTATION, meta["name"]) == xname:
                return node
        return None

    def patch_node(self, name, patch):
        node = self.get_node(name)
        if not isinstance(patch, dict):
            raise K8sError(400, "BadRequest", "the body of the request was not a JSON object")
        wanted_rv = (patch.get("metadata") or {}).get("resourceVersion")
        self._check_rv(node, wanted_rv)
        new = merge_patch(node, patch)
        return self._replace_node(node, new)

    def update_node(self, name, obj):
        node = self.get_node(name)
        if (obj.get("metadata") or {}).get("name") not in (None, name):
            raise K8sError(400, "BadRequest", "the name of the object does not match the URL")
        self._check_rv(node, (obj.get("metadata") or {}).get("resourceVersion"))
        return self._replace_node(node, obj)

    def _check_rv(self, node, wanted):
        if wanted not in (None, "") and wanted != node["metadata"]["resourceVersion"]:
            name = node["metadata"]["name"]
            raise K8sError(409, "Conflict",
                           'Operation cannot be fulfilled on nodes "%s": the object has been '
                           'modified; please apply your changes to the latest version and '
                           'try again' % name, {"name": name, "kind": "nodes"})

    def _replace_node(self, node, new):
        """Keep what a client cannot change through the main resource."""
        new = copy.deepcopy(new)
        meta = new.setdefault("metadata", {})
        for key in ("name", "uid", "creationTimestamp", "resourceVersion"):
            meta[key] = node["metadata"][key]
        new["kind"], new["apiVersion"] = "Node", "v1"
        new["status"] = node["status"]  # status is a subresource
        spec = new.setdefault("spec", {})
        if not spec.get("unschedulable"):
            spec.pop("unschedulable", None)
        if not spec.get("taints"):
            spec.pop("taints", None)
        if new != node:
            self.bump(new)
            self.nodes[meta["name"]] = new
        return self.nodes[meta["name"]]

    def _set_ready(self, node, ready):
        now = iso_seconds()
        for cond in node["status"]["conditions"]:
            if cond["type"] != "Ready":
                continue
            wanted = "True" if ready else "Unknown"
            if cond["status"] != wanted:
                cond["lastTransitionTime"] = now
            cond["status"] = wanted
            cond["lastHeartbeatTime"] = now
            cond["reason"] = "KubeletReady" if ready else "NodeStatusUnknown"
            cond["message"] = ("kubelet is posting ready status" if ready
                               else "Kubelet stopped posting node status.")
        self.bump(node)

    def node_down(self, xname):
        """The node's kubelet stopped (power off, reset, kexec)."""
        node = self.node_by_xname(xname)
        if node is not None and self.is_ready(node):
            self._set_ready(node, False)

    def node_booted(self, xname):
        """kubelet is back: a new kernel boot_id and Ready=True."""
        node = self.node_by_xname(xname)
        if node is None:
            return
        node["status"]["nodeInfo"]["bootID"] = str(uuid.uuid4())
        self._set_ready(node, True)
        self.lease_renewed[node["metadata"]["name"]] = time.time()

    @staticmethod
    def is_ready(node):
        return any(c["type"] == "Ready" and c["status"] == "True"
                   for c in node["status"].get("conditions") or [])

    def lease(self, name):
        node = self.get_node(name)
        if self.is_ready(node):
            self.lease_renewed[name] = time.time()  # kubelet renews every 10 s
        return {"kind": "Lease", "apiVersion": "coordination.k8s.io/v1",
                "metadata": {"name": name, "namespace": "kube-node-lease",
                             "resourceVersion": node["metadata"]["resourceVersion"]},
                "spec": {"holderIdentity": name, "leaseDurationSeconds": 40,
                         "renewTime": microtime(self.lease_renewed.get(name))}}

    # pods and friends
    def put_pod(self, obj):
        pod = self._prepare(obj, "Pod", "v1", True)
        pod.setdefault("spec", {}).setdefault("containers", [{"name": "main",
                                                               "image": "busybox"}])
        status = pod.setdefault("status", {})
        status.setdefault("phase", "Running" if pod["spec"].get("nodeName") else "Pending")
        self.pods[(pod["metadata"]["namespace"], pod["metadata"]["name"])] = pod
        return pod

    def put_daemonset(self, obj):
        ds = self._prepare(obj, "DaemonSet", "apps/v1", True)
        self.daemonsets[(ds["metadata"]["namespace"], ds["metadata"]["name"])] = ds
        return ds

    def put_pdb(self, obj):
        pdb = self._prepare(obj, "PodDisruptionBudget", "policy/v1", True)
        key = (pdb["metadata"]["namespace"], pdb["metadata"]["name"])
        self.pdbs[key] = pdb
        self.pdb_tries.pop(key, None)
        return pdb

    def get_pod(self, namespace, name):
        pod = self.pods.get((namespace, name))
        if pod is None:
            raise not_found("pods", name)
        return pod

    def remove_pod(self, pod):
        """Delete a pod; a ReplicaSet at once makes a replacement elsewhere."""
        meta = pod["metadata"]
        del self.pods[(meta["namespace"], meta["name"])]
        self.rv += 1
        owner = controller_of(pod)
        if owner and owner.get("kind") == "ReplicaSet":
            self._replace_replica(pod, owner)

    def _replace_replica(self, pod, owner):
        new = copy.deepcopy(pod)
        meta = new["metadata"]
        meta["name"] = owner["name"] + "-" + random_suffix()
        for key in ("uid", "creationTimestamp", "resourceVersion", "deletionTimestamp"):
            meta.pop(key, None)
        target = self._schedulable_node(exclude=pod["spec"].get("nodeName"))
        new["spec"]["nodeName"] = target or ""
        new["status"] = {"phase": "Running" if target else "Pending"}
        if not target:
            new["spec"].pop("nodeName")
        self.put_pod(new)

    def _schedulable_node(self, exclude):
        for name in sorted(self.nodes):
            node = self.nodes[name]
            if name != exclude and self.is_ready(node) and not node["spec"].get("unschedulable"):
                return name
        return None

    # disruption budgets
    def pdb_status(self, pdb):
        namespace = pdb["metadata"]["namespace"]
        selector = pdb.get("spec", {}).get("selector") or {}
        pods = [p for (ns, _), p in self.pods.items()
                if ns == namespace and selector_match(p["metadata"].get("labels"), selector)]
        healthy = sum(1 for p in pods if p["status"].get("phase") == "Running")
        expected = len(pods)
        spec = pdb.get("spec", {})
        if "minAvailable" in spec:
            desired = _scaled(spec["minAvailable"], expected)
        else:
            desired = expected - _scaled(spec.get("maxUnavailable", 0), expected)
        return {"currentHealthy": healthy, "desiredHealthy": desired,
                "disruptionsAllowed": max(0, healthy - desired), "expectedPods": expected,
                "observedGeneration": 1}

    def check_eviction(self, pod):
        """Raise K8sError (429/500) if a disruption budget forbids evicting pod."""
        if pod["status"].get("phase") in ("Pending", "Succeeded", "Failed") or \
                pod["metadata"].get("deletionTimestamp"):
            return  # canIgnorePDB
        namespace = pod["metadata"]["namespace"]
        budgets = [(key, pdb) for key, pdb in self.pdbs.items() if key[0] == namespace and
                   selector_match(pod["metadata"].get("labels"),
                                  pdb.get("spec", {}).get("selector") or {})]
        if len(budgets) > 1:
            raise K8sError(500, "InternalError", "This pod has more than one "
                           "PodDisruptionBudget, which the eviction subresource does not "
                           "support.")
        if not budgets:
            return
        key, pdb = budgets[0]
        status = self.pdb_status(pdb)
        if self._knob_denies(key, pdb) or status["disruptionsAllowed"] <= 0:
            cause = ("The disruption budget %s needs %d healthy pods and has %d currently"
                     % (key[1], status["desiredHealthy"], status["currentHealthy"]))
            raise K8sError(429, "TooManyRequests", "Cannot evict pod as it would violate the "
                           "pod's disruption budget.",
                           {"causes": [{"reason": "DisruptionBudget", "message": cause}]})

    def _knob_denies(self, key, pdb):
        notes = pdb["metadata"].get("annotations") or {}
        tries = self.pdb_tries.setdefault(key, {"denied": 0, "first": time.time()})
        if tries["denied"] < int(notes.get(DENY_FIRST, 0)):
            tries["denied"] += 1
            return True
        return time.time() - tries["first"] < float(notes.get(DENY_SECONDS, 0))


def _scaled(value, total):
    """An IntOrString budget: an int, or a percentage of the expected pods."""
    if isinstance(value, str) and value.endswith("%"):
        return -(-int(value[:-1]) * total // 100)  # round up, as the API server
    return int(value)


def controller_of(obj):
    for ref in obj["metadata"].get("ownerReferences") or []:
        if ref.get("controller"):
            return ref
    return None

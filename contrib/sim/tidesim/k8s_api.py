"""Kubernetes API under /api and /apis: what kubectl cordon, drain,
uncordon, taint, label and get need (observed with real kubectl).

Discovery is plain legacy JSON (APIVersions, APIGroupList, APIResourceList);
kubectl falls back to it when it asks for aggregated discovery.  Errors are
Status objects.  There is no watch support.
"""

import base64
import json

from .k8s import K8sError, controller_of, fields_match, labels_match, parse_label_selector
from .web import json_response

PATCH_TYPES = ("application/strategic-merge-patch+json", "application/merge-patch+json")


def status_response(err):
    return json_response(err.status(), err.code)


def router_error(status, detail, headers):
    if status == 405:
        err = K8sError(405, "MethodNotAllowed",
                       "the server does not allow this method on the requested resource")
    else:
        err = K8sError(404, "NotFound", "the server could not find the requested resource")
    return json_response(err.status(), status, headers)


def guarded(handler):
    """Turn K8sError raised by the store into a Status response."""
    def wrapper(st, req, **params):
        try:
            return handler(st, req, **params)
        except K8sError as err:
            return status_response(err)
    return wrapper


# ---- discovery ---------------------------------------------------------------------------

def resource(name, kind, namespaced, verbs, short=None, group=None, version=None):
    out = {"name": name, "singularName": "", "namespaced": namespaced, "kind": kind,
           "verbs": verbs}
    if short:
        out["shortNames"] = short
    if group is not None:
        out["group"], out["version"] = group, version
    return out


ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

RESOURCES = {
    "v1": [resource("nodes", "Node", False, ALL_VERBS, ["no"]),
           resource("nodes/status", "Node", False, ["get", "patch", "update"]),
           resource("pods", "Pod", True, ALL_VERBS, ["po"]),
           resource("pods/eviction", "Eviction", True, ["create"], group="policy",
                    version="v1"),
           resource("pods/status", "Pod", True, ["get", "patch", "update"])],
    "apps/v1": [resource("daemonsets", "DaemonSet", True, ALL_VERBS, ["ds"]),
                resource("replicasets", "ReplicaSet", True, ALL_VERBS, ["rs"])],
    "policy/v1": [resource("poddisruptionbudgets", "PodDisruptionBudget", True, ALL_VERBS,
                           ["pdb"])],
    "policy/v1beta1": [resource("poddisruptionbudgets", "PodDisruptionBudget", True,
                                ALL_VERBS, ["pdb"])],
    "coordination.k8s.io/v1": [resource("leases", "Lease", True, ALL_VERBS)],
}

GROUPS = [("apps", ["v1"]), ("policy", ["v1", "v1beta1"]), ("coordination.k8s.io", ["v1"])]


def api_versions(st, req):
    return json_response({"kind": "APIVersions", "versions": ["v1"],
                          "serverAddressByClientCIDRs": [
                              {"clientCIDR": "0.0.0.0/0",
                               "serverAddress": st.config.base_url.split("//")[1]}]})


def api_groups(st, req):
    groups = []
    for name, versions in GROUPS:
        entries = [{"groupVersion": name + "/" + v, "version": v} for v in versions]
        groups.append({"name": name, "versions": entries, "preferredVersion": entries[0]})
    return json_response({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})


def resource_list(group_version):
    def handler(st, req):
        return json_response({"kind": "APIResourceList", "apiVersion": "v1",
                              "groupVersion": group_version,
                              "resources": RESOURCES[group_version]})
    return handler


def version(st, req):
    return json_response({"major": "1", "minor": "20", "gitVersion": "v1.20.2-tide-sim",
                          "gitCommit": "tide-sim", "gitTreeState": "clean",
                          "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.19.8",
                          "compiler": "gc", "platform": "linux/amd64"})


# ---- lists -------------------------------------------------------------------------------

def list_response(st, req, kind, items, api_version="v1"):
    """Apply labelSelector, fieldSelector and limit/continue paging."""
    reqs = parse_label_selector(req.arg("labelSelector", ""))
    fields = req.arg("fieldSelector", "")
    items = [i for i in items
             if labels_match(i["metadata"].get("labels"), reqs) and fields_match(i, fields)]
    start = 0
    token = req.arg("continue")
    if token:
        try:
            start = json.loads(base64.urlsafe_b64decode(token.encode()))["start"]
        except (ValueError, KeyError, TypeError):
            raise K8sError(400, "BadRequest", "continue key is not valid")
    meta = {"resourceVersion": str(st.k8s.rv)}
    limit_text = req.arg("limit", "0") or "0"
    if not limit_text.isdigit():
        raise K8sError(400, "BadRequest", "invalid limit: " + limit_text)
    limit = int(limit_text)
    if limit > 0 and start + limit < len(items):
        meta["continue"] = base64.urlsafe_b64encode(
            json.dumps({"start": start + limit}).encode()).decode()
        meta["remainingItemCount"] = len(items) - start - limit
        items = items[start:start + limit]
    else:
        items = items[start:]
    return json_response({"kind": kind, "apiVersion": api_version, "metadata": meta,
                          "items": items})


def namespaced(store, namespace=None):
    return [obj for (ns, _), obj in sorted(store.items()) if namespace in (None, ns)]


# ---- nodes -------------------------------------------------------------------------------

def nodes_list(st, req):
    return list_response(st, req, "NodeList", [st.k8s.nodes[n] for n in sorted(st.k8s.nodes)])


def node_get(st, req, name):
    return json_response(st.k8s.get_node(name))


def request_json(req):
    try:
        return req.json()
    except ValueError as err:
        raise K8sError(400, "BadRequest", "the body of the request could not be decoded: "
                       + str(err))


def node_patch(st, req, name):
    if req.content_type not in PATCH_TYPES:
        raise K8sError(415, "UnsupportedMediaType", "the body of the request was in an "
                       "unknown format - accepted media types include: " + ", ".join(PATCH_TYPES))
    return json_response(st.k8s.patch_node(name, request_json(req)))


def node_put(st, req, name):
    return json_response(st.k8s.update_node(name, request_json(req)))


def lease_get(st, req, name):
    return json_response(st.k8s.lease(name))


# ---- pods --------------------------------------------------------------------------------

def pods_list(st, req, namespace=None):
    return list_response(st, req, "PodList", namespaced(st.k8s.pods, namespace))


def pod_get(st, req, namespace, name):
    return json_response(st.k8s.get_pod(namespace, name))


def pod_delete(st, req, namespace, name):
    pod = st.k8s.get_pod(namespace, name)
    st.k8s.remove_pod(pod)
    return json_response(pod)


def pod_evict(st, req, namespace, name):
    body = request_json(req)
    if not isinstance(body, dict):
        raise K8sError(400, "BadRequest", "the body of the request was not an Eviction")
    if body.get("apiVersion") not in (None, "policy/v1", "policy/v1beta1"):
        raise K8sError(400, "BadRequest", "unsupported Eviction apiVersion " +
                       str(body.get("apiVersion")))
    wanted = (body.get("metadata") or {}).get("name")
    if wanted not in (None, name):
        raise K8sError(400, "BadRequest", "name in URL does not match name in Eviction object")
    pod = st.k8s.get_pod(namespace, name)
    st.k8s.check_eviction(pod)
    st.k8s.remove_pod(pod)
    return json_response({"kind": "Status", "apiVersion": "v1", "metadata": {},
                          "status": "Success", "code": 201}, 201)


# ---- workloads and budgets ---------------------------------------------------------------

def object_get(store, resource_name):
    def handler(st, req, namespace, name):
        obj = getattr(st.k8s, store).get((namespace, name))
        if obj is None:
            raise K8sError(404, "NotFound", '%s.%s "%s" not found' % (resource_name + (name,)),
                           {"name": name, "group": resource_name[1], "kind": resource_name[0]})
        return json_response(with_status(st, store, obj))
    return handler


def object_list(store, kind, api_version):
    def handler(st, req, namespace=None):
        items = [with_status(st, store, o) for o in namespaced(getattr(st.k8s, store), namespace)]
        return list_response(st, req, kind, items, api_version)
    return handler


def with_status(st, store, obj):
    """PDB status is computed from the pods, as the disruption controller would."""
    if store == "pdbs":
        return {**obj, "status": st.k8s.pdb_status(obj)}
    if store == "daemonsets":
        count = sum(1 for p in st.k8s.pods.values()
                    if (controller_of(p) or {}).get("name") == obj["metadata"]["name"]
                    and p["metadata"]["namespace"] == obj["metadata"]["namespace"])
        return {**obj, "status": {"currentNumberScheduled": count,
                                  "desiredNumberScheduled": count, "numberReady": count,
                                  "numberMisscheduled": 0}}
    return obj


def register(router):
    def add(method, pattern, handler):
        router.add(method, pattern, guarded(handler))
    add("GET", "/version", version)
    add("GET", "/api", api_versions)
    add("GET", "/apis", api_groups)
    add("GET", "/api/v1", resource_list("v1"))
    for group_version in RESOURCES:
        if group_version != "v1":
            add("GET", "/apis/" + group_version, resource_list(group_version))
    add("GET", "/api/v1/nodes", nodes_list)
    add("GET", "/api/v1/nodes/{name}", node_get)
    add("PATCH", "/api/v1/nodes/{name}", node_patch)
    add("PUT", "/api/v1/nodes/{name}", node_put)
    add("GET", "/api/v1/pods", pods_list)
    add("GET", "/api/v1/namespaces/{namespace}/pods", pods_list)
    add("GET", "/api/v1/namespaces/{namespace}/pods/{name}", pod_get)
    add("DELETE", "/api/v1/namespaces/{namespace}/pods/{name}", pod_delete)
    add("POST", "/api/v1/namespaces/{namespace}/pods/{name}/eviction", pod_evict)
    ds_get = object_get("daemonsets", ("daemonsets", "apps"))
    ds_list = object_list("daemonsets", "DaemonSetList", "apps/v1")
    add("GET", "/apis/apps/v1/daemonsets", ds_list)
    add("GET", "/apis/apps/v1/namespaces/{namespace}/daemonsets", ds_list)
    add("GET", "/apis/apps/v1/namespaces/{namespace}/daemonsets/{name}", ds_get)
    for policy in ("policy/v1", "policy/v1beta1"):
        pdb_get = object_get("pdbs", ("poddisruptionbudgets", "policy"))
        pdb_list = object_list("pdbs", "PodDisruptionBudgetList", policy)
        add("GET", "/apis/%s/poddisruptionbudgets" % policy, pdb_list)
        add("GET", "/apis/%s/namespaces/{namespace}/poddisruptionbudgets" % policy, pdb_list)
        add("GET", "/apis/%s/namespaces/{namespace}/poddisruptionbudgets/{name}" % policy,
            pdb_get)
    add("GET", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{name}",
        lease_get)

"""Sim-only admin paths under /sim/ (not part of any real API).

  GET  /sim/nodes                     every simulated node (power, image, boots)
  GET  /sim/nodes/{xname}             one node
  POST /sim/nodes/{xname}/kexec       kexec into what BSS names now (node must be on)
  POST /sim/nodes/{xname}/power       {"state": "on"|"off"}: pull or restore power
  POST /sim/redfish                   Redfish settings, as the site file's "redfish"
                                      object: {"defaults": {..}, "systems": {xname: {..}}}
  POST /sim/k8s/nodes|pods|daemonsets|pdbs   create or replace a Kubernetes object
  DELETE /sim/k8s/nodes/{name}, /sim/k8s/pods/{namespace}/{name}
  GET/POST/DELETE /sim/faults         list, add (object or list), clear fault rules
  POST /sim/latency                   {"ms": N} per-request delay
  GET/DELETE /sim/requests            the request log (method, target, status, body)
"""

from . import machine
from . import xname as xn
from .k8s import K8sError
from .web import Abort, json_response, problem, empty


def body(req):
    try:
        return req.json()
    except ValueError as err:
        raise Abort(problem(400, "bad JSON: " + str(err)))


def get_machine(st, name):
    m = st.machines.get(xn.normalize(name))
    if m is None:
        return None, problem(404, "no such node: " + name)
    return m, None


def nodes_get(st, req):
    return json_response([st.machines.nodes[n].json()
                          for n in sorted(st.machines.nodes, key=xn.natural_key)])


def node_get(st, req, name):
    m, error = get_machine(st, name)
    return error or json_response(m.json())


def node_kexec(st, req, name):
    m, error = get_machine(st, name)
    if error:
        return error
    if m.power != "on":
        return problem(409, "node is powered off")
    machine.kexec(st, m)
    return json_response(m.json(), 202)


def node_power(st, req, name):
    m, error = get_machine(st, name)
    if error:
        return error
    data = body(req)
    if not isinstance(data, dict) or data.get("state") not in ("on", "off"):
        return problem(400, 'want {"state": "on"|"off"}')
    if data["state"] == "on":
        machine.power_on(st, m)
    else:
        machine.power_off(st, m)
    return json_response(m.json(), 202)


def redfish_configure(st, req):
    data = body(req)
    if not isinstance(data, dict):
        return problem(400, "want a JSON object")
    st.redfish.defaults.update(data.get("defaults") or {})
    for name, overrides in (data.get("systems") or {}).items():
        st.redfish.configure(name, overrides)
    return json_response({"defaults": st.redfish.defaults, "systems": st.redfish.systems})


def k8s_create(kind):
    put = {"nodes": "put_node", "pods": "put_pod", "daemonsets": "put_daemonset",
           "pdbs": "put_pdb"}[kind]

    def handler(st, req):
        data = body(req)
        if not isinstance(data, dict):
            return problem(400, "want a JSON object")
        try:
            return json_response(getattr(st.k8s, put)(data), 201)
        except K8sError as err:
            return problem(err.code, err.message)
    return handler


def k8s_node_delete(st, req, name):
    if st.k8s.nodes.pop(name, None) is None:
        return problem(404, "no such node: " + name)
    return empty(204)


def k8s_pod_delete(st, req, namespace, name):
    pod = st.k8s.pods.get((namespace, name))
    if pod is None:
        return problem(404, "no such pod")
    st.k8s.remove_pod(pod)
    return empty(204)


def faults_get(st, req):
    return json_response([rule.json() for rule in st.faults.rules])


def faults_post(st, req):
    data = body(req)
    specs = data if isinstance(data, list) else [data]
    try:
        for spec in specs:
            st.faults.add(spec)
    except (ValueError, TypeError) as err:
        return problem(400, "bad fault: " + str(err))
    return json_response([rule.json() for rule in st.faults.rules], 201)


def faults_delete(st, req):
    st.faults.clear()
    return empty(204)


def latency_post(st, req):
    data = body(req)
    if not isinstance(data, dict) or not isinstance(data.get("ms"), (int, float)):
        return problem(400, 'want {"ms": N}')
    st.config.latency_ms = data["ms"]
    return json_response({"ms": st.config.latency_ms})


def requests_get(st, req):
    return json_response(list(st.requests))


def requests_delete(st, req):
    st.requests.clear()
    return empty(204)


def register(router):
    add = router.add
    add("GET", "/sim/nodes", nodes_get)
    add("GET", "/sim/nodes/{name}", node_get)
    add("POST", "/sim/nodes/{name}/kexec", node_kexec)
    add("POST", "/sim/nodes/{name}/power", node_power)
    add("POST", "/sim/redfish", redfish_configure)
    for kind in ("nodes", "pods", "daemonsets", "pdbs"):
        add("POST", "/sim/k8s/" + kind, k8s_create(kind))
    add("DELETE", "/sim/k8s/nodes/{name}", k8s_node_delete)
    add("DELETE", "/sim/k8s/pods/{namespace}/{name}", k8s_pod_delete)
    add("GET", "/sim/faults", faults_get)
    add("POST", "/sim/faults", faults_post)
    add("DELETE", "/sim/faults", faults_delete)
    add("POST", "/sim/latency", latency_post)
    add("GET", "/sim/requests", requests_get)
    add("DELETE", "/sim/requests", requests_delete)

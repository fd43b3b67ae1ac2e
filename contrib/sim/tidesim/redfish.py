"""A Redfish BMC under /redfish/v1 that fronts every simulated node.

Real BMCs differ in which ResetType values they allow (and whether they
list them inline or through an ActionInfo resource); the site file can set
both per node so a client's reset fallback chain can be exercised.
"""

from . import machine
from . import xname as xn
from .web import json_response, empty

DEFAULT_RESET_TYPES = ["On", "ForceOff", "GracefulShutdown", "GracefulRestart", "ForceRestart"]
ROOT = "/redfish/v1"


class RedfishStore:
    def __init__(self):
        self.defaults = {"ResetTypes": list(DEFAULT_RESET_TYPES), "ActionInfo": False}
        self.systems = {}  # xname -> overrides: ResetTypes, ActionInfo, FailPower, Boot

    def configure(self, xname, overrides):
        self.systems.setdefault(xn.normalize(xname), {}).update(overrides)

    def setting(self, xname, key):
        return self.systems.get(xname, {}).get(key, self.defaults.get(key))

    def allowed(self, xname):
        return list(self.setting(xname, "ResetTypes") or [])

    def reset_type(self, xname, action):
        """The ResetType PCS would send for a power action, as in its
        generateTransitionPayload: the action itself, else Off for a
        graceful shutdown, else ForceRestart for a graceful restart."""
        by_lower = {t.lower(): t for t in self.allowed(xname)}
        fallback = {"gracefulshutdown": "off", "gracefulrestart": "forcerestart"}
        return by_lower.get(action) or by_lower.get(fallback.get(action, ""))

    def power_failure(self, xname):
        return self.setting(xname, "FailPower")


def rf_error(status, message_id, message, headers=None):
    body = {"error": {
        "code": "Base.1.8.GeneralError",
        "message": "A general error has occurred. See ExtendedInfo for more information.",
        "@Message.ExtendedInfo": [{
            "@odata.type": "#Message.v1_1_1.Message",
            "MessageId": "Base.1.8." + message_id,
            "Message": message, "Severity": "Warning",
            "Resolution": "Correct the request and resubmit it."}]}}
    return json_response(body, status, headers)


def router_error(status, detail, headers):
    if status == 405:
        return rf_error(405, "OperationNotAllowed", "The operation is not allowed: " + detail,
                        headers)
    return rf_error(status, "ResourceMissingAtURI", "The resource was not found.", headers)


def service_root(st, req):
    return json_response({
        "@odata.id": ROOT + "/", "@odata.type": "#ServiceRoot.v1_5_0.ServiceRoot",
        "Id": "RootService", "Name": "Root Service", "RedfishVersion": "1.8.0",
        "UUID": "00000000-0000-0000-0000-00000000714e",
        "Systems": {"@odata.id": ROOT + "/Systems"},
        "Managers": {"@odata.id": ROOT + "/Managers"},
        "SessionService": {"@odata.id": ROOT + "/SessionService"},
        "Links": {"Sessions": {"@odata.id": ROOT + "/SessionService/Sessions"}}})


def systems(st, req):
    names = sorted(st.machines.nodes, key=xn.natural_key)
    return json_response({
        "@odata.id": ROOT + "/Systems",
        "@odata.type": "#ComputerSystemCollection.ComputerSystemCollection",
        "Name": "Computer System Collection", "Members@odata.count": len(names),
        "Members": [{"@odata.id": ROOT + "/Systems/" + n} for n in names]})


def get_machine(st, system_id):
    return st.machines.get(xn.normalize(system_id))


def system(st, req, system_id):
    m = get_machine(st, system_id)
    if m is None:
        return router_error(404, "", None)
    uri = ROOT + "/Systems/" + m.xname
    reset = {"target": uri + "/Actions/ComputerSystem.Reset"}
    if st.redfish.setting(m.xname, "ActionInfo"):
        reset["@Redfish.ActionInfo"] = uri + "/ResetActionInfo"
    else:
        reset["ResetType@Redfish.AllowableValues"] = st.redfish.allowed(m.xname)
    boot = {"BootSourceOverrideEnabled": "Disabled", "BootSourceOverrideTarget": "None",
            "BootSourceOverrideTarget@Redfish.AllowableValues": ["None", "Pxe", "Hdd"]}
    boot.update(st.redfish.setting(m.xname, "Boot") or {})
    return json_response({
        "@odata.id": uri, "@odata.type": "#ComputerSystem.v1_10_0.ComputerSystem",
        "Id": m.xname, "Name": m.xname, "SystemType": "Physical", "Manufacturer": "HPE",
        "PowerState": "On" if m.power == "on" else "Off",
        "Status": {"State": "Enabled", "Health": "OK"}, "Boot": boot,
        "Actions": {"#ComputerSystem.Reset": reset}})


def reset_action_info(st, req, system_id):
    m = get_machine(st, system_id)
    if m is None or not st.redfish.setting(m.xname, "ActionInfo"):
        return router_error(404, "", None)
    uri = ROOT + "/Systems/" + m.xname + "/ResetActionInfo"
    return json_response({
        "@odata.id": uri, "@odata.type": "#ActionInfo.v1_1_2.ActionInfo",
        "Id": "ResetActionInfo", "Name": "Reset Action Info",
        "Parameters": [{"Name": "ResetType", "Required": True, "DataType": "String",
                        "AllowableValues": st.redfish.allowed(m.xname)}]})


def system_patch(st, req, system_id):
    """Boot override, as used before a full-reboot image switch."""
    m = get_machine(st, system_id)
    if m is None:
        return router_error(404, "", None)
    try:
        data = req.json()
    except ValueError:
        return rf_error(400, "MalformedJSON", "The request body submitted was malformed JSON.")
    if isinstance(data, dict) and isinstance(data.get("Boot"), dict):
        boot = dict(st.redfish.setting(m.xname, "Boot") or {})
        boot.update(data["Boot"])
        st.redfish.configure(m.xname, {"Boot": boot})
    return empty(204)


def reset(st, req, system_id):
    m = get_machine(st, system_id)
    if m is None:
        return router_error(404, "", None)
    try:
        data = req.json()
    except ValueError:
        return rf_error(400, "MalformedJSON", "The request body submitted was malformed JSON.")
    reset_type = data.get("ResetType") if isinstance(data, dict) else None
    if not reset_type:
        return rf_error(400, "ActionParameterMissing", "The action ComputerSystem.Reset "
                        "requires the parameter ResetType to be present in the request body.")
    if reset_type not in st.redfish.allowed(m.xname):
        return rf_error(400, "ActionParameterValueNotInList",
                        "The value '%s' for the parameter ResetType in the action "
                        "ComputerSystem.Reset is not in the list of acceptable values."
                        % reset_type)
    broken = st.redfish.power_failure(m.xname)
    if broken:
        return rf_error(500, "InternalError", broken)
    kind = reset_type.lower()
    if kind in ("on", "forceon"):
        machine.power_on(st, m)
    elif kind in ("forceoff", "gracefulshutdown", "off"):
        machine.power_off(st, m)
    elif kind in ("gracefulrestart", "forcerestart", "powercycle", "fullpowercycle"):
        if m.power == "on":
            machine.restart(st, m)
        else:
            machine.power_on(st, m)
    elif kind == "pushpowerbutton":
        if m.power == "on":
            machine.power_off(st, m)
        else:
            machine.power_on(st, m)
    return empty(204)


def managers(st, req):
    return json_response({
        "@odata.id": ROOT + "/Managers",
        "@odata.type": "#ManagerCollection.ManagerCollection", "Name": "Manager Collection",
        "Members@odata.count": 1, "Members": [{"@odata.id": ROOT + "/Managers/BMC"}]})


def manager(st, req, manager_id):
    if manager_id != "BMC":
        return router_error(404, "", None)
    return json_response({
        "@odata.id": ROOT + "/Managers/BMC", "@odata.type": "#Manager.v1_5_0.Manager",
        "Id": "BMC", "Name": "tide-sim BMC", "ManagerType": "BMC", "FirmwareVersion": "1.0",
        "Status": {"State": "Enabled", "Health": "OK"}})


def session_service(st, req):
    return json_response({
        "@odata.id": ROOT + "/SessionService", "Id": "SessionService",
        "@odata.type": "#SessionService.v1_1_6.SessionService", "ServiceEnabled": True,
        "SessionTimeout": 3600, "Sessions": {"@odata.id": ROOT + "/SessionService/Sessions"}})


def sessions(st, req):
    return json_response({"@odata.id": ROOT + "/SessionService/Sessions",
                          "Members@odata.count": 0, "Members": []})


def session_login(st, req):
    """Any user whose password is the --token value gets that token as its
    X-Auth-Token (any password when the simulator runs without --token)."""
    try:
        data = req.json()
    except ValueError:
        return rf_error(400, "MalformedJSON", "The request body submitted was malformed JSON.")
    password = data.get("Password") if isinstance(data, dict) else None
    token = st.config.token
    if token and password != token:
        return rf_error(401, "InsufficientPrivilege", "Invalid username or password.")
    uri = ROOT + "/SessionService/Sessions/1"
    return json_response({"@odata.id": uri, "Id": "1", "UserName": data.get("UserName", "")},
                         201, {"X-Auth-Token": token or "tide-sim-session", "Location": uri})


def register(router):
    add = router.add
    add("GET", ROOT, service_root)
    add("GET", ROOT + "/Systems", systems)
    add("GET", ROOT + "/Systems/{system_id}", system)
    add("PATCH", ROOT + "/Systems/{system_id}", system_patch)
    add("GET", ROOT + "/Systems/{system_id}/ResetActionInfo", reset_action_info)
    add("POST", ROOT + "/Systems/{system_id}/Actions/ComputerSystem.Reset", reset)
    add("GET", ROOT + "/Managers", managers)
    add("GET", ROOT + "/Managers/{manager_id}", manager)
    add("GET", ROOT + "/SessionService", session_service)
    add("GET", ROOT + "/SessionService/Sessions", sessions)
    add("POST", ROOT + "/SessionService/Sessions", session_login)
    add("DELETE", ROOT + "/SessionService/Sessions/{sid}", lambda st, req, sid: empty(204))

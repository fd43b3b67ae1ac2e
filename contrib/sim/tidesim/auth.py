"""Bearer-token checks and a client_credentials token endpoint.

Which paths need a token follows the real services (--auth-mode openchami,
the default): OpenCHAMI's SMD leaves /service/*, GET /State/Components and
GET /Inventory/EthernetInterfaces public, its BSS protects only
/boot/v1/bootparameters, and PCS leaves its probes public.  --auth-mode
gateway protects everything, like the CSM API gateway.  Always open: the
/sim/ admin paths, the token endpoints, /hsm/v2/service/ready, and the
Redfish service root and session login (as on a BMC).

A missing or wrong token gets each service's own 401: OpenCHAMI's jwtauth
middleware answers text/plain ("no token found" / "Unauthorized"), the
Kubernetes API a Status object, Redfish an error object.

Token endpoint: POST /oauth2/token (hydra) or
/keycloak/realms/<realm>/protocol/openid-connect/token (Keycloak), grant
client_credentials, client id and secret by HTTP Basic or form fields.
Any client id is accepted whose secret equals the --token value; the
answer's access_token is that value.
"""

import base64
import json
from urllib.parse import parse_qs, unquote

from .redfish import rf_error
from .k8s import K8sError
from .web import Response, json_response, text_response

OPEN_PREFIXES = ("/sim/", "/oauth2/", "/keycloak/")
SIM_TOKEN = "tide-sim-token"


def is_public(method, path, mode):
    if path.startswith(OPEN_PREFIXES) or path == "/hsm/v2/service/ready":
        return True
    # A BMC answers its service root and the session login without
    # credentials, whatever sits in front of the other services.
    if path == "/redfish/v1" or (method == "POST" and
                                 path == "/redfish/v1/SessionService/Sessions"):
        return True
    if mode != "openchami":
        return False
    if path.startswith("/hsm/v2/service/"):
        return True
    if method == "GET" and path in ("/hsm/v2/State/Components",
                                    "/hsm/v2/Inventory/EthernetInterfaces"):
        return True
    if path.startswith("/boot/v1/") and path != "/boot/v1/bootparameters":
        return True
    return path in ("/power-control/v1/liveness", "/power-control/v1/readiness",
                    "/power-control/v1/health")


def presented_token(req):
    """The credential a client sent, or None.  Redfish clients may use
    Basic auth (the password is the credential) or a session token."""
    auth = req.header("Authorization")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if req.path.startswith("/redfish/"):
        if scheme.lower() == "basic":
            try:
                return base64.b64decode(value).decode().partition(":")[2]
            except ValueError:
                return ""
        if req.header("X-Auth-Token"):
            return req.header("X-Auth-Token")
    return None


def unauthorized(req, message):
    if req.path in ("/api", "/apis", "/version") or req.path.startswith(("/api/", "/apis/")):
        err = K8sError(401, "Unauthorized", "Unauthorized")
        return json_response(err.status(), 401)
    if req.path.startswith("/redfish/"):
        return rf_error(401, "InsufficientPrivilege", "There are insufficient privileges "
                        "for the account or credentials associated with the current session "
                        "to perform the requested operation.",
                        {"WWW-Authenticate": 'Basic realm="tide-sim"'})
    # Go's http.Error: text/plain, nosniff, message plus newline.
    return text_response(401, message + "\n", headers={"X-Content-Type-Options": "nosniff"})


def check(st, req):
    """None if the request may proceed, else the 401 response."""
    token = st.config.token
    if not token or is_public(req.method, req.path, st.config.auth_mode):
        return None
    presented = presented_token(req)
    if presented is None:
        return unauthorized(req, "no token found")
    if presented != token:
        return unauthorized(req, "Unauthorized")
    return None


def is_token_path(path):
    return path == "/oauth2/token" or (path.startswith("/keycloak/realms/") and
                                       path.endswith("/protocol/openid-connect/token"))


def oauth_error(status, error, description):
    return json_response({"error": error, "error_description": description}, status)


def token_endpoint(st, req):
    if req.method != "POST":
        return oauth_error(405, "invalid_request", "use POST")
    form = {k: v[0] for k, v in parse_qs(req.body.decode("utf-8", "replace")).items()}
    client_id, secret = form.get("client_id"), form.get("client_secret")
    scheme, _, value = req.header("Authorization").partition(" ")
    if scheme.lower() == "basic":
        try:
            user, _, password = base64.b64decode(value).decode().partition(":")
        except ValueError:
            return oauth_error(401, "invalid_client", "malformed Basic credentials")
        client_id, secret = unquote(user), unquote(password)
    if form.get("grant_type") != "client_credentials":
        return oauth_error(400, "unsupported_grant_type",
                           "only client_credentials is supported")
    if not client_id:
        return oauth_error(401, "invalid_client", "client authentication failed")
    if st.config.token and secret != st.config.token:
        return oauth_error(401, "invalid_client", "client authentication failed")
    body = {"access_token": st.config.token or SIM_TOKEN, "expires_in": 3600,
            "scope": form.get("scope", ""), "token_type": "bearer"}
    return Response(200, json.dumps(body), "application/json",
                    {"Cache-Control": "no-store", "Pragma": "no-cache"})

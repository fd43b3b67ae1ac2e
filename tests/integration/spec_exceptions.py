"""Every accepted difference between the services' published API specs and what
the services really send, as checked by test_fidelity.py.

test_fidelity.py sends tide's SMD, BSS and PCS clients through Prism, a proxy
that validates each request and response against the official spec, in front
of tide-sim.  Any violation Prism reports fails the test unless an entry below
matches it.  Where a spec and the real server code disagree, tide (and
tide-sim) follow the code; each entry names the server code that shows the
real behaviour.  An entry that no run hits fails the test too, unless it is
marked conditional (with the condition), so this list cannot outlive the
difference it excuses.

Fields of a SpecException:
  service   "smd", "bss" or "pcs"
  method    HTTP method, a regular expression matched in full ("GET|POST")
  path      request path as the spec writes it (no base path, no query), a
            regular expression matched in full
  location  where Prism puts the violation ("request.query.group",
            "response.body.0.label", "response"), a regular expression
            matched in full
  message   Prism's message, a regular expression searched for
  differs   what the spec says and what the service does
  source    the server code that shows the real behaviour
  conditional  None, or why the difference may not show in every run

Known differences Prism cannot see, so no entry is needed:
  * SMD's created replies are [{"URI": ...}]; the spec's examples write "uri",
    but Prism does not validate examples (smd pkg/sm/endpoints.go ResourceURI).
  * PCS errors carry "status", the spec's Problem7807 says "statusCode"; both are
    optional and extra keys are allowed (power-control internal/model/problem7807.go).
  * PCS POST /transitions answers 200; the spec also says 200 (its description
    reads "Accepted").
  * BSS GET /bootparameters?name= answers 404 when nothing matches; the spec
    lists that 404 (bss cmd/boot-script-service/default_api.go).

Not spec differences but limits of Prism 5.14.2 that test_fidelity.py works
around are listed in PROXY_WORKAROUNDS below, for the same reason.
"""

from collections import namedtuple

SpecException = namedtuple("SpecException", "service method path location message differs source "
                                            "conditional")
ProxyWorkaround = namedtuple("ProxyWorkaround", "service method path what reason")

GROUP_PATTERN_MESSAGE = r'must match pattern "\^\[0-9a-f_\\-\.\]\{1,\}\$"'

EXCEPTIONS = [
    # ---- SMD ---------------------------------------------------------------------------
    SpecException(
        service="smd", method="GET|POST", path=r"/groups(/[^/]+)?",
        location=r"(request|response)\.body(\.\d+)?\.(label|exclusiveGroup|tags\.\d+)",
        message=GROUP_PATTERN_MESSAGE,
        differs="The spec's pattern for group labels, tags and exclusiveGroup, ^[0-9a-f_\\-.]{1,}$, "
                "allows hex digits and _-. only, so 'nodes_free' or 'k8s_workers' fail it; SMD "
                "lower-cases them and accepts ^[-a-z0-9:._]+$.",
        source="smd pkg/sm/groups.go (label, tag and exclusiveGroup checks)",
        conditional=None),
    SpecException(
        service="smd", method="GET", path=r"/groups",
        location=r"request\.query\.group", message=r"must be string",
        differs="tide reads several groups in one call with a repeated group= parameter; the spec "
                "declares group= as one string.  SMD takes every group= value, like its other "
                "repeatable filters.",
        source="smd cmd/smd/smd-api.go (the groups GET handler reads every group= value)",
        conditional=None),
    SpecException(
        service="smd", method="DELETE", path=r"/groups/[^/]+(/members/[^/]+)?",
        location=r"response\.body\.code", message=r"must be string",
        differs="SMD's {code, message} reply to a delete carries code as the number 0; the spec "
                "types code as a string.",
        source="smd cmd/smd/response.go (code is an int, 0 for every 2xx)",
        conditional=None),
    SpecException(
        service="smd", method="POST", path=r"/locks/service/reservations(/check|/renew|/release)?",
        location=r"response",
        message=r"Unable to match the returned status code with those defined in the document: 202",
        differs="Service reservation calls answer 200 OK; the spec documents 202 Accepted.",
        source="smd cmd/smd/smd-api.go (the service reservation handlers answer 200)",
        conditional=None),
    SpecException(
        service="smd", method="PUT", path=r"/groups/[^/]+/members",
        location=r"response(\.body)?",
        message=r'The received media type "" does not match|Response body must be object',
        differs="Setting a group's members to an empty list answers 204 No Content; the spec lists "
                "no 204, so Prism checks the empty reply against its default (Problem7807) answer.",
        source="smd cmd/smd/smd-api.go (the members PUT handler answers 204 when ids is empty)",
        conditional=None),

    # ---- BSS ---------------------------------------------------------------------------
    SpecException(
        service="bss", method="GET", path=r"/boot/v1/bootparameters",
        location=r"response\.body\.\d+\.cloud-init\.(meta-data|user-data)",
        message=r"must be object",
        differs="BSS always returns the cloud-init object, with meta-data and user-data null when "
                "they are not set; the spec types both as objects.",
        source="bss pkg/bssTypes/types.go (CloudInit fields are maps, marshalled as null when nil)",
        conditional=None),
    SpecException(
        service="bss", method="GET", path=r"/boot/v1/bootscript",
        location=r"response(\.body)?",
        message=r'The received media type "application/json" does not match the one specified in '
                r'the current response: text/plain|Response body must be string',
        differs="With json=1 the boot script comes as a JSON object ({params, kernel, initrd}); the "
                "spec documents json= but declares only the text/plain script as the reply (its own "
                "comment says the JSON schema is missing).  Prism logs the path without the query, "
                "so this entry cannot tell json=1 apart; the plain script is checked by "
                "tide-fidelity, which parses it as iPXE.",
        source="bss cmd/boot-script-service/default_api.go (BootscriptGet, json= parameter)",
        conditional=None),

    # ---- PCS ---------------------------------------------------------------------------
    SpecException(
        service="pcs", method=r"[A-Z]+", path=r"/.*",
        location=r"response",
        message=r'The received media type "application/problem\+json" does not match the one '
                r'specified in the current response: application/error',
        differs="PCS errors are RFC 7807 bodies sent as application/problem+json; the spec "
                "declares the media type application/error.",
        source="power-control internal/model/problem7807.go",
        conditional=None),
    SpecException(
        service="pcs", method="POST", path=r"/transitions",
        location=r"request\.body\.location\.\d+\.deputyKey",
        message=r'must match format "uuid"',
        differs="The spec gives deputyKey the format uuid, but the deputy keys SMD hands out are "
                "'<xname>:dk:<uuid>', and PCS passes them unchanged to SMD's reservation check.",
        source="smd internal/hmsds/hmsds-postgres.go (key format); power-control "
               "internal/domain/transitions.go (deputy keys checked with SMD)",
        conditional=None),
    SpecException(
        service="pcs", method="GET", path=r"/transitions/[^/]+",
        location=r"response",
        message=r"Unable to match the returned status code with those defined in the document: "
                r"200,400,500",
        differs="An unknown transition ID answers 404 Not Found; the spec lists 200, 400 and 500 only.",
        source="power-control internal/api/transitions.go (an unknown ID answers 404)",
        conditional=None),
]

PROXY_WORKAROUNDS = [
    ProxyWorkaround(
        service="bss", method="PUT|PATCH|DELETE", path=r"/boot/v1/bootparameters",
        what="The relay in front of tide-sim drops the Content-Type of replies with an empty body "
             "(status other than 204) before Prism sees them.",
        reason="BSS answers successful writes with 200, an empty body and Content-Type "
               "application/json (bss cmd/boot-script-service/default_api.go).  Prism 5.14.2 "
               "parses every JSON-typed body and, on an empty one, answers 500 itself instead of "
               "forwarding the reply; the spec declares these 200s without a body, so nothing "
               "is left unchecked."),
]

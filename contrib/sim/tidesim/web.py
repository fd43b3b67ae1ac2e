"""HTTP plumbing shared by every simulated service.

Handlers receive a Request and return a Response.  A handler that wants to
stop early raises Abort(response); the dispatcher turns that into the reply.
This keeps the handlers straight-line code instead of nested if/else.
"""

import json
import re
from http import HTTPStatus
from urllib.parse import parse_qs, unquote


class Abort(Exception):
    """Raised by a handler to answer with a ready-made response."""

    def __init__(self, response):
        super().__init__(response.status)
        self.response = response


class Request:
    def __init__(self, method, target, headers, body):
        self.method = method.upper()
        self.target = target
        raw_path, _, query = target.partition("?")
        # The OpenCHAMI routers strip trailing slashes (chi StripSlashes), so
        # "/hsm/v2/groups/" and "/hsm/v2/groups" are the same resource.
        path = unquote(raw_path)
        self.path = path.rstrip("/") or "/"
        self.query_string = query
        self.query = parse_qs(query, keep_blank_values=True)
        self.headers = headers
        self.body = body

    def header(self, name, default=""):
        value = self.headers.get(name)
        return default if value is None else value

    @property
    def content_type(self):
        return self.header("Content-Type").split(";")[0].strip().lower()

    def args(self, name):
        """All values of a query parameter, case-insensitive on the name."""
        out = []
        for key, values in self.query.items():
            if key.lower() == name.lower():
                out.extend(values)
        return out

    def arg(self, name, default=None):
        values = self.args(name)
        return values[0] if values else default

    def json(self):
        """The body as JSON.  Raises ValueError with a Go-like message."""
        if not self.body:
            raise ValueError("unexpected end of JSON input")
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise ValueError(str(err)) from None


class Response:
    def __init__(self, status, body=b"", content_type=None, headers=None):
        self.status = status
        self.body = body if isinstance(body, bytes) else body.encode("utf-8")
        self.headers = dict(headers or {})
        if content_type:
            self.headers["Content-Type"] = content_type
        # If set, the server closes the connection without answering
        # (fault injection of a dropped connection).
        self.drop = False


def encode_json(obj):
    return json.dumps(obj, separators=(",", ":")).encode("utf-8")


def json_response(obj, status=200, headers=None, content_type="application/json"):
    return Response(status, encode_json(obj), content_type, headers)


def problem(status, detail, headers=None):
    """RFC 7807 body as written by hms-base SendProblemDetailsGeneric."""
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "detail": detail,
        "status": status,
    }
    return json_response(body, status, headers, "application/problem+json")


def text_response(status, text, content_type="text/plain; charset=utf-8", headers=None):
    return Response(status, text, content_type, headers)


def empty(status, headers=None, content_type=None):
    return Response(status, b"", content_type, headers)


def smd_message(status, message):
    """SMD's "simple" body for a success without a resource."""
    return json_response({"code": 0, "message": message}, status)


class Router:
    """Maps (method, path pattern) to handlers for one service's path prefixes.

    Patterns use {name} for one path segment.  error(status, detail, headers)
    builds this service's error body, so 404/405 look like the real service's.
    """

    def __init__(self, prefixes, error):
        self.prefixes = prefixes
        self.error = error
        self.routes = []

    def add(self, method, pattern, handler):
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern)
        self.routes.append((method, re.compile("^" + regex + "$"), handler))

    def claims(self, path):
        return any(path == p or path.startswith(p + "/") for p in self.prefixes)

    def dispatch(self, st, req):
        allowed = []
        for method, regex, handler in self.routes:
            match = regex.match(req.path)
            if not match:
                continue
            if method == req.method:
                return handler(st, req, **match.groupdict())
            allowed.append(method)
        if allowed:
            allow = ",".join(sorted(set(allowed)))
            return self.error(405, "allow " + allow, {"Allow": allow})
        return self.error(404, "no such resource: " + req.path, None)

"""Fault injection: make the next N matching requests fail on purpose.

A rule is {"method": "PUT", "path": "^/boot/v1/bootparameters", "status": 500,
"body": "...", "content_type": "...", "count": N, "delay_ms": D, "drop": false,
"pass": false}.
method is optional (any), path is a regular expression searched in the
request path, count -1 means every matching request, drop closes the
connection without an answer, pass (with delay_ms) holds the request that long
and then serves it as usual: a slow server, or a window for a rival's request
to land first.  The /sim/ admin paths are never faulted, so a test can always
clear its rules.
"""

import re

from .web import Response


class Fault:
    def __init__(self, spec):
        if not isinstance(spec, dict):
            raise ValueError("a fault is a JSON object")
        self.method = (spec.get("method") or "").upper()
        self.path_text = spec.get("path", "")
        self.path = re.compile(self.path_text)
        self.status = int(spec.get("status", 500))
        body = spec.get("body", "")
        self.body = body if isinstance(body, str) else str(body)
        self.content_type = spec.get("content_type", "application/json")
        self.count = int(spec.get("count", 1))
        self.delay_ms = int(spec.get("delay_ms", 0))
        self.drop = bool(spec.get("drop", False))
        self.passes = bool(spec.get("pass", False))

    def matches(self, method, path):
        return (not self.method or self.method == method) and self.path.search(path)

    def response(self):
        resp = Response(self.status, self.body, self.content_type)
        resp.drop = self.drop
        return resp

    def json(self):
        return {"method": self.method, "path": self.path_text, "status": self.status,
                "body": self.body, "content_type": self.content_type, "count": self.count,
                "delay_ms": self.delay_ms, "drop": self.drop, "pass": self.passes}


class Faults:
    def __init__(self):
        self.rules = []

    def add(self, spec):
        self.rules.append(Fault(spec))

    def clear(self):
        self.rules = []

    def take(self, method, path):
        """The first rule matching this request, consuming one of its uses."""
        if path.startswith("/sim/"):
            return None
        for rule in self.rules:
            if rule.matches(method, path):
                if rule.count > 0:
                    rule.count -= 1
                    if rule.count == 0:
                        self.rules.remove(rule)
                return rule
        return None

"""xnames as hms-xname understands them: normalising, typing, ancestry.

Only the component types a node mover meets are listed.  Every service
module uses these functions, so xname handling is identical everywhere.
"""

import re

_NODE = r"x\d{1,4}c[0-7]s\d+b\d+n\d+"

# (HMS type, pattern), most specific patterns need no ordering because all
# patterns are anchored at both ends.
_TYPES = [
    ("System", r"s0|all"),
    ("Partition", r"p\d+(\.\d+)?"),
    ("Cabinet", r"x\d{1,4}"),
    ("Chassis", r"x\d{1,4}c[0-7]"),
    ("ChassisBMC", r"x\d{1,4}c[0-7]b0"),
    ("ComputeModule", r"x\d{1,4}c[0-7]s\d+"),
    ("NodeBMC", r"x\d{1,4}c[0-7]s\d+b\d+"),
    ("NodeEnclosure", r"x\d{1,4}c[0-7]s\d+e\d+"),
    ("Node", _NODE),
    ("Processor", _NODE + r"p[0-3]"),
    ("Memory", _NODE + r"d\d+"),
    ("NodeAccel", _NODE + r"a[0-7]"),
    ("NodeHsnNic", _NODE + r"h[0-3]"),
    ("NodeNic", _NODE + r"i[0-3]"),
    ("NodeAccelRiser", _NODE + r"r[0-7]"),
    ("StorageGroup", _NODE + r"g\d+"),
    ("Drive", _NODE + r"g\d+k\d+"),
    ("RouterModule", r"x\d{1,4}c[0-7]r\d+"),
    ("RouterBMC", r"x\d{1,4}c[0-7]r\d+b\d+"),
    ("HSNBoard", r"x\d{1,4}c[0-7]r\d+e\d+"),
]
# One alternation with a named group per type: a single match() call types
# an xname, which keeps loading sites with tens of thousands of entries fast.
_TYPE_RE = re.compile("^(?:" + "|".join("(?P<%s>%s)" % (name, pat) for name, pat in _TYPES)
                      + ")$")
_NODE_PREFIX = re.compile("^(" + _NODE + r")(?=[a-z]|$)")
HMS_TYPES = {name.lower(): name for name, _ in _TYPES}


def normalize(xname):
    """Lower-case and drop leading zeros of every number: x01c0s05 -> x1c0s5."""
    x = (xname or "").strip().lower()
    if x.startswith("p"):  # partition names keep their form
        return x
    return re.sub(r"([a-z])0+(?=\d)", r"\1", x)


def hms_type(xname):
    """The HMS type of an (already normalised) xname, or None if invalid."""
    match = _TYPE_RE.match(xname)
    return match.lastgroup if match else None


def is_valid(xname):
    return hms_type(xname) is not None


def is_node(xname):
    return hms_type(xname) == "Node"


def parent(xname):
    """The xname one level up, or None at the top (cabinet, s0, partition)."""
    match = re.match(r"^(.*\d)[a-z]+\d+$", xname)
    if not match:
        return None
    up = match.group(1)
    return up if hms_type(up) not in (None, "System", "Partition") else None


def ancestors(xname):
    out = []
    up = parent(xname)
    while up:
        out.append(up)
        up = parent(up)
    return out


def node_of(xname):
    """The node an xname belongs to (itself for a node), or None."""
    match = _NODE_PREFIX.match(xname)
    return match.group(1) if match and is_valid(xname) else None


def natural_key(text):
    """Sort key that orders x1c1s5b0n0d2 before x1c1s5b0n0d10."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]

"""Small helpers for time stamps and identifiers, shared by all services."""

import time
import uuid
from datetime import datetime, timezone


def iso(epoch=None):
    """RFC 3339 UTC time stamp, the way Go's time.Time marshals (with Z)."""
    moment = datetime.fromtimestamp(time.time() if epoch is None else epoch, timezone.utc)
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def iso_seconds(epoch=None):
    """Kubernetes metav1.Time: whole seconds, with Z."""
    moment = datetime.fromtimestamp(time.time() if epoch is None else epoch, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def new_uuid():
    return str(uuid.uuid4())

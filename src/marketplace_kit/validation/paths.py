"""URL paths at the gateway: a service's route prefix (normalised) and the dot segments no path
the kit routes may carry (``.`` and ``..`` would be resolved by a client or proxy to another
service's path)."""

from __future__ import annotations

import re

# One segment of a route prefix: lowercase letters, digits, '-' and '_', starting with one of the
# first two (so never "." or "..").
SEGMENT = re.compile(r"^[a-z0-9][a-z0-9_-]*\Z")
MAX_PREFIX = 200


def dot_segment(path: str) -> bool:
    """Whether ``path`` has a ``.`` or ``..`` segment."""
    return any(part in (".", "..") for part in path.split("/"))


def route_prefix(path: str) -> str:
    """``path`` as a route prefix: ``/a/b``, no trailing ``/`` (``/`` alone is kept); ValueError
    for an empty segment (``//``), a dot segment or another character."""
    if not path.startswith("/") or len(path) > MAX_PREFIX:
        raise ValueError(f"{path[:MAX_PREFIX]!r} is not a path prefix; fix: start it with '/', "
                         f"at most {MAX_PREFIX} characters (e.g. /orders)")
    if path == "/":
        return path
    parts = path.removesuffix("/").split("/")[1:]
    for part in parts:
        if not SEGMENT.match(part):
            what = ("an empty segment ('//')" if not part else "a '.' or '..' segment"
                    if part in (".", "..") else f"the segment {part!r}")
            raise ValueError(f"path prefix {path!r} has {what}; fix: use segments of lowercase "
                             "letters, digits, '-' and '_' between single '/' (e.g. /orders/v2)")
    return "/" + "/".join(parts)

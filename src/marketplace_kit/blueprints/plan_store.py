"""Plan graphs on disk, one JSON file per key: what the plan cache reads and writes.

A file is ``{"format", "kit", "key", "graph"}`` (``ResourceGraph.to_data``), plain JSON: reading
one never runs code. Anything else found under a key (unreadable, not JSON, another shape, another
format or kit version, another key) reads as a miss, and the next write replaces it. Writes are
atomic (``changeset.replace_file``), so two commands at once each read a whole file or none.
"""

from __future__ import annotations

import json
from pathlib import Path

from marketplace_kit import __version__
from marketplace_kit.changeset import replace_file
from marketplace_kit.plan.graph import ResourceGraph

FORMAT = 1
KEEP = 32  # newest entries kept; older ones are removed on write


def load(directory: Path, key: str) -> ResourceGraph | None:
    """The graph stored under ``key``, or None (absent, unreadable or not the kit's own)."""
    try:
        data = json.loads((directory / f"{key}.json").read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT \
            or data.get("kit") != __version__ or data.get("key") != key:
        return None
    try:
        return ResourceGraph.from_data(data.get("graph"))
    except ValueError:
        return None


def save(directory: Path, key: str, graph: ResourceGraph) -> None:
    """Store ``graph`` under ``key``; silently nothing when it cannot be (no space, read-only)."""
    try:
        data = json.dumps({"format": FORMAT, "kit": __version__, "key": key,
                           "graph": graph.to_data()}, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError):  # an input JSON cannot hold: plan it each time instead
        return
    try:
        directory.mkdir(parents=True, exist_ok=True)
        replace_file(directory / f"{key}.json", data.encode())
        _prune(directory)
    except OSError:
        return


def _prune(directory: Path) -> None:
    """Remove all but the ``KEEP`` newest entries (another command may remove them first)."""
    entries = []
    for path in directory.glob("*.json"):
        try:
            entries.append((path.stat().st_mtime, path))
        except OSError:
            continue
    for _, path in sorted(entries, reverse=True)[KEEP:]:
        path.unlink(missing_ok=True)

"""Keyed JSON entries in one directory, one file per key: the store under every cache of the kit.

A file is ``{"format", "key", "data"}``, plain JSON: reading one never runs code. Anything else
found under a key (unreadable, not JSON, another shape, another format, another key) reads as a
miss, and the next write replaces it. Every key hashes the kit's version and files, so another
kit never reads an entry of this one. Writes are atomic (``changeset.replace_file``), so two
commands at once each read a whole file or none.
"""

from __future__ import annotations

import json
from pathlib import Path

from marketplace_kit.changeset import replace_file

KEEP = 32  # newest entries kept per directory; older ones are removed on write


def load(directory: Path, key: str, format: int) -> object | None:
    """The data stored under ``key`` in this ``format``, or None (absent, unreadable, not ours)."""
    try:
        entry = json.loads((directory / f"{key}.json").read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("format") != format or entry.get("key") != key:
        return None
    return entry.get("data")


def save(directory: Path, key: str, format: int, data: object) -> None:
    """Store ``data`` under ``key``; silently nothing when it cannot be (not JSON, no space,
    read-only)."""
    try:
        text = json.dumps({"format": format, "key": key, "data": data},
                          separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError):  # a value JSON cannot hold: computed each time instead
        return
    try:
        directory.mkdir(parents=True, exist_ok=True)
        replace_file(directory / f"{key}.json", text.encode())
        _prune(directory)
    except OSError:
        return


def _prune(directory: Path) -> None:
    """Remove all but the ``KEEP`` newest entries (another command may remove them first)."""
    found = []
    for path in directory.glob("*.json"):
        try:
            found.append((path.stat().st_mtime, path))
        except OSError:
            continue
    for _, path in sorted(found, reverse=True)[KEEP:]:
        path.unlink(missing_ok=True)

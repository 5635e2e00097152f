"""Plan graphs on disk, one JSON entry per key (``cache.entries``): what the plan cache reads and
writes. The entry's data is ``ResourceGraph.to_data``; data that is not a graph reads as a miss,
and the next write replaces it."""

from __future__ import annotations

from pathlib import Path

from marketplace_kit.cache import entries
from marketplace_kit.plan.graph import ResourceGraph

FORMAT = 2  # 2: the shared entry shape of cache.entries


def load(directory: Path, key: str) -> ResourceGraph | None:
    """The graph stored under ``key``, or None (absent, unreadable or not the kit's own)."""
    data = entries.load(directory, key, FORMAT)
    if data is None:
        return None
    try:
        return ResourceGraph.from_data(data)
    except ValueError:
        return None


def save(directory: Path, key: str, graph: ResourceGraph) -> None:
    """Store ``graph`` under ``key``; silently nothing when it cannot be (no space, read-only)."""
    entries.save(directory, key, FORMAT, graph.to_data())

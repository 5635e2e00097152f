"""Schema verdicts on disk: a ``check`` of objects already validated validates nothing again.

Validating every rendered object (kubernetes-validate's JSON schemas, the Istio models) is most
of ``check``'s own work. The verdicts of one list of objects are stored (``cache.entries``) under
a hash of the objects themselves (canonical JSON, in order), the Python version, the installed kit
(every file: the pinned Kubernetes version, the Strimzi models, this rule) and the installed
dependencies' versions (the validators): a changed object or validator is another key, validated
afresh.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from marketplace_kit import __version__
from marketplace_kit.cache import entries
from marketplace_kit.cache.installed import dependency_versions, kit_digest
from marketplace_kit.render.manifests import Manifest

FORMAT = 1


@dataclass(frozen=True)
class Verdict:
    """One object's schema check: whether its kind has a schema here, and what is wrong."""

    schema: bool  # False: no schema shipped for the kind (listed as a note)
    problem: str | None = None  # None: valid (or no schema)


def key(manifests: Sequence[Manifest]) -> str | None:
    """The hash of the objects and their validators; None when an object is not JSON (then
    nothing is cached)."""
    digest = hashlib.sha256()

    def part(label: str, data: bytes) -> None:
        digest.update(label.encode() + b"\0" + len(data).to_bytes(8, "big") + data)

    part("python", sys.version.encode())
    part("kit", f"{__version__} {kit_digest()}".encode())
    part("dependencies", json.dumps(dependency_versions()).encode())
    for m in manifests:
        try:
            part("object", json.dumps(m.object, sort_keys=True, allow_nan=False).encode())
        except (TypeError, ValueError):
            return None
    return digest.hexdigest()


def load(directory: Path, key: str, count: int) -> list[Verdict] | None:
    """The ``count`` verdicts stored under ``key``, or None (absent, or not of that shape)."""
    data = entries.load(directory, key, FORMAT)
    if not isinstance(data, list) or len(data) != count:
        return None
    found = []
    for item in data:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], bool)
                and (item[1] is None or isinstance(item[1], str))):
            return None
        found.append(Verdict(item[0], item[1]))
    return found


def save(directory: Path, key: str, verdicts: Sequence[Verdict]) -> None:
    """Store the verdicts under ``key`` (silently nothing when they cannot be)."""
    entries.save(directory, key, FORMAT, [[v.schema, v.problem] for v in verdicts])

"""The recorded resource graph: what a program registers, in a stable, serialisable form."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class PlannedResource:
    """One resource of the plan."""

    urn: str
    type: str
    name: str
    parent: str | None
    dependencies: tuple[str, ...]
    provider: str | None
    inputs: dict[str, Any]
    custom: bool = True
    # The customTimeouts option (create/update/delete: "10m"), what bounds the provider's waits.
    timeouts: dict[str, str] = field(default_factory=dict)
    # The retainOnDelete option: a destroy leaves the cloud resource in place.
    retain_on_delete: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The resource as in the plan's JSON contract."""
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "dependencies": list(self.dependencies),
            "provider": self.provider,
            "inputs": self.inputs,
        }


@dataclass
class ResourceGraph:
    """Resources sorted by URN, with lookups by URN, type, name and parent."""

    resources: list[PlannedResource]
    outputs: dict[str, Any] = field(default_factory=dict)  # stack outputs, secrets masked
    _by_urn: dict[str, PlannedResource] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.resources = sorted(self.resources, key=lambda r: r.urn)
        self._by_urn = {r.urn: r for r in self.resources}

    def __iter__(self) -> Iterator[PlannedResource]:
        return iter(self.resources)

    def __len__(self) -> int:
        return len(self.resources)

    def get(self, urn: str) -> PlannedResource:
        """The resource with this URN."""
        return self._by_urn[urn]

    def of_type(self, type_: str) -> list[PlannedResource]:
        """Every resource of one type token."""
        return [r for r in self.resources if r.type == type_]

    def named(self, name: str, type_: str | None = None) -> PlannedResource:
        """The one resource with this logical name (and type, when given)."""
        found = [r for r in self.resources if r.name == name and type_ in (None, r.type)]
        if len(found) != 1:
            raise KeyError(f"{len(found)} resources named {name!r} (type {type_})")
        return found[0]

    def children(self, parent_urn: str) -> list[PlannedResource]:
        """Direct children of a resource."""
        return [r for r in self.resources if r.parent == parent_urn]

    def ancestors(self, urn: str) -> list[PlannedResource]:
        """Parents of a resource, nearest first."""
        chain = []
        parent = self._by_urn[urn].parent
        while parent and parent in self._by_urn:
            chain.append(self._by_urn[parent])
            parent = self._by_urn[parent].parent
        return chain

    def summary(self) -> dict[str, Any]:
        """Counts: resources in all, managed (custom) ones, components, and per type."""
        per_type = Counter(r.type for r in self.resources)
        return {
            "resources": len(self.resources),
            "custom": sum(1 for r in self.resources if r.custom),
            "components": sum(1 for r in self.resources if not r.custom),
            "by_type": dict(sorted(per_type.items())),
        }

    def to_dict(self) -> dict[str, Any]:
        """The plan's JSON contract: ``{"resources": [...], "summary": {...}}`` and, when the
        program exports any, ``"outputs": {...}``."""
        found: dict[str, Any] = {"resources": [r.to_dict() for r in self.resources],
                                 "summary": self.summary()}
        if self.outputs:
            found["outputs"] = self.outputs
        return found

    def to_data(self) -> dict[str, Any]:
        """Everything the graph holds, as JSON data (``from_data`` reads it back): the plan
        cache's form, a superset of ``to_dict`` (``custom`` and ``timeouts`` too)."""
        return {"resources": [{**r.to_dict(), "custom": r.custom, "timeouts": r.timeouts}
                              for r in self.resources],
                "outputs": self.outputs}

    @classmethod
    def from_data(cls, data: Any) -> ResourceGraph:
        """The graph ``to_data`` wrote; ValueError when ``data`` is not of that shape."""
        if not isinstance(data, dict) or not isinstance(data.get("resources"), list) \
                or not isinstance(data.get("outputs"), dict):
            raise ValueError("not a resource graph")
        return cls([_resource(item) for item in data["resources"]], data["outputs"])

    def to_json(self) -> str:
        """Byte-stable JSON (sorted keys, fixed indentation)."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"


def _resource(item: Any) -> PlannedResource:
    """One resource of ``to_data``'s form, its every field checked."""
    if not isinstance(item, dict):
        raise ValueError("a resource is not an object")
    texts = [item.get(key) for key in ("urn", "type", "name")]
    optional = [item.get(key) for key in ("parent", "provider")]
    dependencies, inputs = item.get("dependencies"), item.get("inputs")
    timeouts, custom = item.get("timeouts"), item.get("custom")
    if not (all(isinstance(t, str) for t in texts)
            and all(o is None or isinstance(o, str) for o in optional)
            and isinstance(dependencies, list) and all(isinstance(d, str) for d in dependencies)
            and isinstance(inputs, dict) and isinstance(custom, bool)
            and isinstance(timeouts, dict)
            and all(isinstance(v, str) for v in timeouts.values())):
        raise ValueError("a resource is not of the graph's shape")
    return PlannedResource(str(texts[0]), str(texts[1]), str(texts[2]), optional[0],
                           tuple(dependencies), optional[1], inputs, custom, timeouts)

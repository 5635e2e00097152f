"""The diagram's groups of the add-ons (component class -> group, and the groups' drawing order),
kept on disk so a warm ``diagram`` imports no platform module.

They come from the add-on declarations (``platform.registry``), which imports every platform
module and with them the Pulumi SDK: most of a ``diagram`` read from the plan cache. The
declarations are code of the kit, so the entry (``cache.entries``) is keyed by the kit's version
and a hash of its files: another kit reads them afresh.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from marketplace_kit import __version__
from marketplace_kit.cache import entries
from marketplace_kit.cache.installed import kit_digest

FORMAT = 1


@dataclass(frozen=True)
class AddOnGroups:
    """Each add-on component's diagram group, and the groups in drawing order."""

    component_group: dict[str, str]
    order: list[str]


def declared() -> AddOnGroups:
    """The groups as the add-ons declare them (imports every platform module)."""
    from marketplace_kit.platform import registry

    return AddOnGroups(registry.groups(), registry.group_order())


def groups(cache: Path | None) -> AddOnGroups:
    """The groups, read from ``cache`` when this kit's were kept there (else declared, kept)."""
    if cache is None:
        return declared()
    key = hashlib.sha256(f"{__version__} {kit_digest()}".encode()).hexdigest()
    data = entries.load(cache, key, FORMAT)
    if isinstance(data, dict) and isinstance(data.get("groups"), dict) \
            and isinstance(data.get("order"), list) \
            and all(isinstance(k, str) and isinstance(v, str) for k, v in data["groups"].items()) \
            and all(isinstance(g, str) for g in data["order"]):
        return AddOnGroups(data["groups"], data["order"])
    found = declared()
    entries.save(cache, key, FORMAT, {"groups": found.component_group, "order": found.order})
    return found

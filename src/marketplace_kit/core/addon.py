"""The add-on contract: what every platform piece declares about itself.

The shape of cdk-eks-blueprints' ``ClusterAddOn`` (``lib/spi/addon-contracts.ts``), in Python:
a platform module declares ``ADDON = AddOn(...)`` (or ``ADDONS = (...)``) next to its component.
The lists kept by hand before (package exports, diagram groups, ``init`` notes, cost ownership,
composition order) are derived from these declarations by ``marketplace_kit.platform.registry``.
Pure data: no Pulumi import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Layer = Literal["foundation", "in-cluster", "workload"]
Target = Literal["aws", "local"]

# Diagram subgraphs in drawing order; an add-on may name a new group (drawn after these).
GROUP_ORDER = (
    "network", "cluster", "mesh & gateway", "event bus", "data stores", "observability", "services"
)


@dataclass(frozen=True)
class AddOn:
    """One platform piece, as the registry, blueprints, diagram, ``init`` and ``cost`` see it.

    Attributes:
        name: Registry key, also what blueprints list (e.g. ``"mesh"``).
        component: Class name of its ``pulumi.ComponentResource`` (the last part of the plan's
            type token ``marketplace-kit:platform:<component>``).
        exports: Public names of its module, re-exported by ``marketplace_kit.platform``
            (the component, its Args and the value types the Args take).
        group: Diagram subgraph its resources are drawn in (see ``GROUP_ORDER``).
        layer: ``foundation`` (network, cluster), ``in-cluster`` (shared add-ons) or
            ``workload`` (one per service).
        section: Key of ``marketplace.yaml`` it is configured by (None: no section of its own).
        notes: One line on that section, written above it by ``marketplace-kit init``.
        needs: ``Foundation`` fields it reads (AWS only ones are checked on target aws).
        provides: Handles (attribute names of the component) other add-ons depend on, e.g.
            ``crds_ready``: nothing may use its custom resources before them.
        after: Add-ons whose handles it reads; a blueprint installs those first when it
            includes them (ordering is declared, never implied by list position alone).
        targets: Targets it runs on (a blueprint of another target leaves it out).
        priced: Resource types it creates that cost money; ``marketplace-kit cost`` must
            have a price for each (a test checks it).
    """

    name: str
    component: str
    exports: tuple[str, ...]
    group: str
    layer: Layer = "in-cluster"
    section: str | None = None
    notes: str = ""
    needs: tuple[str, ...] = ()
    provides: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    targets: tuple[Target, ...] = ("aws", "local")
    priced: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.component not in self.exports:
            raise ValueError(f"add-on {self.name}: exports must include {self.component}")

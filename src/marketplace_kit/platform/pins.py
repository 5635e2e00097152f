"""The versions an ``up`` deploys: one typed, frozen ``Pins``, the kit's pins by default.

A stack in the middle of ``upgrade --apply`` holds other Pins (recorded in its config by the
upgrade, read back by the program): everything the upgrade has not moved yet stays at what runs.
The blueprints pass the cluster's and the event bus's pins through their Args; charts are
released through ``helm.py``, which reads the Pins the program holds (``holding``) there, so no
component threads chart versions of its own.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, fields, replace
from typing import Any

from marketplace_kit.errors import KitError
from marketplace_kit.platform import versions
from marketplace_kit.platform.mesh_revision import istio_revision, istiod_version
from marketplace_kit.platform.versions import Chart

# A node group's AMI release left unset (EKS took its latest when the group was made, and keeps
# it): how an earlier kit made them, held so until an upgrade step moves them.
UNSET = ""


def kit_charts() -> dict[str, Chart]:
    """Every chart the kit pins, by chart name."""
    return {c.name: c for c in vars(versions).values() if isinstance(c, Chart)}


def released_charts(charts: Mapping[str, Chart]) -> dict[str, str]:
    """The chart versions ``Pins.charts`` holds of ``charts``: all but istiod's (each istiod
    revision runs the version its name stands for, ``istio_revisions``)."""
    return {name: c.version for name, c in charts.items() if name != versions.ISTIOD.name}


@dataclass(frozen=True)
class Pins:
    """The versions one ``up`` deploys.

    Attributes:
        kubernetes: The EKS control plane's Kubernetes minor.
        addons: EKS managed add-on -> build.
        node_kubernetes: Managed node group -> Kubernetes minor, for groups that lag the
            control plane (a group not named runs the control plane's).
        charts: Helm chart name -> chart version (istiod's: by ``istio_revisions``).
        strimzi_crds: The Strimzi release whose CRD file is applied.
        kafka: Kafka's ``spec.kafka.version``.
        kafka_metadata: Kafka's ``spec.kafka.metadataVersion`` (None: unset, Strimzi's default).
        node_releases: Managed node group -> the AMI release version it is held at (``UNSET``:
            left unset); a group not named runs the kit's pinned release for its minor.
        karpenter_ami_alias: Karpenter's EC2NodeClass AMI alias.
        istio_revisions: The istiod revisions installed side by side (oldest first;
            ``mesh_revision.py``).
        istio_injection: The revision the workload namespaces are labelled with (and the
            gateway runs, and the mesh workloads' pod templates name).
        istio_in_place: The Istio version of the in-place istiod (``IN_PLACE`` among
            ``istio_revisions``; None otherwise).
    """

    kubernetes: str
    addons: Mapping[str, str]
    charts: Mapping[str, str]
    strimzi_crds: str
    kafka: str
    kafka_metadata: str | None = None
    node_kubernetes: Mapping[str, str] = field(default_factory=dict)
    node_releases: Mapping[str, str] = field(default_factory=dict)
    karpenter_ami_alias: str = versions.KARPENTER_AMI_ALIAS
    istio_revisions: tuple[str, ...] = (istio_revision(versions.ISTIO),)
    istio_injection: str = istio_revision(versions.ISTIO)
    istio_in_place: str | None = None

    def chart(self, chart: Chart) -> Chart:
        """``chart`` at the version these Pins hold (as pinned when they name none)."""
        held = self.charts.get(chart.name, chart.version)
        return chart if held == chart.version else replace(chart, version=held)

    def node_version(self, group: str) -> str:
        """The Kubernetes minor of a managed node group."""
        return self.node_kubernetes.get(group, self.kubernetes)

    def node_release(self, group: str) -> str | None:
        """The AMI release version of a managed node group (None: unset, EKS's)."""
        held = self.node_releases.get(group)
        if held is not None:
            return held or None
        return versions.EKS_AMI_RELEASE_VERSIONS.get(self.node_version(group))

    def istiod_versions(self) -> dict[str, str]:
        """Each istiod revision these Pins install -> its Istio version."""
        in_place = self.istio_in_place or versions.ISTIO
        return {r: istiod_version(r, in_place) or "" for r in self.istio_revisions}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (``from_dict`` reads it back)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        return {k: (dict(v) if isinstance(v, Mapping) else list(v) if isinstance(v, tuple)
                    else v) for k, v in data.items()}

    @classmethod
    def from_dict(cls, data: Any, where: str) -> Pins:
        """Pins from ``to_dict`` data; a one-line KitError naming ``where`` otherwise."""
        names = {f.name for f in fields(cls)}
        fix = "fix: run `marketplace-kit upgrade --apply` again (it rewrites them)"
        if not isinstance(data, dict) or not {"kubernetes", "addons", "charts", "strimzi_crds",
                                              "kafka"} <= data.keys() <= names:
            raise KitError(f"{where}: not the versions an upgrade holds; {fix}")
        try:
            return cls(**{**data, **{k: tuple(data[k]) for k in ("istio_revisions",)
                                     if k in data}})
        except TypeError as exc:
            raise KitError(f"{where}: not the versions an upgrade holds ({exc}); {fix}") from None


def kit_pins(kubernetes: str = versions.KUBERNETES) -> Pins:
    """The kit's pins, for a platform configured at ``kubernetes``."""
    return Pins(
        kubernetes=kubernetes,
        addons=dict(versions.EKS_ADDONS_BY_KUBERNETES[kubernetes]),
        charts=released_charts(kit_charts()),
        strimzi_crds=versions.STRIMZI,
        kafka=versions.KAFKA,
    )


_HELD: ContextVar[Pins | None] = ContextVar("marketplace_kit_pins", default=None)


@contextmanager
def holding(pins: Pins) -> Iterator[Pins]:
    """Within: every chart released through ``helm.py`` at the version ``pins`` hold."""
    token = _HELD.set(pins)
    try:
        yield pins
    finally:
        _HELD.reset(token)


def held_chart(chart: Chart) -> Chart:
    """``chart`` at the version the program holds (as pinned outside ``holding``)."""
    pins = _HELD.get()
    return chart if pins is None else pins.chart(chart)

"""Where an upgrade goes: the kit's pins (``platform/versions.py``), nothing typed here.

The add-on builds of each minor on the way come from an ``AddonCatalog`` (AWS's
``DescribeAddonVersions``, or the kit's recorded table); the target minor keeps the builds the
kit pins for it (what ``up`` registers), checked against AWS's list when AWS answered. A minor
with no builds at all is stepped through with the add-ons kept where they are (the plan says so).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from marketplace_kit.platform import versions
from marketplace_kit.platform.mesh_revision import istio_revision
from marketplace_kit.platform.pins import kit_charts
from marketplace_kit.platform.versions import Chart
from marketplace_kit.upgrade.addon_catalog import AddonCatalog, build_key, recorded_catalog


def minor_number(version: str) -> int:
    """The minor of ``1.33`` (or ``1.33.4``): 33."""
    return int(version.split(".")[1])


def minor_path(running: str, target: str) -> list[str]:
    """Every minor after ``running`` up to ``target``, one at a time (EKS's rule)."""
    major = running.split(".")[0]
    return [f"{major}.{m}" for m in range(minor_number(running) + 1, minor_number(target) + 1)]


def path_minors(running: str | None, target: str) -> list[str]:
    """The minors whose add-on builds an upgrade from ``running`` to ``target`` needs."""
    return (minor_path(running, target) if running else []) or [target]


@dataclass(frozen=True)
class Targets:
    """The pins an upgrade reaches."""

    kubernetes: str
    charts: dict[str, Chart]  # by chart name
    addon_builds: dict[str, dict[str, str]]  # Kubernetes minor -> add-on -> build
    addon_source: str  # where those builds come from (one line)
    strimzi: str
    kafka: str
    kafka_versions: tuple[str, ...]  # the Kafka versions the pinned Strimzi runs
    istio: str
    istio_kubernetes: tuple[str, str]  # oldest and newest minor the pinned Istio supports
    ami_release: str  # the EKS-optimized AL2023 AMI release, e.g. v20260714
    ami_releases: dict[str, str]  # Kubernetes minor -> managed node groups' release version
    ami_alias: str  # Karpenter's EC2NodeClass alias at that release
    addon_defaults: dict[str, frozenset[str]] = field(default_factory=dict)  # AWS's defaults
    notes: tuple[str, ...] = ()  # what checking the pins against AWS found

    @property
    def istio_revision(self) -> str:
        """The revision the pinned Istio is installed as."""
        return istio_revision(self.istio)


def _addon_builds(kubernetes: str, catalog: AddonCatalog) -> tuple[dict[str, dict[str, str]],
                                                                     list[str]]:
    """The catalog's builds, the target minor's pinned ones kept (noted where AWS lists one
    as incompatible)."""
    builds = {minor: dict(b) for minor, b in catalog.builds.items()}
    pinned = versions.EKS_ADDONS_BY_KUBERNETES.get(kubernetes)
    notes = []
    if pinned is not None:
        builds[kubernetes] = dict(pinned)
        listed = catalog.compatible.get(kubernetes, {})
        notes = [f"AWS lists {build} of {addon} as not compatible with Kubernetes {kubernetes}"
                 f" (it lists {max(listed[addon], key=build_key)} and {len(listed[addon]) - 1} "
                 "more): the kit's pin stays, check it before `up`"
                 for addon, build in pinned.items()
                 if catalog.from_aws and addon in listed and build not in listed[addon]]
    return builds, notes


def kit_targets(kubernetes: str = versions.KUBERNETES,
                catalog: AddonCatalog | None = None) -> Targets:
    """The kit's pins, for a platform configured at ``kubernetes``; the add-on builds per minor
    from ``catalog`` (default: the recorded table)."""
    catalog = catalog or recorded_catalog()
    builds, notes = _addon_builds(kubernetes, catalog)
    return Targets(
        kubernetes=kubernetes,
        charts=kit_charts(),
        addon_builds=builds,
        addon_source=catalog.source,
        addon_defaults=dict(catalog.defaults),
        notes=tuple(notes),
        strimzi=versions.STRIMZI,
        kafka=versions.KAFKA,
        kafka_versions=versions.STRIMZI_KAFKA_VERSIONS,
        istio=versions.ISTIO,
        istio_kubernetes=versions.ISTIO_KUBERNETES,
        ami_release=versions.EKS_AMI_RELEASE,
        ami_releases=dict(versions.EKS_AMI_RELEASE_VERSIONS),
        ami_alias=versions.KARPENTER_AMI_ALIAS,
    )

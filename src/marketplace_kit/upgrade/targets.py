"""Where an upgrade goes: the kit's pins (``platform/versions.py``), nothing typed here.

The add-on builds per Kubernetes minor are the kit's own pinned builds
(``versions.EKS_ADDONS_BY_KUBERNETES``), read offline; a minor the kit pins no builds for is
stepped through with the add-ons kept where they are (the plan says so).
"""

from __future__ import annotations

from dataclasses import dataclass

from marketplace_kit.platform import versions
from marketplace_kit.platform.versions import Chart

ADDON_SOURCE = ("the kit's pinned builds per Kubernetes minor (platform/versions.py "
                "EKS_ADDONS_BY_KUBERNETES), offline; not AWS's DescribeAddonVersions")


def minor_number(version: str) -> int:
    """The minor of ``1.33`` (or ``1.33.4``): 33."""
    return int(version.split(".")[1])


def minor_path(running: str, target: str) -> list[str]:
    """Every minor after ``running`` up to ``target``, one at a time (EKS's rule)."""
    major = running.split(".")[0]
    return [f"{major}.{m}" for m in range(minor_number(running) + 1, minor_number(target) + 1)]


def istio_revision(version: str) -> str:
    """The canary revision name of an Istio version (``1.31.1`` -> ``1-31-1``)."""
    return version.replace(".", "-")


@dataclass(frozen=True)
class Targets:
    """The pins an upgrade reaches."""

    kubernetes: str
    charts: dict[str, Chart]  # by chart name
    addon_builds: dict[str, dict[str, str]]  # Kubernetes minor -> add-on -> build
    strimzi: str
    kafka: str
    kafka_versions: tuple[str, ...]  # the Kafka versions the pinned Strimzi runs
    istio: str
    istio_kubernetes: tuple[str, str]  # oldest and newest minor the pinned Istio supports
    ami_release: str  # the EKS-optimized AL2023 AMI release, e.g. v20260714
    ami_releases: dict[str, str]  # Kubernetes minor -> managed node groups' release version
    ami_alias: str  # Karpenter's EC2NodeClass alias at that release

    @property
    def istio_revision(self) -> str:
        """The revision the pinned Istio is installed as."""
        return istio_revision(self.istio)


def kit_targets(kubernetes: str = versions.KUBERNETES) -> Targets:
    """The kit's pins, for a platform configured at ``kubernetes``."""
    charts = {c.name: c for c in vars(versions).values() if isinstance(c, Chart)}
    return Targets(
        kubernetes=kubernetes,
        charts=charts,
        addon_builds={k: dict(v) for k, v in versions.EKS_ADDONS_BY_KUBERNETES.items()},
        strimzi=versions.STRIMZI,
        kafka=versions.KAFKA,
        kafka_versions=versions.STRIMZI_KAFKA_VERSIONS,
        istio=versions.ISTIO,
        istio_kubernetes=versions.ISTIO_KUBERNETES,
        ami_release=versions.EKS_AMI_RELEASE,
        ami_releases=dict(versions.EKS_AMI_RELEASE_VERSIONS),
        ami_alias=versions.KARPENTER_AMI_ALIAS,
    )

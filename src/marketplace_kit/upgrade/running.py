"""What the stack's state says runs: the versions ``upgrade --plan`` moves to the kit's pins.

Read from each resource's outputs first (what the provider reported), then its inputs (what the
program asked for): EKS and its add-ons and node groups, Helm releases (by chart), the Strimzi
CRDs, Kafka, Karpenter's AMI alias, and Istio's istiod revisions, the revision each namespace
injects, the gateway's and each mesh workload's (their labels: ``platform/mesh_revision.py``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from marketplace_kit.plan.inputs import dig
from marketplace_kit.platform import versions
from marketplace_kit.platform.eventbus_state import EVENT_BUS_TYPE, STRIMZI_CRDS_OUTPUT
from marketplace_kit.platform.mesh_revision import (
    SIDECAR_REVISION_ANNOTATION,
    injected_revision,
    release_revision,
)
from marketplace_kit.provision.api_check import EKS_CLUSTER
from marketplace_kit.provision.teardown import HELM_RELEASE, state_resources

ADDON = "aws:eks/addon:Addon"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
CONFIG_FILE = "kubernetes:yaml/v2:ConfigFile"
KAFKA = "kubernetes:kafka.strimzi.io/v1:Kafka"
NODE_POOL = "kubernetes:kafka.strimzi.io/v1:KafkaNodePool"
NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
NAMESPACE = "kubernetes:core/v1:Namespace"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
CRD = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"
_STRIMZI_CRDS = re.compile(r"/strimzi-crds-(?P<version>[^/]+)\.yaml$")


@dataclass(frozen=True)
class NodeGroup:
    """A managed node group: its Kubernetes minor, AMI release and size."""

    name: str
    version: str | None
    release: str | None  # the AMI release (e.g. 1.33.4-20250904); None: not in the state
    desired: int


@dataclass(frozen=True)
class Release:
    """A Helm release: its name, chart, chart version and values."""

    name: str
    chart: str
    version: str
    values: Mapping[str, Any]


@dataclass(frozen=True)
class Running:
    """What runs, per the state (None: not deployed)."""

    kubernetes: str | None = None
    addons: dict[str, str] = field(default_factory=dict)
    node_groups: tuple[NodeGroup, ...] = ()
    releases: dict[str, Release] = field(default_factory=dict)  # by chart name
    strimzi_crds: str | None = None  # the Strimzi release whose CRDs are applied
    strimzi_crd_count: int = 0
    kafka: str | None = None
    kafka_metadata: str | None = None  # None: unset (Strimzi's default for the version)
    kafka_brokers: int = 0
    ami_alias: str | None = None  # Karpenter's EC2NodeClass alias
    istiods: tuple[Release, ...] = ()  # every istiod release (two during a canary)
    injected: dict[str, str] = field(default_factory=dict)  # namespace -> the revision it injects
    # each Deployment in those namespaces -> the revision on its pod template (None: none there)
    mesh_workloads: dict[str, str | None] = field(default_factory=dict)

    def istiod_revisions(self) -> dict[str, Release]:
        """Each running istiod by its revision (``IN_PLACE``: installed without one)."""
        return {release_revision(r.values): r for r in self.istiods}


def _value(resource: Mapping[str, Any], *path: str | int) -> Any:
    for part in ("outputs", "inputs"):
        found = dig(resource.get(part) or {}, *path)
        if found not in (None, ""):
            return found
    return None


# The resource types what runs is read from; a state's other resources are not looked at.
READ_TYPES = (EKS_CLUSTER, ADDON, NODE_GROUP, HELM_RELEASE, CONFIG_FILE, KAFKA, NODE_POOL,
              NODE_CLASS, NAMESPACE, DEPLOYMENT, CRD, EVENT_BUS_TYPE)


def _chart_name(chart: str) -> str:
    return chart.rsplit("/", 1)[-1]


def read_running(deployment: Mapping[str, Any]) -> Running:
    """What the state's live resources (not pending deletion) say runs."""
    live = [r for r in state_resources(deployment) if not r.get("delete")]
    of = {t: [r for r in live if r.get("type") == t] for t in READ_TYPES}
    clusters = [str(_value(r, "version")) for r in of[EKS_CLUSTER] if _value(r, "version")]
    every = [Release(str(_value(r, "name") or ""), _chart_name(str(_value(r, "chart"))),
                     str(_value(r, "version") or ""), dict(_value(r, "values") or {}))
             for r in of[HELM_RELEASE] if _value(r, "chart")]
    releases = {r.chart: r for r in every}
    crds = [(r, _STRIMZI_CRDS.search(str(_value(r, "file") or ""))) for r in of[CONFIG_FILE]]
    strimzi = [(r, m["version"]) for r, m in crds if m]
    # the real engine records no inputs of a ConfigFile: the EventBus's output names the release
    # (a state without it, e.g. the offline plan's, has the file's name)
    released = [str(v) for b in of[EVENT_BUS_TYPE] if (v := _value(b, STRIMZI_CRDS_OUTPUT))]
    strimzi_crds = released[0] if released else strimzi[0][1] if strimzi else None
    strimzi_urns = {str(r["urn"]) for r in of[CONFIG_FILE]
                    if r.get("parent") in {b["urn"] for b in of[EVENT_BUS_TYPE]} or
                    any(r is s for s, _ in strimzi)}
    kafka = of[KAFKA][0] if of[KAFKA] else None
    brokers = sum(int(_value(p, "spec", "replicas") or 0) for p in of[NODE_POOL]
                  if "broker" in (_value(p, "spec", "roles") or []))
    injected = {str(_value(n, "metadata", "name")): revision for n in of[NAMESPACE]
                if (revision := injected_revision(_value(n, "metadata", "labels"))) is not None}
    aliases = [_value(c, "spec", "amiSelectorTerms", 0, "alias") for c in of[NODE_CLASS]]
    return Running(
        kubernetes=clusters[0] if clusters else None,
        addons={str(_value(a, "addonName")): str(_value(a, "addonVersion")) for a in of[ADDON]},
        node_groups=tuple(
            NodeGroup(str(_value(g, "nodeGroupName") or g["urn"].rsplit("::", 1)[-1]),
                      _value(g, "version"), _value(g, "releaseVersion"),
                      int(_value(g, "scalingConfig", "desiredSize") or 1))
            for g in of[NODE_GROUP]),
        releases=releases,
        strimzi_crds=strimzi_crds,
        strimzi_crd_count=sum(1 for r in of[CRD] if r.get("parent") in strimzi_urns),
        kafka=None if kafka is None else _value(kafka, "spec", "kafka", "version"),
        kafka_metadata=None if kafka is None else _value(kafka, "spec", "kafka",
                                                         "metadataVersion"),
        kafka_brokers=brokers,
        ami_alias=next((str(a) for a in aliases if a), None),
        istiods=tuple(r for r in every if r.chart == versions.ISTIOD.name),
        injected=dict(sorted(injected.items())),
        mesh_workloads={
            f"{_value(d, 'metadata', 'namespace')}/{_value(d, 'metadata', 'name')}":
                _value(d, "spec", "template", "metadata", "annotations",
                       SIDECAR_REVISION_ANNOTATION)
            for d in of[DEPLOYMENT] if _value(d, "metadata", "namespace") in injected},
    )

"""Recorded stack states for ``upgrade --plan``: today's program as a ``pulumi stack export``, and
the same state as an earlier kit left it (older versions, resources an earlier shape lacked).

The pinned state is the offline plan of a blueprint (what ``up`` registers), each resource's
inputs as its state; an earlier state changes only the named versions, so both carry every
resource the real program records.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from marketplace_kit.blueprints.deploy_inputs import PLAN_INPUTS
from marketplace_kit.blueprints.program import plan_platform
from marketplace_kit.config import default_platform
from marketplace_kit.platform import versions
from marketplace_kit.platform.mesh_revision import IN_PLACE
from support.mesh_shape import PINNED, mesh_inputs

HELM = "kubernetes:helm.sh/v3:Release"
EKS = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ADDON = "aws:eks/addon:Addon"
KAFKA = "kubernetes:kafka.strimzi.io/v1:Kafka"
CONFIG_FILE = "kubernetes:yaml/v2:ConfigFile"
NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
# The AMI release EKS gave an earlier kit's node groups (it pinned none: EKS's latest for the
# minor when they were created), and its Karpenter alias (every node drifted on each release).
EARLIER_RELEASE_DATE = "20250701"
EARLIER_AMI_ALIAS = "al2023@latest"

PREVIOUS_ADDONS: dict[str, str] = versions.EKS_ADDONS_BY_KUBERNETES["1.33"]
# An earlier kit: Kubernetes 1.33 with that minor's add-on builds, Karpenter 1.14 without its CRD
# chart, Istio 1.30 in place, Strimzi 1.1 with Kafka 4.2.1, no AMI release pinned (EKS's latest
# when the node groups were made, Karpenter's al2023@latest).
EARLIER_KIT: dict[str, Any] = {
    "kubernetes": "1.33", "addons": PREVIOUS_ADDONS, "strimzi_crds": "1.1.0", "kafka": "4.2.1",
    "ami_alias": EARLIER_AMI_ALIAS, "istio": "in-place",
    "charts": {"karpenter": "1.14.0", "karpenter-crd": None, "base": "1.30.2",
               "istiod": "1.30.2", "gateway": "1.30.2", "strimzi-kafka-operator": "1.1.0"},
}

# The mesh's shapes a state can be recorded in: the pins', the kit's before revisions (istiod
# in place) and half-way through the canary from it (both istiods, the injection moved).
MESH_SHAPES: dict[str, tuple[tuple[str, ...], str]] = {
    "pins": ((PINNED,), PINNED),
    "in-place": ((IN_PLACE,), IN_PLACE),
    "canary": ((IN_PLACE, PINNED), PINNED),
}


@cache
def _pinned(blueprint: str, istio: str = "pins") -> str:
    platform = default_platform(blueprint)
    inputs = PLAN_INPUTS if istio == "pins" else mesh_inputs(
        *MESH_SHAPES[istio], kubernetes=platform.config.cluster.kubernetes_version)
    graph = plan_platform(platform, inputs)
    return json.dumps({"version": 3, "deployment": {
        "manifest": {"version": "recorded from the offline plan"},
        "resources": [r.to_dict() for r in graph]}})


def pinned_state(blueprint: str = "production") -> dict[str, Any]:
    """Today's program as a recorded state (a fresh copy each call)."""
    return json.loads(_pinned(blueprint))


def earlier_state(
    blueprint: str = "production",
    *,
    kubernetes: str | None = None,
    nodes: str | None = None,
    addons: Mapping[str, str] | None = None,
    charts: Mapping[str, str | None] | None = None,
    strimzi_crds: str | None = None,
    kafka: str | None = None,
    node_release: str | None = None,
    ami_alias: str | None = None,
    istio: str = "pins",
) -> dict[str, Any]:
    """The pinned state with these versions recorded instead (``charts``: chart -> version, None
    drops the release; ``nodes``: the node groups' minor, default the cluster's; ``node_release``:
    their AMI release, default ``<minor>.0-20250701`` when their minor changes, as an earlier kit
    without a release pin left them; ``ami_alias``: Karpenter's EC2NodeClass alias; ``istio``:
    the mesh's shape, one of ``MESH_SHAPES``)."""
    state = json.loads(_pinned(blueprint, istio))
    resources = state["deployment"]["resources"]
    dropped = {name for name, version in (charts or {}).items() if version is None}
    resources[:] = [r for r in resources if not (
        r["type"] == HELM and r["inputs"]["chart"].rsplit("/", 1)[-1] in dropped)]
    for r in resources:
        inputs = r["inputs"]
        if r["type"] == EKS and kubernetes:
            inputs["version"] = kubernetes
        elif r["type"] == NODE_GROUP and (nodes or kubernetes or node_release):
            inputs["version"] = nodes or kubernetes or inputs["version"]
            inputs.pop("releaseVersion", None)  # an earlier kit asked for none
            r["outputs"] = {"releaseVersion": node_release
                            or f"{inputs['version']}.0-{EARLIER_RELEASE_DATE}"}
        elif r["type"] == NODE_CLASS and ami_alias:
            inputs["spec"]["amiSelectorTerms"] = [{"alias": ami_alias}]
        elif r["type"] == ADDON and addons and inputs["addonName"] in addons:
            inputs["addonVersion"] = addons[inputs["addonName"]]
        elif r["type"] == HELM and charts:
            chart = inputs["chart"].rsplit("/", 1)[-1]
            inputs["version"] = charts.get(chart) or inputs["version"]
        elif r["type"] == CONFIG_FILE and strimzi_crds:
            inputs["file"] = inputs["file"].replace(inputs["file"].rsplit("/", 2)[1],
                                                    strimzi_crds)
        elif r["type"] == KAFKA and kafka:
            inputs["spec"]["kafka"]["version"] = kafka
    return copy.deepcopy(state)


def write_state(path: Path, state: Mapping[str, Any]) -> Path:
    """``state`` as a ``pulumi stack export`` file."""
    path.write_text(json.dumps(state, indent=1), encoding="utf-8")
    return path


EARLIER_SHAPES = Path(__file__).resolve().parents[1] / "data" / "earlier_shapes.json"


@cache
def _shapes() -> str:
    return EARLIER_SHAPES.read_text(encoding="utf-8")


def earlier_shapes() -> list[dict[str, Any]]:
    """The stateful resources each earlier kit version registered (tools/earlier_shapes.py: the
    production plan at each commit that changed a stateful component), oldest first."""
    shapes = json.loads(_shapes())["shapes"]
    assert isinstance(shapes, list)
    return shapes


def shape_state(shape: Mapping[str, Any], blueprint: str = "production") -> dict[str, Any]:
    """The pinned state with the stateful resources as ``shape`` recorded them (same type and
    name: their inputs; a resource today's program lacks is kept, as the state would)."""
    state = pinned_state(blueprint)
    resources = state["deployment"]["resources"]
    recorded = {(r["type"], r["name"]): r["inputs"] for r in shape["resources"]}
    for r in resources:
        inputs = recorded.pop((r["type"], r["name"]), None)
        if inputs is not None:
            r["inputs"] = copy.deepcopy(inputs)
    resources.extend({"type": t, "name": n, "urn": f"recorded::{t}::{n}", "inputs": i}
                     for (t, n), i in recorded.items())
    return state

"""Shared by the in-cluster layer tests: a reference platform, a hand-made Foundation, planning
under the mocks, and validation of every Kubernetes object a plan holds."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from functools import cache
from typing import Any, Literal

import kubernetes_validate
import pulumi
import pulumi_kubernetes as k8s
from pydantic import BaseModel, ConfigDict, Field

from marketplace_kit.config import Platform, ServiceSpec, default_platform
from marketplace_kit.core.foundation import Foundation
from marketplace_kit.plan import plan_program
from marketplace_kit.plan.graph import PlannedResource, ResourceGraph
from marketplace_kit.plan.values import SECRET_MASK
from marketplace_kit.platform import strimzi_models, versions

KUBERNETES_SCHEMA = f"{versions.KUBERNETES}.0"

SERVICES = (
    ServiceSpec(name="user", path="/users", publishes=["user-events"]),
    ServiceSpec(name="catalog", path="/products", publishes=["product-events"]),
    ServiceSpec(name="order", path="/orders", publishes=["order-events"],
                consumes=["payment-events", "product-events"]),
    ServiceSpec(name="payment", path="/payments", publishes=["payment-events"],
                consumes=["order-events"], replicas={"min": 1, "max": 4, "cpu_target": 60}),
    ServiceSpec(name="notification", datastore="none",
                consumes=["order-events", "payment-events", "user-events"]),
)


def marketplace(blueprint: str = "dev") -> Platform:
    """The reference marketplace on one of the built-in blueprints."""
    return Platform(config=default_platform(blueprint).config, services=SERVICES)


def fake_foundation(target: Literal["aws", "local"] = "aws") -> Foundation:
    """A Foundation as the cluster layer would hand it over (inside a program)."""
    provider = k8s.Provider("k8s", kubeconfig="{}")
    if target == "local":
        return Foundation(target="local", provider=provider, cluster_name="kind-local")
    out = pulumi.Output.from_input
    return Foundation(
        target="aws",
        provider=provider,
        cluster_name="marketplace-dev",
        vpc_id=out("vpc-0123456789abcdef0"),
        vpc_cidr="10.0.0.0/16",
        private_subnet_ids=[out("subnet-a"), out("subnet-b")],
        node_security_group_id=out("sg-nodes"),
        oidc_provider_arn=out("arn:aws:iam::123456789012:oidc-provider/oidc.eks.example/id/X"),
        oidc_issuer_url=out("https://oidc.eks.example/id/X"),
        node_role_arn=out("arn:aws:iam::123456789012:role/marketplace-dev-nodes"),
    )


def plan(body: Callable[[], Any]) -> ResourceGraph:
    """Plan a program body under the mocks."""
    return plan_program(lambda: (body(), None)[1])


def kube_object(resource: PlannedResource) -> dict[str, Any] | None:
    """The Kubernetes object of a planned resource (None for Helm releases, providers...)."""
    inputs = resource.inputs
    if not resource.type.startswith("kubernetes:") or "kind" not in inputs:
        return None
    obj = {k: v for k, v in inputs.items() if v != SECRET_MASK}
    return obj


def kube_objects(graph: ResourceGraph) -> list[dict[str, Any]]:
    """Every Kubernetes object in a plan."""
    return [o for r in graph if (o := kube_object(r)) is not None]


class _ServiceMonitorEndpoint(BaseModel):
    model_config = ConfigDict(extra="forbid")
    port: str
    path: str
    interval: str


class _ServiceMonitorSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    selector: dict[str, dict[str, str]]
    endpoints: list[_ServiceMonitorEndpoint]


class _ServiceMonitor(BaseModel):
    model_config = ConfigDict(extra="forbid")
    apiVersion: Literal["monitoring.coreos.com/v1"]
    kind: Literal["ServiceMonitor"]
    metadata: dict[str, Any]
    spec: _ServiceMonitorSpec


class _PodMetricsEndpoint(BaseModel):
    model_config = ConfigDict(extra="forbid")
    port: str
    path: str
    interval: str


class _PodMonitorSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    selector: dict[str, dict[str, str]]
    podMetricsEndpoints: list[_PodMetricsEndpoint]


class _PodMonitor(BaseModel):
    model_config = ConfigDict(extra="forbid")
    apiVersion: Literal["monitoring.coreos.com/v1"]
    kind: Literal["PodMonitor"]
    metadata: dict[str, Any]
    spec: _PodMonitorSpec


class _Rule(BaseModel):
    """A rule of a PrometheusRule group (prometheus-operator's Rule: record XOR alert)."""

    model_config = ConfigDict(extra="forbid")
    record: str | None = None
    alert: str | None = None
    expr: str
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}
    for_: str | None = Field(None, alias="for")


class _RuleGroup(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    rules: list[_Rule]


class _PrometheusRuleSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    groups: list[_RuleGroup]


class _PrometheusRule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    apiVersion: Literal["monitoring.coreos.com/v1"]
    kind: Literal["PrometheusRule"]
    metadata: dict[str, Any]
    spec: _PrometheusRuleSpec


_MONITORING_MODELS: dict[str, type[BaseModel]] = {
    "ServiceMonitor": _ServiceMonitor, "PodMonitor": _PodMonitor,
    "PrometheusRule": _PrometheusRule,
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Requirement(_Strict):
    key: str
    operator: Literal["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"]
    values: list[str]


class _NodeClassRef(_Strict):
    group: Literal["karpenter.k8s.aws"]
    kind: Literal["EC2NodeClass"]
    name: str


class _NodeClaimSpec(_Strict):
    nodeClassRef: _NodeClassRef
    requirements: list[_Requirement]
    expireAfter: str


class _NodeClaimMetadata(_Strict):
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None


class _NodeClaimTemplate(_Strict):
    metadata: _NodeClaimMetadata | None = None  # the nodes' labels (Karpenter v1 NodePool)
    spec: _NodeClaimSpec


class _Disruption(_Strict):
    consolidationPolicy: Literal["WhenEmpty", "WhenEmptyOrUnderutilized"]
    consolidateAfter: str


class _NodePoolSpec(_Strict):
    weight: int
    template: _NodeClaimTemplate
    limits: dict[str, str]
    disruption: _Disruption


class _Ebs(_Strict):
    volumeSize: str
    volumeType: Literal["gp3"]
    encrypted: bool


class _BlockDevice(_Strict):
    deviceName: str
    ebs: _Ebs


class _MetadataOptions(_Strict):
    httpEndpoint: Literal["enabled", "disabled"]
    httpTokens: Literal["required", "optional"]
    httpPutResponseHopLimit: int


class _EC2NodeClassSpec(_Strict):
    role: str
    amiSelectorTerms: list[dict[Literal["alias", "id"], str]]
    subnetSelectorTerms: list[dict[Literal["id", "tags"], Any]]
    securityGroupSelectorTerms: list[dict[Literal["id", "tags"], Any]]
    metadataOptions: _MetadataOptions
    blockDeviceMappings: list[_BlockDevice]
    tags: dict[str, str]


# The fields of Karpenter's v1 NodePool and EC2NodeClass the kit writes (karpenter.sh/v1.15
# concepts pages); unknown fields are an error.
KARPENTER_SPECS: dict[str, type[BaseModel]] = {
    "NodePool": _NodePoolSpec, "EC2NodeClass": _EC2NodeClassSpec,
}


def _prune(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _prune(v) for k, v in value.items() if v not in (None, {}, [])}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


@cache
def _istio_model(api_version: str, kind: str) -> type[Any]:
    group, version = api_version.split("/")
    module = importlib.import_module(f"cloudcoil.models.istio.{group.split('.')[0]}.{version}")
    return getattr(module, kind)


def validate(obj: dict[str, Any]) -> None:
    """Validate one object: built-ins strictly against the Kubernetes schema, Istio kinds with
    cloudcoil (round trip must keep every field), Strimzi kinds with the kit's models."""
    api = obj["apiVersion"]
    if api.startswith("kafka.strimzi.io/"):
        strimzi_models.validate(obj)
    elif ".istio.io/" in api:
        model = _istio_model(api, obj["kind"]).model_validate(obj)
        dumped = model.model_dump(by_alias=True, exclude_none=True, mode="json")
        assert _prune(dumped) == _prune(obj), f"unknown Istio fields in {obj['kind']}"
    elif api.startswith(("karpenter.sh/", "karpenter.k8s.aws/")):
        KARPENTER_SPECS[obj["kind"]].model_validate(obj["spec"])
    elif api.startswith("monitoring.coreos.com/"):
        rule = _MONITORING_MODELS[obj["kind"]].model_validate(obj)
        if isinstance(rule, _PrometheusRule):  # record XOR alert, as the operator requires
            assert all((r.record is None) != (r.alert is None)
                       for g in rule.spec.groups for r in g.rules)
    else:
        kubernetes_validate.validate(json.loads(json.dumps(obj)), KUBERNETES_SCHEMA, strict=True)


def validate_all(graph: ResourceGraph) -> int:
    """Validate every object of a plan; return how many there were."""
    objects = kube_objects(graph)
    for obj in objects:
        validate(obj)
    return len(objects)


def depends_on(graph: ResourceGraph, resource: PlannedResource, target: PlannedResource) -> bool:
    """Whether ``resource`` (or a component it sits in) declares a dependency on ``target``."""
    chain = [resource, *graph.ancestors(resource.urn)]
    return any(target.urn in r.dependencies for r in chain)

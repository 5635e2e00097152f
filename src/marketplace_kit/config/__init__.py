"""Typed configuration: ``marketplace.yaml`` (the platform) and ``services/*/service.yaml``.

Every error names the file, the key and the fix, on one line (``ConfigError``).
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass, field
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from marketplace_kit.config.presets import PRESETS
from marketplace_kit.contract import ci
from marketplace_kit.core.events import dead_letter_topic
from marketplace_kit.core.merge import deep_merge
from marketplace_kit.errors import ConfigError
from marketplace_kit.monitoring import signals
from marketplace_kit.monitoring.slo import Objectives
from marketplace_kit.platform import versions
from marketplace_kit.validation import aws, kube, yaml_load
from marketplace_kit.validation.names import SERVICE_NAME as SERVICE_NAME
from marketplace_kit.validation.names import check_service_name
from marketplace_kit.validation.network import check_public_cidrs, not_public
from marketplace_kit.validation.services_dir import SERVICE_FILE as SERVICE_FILE
from marketplace_kit.validation.services_dir import find_service_files

# \Z, not $: "$" also matches before a trailing newline ("orders\n" would pass).
DNS_LABEL = re.compile(r"^[a-z]([a-z0-9-]{0,38}[a-z0-9])?\Z")
REGION_NAME = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}\Z")
PATH_PREFIX = re.compile(r"^/[a-z0-9][a-z0-9/_-]*\Z")
KEY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}\Z")
# A route open without a token at the gateway: "METHOD /path" under the service's prefix; a path
# ending in "/*" covers everything below it (Istio's prefix match). METHOD "*" is any method.
PUBLIC_ROUTE = re.compile(
    r"^(\*|GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) (/[A-Za-z0-9._~-]+)*(/|/\*)?\Z"
)

PLATFORM_FILE = "marketplace.yaml"


# A service's datastore: PostgreSQL or none. DocumentDB is refused (config, new-service, plan)
# until the template has a MongoDB-protocol driver layer tested like the PostgreSQL one.
DOCUMENTDB_REFUSED = (
    "documentdb is not supported yet (the service template has no tested DocumentDB driver)"
)
DOCUMENTDB_FIX = "use postgres (documents as JSONB columns) or none"


def refuse_documentdb(value: Any) -> Any:
    """The ``datastore`` validator shared by service.yaml and new-service's answers."""
    if value == "documentdb":
        raise ValueError(DOCUMENTDB_REFUSED)
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans_as_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        """``true`` is not 1: YAML booleans are refused where a number belongs."""
        if isinstance(value, bool) and info.field_name is not None:
            field = cls.model_fields.get(info.field_name)
            if field is not None and _numbers_only(field.annotation):
                raise ValueError("a number, not true or false")
        return value


def _numbers_only(annotation: Any) -> bool:
    """An int or float annotation (optionally Annotated, or X | None) that takes no bool."""
    kinds: set[Any] = set()
    pending = [annotation]
    while pending:
        current = pending.pop()
        args = typing.get_args(current)
        if typing.get_origin(current) is typing.Annotated:
            pending.append(args[0])
        elif args and typing.get_origin(current) in (typing.Union, types.UnionType):
            pending.extend(args)
        else:
            kinds.add(current)
    return bool(kinds & {int, float}) and bool not in kinds


# --- marketplace.yaml ------------------------------------------------------------------


class NetworkConfig(_Model):
    """VPC layout."""

    cidr: IPv4Network = IPv4Network("10.0.0.0/16")
    azs: int = Field(2, ge=2, le=3, description="availability zones (2 or 3)")
    nat: Literal["single", "per_az"] = "single"

    @field_validator("cidr")
    @classmethod
    def _room_for_subnets(cls, cidr: IPv4Network) -> IPv4Network:
        if not 16 <= cidr.prefixlen <= 20:
            raise ValueError("the VPC CIDR needs a prefix between /16 and /20, e.g. 10.0.0.0/16")
        return cidr


class NodeGroupConfig(_Model):
    """A managed node group's instance types and scaling bounds."""

    instance_types: list[str] = Field(default_factory=lambda: ["t3.medium"], min_length=1,
                                      max_length=20)
    min: int = Field(1, ge=0, le=450)  # 450: the EKS quota of nodes per managed node group
    desired: int = Field(1, ge=0, le=450)
    max: int = Field(3, ge=1, le=450)

    @field_validator("instance_types")
    @classmethod
    def _priced(cls, types: list[str]) -> list[str]:
        for value in types:
            aws.check_instance_type(value, "ec2_instance_hour")
        if len(set(types)) != len(types):
            raise ValueError("an instance type is listed twice; fix: list each once")
        return types
    disk_gib: int = Field(50, ge=20, le=16384, description="root volume of each node (gp3, GiB)")

    @model_validator(mode="after")
    def _ordered(self) -> NodeGroupConfig:
        if not self.min <= self.desired <= self.max:
            got = f"{self.min}/{self.desired}/{self.max}"
            raise ValueError(f"need min <= desired <= max, got {got}")
        return self


LogType = Literal["api", "audit", "authenticator", "controllerManager", "scheduler"]
# What the Terraform EKS module enables by default: who did what, and who authenticated.
DEFAULT_LOG_TYPES: tuple[LogType, ...] = ("api", "audit", "authenticator")


# EKS's quota of public access CIDR ranges per cluster.
MAX_PUBLIC_ACCESS_CIDRS = 40


def _api_cidrs(cidrs: list[IPv4Network]) -> list[IPv4Network]:
    """CIDRs admitted to the public API endpoint: public addresses, never the whole internet."""
    if any(c.prefixlen == 0 for c in cidrs):
        raise ValueError("0.0.0.0/0 opens the API to the internet; list your office/VPN CIDRs "
                         "(or, for CI, deploy_access.api_reach: public_endpoint)")
    return check_public_cidrs(cidrs)


class ClusterConfig(_Model):
    """EKS (or, for target local, the kubeconfig context to use)."""

    kubernetes_version: str = versions.KUBERNETES
    on_demand: NodeGroupConfig = NodeGroupConfig()
    spot: NodeGroupConfig | None = None
    endpoint_access: Literal["deployer", "cidrs", "private"] = Field(
        "deployer",
        description="who reaches the API: deployer (public, limited to public_access_cidrs plus "
        "the address `up` runs from, found at up time), cidrs (public, public_access_cidrs "
        "only) or private (from inside the VPC only: VPN, bastion, a runner in the VPC)",
    )
    public_access_cidrs: list[IPv4Network] = Field(
        default_factory=list,
        description="CIDRs allowed to reach the public API endpoint (office, VPN, CI egress)",
    )
    admin_principal_arns: list[str] = Field(default_factory=list)
    log_types: list[LogType] = Field(
        default_factory=lambda: list(DEFAULT_LOG_TYPES),
        description="control-plane logs sent to CloudWatch",
    )
    log_retention_days: Literal[
        1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
        2922, 3288, 3653,
    ] = 30
    kubeconfig_context: str | None = None
    extended_support: bool = Field(
        False,
        description="keep a Kubernetes version past EKS standard support (billed at the "
        "extended-support rate); without it `check` fails once standard support has ended",
    )

    @field_validator("kubernetes_version")
    @classmethod
    def _supported(cls, version: str) -> str:
        if version not in versions.KUBERNETES_SUPPORTED:
            known = ", ".join(versions.KUBERNETES_SUPPORTED)
            raise ValueError(f"Kubernetes {version!r} is not a version the kit supports; fix: "
                             f"use one of {known}")
        return version

    @field_validator("public_access_cidrs")
    @classmethod
    def _not_world(cls, cidrs: list[IPv4Network]) -> list[IPv4Network]:
        return _api_cidrs(cidrs)

    @model_validator(mode="after")
    def _cidrs_given(self) -> ClusterConfig:
        if self.endpoint_access == "cidrs" and not self.public_access_cidrs:
            raise ValueError(
                "endpoint_access: cidrs needs public_access_cidrs (or use deployer or private)"
            )
        return self


class MeshConfig(_Model):
    """Istio."""

    gateway_replicas: int = Field(2, ge=1, le=10)


class GatewayConfig(_Model):
    """The ingress (Istio Gateway) in front of every service."""

    hosts: list[str] = Field(default_factory=lambda: ["*"], min_length=1)
    tls_secret: str = "marketplace-gateway-tls"
    rate_limit_per_second: int = Field(100, ge=1, le=100_000)
    # Serve the services' merged OpenAPI document at /openapi.json (Swagger UI at /docs, each
    # AsyncAPI document at /asyncapi/<service>.json). `plan` builds it from the services' code,
    # so it needs their dependencies (pip install 'marketplace-kit[local]'); conflicts are errors.
    api_docs: bool = False


class EventBusConfig(_Model):
    """Strimzi Kafka."""

    brokers: int = Field(3, ge=1, le=9)
    broker_storage_gib: int = Field(100, ge=1, le=16_384)  # an EBS gp3 volume: at most 16 TiB
    partitions: int = Field(3, ge=1, le=100)
    retention_hours: int = Field(168, ge=1, le=87_600)  # at most ten years


class PostgresConfig(_Model):
    """RDS PostgreSQL (aws) or in-cluster PostgreSQL (local)."""

    instance_class: str = "db.t4g.medium"
    storage_gib: int = Field(20, ge=20, le=65536)
    multi_az: bool = False
    backup_retention_days: int = Field(7, ge=1, le=35)

    @field_validator("instance_class")
    @classmethod
    def _priced(cls, value: str) -> str:
        return aws.check_instance_type(value, "rds_instance_hour")


class DocumentDbConfig(_Model):
    """Amazon DocumentDB, created only when a service asks for ``datastore: documentdb``."""

    instance_class: str = "db.t4g.medium"
    instances: int = Field(1, ge=1, le=16)

    @field_validator("instance_class")
    @classmethod
    def _priced(cls, value: str) -> str:
        return aws.check_instance_type(value, "docdb_instance_hour")


class DatastoresConfig(_Model):
    """Data stores shared by the services (one database and role per service)."""

    postgres: PostgresConfig = PostgresConfig()
    documentdb: DocumentDbConfig = DocumentDbConfig()


class ObservabilityConfig(_Model):
    """Metrics, logs and traces."""

    logs: Literal["opensearch", "loki", "none"] = "opensearch"
    traces: bool = True
    metrics_retention_days: int = Field(15, ge=1, le=365)

    @field_validator("logs", mode="before")
    @classmethod
    def _retired(cls, value: object) -> object:
        if value == "efk":
            raise ValueError("efk (Elasticsearch 8.5.1 + Kibana) was retired: Elastic archived "
                             "those charts; use opensearch (OpenSearch + Dashboards, same roles)")
        return value


class TokensConfig(_Model):
    """The platform's tokens, issued by the service with ``issues_tokens`` in its service.yaml."""

    # Key ids of the issuer's ES256 keys, oldest first: all are published, the newest already
    # active signs (an id like 20261128T093000Z names when it starts). `marketplace-kit
    # rotate-signing-key` appends one and drops those no unexpired token can carry.
    signing_keys: list[str] = Field(default_factory=lambda: ["initial"], min_length=1)
    ttl_seconds: int = Field(3600, ge=60, le=86400)

    @field_validator("signing_keys")
    @classmethod
    def _kids(cls, kids: list[str]) -> list[str]:
        for kid in kids:
            if not KEY_ID.match(kid):
                raise ValueError(f"{kid!r} is not a key id (letters, digits, '-', '_', '.')")
        if len(set(kids)) != len(kids):
            raise ValueError("a key id is listed twice")
        return kids


class DeployAccessConfig(_Model):
    """Per-service deploy roles (target aws with ``service_stacks``): the deploy job of a
    service's repository assumes its service's role through GitHub's OIDC token."""

    github_owner: str = Field("", description="GitHub organisation or user of the service "
                              "repositories; empty: no deploy roles")
    repository_prefix: str = Field("", description="a service's repository is "
                                   "<github_owner>/<repository_prefix><service>")
    environment: str = Field(ci.DEPLOY_ENVIRONMENT, description="the GitHub environment of "
                             "the deploy job (its deploy role trusts only jobs in it; the "
                             "generated workflow's deploy job names `production`)")
    image_environment: str = Field(ci.IMAGE_ENVIRONMENT, description="the GitHub environment "
                                   "of the image job (its push role trusts only jobs in it; "
                                   "the generated workflow's image job names `image`)")
    github_oidc_provider_arn: str = Field("", description="the account's IAM OIDC provider for "
                                          "token.actions.githubusercontent.com; empty: create it")
    state_bucket: str = Field("", description="the state bucket (`marketplace-kit bootstrap`): "
                              "each role may write its own stack's state only")
    state_key_arn: str = Field("", description="the KMS key of the secrets provider")
    api_reach: Literal["unset", "runner_cidrs", "self_hosted", "public_endpoint"] = Field(
        "unset", description="how the deploy jobs reach the cluster API: runner_cidrs (the "
        "runners' egress CIDRs join the public endpoint's allow list), self_hosted (runners "
        "inside the VPC use the private endpoint), public_endpoint (the public endpoint admits "
        "any address; every call still needs an IAM identity with an access entry); unset is "
        "refused while deploy roles are made")
    runner_cidrs: list[IPv4Network] = Field(
        default_factory=list, max_length=MAX_PUBLIC_ACCESS_CIDRS,
        description="with api_reach: runner_cidrs, the public egress CIDRs of the runners that "
        "run the deploy jobs (self-hosted runners behind NAT, GitHub larger runners with static "
        "addresses)")

    @field_validator("runner_cidrs")
    @classmethod
    def _runner_cidrs(cls, cidrs: list[IPv4Network]) -> list[IPv4Network]:
        for cidr in cidrs:
            if cidr.prefixlen and not_public(cidr):
                raise ValueError(f"{cidr} is not a public range: the API endpoint sees the "
                                 "runners' public egress address; fix: list the runners' NAT "
                                 "or static public addresses (runners inside the VPC: "
                                 "api_reach: self_hosted)")
        return _api_cidrs(cidrs)

    @field_validator("github_owner", "repository_prefix", "environment", "image_environment")
    @classmethod
    def _github_name(cls, value: str) -> str:
        if value and not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}\Z", value):
            raise ValueError(f"{value!r}: use letters, digits, '.', '_' and '-'")
        return value


class PlatformConfig(_Model):
    """``marketplace.yaml``: one platform."""

    name: str = "marketplace"
    target: Literal["aws", "local"] = "aws"
    blueprint: Literal["dev", "production", "local"] = "dev"
    extra_regions: list[str] = Field(
        default_factory=list, max_length=20,
        description="AWS regions opened after this kit release (the known list is in "
        "validation/aws.py)",
    )
    region: str = "us-east-1"
    image_registry: str = ""
    network: NetworkConfig = NetworkConfig()
    cluster: ClusterConfig = ClusterConfig()
    mesh: MeshConfig = MeshConfig()
    gateway: GatewayConfig = GatewayConfig()
    eventbus: EventBusConfig = EventBusConfig()
    datastores: DatastoresConfig = DatastoresConfig()
    observability: ObservabilityConfig = ObservabilityConfig()
    tokens: TokensConfig = TokensConfig()
    services_dir: str = "services"
    # true: each service (workload, route, its topics, Kafka user) is a stack of its own on the
    # platform's exported contract (`deploy-service`); false: all in the platform stack.
    service_stacks: bool = False
    deploy_access: DeployAccessConfig = DeployAccessConfig()

    @property
    def deploys_from_ci(self) -> bool:
        """Whether the services' CI deploys them (aws, service stacks, deploy roles made)."""
        return (self.target == "aws" and self.service_stacks
                and bool(self.deploy_access.github_owner))

    @model_validator(mode="after")
    def _ci_reaches_the_api(self) -> PlatformConfig:
        access, cluster = self.deploy_access, self.cluster
        if not self.deploys_from_ci:
            return self
        if access.api_reach == "unset":
            raise ValueError(
                "deploy_access: the services' deploy jobs have no way to reach the cluster API "
                "stated; fix: set deploy_access.api_reach: runner_cidrs (with "
                "deploy_access.runner_cidrs), self_hosted (runners in the VPC) or "
                "public_endpoint (see docs/how-to/deploy-from-ci.md)")
        if access.api_reach == "runner_cidrs" and not access.runner_cidrs:
            raise ValueError("deploy_access: api_reach: runner_cidrs lists no runner_cidrs; fix: "
                             "list the runners' public egress CIDRs in deploy_access.runner_cidrs")
        if access.runner_cidrs and access.api_reach != "runner_cidrs":
            raise ValueError(f"deploy_access: runner_cidrs given with api_reach: "
                             f"{access.api_reach}; fix: set api_reach: runner_cidrs or remove "
                             "runner_cidrs")
        public = access.api_reach in ("runner_cidrs", "public_endpoint")
        if public and cluster.endpoint_access == "private":
            raise ValueError(f"deploy_access: api_reach: {access.api_reach} needs the public "
                             "endpoint, but cluster.endpoint_access is private; fix: set "
                             "api_reach: self_hosted, or endpoint_access: cidrs or deployer")
        total = len({*cluster.public_access_cidrs, *access.runner_cidrs}) + (
            cluster.endpoint_access == "deployer")
        if total > MAX_PUBLIC_ACCESS_CIDRS:
            raise ValueError(f"deploy_access: {total} public access CIDRs (with the deployer's); "
                             f"EKS admits {MAX_PUBLIC_ACCESS_CIDRS}; fix: aggregate the runner "
                             "CIDRs or use api_reach: self_hosted")
        return self

    @field_validator("name")
    @classmethod
    def _dns_name(cls, name: str) -> str:
        if not DNS_LABEL.match(name):
            raise ValueError("use lowercase letters, digits and '-', starting with a letter")
        return name

    @field_validator("extra_regions")
    @classmethod
    def _region_names(cls, regions: list[str]) -> list[str]:
        for region in regions:
            if not REGION_NAME.match(region):
                raise ValueError(f"{region!r} is not an AWS region name (e.g. us-east-1)")
        return regions

    @field_validator("region")
    @classmethod
    def _region(cls, region: str, info: ValidationInfo) -> str:
        if not REGION_NAME.match(region):
            raise ValueError("not an AWS region name (e.g. us-east-1)")
        return aws.check_region(region, info.data.get("extra_regions") or [])


# --- services/<name>/service.yaml --------------------------------------------------------


class Replicas(_Model):
    """Horizontal autoscaling bounds."""

    min: int = Field(2, ge=1, le=100)
    max: int = Field(10, ge=1, le=100)
    cpu_target: int = Field(70, ge=10, le=95)

    @model_validator(mode="after")
    def _ordered(self) -> Replicas:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is above max ({self.max})")
        return self


class Resources(_Model):
    """Container requests and limits."""

    cpu: str = "100m"
    memory: str = "256Mi"
    cpu_limit: str = "500m"
    memory_limit: str = "512Mi"

    @field_validator("cpu", "cpu_limit")
    @classmethod
    def _cpu(cls, value: str) -> str:
        kube.cpu(value)
        return value

    @field_validator("memory", "memory_limit")
    @classmethod
    def _memory(cls, value: str) -> str:
        kube.memory(value)
        return value

    @model_validator(mode="after")
    def _request_within_limit(self) -> Resources:
        for request, limit in (("cpu", "cpu_limit"), ("memory", "memory_limit")):
            parse = kube.cpu if request == "cpu" else kube.memory
            if parse(getattr(self, request)) > parse(getattr(self, limit)):
                raise ValueError(f"{request} {getattr(self, request)!r} is above {limit} "
                                 f"{getattr(self, limit)!r}; fix: keep the request <= the limit")
        return self


_OBJECTIVES = Objectives()


class Slo(_Model):
    """``slo:`` of service.yaml: the objectives its alerts guard (30-day error budget)."""

    availability: float = Field(_OBJECTIVES.availability, ge=90, lt=100)  # % non-5xx
    latency_ms: int = _OBJECTIVES.latency_ms  # "fast" means under this (a bucket bound)
    latency_target: float = Field(_OBJECTIVES.latency_target, ge=50, lt=100)  # % fast
    outbox_delay_seconds: int = Field(_OBJECTIVES.outbox_delay_seconds, ge=10)
    consumer_lag: int = Field(_OBJECTIVES.consumer_lag, ge=1)

    @field_validator("latency_ms")
    @classmethod
    def _bucket(cls, value: int) -> int:
        if signals.latency_bucket(value) is None:
            bounds = ", ".join(str(round(b * 1000)) for b in signals.LATENCY_BUCKETS)
            raise ValueError(f"use a latency histogram bucket bound in ms: {bounds}")
        return value

    def objectives(self) -> Objectives:
        """The same values as the monitoring rules take them."""
        return Objectives(**self.model_dump())


class ServiceSpec(_Model):
    """``service.yaml``: what the platform needs to know about one service."""

    name: str
    version: str = "0.1.0"
    port: int = Field(8000, ge=1024, le=65535)
    path: str = ""
    datastore: Literal["postgres", "none"] = "postgres"
    publishes: list[str] = Field(default_factory=list)
    consumes: list[str] = Field(default_factory=list)
    replicas: Replicas = Replicas()
    resources: Resources = Resources()
    image: str = ""
    # Auth: the one service that issues tokens (holds the signing key, publishes the JWKS), and
    # the routes the gateway lets through without a token (every other route needs one).
    issues_tokens: bool = False
    public_routes: list[str] = Field(default_factory=list)
    # Services this one calls over HTTP inside the mesh: each admits exactly its declared callers
    # (its AuthorizationPolicy and NetworkPolicy); an undeclared caller is denied.
    calls: list[str] = Field(default_factory=list)
    # Notification channels besides e-mail: sms (the service's role may sns:Publish, SMS env),
    # push (a VAPID key Secret mounted as a file). See contract.container's CHANNEL section.
    sends: list[Literal["sms", "push"]] = Field(default_factory=list)
    slo: Slo = Slo()

    @field_validator("public_routes")
    @classmethod
    def _public_routes(cls, routes: list[str]) -> list[str]:
        for route in routes:
            if not PUBLIC_ROUTE.match(route):
                raise ValueError(
                    f"{route!r} is not a public route; write METHOD /path, e.g. 'GET /products/*'"
                )
        return routes

    @field_validator("name")
    @classmethod
    def _name(cls, name: str) -> str:
        return check_service_name(name)

    @field_validator("sends")
    @classmethod
    def _sends(cls, sends: list[str]) -> list[str]:
        if len(set(sends)) != len(sends):
            raise ValueError("a channel is listed twice")
        return sends

    _datastore = field_validator("datastore", mode="before")(refuse_documentdb)

    @field_validator("path")
    @classmethod
    def _path(cls, path: str) -> str:
        if path and not PATH_PREFIX.match(path):
            raise ValueError("a path prefix starts with '/' then lowercase letters, digits, -_/")
        return path.rstrip("/") if path != "/" else path

    @field_validator("publishes", "consumes")
    @classmethod
    def _topics(cls, topics: list[str]) -> list[str]:
        for topic in topics:
            kube.object_name(topic, "topic")
        if len(set(topics)) != len(topics):
            raise ValueError("a topic is listed twice")
        return topics

    @field_validator("consumes")
    @classmethod
    def _dead_letter_fits(cls, topics: list[str]) -> list[str]:
        for topic in topics:
            kube.object_name(dead_letter_topic(topic), f"the dead-letter topic of {topic!r}")
        return topics

    @property
    def route_prefix(self) -> str:
        """The gateway path prefix (defaults to ``/<name>``)."""
        return self.path or f"/{self.name}"

    @property
    def dead_letter_topics(self) -> list[str]:
        """The dead-letter topic of each consumed topic (the consumer writes failures there)."""
        return [dead_letter_topic(t) for t in self.consumes]

    @property
    def package(self) -> str:
        """The Python package name of the service."""
        return self.name.replace("-", "_")


# --- loading -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Platform:
    """A platform config with the services found in its services_dir."""

    config: PlatformConfig
    services: tuple[ServiceSpec, ...] = ()
    source: Path | None = None
    service_files: dict[str, Path] = field(default_factory=dict)
    services_dir: Path | None = None

    @property
    def topics(self) -> list[str]:
        """Every event stream some service publishes, sorted."""
        return sorted({t for s in self.services for t in s.publishes})

    @property
    def dead_letter_topics(self) -> list[str]:
        """The dead-letter topic of every consumed stream, sorted."""
        return sorted({t for s in self.services for t in s.dead_letter_topics})

    @property
    def token_issuer(self) -> ServiceSpec | None:
        """The service that issues the platform's tokens (at most one: ``check_services``)."""
        return next((s for s in self.services if s.issues_tokens), None)


def _fix_for(error: dict[str, Any]) -> str:
    kind = error["type"]
    if str(error.get("msg", "")).endswith(DOCUMENTDB_REFUSED):
        return DOCUMENTDB_FIX
    if kind == "extra_forbidden":
        return "remove the key or check its spelling"
    if kind == "missing":
        return "add the key"
    if kind.startswith(("int", "float", "bool", "string", "list", "dict", "model")):
        return "give a value of the expected type"
    return "correct the value"


def _explain(file: Path, error: ValidationError) -> ConfigError:
    first = error.errors()[0]
    key = ".".join(str(part) for part in first["loc"]) or "(top level)"
    message = str(first["msg"]).removeprefix("Value error, ")
    if "; fix: " in message:
        return ConfigError(f"{file}: {key}: {message}")
    return ConfigError(f"{file}: {key}: {message}; fix: {_fix_for(dict(first))}")


def read_yaml(file: Path) -> dict[str, Any]:
    """A YAML mapping from ``file``, or a ConfigError naming the file and the problem (a
    FIFO, a huge file, duplicate keys, deep nesting included: see ``validation/yaml_load.py``)."""
    return parse_mapping(yaml_load.read_text(file), file)


def parse_mapping(text: str, file: Path) -> dict[str, Any]:
    """The YAML mapping in ``text`` (read from, or about to be written to, ``file``), strictly."""
    data = yaml_load.parse(text, file)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{file}: (top level): expected a mapping of keys; fix: use key: value")
    return data


def parse_platform(data: dict[str, Any], file: Path) -> PlatformConfig:
    """Validate a platform mapping over the preset of the blueprint it names."""
    blueprint = data.get("blueprint", "dev")
    preset = PRESETS.get(blueprint, {}) if isinstance(blueprint, str) else {}
    try:
        return PlatformConfig.model_validate(deep_merge(preset, data))
    except ValidationError as exc:
        raise _explain(file, exc) from None


def parse_service(data: dict[str, Any], file: Path) -> ServiceSpec:
    """Validate a service mapping."""
    try:
        return ServiceSpec.model_validate(data)
    except ValidationError as exc:
        raise _explain(file, exc) from None


def load_service(file: Path) -> ServiceSpec:
    """Load one ``service.yaml``."""
    return parse_service(read_yaml(file), file)


def check_services(services: list[tuple[ServiceSpec, Path]]) -> None:
    """Cross-service rules: ``check_placement``, and every consumed topic has a publisher."""
    check_placement(services)
    published = {t for spec, _ in services for t in spec.publishes}
    for spec, file in services:
        for topic in spec.consumes:
            if topic not in published:
                raise ConfigError(
                    f"{file}: consumes: no service publishes {topic!r}; "
                    "fix: add it to a service's publishes or remove it"
                )


def check_placement(services: list[tuple[ServiceSpec, Path]]) -> None:
    """Unique names and ports, one token issuer, route prefixes that do not overlap (the
    gateway matches prefixes as strings: /order would also take /orders). ``new-service``
    checks a new service against its siblings with these rules too."""
    names: dict[str, Path] = {}
    issuer: Path | None = None
    ports: dict[int, Path] = {}
    routes: list[tuple[str, Path]] = []
    for spec, file in services:
        if spec.issues_tokens and issuer is not None:
            raise ConfigError(
                f"{file}: issues_tokens: {issuer} already issues the platform's tokens; "
                "fix: let one service issue tokens"
            )
        issuer = file if spec.issues_tokens else issuer
        if spec.name in names:
            raise ConfigError(
                f"{file}: name: {spec.name!r} is already used by {names[spec.name]}; "
                "fix: give each service a unique name"
            )
        names[spec.name] = file
        if spec.port in ports:
            free = next_free_port(ports)
            raise ConfigError(
                f"{file}: port: {spec.port} is already used by {ports[spec.port]}; "
                f"fix: give each service its own port (e.g. {free})"
            )
        ports[spec.port] = file
        prefix = spec.route_prefix
        for other, other_file in routes:
            if prefix.startswith(other) or other.startswith(prefix):
                same = "is already routed to" if prefix == other else f"overlaps {other!r} of"
                raise ConfigError(
                    f"{file}: path: {prefix!r} {same} {other_file}; fix: give each service "
                    "a path prefix that is not the start of another's"
                )
        routes.append((prefix, file))
    for spec, file in services:
        for callee in spec.calls:
            if callee not in names or callee == spec.name:
                raise ConfigError(
                    f"{file}: calls: {callee!r} is not another service of the platform; "
                    f"fix: name one of {sorted(set(names) - {spec.name})} or remove it"
                )


IMAGE_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}\Z")


def check_digests(services: list[tuple[ServiceSpec, Path]]) -> None:
    """The production blueprint deploys images by digest only: a tag can be moved, a digest
    names exactly what was built and scanned (the service's CI writes it on deploy)."""
    for spec, file in services:
        if not IMAGE_DIGEST.search(spec.image):
            shown = repr(spec.image) if spec.image else f"the default '<registry>/{spec.name}:"
            shown += "" if spec.image else f"{spec.version}'"
            raise ConfigError(
                f"{file}: image: {shown} is a mutable tag and the production blueprint deploys "
                f"by digest; fix: set image: <registry>/{spec.name}@sha256:<digest> (the "
                "service's CI deploy writes it)"
            )


def next_free_port(used: Iterable[int], start: int = 8000) -> int:
    """The first port from ``start`` on that is not in ``used``."""
    taken = set(used)
    port = start
    while port in taken:
        port += 1
    return port


def load_platform(file: Path) -> Platform:
    """Load ``marketplace.yaml`` and every ``<services_dir>/*/service.yaml`` beside it (a
    missing services_dir or a service directory without its service.yaml is an error)."""
    config = parse_platform(read_yaml(file), file)
    services_dir, files = find_service_files(file, config.services_dir)
    found = [(load_service(service_file), service_file) for service_file in files]
    check_services(found)
    if config.blueprint == "production":
        check_digests(found)
    return Platform(
        config=config,
        services=tuple(spec for spec, _ in found),
        source=file,
        service_files={spec.name: path for spec, path in found},
        services_dir=services_dir,
    )


def default_platform(blueprint: str = "dev") -> Platform:
    """The built-in platform of a blueprint (used when no marketplace.yaml is given)."""
    origin = Path(f"<built-in {blueprint}>")
    return Platform(config=parse_platform({"blueprint": blueprint}, origin))

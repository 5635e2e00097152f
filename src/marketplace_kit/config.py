"""Typed configuration: ``marketplace.yaml`` (the platform) and ``services/*/service.yaml``.

Every error names the file, the key and the fix, on one line (``ConfigError``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from marketplace_kit.blueprints.presets import PRESETS
from marketplace_kit.core.events import dead_letter_topic
from marketplace_kit.core.merge import deep_merge
from marketplace_kit.errors import ConfigError
from marketplace_kit.platform import versions
from marketplace_kit.validation.services_dir import SERVICE_FILE as SERVICE_FILE
from marketplace_kit.validation.services_dir import find_service_files

# \Z, not $: "$" also matches before a trailing newline ("orders\n" would pass).
DNS_LABEL = re.compile(r"^[a-z]([a-z0-9-]{0,38}[a-z0-9])?\Z")
SERVICE_NAME = re.compile(r"^[a-z]([a-z0-9-]{0,30}[a-z0-9])?\Z")
TOPIC_NAME = re.compile(r"^[a-z0-9]([a-z0-9.-]{0,60}[a-z0-9])?\Z")
PATH_PREFIX = re.compile(r"^/[a-z0-9][a-z0-9/_-]*\Z")
KEY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}\Z")
# A route open without a token at the gateway: "METHOD /path" under the service's prefix; a path
# ending in "/*" covers everything below it (Istio's prefix match). METHOD "*" is any method.
PUBLIC_ROUTE = re.compile(
    r"^(\*|GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) (/[A-Za-z0-9._~-]+)*(/|/\*)?\Z"
)

PLATFORM_FILE = "marketplace.yaml"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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

    instance_types: list[str] = Field(default_factory=lambda: ["t3.medium"], min_length=1)
    min: int = Field(1, ge=0)
    desired: int = Field(1, ge=0)
    max: int = Field(3, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> NodeGroupConfig:
        if not self.min <= self.desired <= self.max:
            got = f"{self.min}/{self.desired}/{self.max}"
            raise ValueError(f"need min <= desired <= max, got {got}")
        return self


class ClusterConfig(_Model):
    """EKS (or, for target local, the kubeconfig context to use)."""

    kubernetes_version: str = versions.KUBERNETES
    on_demand: NodeGroupConfig = NodeGroupConfig()
    spot: NodeGroupConfig | None = None
    public_access_cidrs: list[IPv4Network] = Field(
        default_factory=list,
        description="CIDRs allowed to reach the public API endpoint; empty means private only",
    )
    admin_principal_arns: list[str] = Field(default_factory=list)
    kubeconfig_context: str | None = None

    @field_validator("public_access_cidrs")
    @classmethod
    def _not_world(cls, cidrs: list[IPv4Network]) -> list[IPv4Network]:
        if any(c.prefixlen == 0 for c in cidrs):
            raise ValueError("0.0.0.0/0 opens the API to the internet; list your office/VPN CIDRs")
        return cidrs


class MeshConfig(_Model):
    """Istio."""

    gateway_replicas: int = Field(2, ge=1, le=10)


class GatewayConfig(_Model):
    """The ingress (Istio Gateway) in front of every service."""

    hosts: list[str] = Field(default_factory=lambda: ["*"], min_length=1)
    tls_secret: str = "marketplace-gateway-tls"
    rate_limit_per_second: int = Field(100, ge=1)


class EventBusConfig(_Model):
    """Strimzi Kafka."""

    brokers: int = Field(3, ge=1, le=9)
    broker_storage_gib: int = Field(100, ge=1)
    partitions: int = Field(3, ge=1, le=100)
    retention_hours: int = Field(168, ge=1)


class PostgresConfig(_Model):
    """RDS PostgreSQL (aws) or in-cluster PostgreSQL (local)."""

    instance_class: str = "db.t4g.medium"
    storage_gib: int = Field(20, ge=20, le=65536)
    multi_az: bool = False
    backup_retention_days: int = Field(7, ge=1, le=35)


class DocumentDbConfig(_Model):
    """Amazon DocumentDB, created only when a service asks for ``datastore: documentdb``."""

    instance_class: str = "db.t4g.medium"
    instances: int = Field(1, ge=1, le=16)


class DatastoresConfig(_Model):
    """Data stores shared by the services (one database and role per service)."""

    postgres: PostgresConfig = PostgresConfig()
    documentdb: DocumentDbConfig = DocumentDbConfig()


class ObservabilityConfig(_Model):
    """Metrics, logs and traces."""

    logs: Literal["efk", "loki", "none"] = "efk"
    traces: bool = True
    metrics_retention_days: int = Field(15, ge=1)


class TokensConfig(_Model):
    """The platform's tokens, issued by the service with ``issues_tokens`` in its service.yaml."""

    # Key ids of the issuer's ES256 keys, oldest first: the last one signs, the earlier ones are
    # still published (their tokens verify until they expire). `marketplace-kit
    # rotate-signing-key` appends a new one and drops those no token can need any more.
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


class PlatformConfig(_Model):
    """``marketplace.yaml``: one platform."""

    name: str = "marketplace"
    target: Literal["aws", "local"] = "aws"
    blueprint: Literal["dev", "production", "local"] = "dev"
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

    @field_validator("name")
    @classmethod
    def _dns_name(cls, name: str) -> str:
        if not DNS_LABEL.match(name):
            raise ValueError("use lowercase letters, digits and '-', starting with a letter")
        return name

    @field_validator("region")
    @classmethod
    def _region(cls, region: str) -> str:
        if not re.match(r"^[a-z]{2}(-gov)?-[a-z]+-\d\Z", region):
            raise ValueError("not an AWS region name (e.g. us-east-1)")
        return region


# --- services/<name>/service.yaml --------------------------------------------------------


class Replicas(_Model):
    """Horizontal autoscaling bounds."""

    min: int = Field(2, ge=1)
    max: int = Field(10, ge=1)
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


class ServiceSpec(_Model):
    """``service.yaml``: what the platform needs to know about one service."""

    name: str
    version: str = "0.1.0"
    port: int = Field(8000, ge=1024, le=65535)
    path: str = ""
    datastore: Literal["postgres", "documentdb", "none"] = "postgres"
    publishes: list[str] = Field(default_factory=list)
    consumes: list[str] = Field(default_factory=list)
    replicas: Replicas = Replicas()
    resources: Resources = Resources()
    image: str = ""
    # Auth: the one service that issues tokens (holds the signing key, publishes the JWKS), and
    # the routes the gateway lets through without a token (every other route needs one).
    issues_tokens: bool = False
    public_routes: list[str] = Field(default_factory=list)

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
        if not SERVICE_NAME.match(name):
            raise ValueError(
                "use a DNS-1123 label of lowercase letters, digits and '-', starting with a letter"
            )
        return name

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
            if not TOPIC_NAME.match(topic):
                raise ValueError(f"{topic!r} is not a topic name (lowercase, digits, '.', '-')")
        if len(set(topics)) != len(topics):
            raise ValueError("a topic is listed twice")
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
    return ConfigError(f"{file}: {key}: {message}; fix: {_fix_for(dict(first))}")


def read_yaml(file: Path) -> dict[str, Any]:
    """A YAML mapping from ``file``, or a ConfigError naming the file and the problem."""
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{file}: no such file; fix: check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot be read ({exc.__class__.__name__})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(document)"
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"{file}: {where}: {problem}; fix: correct the YAML syntax") from None
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
    """Cross-service rules: unique names and paths; every consumed topic has a publisher."""
    names: dict[str, Path] = {}
    paths: dict[str, Path] = {}
    issuer: Path | None = None
    published = {t for spec, _ in services for t in spec.publishes}
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
        if spec.route_prefix in paths:
            raise ConfigError(
                f"{file}: path: {spec.route_prefix!r} is already routed to "
                f"{paths[spec.route_prefix]}; fix: give each service its own path prefix"
            )
        paths[spec.route_prefix] = file
        for topic in spec.consumes:
            if topic not in published:
                raise ConfigError(
                    f"{file}: consumes: no service publishes {topic!r}; "
                    "fix: add it to a service's publishes or remove it"
                )


def load_platform(file: Path) -> Platform:
    """Load ``marketplace.yaml`` and every ``<services_dir>/*/service.yaml`` beside it (a
    missing services_dir or a service directory without its service.yaml is an error)."""
    config = parse_platform(read_yaml(file), file)
    services_dir, files = find_service_files(file, config.services_dir)
    found = [(load_service(service_file), service_file) for service_file in files]
    check_services(found)
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

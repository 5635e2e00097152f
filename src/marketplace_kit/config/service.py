"""services/<name>/service.yaml: one service's spec."""


from __future__ import annotations

from typing import Literal

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

# \Z, not $: "$" also matches before a trailing newline ("orders\n" would pass).
from marketplace_kit.config.base import PATH_PREFIX, PUBLIC_ROUTE, ConfigModel, refuse_documentdb
from marketplace_kit.core.events import dead_letter_topic
from marketplace_kit.monitoring import signals
from marketplace_kit.monitoring.slo import Objectives
from marketplace_kit.validation import kube
from marketplace_kit.validation.names import SERVICE_NAME as SERVICE_NAME
from marketplace_kit.validation.names import check_service_name
from marketplace_kit.validation.services_dir import SERVICE_FILE as SERVICE_FILE


class Replicas(ConfigModel):
    """Horizontal autoscaling bounds."""

    min: int = Field(2, ge=1, le=100)
    max: int = Field(10, ge=1, le=100)
    cpu_target: int = Field(70, ge=10, le=95)

    @model_validator(mode="after")
    def _ordered(self) -> Replicas:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is above max ({self.max})")
        return self


class Resources(ConfigModel):
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


class Slo(ConfigModel):
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


class ServiceSpec(ConfigModel):
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

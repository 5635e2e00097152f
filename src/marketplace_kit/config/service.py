"""services/<name>/service.yaml: one service's spec."""


from __future__ import annotations

from typing import Literal

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

# \Z, not $: "$" also matches before a trailing newline ("orders\n" would pass).
from marketplace_kit.config import limits
from marketplace_kit.config.base import PUBLIC_ROUTE, ConfigModel, refuse_documentdb
from marketplace_kit.contract.container import SIDECAR_PORTS
from marketplace_kit.core.events import DEAD_LETTER_SUFFIX, dead_letter_topic, is_dead_letter_topic
from marketplace_kit.monitoring import signals
from marketplace_kit.monitoring.slo import Objectives
from marketplace_kit.platform import workload_names
from marketplace_kit.validation import grammars, kube, paths
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
    publishes: list[str] = Field(default_factory=list, max_length=limits.PUBLISHES)
    consumes: list[str] = Field(default_factory=list, max_length=limits.CONSUMES)
    replicas: Replicas = Replicas()
    resources: Resources = Resources()
    image: str = ""
    # Auth: the one service that issues tokens (holds the signing key, publishes the JWKS), and
    # the routes the gateway lets through without a token (every other route needs one).
    issues_tokens: bool = False
    public_routes: list[str] = Field(default_factory=list, max_length=limits.PUBLIC_ROUTES)
    # Services this one calls over HTTP inside the mesh: each admits exactly its declared callers
    # (its AuthorizationPolicy and NetworkPolicy); an undeclared caller is denied.
    calls: list[str] = Field(default_factory=list, max_length=limits.CALLS)
    # Notification channels besides e-mail: sms (the service's role may sns:Publish, SMS env),
    # push (a VAPID key Secret mounted as a file). See contract.container's CHANNEL section.
    sends: list[Literal["sms", "push"]] = Field(default_factory=list)
    slo: Slo = Slo()

    @field_validator("public_routes")
    @classmethod
    def _public_routes(cls, routes: list[str]) -> list[str]:
        for route in routes:
            if not PUBLIC_ROUTE.match(route) or paths.dot_segment(route.split(" ", 1)[1]):
                raise ValueError(
                    f"{route!r} is not a public route; fix: write METHOD /path without '.' or "
                    "'..' segments, e.g. 'GET /products/*'"
                )
        if len(set(routes)) != len(routes):
            raise ValueError("a public route is listed twice; fix: list each once")
        return routes

    @field_validator("name")
    @classmethod
    def _name(cls, name: str) -> str:
        check_service_name(name)
        taken = workload_names.taken_by_platform(name)
        if taken is not None:
            raise ValueError(f"a service named {name!r} would collide with {taken}; fix: "
                             "choose another name (e.g. add a suffix such as -service)")
        return name

    @field_validator("version")
    @classmethod
    def _version(cls, value: str) -> str:
        return grammars.version(value)

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        return grammars.image_reference(value) if value else value

    @field_validator("port")
    @classmethod
    def _port(cls, port: int) -> int:
        if port in SIDECAR_PORTS:
            raise ValueError(f"{port} is reserved for the Istio sidecar ({SIDECAR_PORTS.start}-"
                             f"{SIDECAR_PORTS.stop - 1}); fix: use a port such as 8000")
        return port

    @field_validator("calls")
    @classmethod
    def _calls(cls, calls: list[str]) -> list[str]:
        if len(set(calls)) != len(calls):
            raise ValueError("a service is listed twice; fix: list each callee once")
        return calls

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
        return paths.route_prefix(path) if path else path

    @field_validator("publishes", "consumes")
    @classmethod
    def _topics(cls, topics: list[str]) -> list[str]:
        for topic in topics:
            kube.object_name(topic, "topic")
        if len(set(topics)) != len(topics):
            raise ValueError("a topic is listed twice")
        return topics

    @field_validator("publishes")
    @classmethod
    def _not_a_dead_letter_topic(cls, topics: list[str]) -> list[str]:
        for topic in topics:
            if is_dead_letter_topic(topic):
                raise ValueError(
                    f"{topic!r} is a dead-letter topic (<topic>{DEAD_LETTER_SUFFIX}): only the "
                    "consumers of its topic park messages there; fix: publish a topic whose "
                    f"name does not end in {DEAD_LETTER_SUFFIX!r}")
        return topics

    @field_validator("consumes")
    @classmethod
    def _no_dead_letter_consumer(cls, topics: list[str]) -> list[str]:
        for topic in topics:
            if is_dead_letter_topic(topic):
                origin = topic.removesuffix(DEAD_LETTER_SUFFIX)
                raise ValueError(
                    f"{topic!r} is a dead-letter topic (<topic>{DEAD_LETTER_SUFFIX}): the "
                    f"consumers of {origin!r} park the events they cannot process there for an "
                    "operator (the DeadLetterTopicNotEmpty alert), and no service may read it "
                    f"(its Kafka user writes it only); fix: consume {origin!r} instead, or "
                    "remove it")
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

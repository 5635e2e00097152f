"""marketplace.yaml ``mesh`` and ``gateway``: Istio and the API gateway."""


from __future__ import annotations

from pydantic import (
    Field,
    field_validator,
)

# \Z, not $: "$" also matches before a trailing newline ("orders\n" would pass).
from marketplace_kit.config import limits
from marketplace_kit.config.base import ConfigModel
from marketplace_kit.validation import grammars
from marketplace_kit.validation.names import SERVICE_NAME as SERVICE_NAME
from marketplace_kit.validation.services_dir import SERVICE_FILE as SERVICE_FILE


class MeshConfig(ConfigModel):
    """Istio."""

    gateway_replicas: int = Field(2, ge=1, le=10)


class GatewayConfig(ConfigModel):
    """The ingress (Istio Gateway) in front of every service."""

    hosts: list[str] = Field(default_factory=lambda: ["*"], min_length=1,
                             max_length=limits.GATEWAY_HOSTS)
    tls_secret: str = "marketplace-gateway-tls"
    rate_limit_per_second: int = Field(100, ge=1, le=100_000)
    # Serve the services' merged OpenAPI document at /openapi.json (Swagger UI at /docs, each
    # AsyncAPI document at /asyncapi/<service>.json). `plan` builds it from the services' code,
    # so it needs their dependencies (pip install 'marketplace-kit[local]'); conflicts are errors.
    api_docs: bool = False

    @field_validator("hosts")
    @classmethod
    def _hosts(cls, hosts: list[str]) -> list[str]:
        for value in hosts:
            grammars.host(value)
        if len(set(hosts)) != len(hosts):
            raise ValueError("a host is listed twice; fix: list each once")
        return hosts

    @field_validator("tls_secret")
    @classmethod
    def _tls_secret(cls, value: str) -> str:
        return grammars.dns_subdomain(value, "Secret")

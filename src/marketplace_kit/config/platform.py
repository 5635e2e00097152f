"""marketplace.yaml itself: the platform and its sections."""


from __future__ import annotations

from typing import Literal

from pydantic import (
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

# \Z, not $: "$" also matches before a trailing newline ("orders\n" would pass).
from marketplace_kit.config.base import DNS_LABEL, REGION_NAME, ConfigModel
from marketplace_kit.config.cluster import MAX_PUBLIC_ACCESS_CIDRS, ClusterConfig
from marketplace_kit.config.datastores import DatastoresConfig
from marketplace_kit.config.deploy_access import DeployAccessConfig
from marketplace_kit.config.eventbus import EventBusConfig
from marketplace_kit.config.gateway import GatewayConfig, MeshConfig
from marketplace_kit.config.network import NetworkConfig
from marketplace_kit.config.observability import ObservabilityConfig
from marketplace_kit.config.tokens import TokensConfig
from marketplace_kit.platform import namespaces
from marketplace_kit.validation import aws, grammars
from marketplace_kit.validation.names import SERVICE_NAME as SERVICE_NAME
from marketplace_kit.validation.services_dir import SERVICE_FILE as SERVICE_FILE


class PlatformConfig(ConfigModel):
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
        if name in namespaces.RESERVED:
            owner = ("Kubernetes owns" if name in namespaces.KUBERNETES
                     else "the platform's add-ons run in")
            raise ValueError(f"{name!r} is a namespace {owner}, and the platform's name is its "
                             "services' namespace; fix: choose another name (e.g. shop)")
        return name

    @field_validator("image_registry")
    @classmethod
    def _registry(cls, value: str) -> str:
        return grammars.registry(value) if value else value

    @model_validator(mode="after")
    def _arns_in_the_region_partition(self) -> PlatformConfig:
        if self.target != "aws":
            return self
        partition = grammars.region_partition(self.region)
        given = [("cluster.admin_principal_arns", a) for a in self.cluster.admin_principal_arns]
        access = self.deploy_access
        given += [(f"deploy_access.{key}", value) for key, value in (
            ("github_oidc_provider_arn", access.github_oidc_provider_arn),
            ("state_key_arn", access.state_key_arn)) if value]
        for key, value in given:
            if grammars.arn_partition(value) != partition:
                raise ValueError(f"{key}: {value!r} is in partition "
                                 f"{grammars.arn_partition(value)!r} but region {self.region} "
                                 f"is in {partition!r}; fix: give the {partition} ARN")
        return self

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

"""marketplace.yaml ``cluster``: EKS (or a local context), node groups, logs."""


from __future__ import annotations

from ipaddress import IPv4Network
from typing import Literal

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

# \Z, not $: "$" also matches before a trailing newline ("orders\n" would pass).
from marketplace_kit.config import limits
from marketplace_kit.config.base import ConfigModel
from marketplace_kit.platform import versions
from marketplace_kit.validation import aws, grammars
from marketplace_kit.validation.names import SERVICE_NAME as SERVICE_NAME
from marketplace_kit.validation.network import check_public_cidrs
from marketplace_kit.validation.services_dir import SERVICE_FILE as SERVICE_FILE


class NodeGroupConfig(ConfigModel):
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


class ClusterConfig(ConfigModel):
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
    admin_principal_arns: list[str] = Field(default_factory=list,
                                            max_length=limits.ADMIN_PRINCIPALS)
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

    @field_validator("admin_principal_arns")
    @classmethod
    def _principals(cls, arns: list[str]) -> list[str]:
        for value in arns:
            grammars.arn(value, "iam_principal")
        return arns  # one listed twice gets one access entry (platform/cluster.py)

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

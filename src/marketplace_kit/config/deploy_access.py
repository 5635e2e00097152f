"""marketplace.yaml ``deploy_access``: how services' CI deploys."""


from __future__ import annotations

import re
from ipaddress import IPv4Network
from typing import Literal

from pydantic import (
    Field,
    field_validator,
)

# \Z, not $: "$" also matches before a trailing newline ("orders\n" would pass).
from marketplace_kit.config.base import ConfigModel
from marketplace_kit.config.cluster import MAX_PUBLIC_ACCESS_CIDRS, _api_cidrs
from marketplace_kit.contract import ci
from marketplace_kit.validation import grammars
from marketplace_kit.validation.names import SERVICE_NAME as SERVICE_NAME
from marketplace_kit.validation.network import not_public
from marketplace_kit.validation.services_dir import SERVICE_FILE as SERVICE_FILE


class DeployAccessConfig(ConfigModel):
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
    state_key_arn: str = Field("", description="the state bucket's KMS key (`bootstrap` prints "
                               "it): each role may use it through S3 on its own stack's objects "
                               "only")
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

    @field_validator("github_oidc_provider_arn")
    @classmethod
    def _provider(cls, value: str) -> str:
        return grammars.arn(value, "oidc_provider") if value else value

    @field_validator("state_key_arn")
    @classmethod
    def _key(cls, value: str) -> str:
        return grammars.arn(value, "kms_key") if value else value

    @field_validator("state_bucket")
    @classmethod
    def _bucket(cls, value: str) -> str:
        return grammars.s3_bucket(value) if value else value

    @field_validator("github_owner", "repository_prefix", "environment", "image_environment")
    @classmethod
    def _github_name(cls, value: str) -> str:
        if value and not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}\Z", value):
            raise ValueError(f"{value!r}: use letters, digits, '.', '_' and '-'")
        return value

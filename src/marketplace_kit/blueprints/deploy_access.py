"""Per-service deploy roles of a platform whose services are stacks of their own (target aws,
``service_stacks``, ``deploy_access.github_owner`` set): see ``platform/deploy_access.py``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from marketplace_kit.blueprints.projects import service_project
from marketplace_kit.config import Platform, ServiceSpec
from marketplace_kit.contract import keys
from marketplace_kit.contract.platform_outputs import parameter_name
from marketplace_kit.core.events import owned_topics
from marketplace_kit.core.foundation import Foundation
from marketplace_kit.platform.deploy_access import (
    GITHUB_ISSUER,
    DeployIdentity,
    ServiceDeployAccess,
    ServiceDeployAccessArgs,
    owned_names,
)
from marketplace_kit.platform.image_push import repository_name
from marketplace_kit.platform.principals import key_users
from marketplace_kit.platform.service import boundary_policy


@dataclass
class CiAccess:
    """What the platform gives its services' CI (exported in the platform contract).

    Attributes:
        deploy_roles: Service -> its deploy role's ARN.
        push_roles: Service -> its push role's ARN.
        image_repositories: Service -> its ECR repository's name.
        boundary: ARN of the permissions boundary every service role must carry.
    """

    deploy_roles: dict[str, pulumi.Output[str]] = field(default_factory=dict)
    push_roles: dict[str, pulumi.Output[str]] = field(default_factory=dict)
    image_repositories: dict[str, str] = field(default_factory=dict)
    boundary: pulumi.Input[str] = ""


def wanted(platform: Platform, foundation: Foundation) -> bool:
    """Whether this platform gets deploy roles."""
    return foundation.target == "aws" and platform.config.deploys_from_ci


def identity(platform: Platform, spec: ServiceSpec, secrets: tuple[str, ...]) -> DeployIdentity:
    """Who deploys ``spec`` (its repository and environment) and what it owns."""
    access = platform.config.deploy_access
    return DeployIdentity(
        service=spec.name,
        repository=f"{access.github_owner}/{access.repository_prefix}{spec.name}",
        environment=access.environment,
        image_environment=access.image_environment,
        image_repository=repository_name(platform.config.name, spec.name),
        contract_parameter=parameter_name(platform.config.name, pulumi.get_stack(), spec.name),
        names=owned_names(spec.name),
        topics=owned_topics(tuple(spec.publishes)),
        secrets=secrets,
    )


def build_deploy_access(
    platform: Platform, foundation: Foundation, secrets: dict[str, tuple[str, ...]],
    opts: pulumi.ResourceOptions, depends_on: list[pulumi.Resource],
) -> CiAccess:
    """Every service's image repository, push and deploy access; ``secrets``: service -> the
    Secrets its pods may read."""
    config = platform.config
    access = config.deploy_access
    provider_arn: pulumi.Input[str] = access.github_oidc_provider_arn
    if not access.github_oidc_provider_arn:
        provider_arn = aws.iam.OpenIdConnectProvider(
            "github-actions", url=f"https://{GITHUB_ISSUER}",
            client_id_lists=["sts.amazonaws.com"]).arn
    boundary = aws.iam.Policy(
        "service-role-boundary", policy=json.dumps(boundary_policy(), sort_keys=True),
        description="the most a service's IRSA role may be granted (its deploy role's limit)",
        opts=opts)
    built = CiAccess(boundary=boundary.arn)
    admins = config.cluster.admin_principal_arns  # the platform key's Deployers, as bootstrap
    users = key_users(admins, pulumi.InvokeOptions())
    for spec in platform.services:
        component = ServiceDeployAccess(
            f"{spec.name}-deploy-access",
            ServiceDeployAccessArgs(
                identity=identity(platform, spec, secrets.get(spec.name, ())),
                namespace=config.name,
                cluster_name=foundation.cluster_name,
                github_provider_arn=provider_arn,
                service_project=service_project(platform, spec),
                state_bucket=access.state_bucket,
                state_key_arn=access.state_key_arn,
                boundary_arn=boundary.arn,
                secrets_alias=keys.service_alias(config.name, spec.name),
                deployers=users,
                depends_on=depends_on,
            ),
            opts=opts,
        )
        built.deploy_roles[spec.name] = component.role_arn
        built.push_roles[spec.name] = component.push_role_arn
        built.image_repositories[spec.name] = repository_name(config.name, spec.name)
    return built

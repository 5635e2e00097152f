"""IAM building blocks shared by the layers: service roles and IRSA roles.

An IRSA role is assumable only by one Kubernetes service account, through the cluster's OIDC
provider (``sts:AssumeRoleWithWebIdentity`` with ``sub`` and ``aud`` pinned).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws


def managed_policy(partition: str, name: str) -> str:
    """The ARN of an AWS managed policy, e.g. ``AmazonEKSClusterPolicy``."""
    return f"arn:{partition}:iam::aws:policy/{name}"


def service_trust_policy(service: str) -> str:
    """A trust policy that lets one AWS service (``eks.amazonaws.com``) assume the role."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": service},
                    "Action": "sts:AssumeRole",
                }
            ],
        },
        sort_keys=True,
    )


def irsa_trust_policy(
    oidc_provider_arn: str, oidc_issuer_url: str, namespace: str, service_account: str
) -> str:
    """A trust policy for exactly one service account of the cluster behind the OIDC provider."""
    issuer = oidc_issuer_url.removeprefix("https://")
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": oidc_provider_arn},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {
                            f"{issuer}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                            f"{issuer}:aud": "sts.amazonaws.com",
                        }
                    },
                }
            ],
        },
        sort_keys=True,
    )


def attach_policies(
    name: str, role: aws.iam.Role, policy_arns: Sequence[str], parent: pulumi.Resource
) -> list[aws.iam.RolePolicyAttachment]:
    """Attach policies to a role; one attachment per policy, named after the policy."""
    return [
        aws.iam.RolePolicyAttachment(
            f"{name}-{arn.rsplit('/', 1)[-1]}",
            role=role.name,
            policy_arn=arn,
            opts=pulumi.ResourceOptions(parent=parent),
        )
        for arn in policy_arns
    ]


def irsa_role(
    name: str,
    *,
    oidc_provider_arn: pulumi.Input[str],
    oidc_issuer_url: pulumi.Input[str],
    namespace: str,
    service_account: str,
    policy_arns: Sequence[str],
    parent: pulumi.Resource,
    tags: Mapping[str, str] | None = None,
    permissions_boundary: pulumi.Input[str] | None = None,
) -> tuple[aws.iam.Role, list[aws.iam.RolePolicyAttachment]]:
    """A role for one service account (IRSA) with the given policies attached (and, when
    given, the managed policy ``permissions_boundary`` as the most it may ever be granted)."""
    trust = pulumi.Output.all(oidc_provider_arn, oidc_issuer_url).apply(
        lambda v: irsa_trust_policy(v[0], v[1], namespace, service_account)
    )
    role = aws.iam.Role(
        name,
        assume_role_policy=trust,
        tags=dict(tags or {}),
        permissions_boundary=permissions_boundary,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return role, attach_policies(name, role, policy_arns, parent)

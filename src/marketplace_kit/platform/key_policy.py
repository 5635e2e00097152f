"""Explicit KMS key policies: the state key, the stacks' secrets keys, and the keys AWS services
encrypt with (the EKS cluster's secrets key, the data stores' key).

Every policy has the same first two statements:
- ``KeyAdministration``: the account (``:root``, so IAM policies decide who) may administer
  the key, never use it: AWS's key-administrator actions, with ``kms:Create*`` narrowed to
  ``kms:CreateAlias`` (a grant would hand out use). The key can never become unmanageable, and
  no IAM policy, however wide, can decrypt with it.
- ``Deployers``: the principals named (the configured admins, else the deploying identity) may
  use it directly.
A service key adds its deploy role (by ARN); the state key adds use by any role of the account
whose IAM policy allows it, through S3 only, on objects outside the platform stack's own.
``service_key_policy`` is the policy of a key an AWS service encrypts resources with: use by
the account's principals whose IAM policy allows it, only through that service in the region
(``kms:ViaService``) and from the account (``kms:CallerAccount``) - what AWS's own managed keys
(``aws/rds``) allow - so a role whose IAM policy allows every kms action still cannot call KMS
with it directly. It stays usable through the service after the stack that made it is gone (a
retained snapshot's key), whoever the deployers are then.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

# AWS's "allows key administrators to administer the KMS key" statement of the console's
# default key policy, ``kms:Create*`` narrowed to aliases (CreateGrant delegates use).
ADMIN_ACTIONS = ("kms:CreateAlias", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*",
                 "kms:Update*", "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*",
                 "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion",
                 "kms:CancelKeyDeletion", "kms:RotateKeyOnDemand")
# What Pulumi's awskms secrets provider and S3's SSE-KMS call.
USE_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey")
STATE_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")  # S3's calls for a GET and a PUT
# What a service calls on behalf of the principal that creates or uses its encrypted resource:
# the actions of the aws/rds managed key's policy (RDS user guide, "Authorizing use of a customer
# managed key": CreateGrant and DescribeKey to create a resource, the rest while it runs).
VIA_SERVICE_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                       "kms:CreateGrant", "kms:ListGrants", "kms:DescribeKey")
# What the EKS cluster role calls for envelope encryption of Secrets (terraform-aws-eks
# main.tf, the cluster role's ClusterEncryption policy; that module names the role a key user).
CLUSTER_ROLE_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey")
S3_CONTEXT = "kms:EncryptionContext:aws:s3:arn"


def account_root(partition: str, account: str) -> str:
    """The account principal (delegates to the account's IAM policies)."""
    return f"arn:{partition}:iam::{account}:root"


def key_policy(partition: str, account: str, deployers: Sequence[str],
               extra: Sequence[dict[str, Any]] = ()) -> str:
    """A key policy: administration by the account's IAM, use by ``deployers``, and ``extra``."""
    statements: list[dict[str, Any]] = [
        {"Sid": "KeyAdministration", "Effect": "Allow",
         "Principal": {"AWS": account_root(partition, account)},
         "Action": list(ADMIN_ACTIONS), "Resource": "*"},
    ]
    if deployers:
        statements.append({"Sid": "Deployers", "Effect": "Allow",
                           "Principal": {"AWS": sorted(set(deployers))},
                           "Action": list(USE_ACTIONS), "Resource": "*"})
    statements += extra
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)


def role_use(sid: str, role_arn: str, actions: Sequence[str] = USE_ACTIONS) -> dict[str, Any]:
    """Use by one role, named by ARN (no IAM policy can widen it to another principal)."""
    return {"Sid": sid, "Effect": "Allow", "Principal": {"AWS": role_arn},
            "Action": list(actions), "Resource": "*"}


def service_use(role_arn: str) -> dict[str, Any]:
    """A service key's use by its deploy role."""
    return role_use("ServiceDeployRole", role_arn)


def via_service(partition: str, account: str, region: str, service: str) -> dict[str, Any]:
    """Use by the account's principals whose IAM policy allows it, only through ``service``
    (``rds``, ``eks``) in ``region`` and from the account."""
    return {"Sid": f"Via{service.upper()}", "Effect": "Allow",
            "Principal": {"AWS": account_root(partition, account)},
            "Action": list(VIA_SERVICE_ACTIONS), "Resource": "*",
            "Condition": {"StringEquals": {
                "kms:ViaService": f"{service}.{region}.amazonaws.com",
                "kms:CallerAccount": account}}}


def service_key_policy(partition: str, account: str, region: str, deployers: Sequence[str],
                       service: str, extra: Sequence[dict[str, Any]] = ()) -> str:
    """The policy of a key ``service`` encrypts resources with (see the module docstring)."""
    return key_policy(partition, account, deployers,
                      [via_service(partition, account, region, service), *extra])


def cluster_key_policy(partition: str, account: str, region: str, deployers: Sequence[str],
                       cluster_role_arn: str) -> str:
    """The EKS cluster's Secrets key: through EKS (the grant EKS creates for the cluster), and
    the cluster role itself (assumable by EKS only) for the control plane's calls."""
    return service_key_policy(partition, account, region, deployers, "eks",
                              [role_use("EksClusterRole", cluster_role_arn,
                                        CLUSTER_ROLE_ACTIONS)])


def platform_objects(bucket_arn: str, platform: str) -> list[str]:
    """The state objects of the platform's own project (state, history, backups, locks)."""
    return [f"{bucket_arn}/.pulumi/*/{platform}/*"]


def state_through_s3(partition: str, account: str, region: str, bucket_arn: str,
                     platform: str) -> dict[str, Any]:
    """The state key's use by the account's roles whose IAM policy allows it (a service's
    deploy role: its own stack's objects), through S3 and never on the platform's objects."""
    return {"Sid": "StackStateThroughS3", "Effect": "Allow",
            "Principal": {"AWS": account_root(partition, account)},
            "Action": list(STATE_ACTIONS), "Resource": "*",
            "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com",
                                           "kms:CallerAccount": account},
                          "StringNotLike": {S3_CONTEXT: platform_objects(bucket_arn, platform)}}}

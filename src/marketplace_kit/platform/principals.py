"""Who administers a platform: the configured principals, else the identity deploying it.

One rule for the cluster's admin access entries and the KMS keys' ``Deployers``: listing
principals turns the caller's own entry off, so a colleague's or CI's run changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws


def iam_principal(arn: str) -> str:
    """The IAM principal behind an ARN: an assumed-role session maps to its role.

    ``arn:aws:sts::1:assumed-role/Admin/alice`` -> ``arn:aws:iam::1:role/Admin`` (what
    ``aws.iam.get_session_context`` returns as ``issuer_arn``, without role paths).
    """
    head, _, resource = arn.partition(":assumed-role/")
    if not resource:
        return arn
    partition_account = head.split(":")
    role = resource.split("/")[0]
    return f"arn:{partition_account[1]}:iam::{partition_account[4]}:role/{role}"


def deployers(listed: Sequence[str], with_caller: bool,
              invoke: pulumi.InvokeOptions) -> list[str]:
    """The principals, each once: ``listed`` and, with ``with_caller``, the caller's IAM
    principal (its role, for an assumed-role session)."""
    principals = list(listed)
    if with_caller:
        caller = aws.get_caller_identity(opts=invoke).arn
        issuer = aws.iam.get_session_context(arn=caller, opts=invoke).issuer_arn
        principals.append(issuer or iam_principal(caller))
    return list(dict.fromkeys(principals))


def key_users(listed: Sequence[str], invoke: pulumi.InvokeOptions) -> list[str]:
    """Every KMS key's ``Deployers``: the configured principals, else the caller."""
    return deployers(listed, not listed, invoke)

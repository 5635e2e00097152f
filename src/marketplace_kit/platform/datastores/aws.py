"""What RDS and DocumentDB share on aws: the KMS key, deletion protection, final snapshots and a
security group open to the cluster's nodes only."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from marketplace_kit.errors import KitError
from marketplace_kit.platform.datastores.shared import DatastoresArgs
from marketplace_kit.platform.key_policy import service_key_policy


def kms_key(args: DatastoresArgs, parent: pulumi.Resource) -> aws.kms.Key:
    """The data stores' encryption key (rotated yearly), used through RDS only (DocumentDB and
    Performance Insights call KMS through RDS too). In production it outlives a destroy
    (``retain_on_delete``): the final snapshots destroy keeps are encrypted with it, and a
    snapshot whose key is deleted cannot be restored; its policy still lets the account restore
    them through RDS."""
    invoke = pulumi.InvokeOptions(parent=parent)
    account = aws.get_caller_identity(opts=invoke).account_id
    partition = aws.get_partition(opts=invoke).partition
    region = aws.get_region(opts=invoke).region
    return aws.kms.Key(
        "datastores-key",
        description=f"{args.name} data stores (RDS, DocumentDB) encryption",
        enable_key_rotation=True,
        deletion_window_in_days=30,
        policy=service_key_policy(partition, account, region, args.deployers, "rds"),
        opts=pulumi.ResourceOptions(parent=parent, retain_on_delete=args.production),
    )


def protected(args: DatastoresArgs) -> bool:
    """Deletion protection: on in production unless a confirmed destroy lifted it."""
    return args.production and not args.lift_deletion_protection


def final_snapshot(
    args: DatastoresArgs, engine: str, parent: pulumi.Resource
) -> pulumi.Output[str] | None:
    """A final snapshot name unique per deployment (a second destroy+up+destroy works)."""
    if not args.production:
        return None
    suffix = random.RandomId(
        f"{engine}-final-snapshot-suffix", byte_length=4,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return pulumi.Output.concat(f"{args.name}-{engine}-final-", suffix.hex)


def security_group(
    args: DatastoresArgs, name: str, port: int, parent: pulumi.Resource
) -> aws.ec2.SecurityGroup:
    """A group that admits ``port`` from the cluster's nodes only."""
    f = args.foundation
    if f.vpc_id is None or f.node_security_group_id is None:
        raise KitError("target aws needs a Foundation with vpc_id and node_security_group_id")
    group = aws.ec2.SecurityGroup(
        f"{name}-sg",
        vpc_id=f.vpc_id,
        description=f"{name}: port {port} from the cluster nodes only",
        opts=pulumi.ResourceOptions(parent=parent),
    )
    aws.vpc.SecurityGroupIngressRule(
        f"{name}-from-nodes",
        security_group_id=group.id,
        referenced_security_group_id=f.node_security_group_id,
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return group

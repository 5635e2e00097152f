"""RDS PostgreSQL (target aws): one instance for every service, its master password kept by
Secrets Manager, and the IRSA role that lets the bootstrap Job read it."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from marketplace_kit.errors import KitError
from marketplace_kit.platform import iam, versions
from marketplace_kit.platform.datastores.aws import final_snapshot, protected, security_group
from marketplace_kit.platform.datastores.shared import (
    BOOTSTRAP,
    JOB_RESOURCES,
    JOB_UID,
    MASTER_USER,
    DatastoresArgs,
    Engine,
)
from marketplace_kit.platform.meta import restricted_container


@dataclass
class RdsPostgres:
    """The instance, its master secret, the bootstrap Job's role and what the Job needs."""

    instance: aws.rds.Instance
    master_secret_arn: pulumi.Output[str]
    bootstrap_role: aws.iam.Role
    engine: Engine


def rds_postgres(args: DatastoresArgs, key: aws.kms.Key, parent: pulumi.Resource) -> RdsPostgres:
    """The RDS instance (encrypted with ``key``, private subnets, nodes only) and the
    bootstrap Job's read access to its master secret."""
    cfg, f = args.postgres, args.foundation
    opts = pulumi.ResourceOptions(parent=parent)
    subnets = aws.rds.SubnetGroup(
        "postgres-subnets",
        name=f"{args.name}-postgres",
        subnet_ids=f.private_subnet_ids,
        description="private subnets",
        opts=opts,
    )
    group = security_group(args, "postgres", 5432, parent)
    instance = aws.rds.Instance(
        "postgres",
        identifier=f"{args.name}-postgres",
        engine="postgres",
        engine_version=versions.POSTGRES_MAJOR,
        instance_class=cfg.instance_class,
        allocated_storage=cfg.storage_gib,
        storage_type="gp3",
        storage_encrypted=True,
        kms_key_id=key.arn,
        db_subnet_group_name=subnets.name,
        vpc_security_group_ids=[group.id],
        publicly_accessible=False,
        username=MASTER_USER,
        manage_master_user_password=True,
        multi_az=cfg.multi_az,
        backup_retention_period=cfg.backup_retention_days,
        copy_tags_to_snapshot=True,
        deletion_protection=protected(args),
        skip_final_snapshot=not args.production,
        final_snapshot_identifier=final_snapshot(args, "postgres", parent),
        performance_insights_enabled=args.performance_insights,
        performance_insights_kms_key_id=key.arn if args.performance_insights else None,
        auto_minor_version_upgrade=True,
        opts=opts,
    )
    secret_arn = instance.master_user_secrets.apply(lambda s: s[0].secret_arn)
    if f.oidc_provider_arn is None or f.oidc_issuer_url is None:
        raise KitError("target aws needs a Foundation with the cluster's OIDC provider")
    role, _ = iam.irsa_role(
        "db-bootstrap-role",
        oidc_provider_arn=f.oidc_provider_arn,
        oidc_issuer_url=f.oidc_issuer_url,
        namespace=args.namespace,
        service_account=BOOTSTRAP,
        policy_arns=[],
        parent=parent,
    )
    aws.iam.RolePolicy(
        "db-bootstrap-read-master-secret",
        role=role.id,
        policy=secret_arn.apply(
            lambda arn: json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "secretsmanager:GetSecretValue",
                            "Resource": arn,
                        }
                    ],
                },
                sort_keys=True,
            )
        ),
        opts=opts,
    )
    admin_env = [
        {"name": "PGUSER", "value": MASTER_USER},
        {"name": "PGSSLMODE", "value": "require"},
        {"name": "MASTER_SECRET_FILE", "value": "/bootstrap/master.json"},
    ]
    init = [
        {
            "name": "read-master-secret",
            "image": versions.AWS_CLI_IMAGE,
            "command": ["/bin/sh", "-c"],
            "args": [
                'aws secretsmanager get-secret-value --secret-id "$MASTER_SECRET_ARN" '
                "--query SecretString --output text > /bootstrap/master.json"
            ],
            "env": [
                {"name": "MASTER_SECRET_ARN", "value": secret_arn},
                {"name": "HOME", "value": "/tmp"},
            ],
            "imagePullPolicy": "Always",
            "securityContext": restricted_container(JOB_UID),
            "resources": JOB_RESOURCES,
            "volumeMounts": [
                {"name": "bootstrap", "mountPath": "/bootstrap"},
                {"name": "tmp", "mountPath": "/tmp"},
            ],
        }
    ]
    return RdsPostgres(instance, secret_arn, role,
                       Engine(instance.address, admin_env, init, ready=instance))

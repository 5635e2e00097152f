"""Amazon DocumentDB (target aws, only when a service asks for it): one cluster, and a
connection Secret ``<service>-docdb`` per client."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from marketplace_kit.platform import versions
from marketplace_kit.platform.datastores.aws import final_snapshot, protected, security_group
from marketplace_kit.platform.datastores.shared import MASTER_USER, DatabaseClient, DatastoresArgs
from marketplace_kit.platform.meta import metadata


def documentdb(
    args: DatastoresArgs, clients: list[DatabaseClient], key: aws.kms.Key,
    parent: pulumi.Resource, k8s_opts: pulumi.ResourceOptions,
) -> tuple[aws.docdb.Cluster, dict[str, str]]:
    """The cluster (encrypted with ``key``) and each client's Secret: (cluster, service ->
    Secret name)."""
    cfg = args.documentdb
    opts = pulumi.ResourceOptions(parent=parent)
    subnets = aws.docdb.SubnetGroup(
        "documentdb-subnets",
        name=f"{args.name}-documentdb",
        subnet_ids=args.foundation.private_subnet_ids,
        opts=opts,
    )
    group = security_group(args, "documentdb", 27017, parent)
    cluster = aws.docdb.Cluster(
        "documentdb",
        cluster_identifier=f"{args.name}-documentdb",
        engine="docdb",
        engine_version=versions.DOCUMENTDB,
        master_username=MASTER_USER,
        manage_master_user_password=True,
        storage_encrypted=True,
        kms_key_id=key.arn,
        db_subnet_group_name=subnets.name,
        vpc_security_group_ids=[group.id],
        backup_retention_period=args.postgres.backup_retention_days,
        deletion_protection=protected(args),
        skip_final_snapshot=not args.production,
        final_snapshot_identifier=final_snapshot(args, "documentdb", parent),
        opts=opts,
    )
    for i in range(cfg.instances):
        aws.docdb.ClusterInstance(
            f"documentdb-{i}",
            cluster_identifier=cluster.id,
            instance_class=cfg.instance_class,
            opts=opts,
        )
    master_arn = cluster.master_user_secrets.apply(lambda s: s[0].secret_arn)
    secrets: dict[str, str] = {}
    for client in clients:
        secret = f"{client.name}-docdb"
        k8s.core.v1.Secret(
            secret,
            metadata=metadata(secret, args.namespace, "datastore"),
            string_data={
                "host": cluster.endpoint,
                "port": "27017",
                "tls": "true",
                "master_secret_arn": master_arn,
            },
            opts=k8s_opts,
        )
        secrets[client.name] = secret
    return cluster, secrets

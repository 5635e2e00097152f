"""Encryption at rest: EKS secrets, RDS and DocumentDB, EBS (nodes and volumes), Kafka volumes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from marketplace_kit.guardrails.base import CheckContext, Finding, finding, truthy
from marketplace_kit.plan.inputs import dig
from marketplace_kit.render.manifests import Manifest

EBS_CSI = "ebs.csi.aws.com"
DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"


def eks_secrets_encrypted(ctx: CheckContext) -> Iterator[Finding]:
    """Kubernetes secrets are envelope-encrypted with a KMS key."""
    for r in ctx.graph.of_type("aws:eks/cluster:Cluster"):
        configs = r.inputs.get("encryptionConfig") or {}
        configs = configs if isinstance(configs, list) else [configs]
        if not any("secrets" in (c.get("resources") or []) and dig(c, "provider", "keyArn")
                   for c in configs):
            yield finding(r, "encryption-eks-secrets", "Kubernetes secrets are not KMS-encrypted",
                          "set encryptionConfig {resources: [secrets], provider.keyArn: <KMS key>}")


def databases_encrypted(ctx: CheckContext) -> Iterator[Finding]:
    """RDS instances and DocumentDB clusters encrypt their storage."""
    for type_ in ("aws:rds/instance:Instance", "aws:docdb/cluster:Cluster"):
        for r in ctx.graph.of_type(type_):
            if not truthy(r.inputs.get("storageEncrypted")):
                yield finding(r, "encryption-database", "database storage is not encrypted",
                              "set storageEncrypted: true (with a KMS key)")


def ebs_encrypted(ctx: CheckContext) -> Iterator[Finding]:
    """Node root volumes (launch template) and EBS StorageClasses are encrypted."""
    for r in ctx.graph.of_type("aws:eks/nodeGroup:NodeGroup"):
        templates = [
            t for t in map(ctx.resource, r.dependencies)
            if t is not None and t.type == "aws:ec2/launchTemplate:LaunchTemplate"
        ]
        volumes = [m.get("ebs") or {} for t in templates
                   for m in t.inputs.get("blockDeviceMappings") or []]
        if not volumes or not all(truthy(v.get("encrypted")) for v in volumes):
            yield finding(r, "encryption-ebs", "node root volumes are not encrypted",
                          "use a launch template whose blockDeviceMappings set ebs.encrypted")
    for r, m in ctx.of_kind("StorageClass"):
        if m.object.get("provisioner") == EBS_CSI and not _encrypted_class(m):
            yield finding(r, "encryption-ebs", "EBS StorageClass does not encrypt volumes",
                          'set parameters.encrypted: "true"')


def _encrypted_class(m: Manifest) -> bool:
    return truthy(dig(m.object, "parameters", "encrypted"))


def kafka_volumes_encrypted(ctx: CheckContext) -> Iterator[Finding]:
    """Kafka broker volumes use an encrypting StorageClass (named, or the default one)."""
    classes = {m.name: m for _, m in ctx.of_kind("StorageClass")}
    default = next(
        (m.name for m in classes.values()
         if truthy(dig(m.object, "metadata", "annotations", DEFAULT_CLASS))),
        None,
    )
    for r, m in ctx.of_kind("KafkaNodePool", "Kafka"):
        spec = m.object.get("spec") or {}
        pool = m.kind == "KafkaNodePool"
        storage = spec.get("storage") if pool else dig(spec, "kafka", "storage")
        for volume in _claims(storage or {}):
            name = volume.get("class") or default
            if name is None or name not in classes or not _encrypted_class(classes[name]):
                yield finding(
                    r, "encryption-kafka-volumes",
                    f"broker volumes use StorageClass {name or '(cluster default)'}, "
                    "not an encrypting class of this plan",
                    "set the volume's class to a StorageClass with parameters.encrypted: \"true\"",
                )


def _claims(storage: dict[str, Any]) -> list[dict[str, Any]]:
    if storage.get("type") == "jbod":
        return [v for v in storage.get("volumes") or [] if v.get("type") == "persistent-claim"]
    return [storage] if storage.get("type") == "persistent-claim" else []

"""Guardrails over the plan: plain functions from the graph to findings, registered in ``RULES``.

The CLI (``marketplace-kit check``) and the Pulumi policy pack (``policy_pack.py``) both run
exactly these rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from marketplace_kit.guardrails import (
    encryption,
    eventbus,
    exposure,
    fit,
    mesh,
    pinning,
    schema,
    secrets,
    support,
    workloads,
)
from marketplace_kit.guardrails.base import CheckContext, Finding, Rule
from marketplace_kit.plan.graph import ResourceGraph

RULES: list[Rule] = [
    Rule("encryption-eks-secrets", "EKS secrets encrypted with KMS",
         encryption.eks_secrets_encrypted),
    Rule("encryption-database", "RDS and DocumentDB storage encrypted",
         encryption.databases_encrypted),
    Rule("encryption-ebs", "node volumes and EBS StorageClasses encrypted",
         encryption.ebs_encrypted),
    Rule("encryption-kafka-volumes", "Kafka volumes on an encrypting StorageClass",
         encryption.kafka_volumes_encrypted),
    Rule("public-database", "no publicly accessible database", exposure.no_public_database),
    Rule("public-exposure", "only the Istio gateway is reachable from the internet",
         exposure.only_gateway_is_public),
    Rule("public-eks-endpoint", "EKS API endpoint private or CIDR-restricted",
         exposure.eks_endpoint_restricted),
    Rule("private-subnets", "nodes and databases in private subnets",
         exposure.private_subnets_only),
    Rule("deployment-probes", "liveness and readiness probes", workloads.probes),
    Rule("deployment-resources", "CPU and memory requests and limits", workloads.resources),
    Rule("deployment-security", "non-root, read-only root filesystem",
         workloads.security_context),
    Rule("deployment-pdb", "a PodDisruptionBudget per Deployment", workloads.disruption_budget),
    Rule("mesh-strict-mtls", "mesh-wide STRICT mTLS", mesh.strict_mtls),
    Rule("pinned-images", "images pinned by tag or digest", pinning.images),
    Rule("pinned-charts", "Helm charts pinned to a version", pinning.charts),
    Rule("topic-durability", "replication >= 3 and min.insync.replicas >= 2 (production)",
         eventbus.durable_topics),
    Rule("plaintext-secret", "no plaintext secret in inputs", secrets.no_plaintext_secrets),
    Rule("schema", "every Kubernetes object matches its schema", schema.schema_valid),
    Rule("pods-fit", "every pod fits on the node groups (CPU, memory, pod count)",
         fit.pods_fit),
    Rule("kubernetes-support", "Kubernetes version inside EKS support (warns 60 days before)",
         support.kubernetes_support),
]


@dataclass
class CheckReport:
    """Findings (sorted), and notes on what could not be checked."""

    findings: list[Finding]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        """The report as JSON-ready data."""
        return {
            "passed": not self.findings,
            "findings": [f.to_dict() for f in self.findings],
            "rules": [rule.id for rule in RULES],
            "notes": self.notes,
        }


def run_checks(
    graph: ResourceGraph, *, production: bool = False, rules: list[Rule] | None = None,
    today: date | None = None, schema_cache: Path | None = None,
) -> CheckReport:
    """Run every rule (or the given ones) over a plan (support windows judged on ``today``;
    schema verdicts kept in ``schema_cache`` when given)."""
    ctx = CheckContext(graph, production=production, today=today or date.today(),
                       schema_cache=schema_cache)
    found = [f for rule in rules or RULES for f in rule.check(ctx)]
    found.sort(key=lambda f: (f.rule, f.resource, f.message))
    return CheckReport(found, ctx.notes)


__all__ = ["RULES", "CheckReport", "Finding", "Rule", "run_checks"]

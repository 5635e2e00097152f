"""Every Deployment: probes, requests and limits, non-root read-only containers, and a PDB."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from marketplace_kit.guardrails.base import CheckContext, Finding, finding, truthy
from marketplace_kit.plan.inputs import dig
from marketplace_kit.render.manifests import Manifest


def _containers(m: Manifest) -> list[dict[str, Any]]:
    return list(dig(m.object, "spec", "template", "spec", "containers", default=[]) or [])


def probes(ctx: CheckContext) -> Iterator[Finding]:
    """Each container has a liveness and a readiness probe."""
    for r, m in ctx.of_kind("Deployment"):
        for c in _containers(m):
            missing = [p for p in ("livenessProbe", "readinessProbe") if not c.get(p)]
            if missing:
                yield finding(r, "deployment-probes",
                              f"container {c.get('name')} has no {' or '.join(missing)}",
                              "add liveness (process up) and readiness (dependencies up) probes")


def resources(ctx: CheckContext) -> Iterator[Finding]:
    """Each container requests and limits CPU and memory."""
    for r, m in ctx.of_kind("Deployment"):
        for c in _containers(m):
            res = c.get("resources") or {}
            missing = [
                f"{part}.{what}" for part in ("requests", "limits") for what in ("cpu", "memory")
                if not dig(res, part, what)
            ]
            if missing:
                yield finding(r, "deployment-resources",
                              f"container {c.get('name')} sets no {', '.join(missing)}",
                              "set resources.requests and resources.limits for cpu and memory")


def security_context(ctx: CheckContext) -> Iterator[Finding]:
    """Each container runs as non-root with a read-only root filesystem."""
    for r, m in ctx.of_kind("Deployment"):
        pod_non_root = truthy(dig(m.object, "spec", "template", "spec", "securityContext",
                                  "runAsNonRoot"))
        for c in _containers(m):
            sc = c.get("securityContext") or {}
            problems = []
            if not (pod_non_root or truthy(sc.get("runAsNonRoot"))):
                problems.append("may run as root")
            if not truthy(sc.get("readOnlyRootFilesystem")):
                problems.append("has a writable root filesystem")
            if problems:
                yield finding(r, "deployment-security",
                              f"container {c.get('name')} {' and '.join(problems)}",
                              "set securityContext runAsNonRoot: true and "
                              "readOnlyRootFilesystem: true (mount an emptyDir for /tmp)")


def disruption_budget(ctx: CheckContext) -> Iterator[Finding]:
    """Each Deployment's pods are covered by a PodDisruptionBudget in its namespace."""
    budgets = [
        (m.namespace, dig(m.object, "spec", "selector", "matchLabels", default={}) or {})
        for _, m in ctx.of_kind("PodDisruptionBudget")
    ]
    for r, m in ctx.of_kind("Deployment"):
        labels = dig(m.object, "spec", "template", "metadata", "labels", default={}) or {}
        covered = any(
            ns == m.namespace and selector and all(labels.get(k) == v for k, v in selector.items())
            for ns, selector in budgets
        )
        if not covered:
            yield finding(r, "deployment-pdb", "no PodDisruptionBudget selects its pods",
                          "add a PodDisruptionBudget (maxUnavailable: 1) matching the pod labels")

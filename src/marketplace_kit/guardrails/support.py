"""Kubernetes versions inside EKS support: a warning before standard support ends, a failure
after it (unless the config opts in to extended support), and after extended support ends."""

from __future__ import annotations

from collections.abc import Iterator

from marketplace_kit.guardrails.base import CheckContext, Finding, finding
from marketplace_kit.plan.inputs import dig
from marketplace_kit.platform import versions

EKS_CLUSTER = "aws:eks/cluster:Cluster"


def kubernetes_support(ctx: CheckContext) -> Iterator[Finding]:
    """Every EKS cluster runs a Kubernetes version EKS supports on ``ctx.today``."""
    today = ctx.today
    upgrade = f"use Kubernetes {versions.KUBERNETES} (cluster.kubernetes_version)"
    for r in ctx.graph.of_type(EKS_CLUSTER):
        version = str(r.inputs.get("version", ""))
        window = versions.EKS_CALENDAR.get(version)
        extended = dig(r.inputs, "upgradePolicy", "supportType") == "EXTENDED"
        if window is None:
            known = ", ".join(versions.EKS_CALENDAR)
            yield finding(r, "kubernetes-support",
                          f"Kubernetes {version or '(none)'} is not in the EKS calendar the kit "
                          f"knows ({known})", upgrade)
        elif today > window.extended_end:
            yield finding(r, "kubernetes-support",
                          f"Kubernetes {version} left EKS extended support on "
                          f"{window.extended_end}", upgrade)
        elif today > window.standard_end and not extended:
            yield finding(r, "kubernetes-support",
                          f"Kubernetes {version} left EKS standard support on "
                          f"{window.standard_end} (extended support costs $0.60/h, not $0.10/h)",
                          f"{upgrade}, or set cluster.extended_support: true to pay for it")
        elif today > window.standard_end:
            ctx.notes.append(f"{r.name}: Kubernetes {version} is in EKS extended support "
                             f"until {window.extended_end} (billed at the extended rate)")
        elif (window.standard_end - today).days <= versions.SUPPORT_WARNING_DAYS:
            days = (window.standard_end - today).days
            ctx.notes.append(f"warning: {r.name}: EKS standard support of Kubernetes {version} "
                             f"ends on {window.standard_end} ({days} days); plan the upgrade")

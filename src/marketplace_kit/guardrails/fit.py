"""Every pod of the plan fits on the node groups (the fit check: ``marketplace_kit.fit``)."""

from __future__ import annotations

from collections.abc import Iterator

from marketplace_kit.fit import fit
from marketplace_kit.fit.nodes import NODE_GROUP
from marketplace_kit.guardrails.base import CheckContext, Finding


def pods_fit(ctx: CheckContext) -> Iterator[Finding]:
    """Each pod, at minimum replicas, can be placed on the node groups at their desired size."""
    if not ctx.graph.of_type(NODE_GROUP):
        if ctx.graph.of_type("kubernetes:helm.sh/v3:Release"):
            ctx.notes.append("fit: not checked (no node groups: on target local the cluster's "
                             "node sizes are not known to the kit)")
        return
    report = fit(ctx.graph)
    ctx.notes.extend(report.notes)
    for pending in report.pending:
        pod = pending.pod
        yield Finding(
            pod.owner, "", "pods-fit",
            f"pod {pod.name} would stay Pending: {pending.reason}",
            "lower its requests or turn it off in the values the kit sets, or give the node "
            "groups larger instance types or more nodes",
        )

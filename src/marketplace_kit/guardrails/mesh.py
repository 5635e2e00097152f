"""Mesh-wide STRICT mTLS."""

from __future__ import annotations

from collections.abc import Iterator

from marketplace_kit.guardrails.base import CheckContext, Finding
from marketplace_kit.plan.inputs import dig
from marketplace_kit.platform import namespaces
from marketplace_kit.render.manifests import helm_releases

ROOT_NAMESPACE = namespaces.MESH


def strict_mtls(ctx: CheckContext) -> Iterator[Finding]:
    """A mesh-wide PeerAuthentication (root namespace, no selector) with mode STRICT."""
    istiod = [h for h in helm_releases(ctx.graph) if h.chart in ("istiod", "istio-discovery")]
    workloads = ctx.of_kind("Deployment")
    if not istiod and not workloads:
        return
    for _, m in ctx.of_kind("PeerAuthentication"):
        spec = m.object.get("spec") or {}
        root = m.namespace == ROOT_NAMESPACE and not spec.get("selector")
        if root and dig(spec, "mtls", "mode") == "STRICT":
            return
    anchor = istiod[0].urn if istiod else workloads[0][0].urn
    yield Finding(
        ctx.graph.get(anchor).name, anchor, "mesh-strict-mtls",
        "no mesh-wide STRICT PeerAuthentication: mTLS stays PERMISSIVE (plaintext accepted)",
        f"add PeerAuthentication 'default' in {ROOT_NAMESPACE} with spec.mtls.mode: STRICT",
    )

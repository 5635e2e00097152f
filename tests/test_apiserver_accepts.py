"""Every object the kit renders for the dev, production and local blueprints is accepted by a real
kube-apiserver (server-side apply, ``dryRun=All``: validation, defaulting, CEL rules and
admission run; nothing is stored), with the operators' CRDs installed first.

CRD sources (`.ci/parts/crds.sh`, versions from src/marketplace_kit/platform/versions.py):
- Istio: Go module ``istio.io/api`` at ISTIO, ``kubernetes/customresourcedefinitions.gen.yaml``;
- Karpenter: ``sigs.k8s.io/karpenter`` at KARPENTER (``pkg/apis/crds``: NodePool, NodeClaim) and
  ``github.com/aws/karpenter-provider-aws`` at the same version (EC2NodeClass);
- Prometheus operator: ``github.com/prometheus-operator/prometheus-operator`` v0.85.0,
  ``example/prometheus-operator-crd`` (the pinned chart ships v0.86.2, not served by the proxy);
- Strimzi: generated from Maven Central's ``io.strimzi:api`` at STRIMZI by
  ``io.strimzi:crd-generator`` (the api jar carries the model classes, not the YAML).

Helm releases are not applied (no chart registry is reachable): their namespaces are created
here because the releases create them (``create_namespace``), and only those.
"""

from __future__ import annotations

import httpx
import pytest
from support.kube_api import KubeApi
from support.kube_objects import Discovery, apply, deployable
from support.plans import full_plan
from support.real_parts import real_part

from marketplace_kit.render import helm_releases, manifests

BLUEPRINTS = ("dev", "production", "local")
CRD_SOURCES = ("istio", "karpenter", "karpenter-aws", "prometheus-operator", "strimzi")


@pytest.fixture(scope="module")
def cluster(crd_cluster: httpx.Client) -> httpx.Client:
    """The test API with every CRD source installed."""
    crds = real_part("crds")
    assert sorted(p.name for p in crds.iterdir() if p.is_dir()) == sorted(CRD_SOURCES)
    return crd_cluster


def test_every_crd_source_is_installed(cluster: httpx.Client) -> None:
    groups = {g["name"] for g in cluster.get("/apis").json()["groups"]}
    assert {"networking.istio.io", "security.istio.io", "telemetry.istio.io", "karpenter.sh",
            "karpenter.k8s.aws", "monitoring.coreos.com", "kafka.strimzi.io"} <= groups


@pytest.mark.parametrize("blueprint", BLUEPRINTS)
def test_rendered_objects_are_accepted(
    blueprint: str, cluster: httpx.Client, kube_api: KubeApi
) -> None:
    graph = full_plan(blueprint)
    objects = [m.object for m in manifests(graph)]
    assert objects, f"{blueprint} renders no Kubernetes objects"
    discovery = Discovery(cluster)
    # Namespaces first, for real: the rendered ones, and those a Helm release creates.
    rendered = {o["metadata"]["name"] for o in objects if o["kind"] == "Namespace"}
    for release in helm_releases(graph):
        rendered.add(release.namespace)
    for name in sorted(rendered):
        namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        answer = apply(cluster, discovery, namespace, dry_run=False)
        assert answer.status_code < 300, answer.text
    refused = []
    for obj in objects:
        answer = apply(cluster, discovery, deployable(obj), dry_run=True)
        if answer.status_code >= 300:
            message = " ".join(str(answer.json().get("message", answer.text)).split())
            refused.append(f"{obj['kind']} {obj['metadata'].get('namespace', '')}/"
                           f"{obj['metadata']['name']}: {message[:600]}")
    assert not refused, f"{blueprint}: the API server refused\n" + "\n".join(refused)


def test_the_crds_rules_apply(cluster: httpx.Client) -> None:
    """The check above can fail: a NodePool breaking Karpenter's CEL rule is refused, and an
    accepted one comes back with the CRD's defaults filled in."""
    discovery = Discovery(cluster)
    pool = next(m.object for m in manifests(full_plan("dev")) if m.kind == "NodePool")
    requirements = pool["spec"]["template"]["spec"]["requirements"]
    restricted = {"key": "kubernetes.io/hostname", "operator": "In", "values": ["a"]}
    bad = {**pool, "spec": {**pool["spec"], "template": {**pool["spec"]["template"], "spec": {
        **pool["spec"]["template"]["spec"], "requirements": [*requirements, restricted]}}}}
    refused = apply(cluster, discovery, bad, dry_run=True)
    assert refused.status_code == 422 and "is restricted" in refused.json()["message"]
    assert "budgets" not in pool["spec"]["disruption"]
    accepted = apply(cluster, discovery, pool, dry_run=True).json()
    assert accepted["spec"]["disruption"]["budgets"] == [{"nodes": "10%"}]  # the CRD's default

"""The `local` blueprint's in-cluster program, up → outputs → refresh → up → destroy, through the
real Pulumi engine and the real Kubernetes provider against a real kube-apiserver (with the
operators' CRDs installed first, as test_apiserver_accepts.py does); the kit's progress and
summaries checked against the real events.

What is left out, and why:
- the Helm charts (Istio, Strimzi's operator and its CRD file, kube-prometheus-stack, Loki,
  Fluent Bit, Jaeger, the collector, metrics-server): no chart registry is reachable here. The
  program is the kit's own with ``DeployInputs(charts=False)``: its charts are a stage installed
  separately, and the namespaces those releases would create are created here first;
- controllers: none run (no scheduler, kubelet or controller-manager), so the objects whose
  create or delete the provider awaits (a StatefulSet's ready pods, a Service's endpoints, a
  Namespace's finalization) carry ``pulumi.com/skipAwait: "true"``, added by a transform in
  this test only;
- pulumi-resource-random cannot be built: its RandomPasswords are served by the stand-in of
  support/random_provider.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pulumi
import pytest
from support.kube_api import KubeApi
from support.kube_objects import Discovery, apply, install_crds, yaml_documents
from support.plans import full_plan
from support.real_engine import Engine, deadline, engine, kubernetes_plugin
from support.real_parts import real_part

from marketplace_kit.blueprints.deploy_inputs import DeployInputs
from marketplace_kit.blueprints.program import platform_program
from marketplace_kit.contract import platform_outputs
from marketplace_kit.plan import plan_program
from marketplace_kit.provision import operations
from marketplace_kit.provision.summary import summary_lines
from marketplace_kit.render import helm_releases

__all__ = ["engine", "kubernetes_plugin"]
pytestmark = pytest.mark.usefixtures("kubernetes_plugin")
WITHOUT_CHARTS = DeployInputs(charts=False)
# Kinds whose create or delete the provider awaits through a controller's work.
AWAITED = {"Namespace", "StatefulSet", "Deployment", "DaemonSet", "Service", "Job",
           "PersistentVolumeClaim"}


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[KubeApi, httpx.Client]]:
    """An apiserver of this module's own (the platform's namespaces are created and deleted for
    real), with every CRD source installed."""
    with KubeApi() as api, api.client() as http:
        install_crds(http, yaml_documents(sorted(real_part("crds").rglob("*.yaml"))))
        yield api, http


def _skip_await(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
    kind = args.type_.rsplit(":", 1)[-1]
    if not args.type_.startswith("kubernetes:") or kind not in AWAITED:
        return None
    props = dict(args.props)
    metadata = dict(props.get("metadata") or {})
    metadata["annotations"] = {**(metadata.get("annotations") or {}),
                               "pulumi.com/skipAwait": "true"}
    props["metadata"] = metadata
    return pulumi.ResourceTransformResult(props, args.opts)


def _program(engine: Engine) -> Callable[[], None]:
    product = platform_program(engine.platform, WITHOUT_CHARTS)

    def program() -> None:
        pulumi.runtime.register_resource_transform(_skip_await)
        product()

    return program


def _get(http: httpx.Client, path: str) -> dict[str, Any]:
    answer = http.get(path)
    assert answer.status_code == 200, f"{path}: {answer.status_code} {answer.text[:300]}"
    found: dict[str, Any] = answer.json()
    return found


def test_local_platform_up_refresh_up_destroy(
    engine: Engine, cluster: tuple[KubeApi, httpx.Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    api, http = cluster
    monkeypatch.setenv("KUBECONFIG", str(api.kubeconfig))
    name = engine.platform.config.name
    offline = plan_program(platform_program(engine.platform, WITHOUT_CHARTS), project=name,
                           stack=engine.platform.config.blueprint)
    assert not [r for r in offline if r.type == "kubernetes:helm.sh/v3:Release"]
    planned_urns = {r.urn for r in offline}
    # the namespaces the left-out releases create (those the program makes are its own)
    own = {str(r.inputs["metadata"]["name"]) for r in offline
           if r.type == "kubernetes:core/v1:Namespace"}
    discovery = Discovery(http)
    for namespace in sorted({r.namespace for r in helm_releases(full_plan("local"))} - own):
        made = apply(http, discovery, {"apiVersion": "v1", "kind": "Namespace",
                                       "metadata": {"name": namespace}}, dry_run=False)
        assert made.status_code < 300, made.text
    program = _program(engine)
    with deadline(900, "the local platform's cycle"):
        up = operations.up(engine.session("up", program))
        assert up.result == "succeeded", up
        (_, preview), (_, ran) = engine.seen[-2:]
        created = preview.planned["create"]
        # the real preview registers what the offline plan does, and the stack
        assert set(created) == planned_urns | {"urn:pulumi:local::shop::pulumi:pulumi:Stack::"
                                               "shop-local"}
        assert up.changes == {"create": len(created)}
        assert ran.total == len(created) and len(ran.done) == len(created) and not ran.in_flight
        first = summary_lines(up)[0]
        assert first.startswith("✓ up of stack 'local' (file://") and first.endswith(
            f": {len(created)} created"), first
        # the objects are in the cluster, as rendered
        workload = _get(http, f"/api/v1/namespaces/{name}")
        assert workload["metadata"]["labels"]["istio-injection"] == "enabled"
        postgres = _get(http, f"/apis/apps/v1/namespaces/{name}/statefulsets/postgres")
        assert postgres["metadata"]["annotations"]["pulumi.com/skipAwait"] == "true"
        kafka = _get(http, f"/apis/kafka.strimzi.io/v1/namespaces/{name}/kafkas/events")
        assert kafka["metadata"]["annotations"]["strimzi.io/kraft"] == "enabled"
        secret = _get(http, f"/api/v1/namespaces/{name}/secrets/postgres-admin")
        assert set(secret["data"]) == {"username", "password"}
        _get(http, "/apis/security.istio.io/v1/namespaces/istio-system/peerauthentications/"
                   "default")
        out = operations.outputs(engine.session("outputs", program))
        contract = out.outputs[platform_outputs.OUTPUT][0]
        assert contract["target"] == "local" and contract["namespace"] == name
        assert contract["kafka_bootstrap_servers"].startswith(f"events-kafka-bootstrap.{name}.")
        refreshed = operations.refresh(engine.session("refresh", program))
        assert refreshed.changes == {"same": len(created)}, refreshed.changes
        again = operations.up(engine.session("up", program))
        assert again.result == "no-changes", again.changes
        gone = operations.destroy(engine.session("destroy", program))
        assert gone.result == "succeeded" and gone.changes == {"delete": len(created)}
        assert summary_lines(gone)[0].endswith(f": {len(created)} deleted")
    assert http.get(f"/apis/kafka.strimzi.io/v1/namespaces/{name}/kafkas/events"
                    ).status_code == 404
    assert http.get(f"/apis/apps/v1/namespaces/{name}/statefulsets/postgres").status_code == 404

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
  Namespace's finalization) carry ``pulumi.com/skipAwait: "true"``, and every object
  ``pulumi.com/deletionPropagationPolicy: background`` (the provider's default, foreground,
  waits for the garbage collector), added by a transform in this test only;
- pulumi-resource-random cannot be built: its RandomPasswords are served by the stand-in of
  support/random_provider.py.
"""

from __future__ import annotations

from dataclasses import replace

import httpx
import pulumi
import pytest
from support.kube_api import KubeApi
from support.mesh_shape import PINNED
from support.platform_engine import (
    WITHOUT_CHARTS,
    catalog_platform,
    cluster,
    get,
    no_controllers,
    program_without_charts,
    release_namespaces,
)
from support.real_engine import KUBERNETES, Engine, deadline, engine, kubernetes_plugin

from marketplace_kit.blueprints.program import platform_program
from marketplace_kit.cli.deploy_service_cmd import _session as deploy_service_session
from marketplace_kit.contract import platform_outputs
from marketplace_kit.errors import KitError
from marketplace_kit.plan import plan_program
from marketplace_kit.platform.mesh_revision import SIDECAR_REVISION_ANNOTATION, injected_revision
from marketplace_kit.provision import operations
from marketplace_kit.provision.summary import summary_lines

__all__ = ["cluster", "engine", "kubernetes_plugin"]
pytestmark = pytest.mark.usefixtures("kubernetes_plugin")


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
    release_namespaces(http, offline)
    program = program_without_charts(engine)
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
        workload = get(http, f"/api/v1/namespaces/{name}")
        # sidecars of the pinned Istio's revision (the kit installs istiod by revision)
        assert injected_revision(workload["metadata"]["labels"]) == PINNED
        postgres = get(http, f"/apis/apps/v1/namespaces/{name}/statefulsets/postgres")
        assert postgres["metadata"]["annotations"]["pulumi.com/skipAwait"] == "true"
        kafka = get(http, f"/apis/kafka.strimzi.io/v1/namespaces/{name}/kafkas/events")
        assert kafka["metadata"]["annotations"]["strimzi.io/kraft"] == "enabled"
        secret = get(http, f"/api/v1/namespaces/{name}/secrets/postgres-admin")
        assert set(secret["data"]) == {"username", "password"}
        get(http, "/apis/security.istio.io/v1/namespaces/istio-system/peerauthentications/"
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
        # Kafka first (its operator would finalize it), then everything
        assert [p.name for p in gone.phases] == ["release", "destroy"], gone.phases
        assert summary_lines(gone)[0].endswith(f": {len(created)} deleted")
    assert http.get(f"/apis/kafka.strimzi.io/v1/namespaces/{name}/kafkas/events"
                    ).status_code == 404
    assert http.get(f"/apis/apps/v1/namespaces/{name}/statefulsets/postgres").status_code == 404


def test_deploy_service_reads_the_platform_and_destroy_refuses_under_it(
    engine: Engine, cluster: tuple[KubeApi, httpx.Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    api, http = cluster
    monkeypatch.setenv("KUBECONFIG", str(api.kubeconfig))
    mall = catalog_platform(engine, "mall", service_stacks=True)
    (spec,) = mall.platform.services
    release_namespaces(http, plan_program(platform_program(mall.platform, WITHOUT_CHARTS),
                                           project="mall", stack="local"))
    program = program_without_charts(mall)
    # the kit's own deploy-service session (the CLI's), on the same file backend
    service = deploy_service_session(mall.platform, spec, None, None, None, None, True, True,
                                     None)
    assert service.settings.project == "mall-catalog"
    product = service.program
    assert product is not None

    async def service_program() -> None:
        pulumi.runtime.register_resource_transform(no_controllers)
        await product()  # type: ignore[misc]

    service = replace(service, display=mall.display, warn=mall.warnings.append,
                      program=service_program, plugins=KUBERNETES)
    with deadline(900, "the platform, a service stack on it, and their destroy"):
        assert operations.up(mall.session("up", program)).result == "succeeded"
        deployed = operations.up(service)
        assert deployed.result == "succeeded", deployed
        # the service read the contract through the StackReference: its objects in the
        # platform's namespace, its Kafka client pointed at the platform's bootstrap servers
        workload = get(http, "/apis/apps/v1/namespaces/mall/deployments/catalog")
        env = {e["name"]: e.get("value") for e in
               workload["spec"]["template"]["spec"]["containers"][0].get("env", [])}
        assert any(str(v).startswith("events-kafka-bootstrap.mall.") for v in env.values()), env
        # and its pods carry the platform's sidecar revision (a move of it restarts them)
        template = workload["spec"]["template"]["metadata"]["annotations"]
        assert template[SIDECAR_REVISION_ANNOTATION] == PINNED
        get(http, "/apis/kafka.strimzi.io/v1/namespaces/mall/kafkatopics/product-events")
        with pytest.raises(KitError) as refused:
            operations.destroy(mall.session("destroy", program))
        line = str(refused.value)
        assert "\n" not in line and line.startswith(
            "destroy: service stacks still run on this platform (mall-catalog/local)"), line
        assert get(http, "/apis/kafka.strimzi.io/v1/namespaces/mall/kafkas/events")
        gone = operations.destroy(replace(service, runs=[], opened=None))
        assert gone.result == "succeeded", gone
        platform_gone = operations.destroy(mall.session("destroy", program))
        assert platform_gone.result == "succeeded", platform_gone
    assert http.get("/apis/apps/v1/namespaces/mall/deployments/catalog").status_code == 404
    assert http.get("/apis/kafka.strimzi.io/v1/namespaces/mall/kafkas/events").status_code == 404

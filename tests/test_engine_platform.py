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

import shutil
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pulumi
import pytest
import yaml
from support.kube_api import KubeApi
from support.kube_objects import Discovery, apply, install_crds, yaml_documents
from support.plans import full_plan
from support.real_engine import KUBERNETES, Engine, deadline, engine, kubernetes_plugin
from support.real_parts import real_part

from marketplace_kit.blueprints.deploy_inputs import DeployInputs
from marketplace_kit.blueprints.program import platform_program
from marketplace_kit.cli.deploy_service_cmd import _session as deploy_service_session
from marketplace_kit.config import load_platform
from marketplace_kit.contract import platform_outputs
from marketplace_kit.errors import KitError
from marketplace_kit.plan import ResourceGraph, plan_program
from marketplace_kit.provision import operations
from marketplace_kit.provision.summary import summary_lines
from marketplace_kit.render import helm_releases

__all__ = ["engine", "kubernetes_plugin"]
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "marketplace"
pytestmark = pytest.mark.usefixtures("kubernetes_plugin")
WITHOUT_CHARTS = DeployInputs(charts=False)
# Kinds whose create or delete the provider awaits through a controller's work.
AWAITED = {"Namespace", "StatefulSet", "Deployment", "DaemonSet", "Service", "Job",
           "PersistentVolumeClaim"}


@pytest.fixture
def cluster() -> Iterator[tuple[KubeApi, httpx.Client]]:
    """An apiserver of the test's own, with every CRD source installed: a platform's namespaces
    are created and deleted for real, and a deleted one stays Terminating (no namespace
    controller runs), so no two platforms share one."""
    with KubeApi() as api, api.client() as http:
        install_crds(http, yaml_documents(sorted(real_part("crds").rglob("*.yaml"))))
        yield api, http


def no_controllers(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
    """The annotations that make the provider wait for no controller's work (see above)."""
    if not args.custom or not args.type_.startswith("kubernetes:"):
        return None
    added = {"pulumi.com/deletionPropagationPolicy": "background"}
    if args.type_.rsplit(":", 1)[-1] in AWAITED:
        added["pulumi.com/skipAwait"] = "true"
    props = dict(args.props)
    metadata = dict(props.get("metadata") or {})
    metadata["annotations"] = {**(metadata.get("annotations") or {}), **added}
    props["metadata"] = metadata
    return pulumi.ResourceTransformResult(props, args.opts)


def _program(engine: Engine) -> Callable[[], None]:
    product = platform_program(engine.platform, WITHOUT_CHARTS)

    def program() -> None:
        pulumi.runtime.register_resource_transform(no_controllers)
        product()

    return program


def _release_namespaces(http: httpx.Client, offline: ResourceGraph) -> None:
    """The namespaces the left-out releases would create (those the program makes are its own)."""
    own = {str(r.inputs["metadata"]["name"]) for r in offline
           if r.type == "kubernetes:core/v1:Namespace"}
    discovery = Discovery(http)
    for namespace in sorted({r.namespace for r in helm_releases(full_plan("local"))} - own):
        made = apply(http, discovery, {"apiVersion": "v1", "kind": "Namespace",
                                       "metadata": {"name": namespace}}, dry_run=False)
        assert made.status_code < 300, made.text


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
    _release_namespaces(http, offline)
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
        # Kafka first (its operator would finalize it), then everything
        assert [p.name for p in gone.phases] == ["release", "destroy"], gone.phases
        assert summary_lines(gone)[0].endswith(f": {len(created)} deleted")
    assert http.get(f"/apis/kafka.strimzi.io/v1/namespaces/{name}/kafkas/events"
                    ).status_code == 404
    assert http.get(f"/apis/apps/v1/namespaces/{name}/statefulsets/postgres").status_code == 404


def _service_platform(engine: Engine) -> Engine:
    """A local platform ``mall`` with service stacks and the reference catalog service."""
    shop = engine.tmp / "mall"
    shutil.copytree(EXAMPLE / "services" / "catalog", shop / "services" / "catalog",
                    ignore=shutil.ignore_patterns("__pycache__", ".venv"))
    config = shop / "marketplace.yaml"
    config.write_text(yaml.safe_dump({"name": "mall", "blueprint": "local",
                                      "region": "eu-west-1", "service_stacks": True}))
    return Engine(engine.tmp, load_platform(config), seen=engine.seen, warnings=engine.warnings)


def test_deploy_service_reads_the_platform_and_destroy_refuses_under_it(
    engine: Engine, cluster: tuple[KubeApi, httpx.Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    api, http = cluster
    monkeypatch.setenv("KUBECONFIG", str(api.kubeconfig))
    mall = _service_platform(engine)
    (spec,) = mall.platform.services
    _release_namespaces(http, plan_program(platform_program(mall.platform, WITHOUT_CHARTS),
                                           project="mall", stack="local"))
    program = _program(mall)
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
        workload = _get(http, "/apis/apps/v1/namespaces/mall/deployments/catalog")
        env = {e["name"]: e.get("value") for e in
               workload["spec"]["template"]["spec"]["containers"][0].get("env", [])}
        assert any(str(v).startswith("events-kafka-bootstrap.mall.") for v in env.values()), env
        _get(http, "/apis/kafka.strimzi.io/v1/namespaces/mall/kafkatopics/product-events")
        with pytest.raises(KitError) as refused:
            operations.destroy(mall.session("destroy", program))
        line = str(refused.value)
        assert "\n" not in line and line.startswith(
            "destroy: service stacks still run on this platform (mall-catalog/local)"), line
        assert _get(http, "/apis/kafka.strimzi.io/v1/namespaces/mall/kafkas/events")
        gone = operations.destroy(replace(service, runs=[], opened=None))
        assert gone.result == "succeeded", gone
        platform_gone = operations.destroy(mall.session("destroy", program))
        assert platform_gone.result == "succeeded", platform_gone
    assert http.get("/apis/apps/v1/namespaces/mall/deployments/catalog").status_code == 404
    assert http.get("/apis/kafka.strimzi.io/v1/namespaces/mall/kafkas/events").status_code == 404

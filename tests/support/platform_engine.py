"""The `local` blueprint's in-cluster program on the real engine against a real kube-apiserver:
the apiserver of a test's own with every CRD source installed, the program without its charts
and with the annotations that make the provider wait for no controller (see
tests/test_engine_platform.py for why each is left out)."""

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

from marketplace_kit.blueprints.deploy_inputs import PLAN_INPUTS, DeployInputs, HeldPins
from marketplace_kit.blueprints.program import platform_program
from marketplace_kit.config import load_platform
from marketplace_kit.plan import ResourceGraph, plan_program
from marketplace_kit.platform.pins import Pins
from marketplace_kit.provision import operations
from marketplace_kit.provision.operations import Session
from marketplace_kit.provision.teardown import HELM_RELEASE
from marketplace_kit.render import helm_releases
from marketplace_kit.upgrade.running import Running, read_running
from marketplace_kit.upgrade.state_file import deployment_of
from support.kube_api import KubeApi
from support.kube_objects import Discovery, apply, install_crds, yaml_documents
from support.plans import full_plan
from support.real_engine import Engine
from support.real_parts import real_part

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "marketplace"
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
    """The annotations that make the provider wait for no controller's work."""
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


def program_without_charts(engine: Engine) -> Callable[[], None]:
    """The platform's program, its charts left out, awaiting no controller."""
    product = platform_program(engine.platform, WITHOUT_CHARTS)

    def program() -> None:
        pulumi.runtime.register_resource_transform(no_controllers)
        product()

    return program


def release_namespaces(http: httpx.Client, offline: ResourceGraph) -> None:
    """The namespaces the left-out releases would create (those the program makes are its own)."""
    own = {str(r.inputs["metadata"]["name"]) for r in offline
           if r.type == "kubernetes:core/v1:Namespace"}
    discovery = Discovery(http)
    for namespace in sorted({r.namespace for r in helm_releases(full_plan("local"))} - own):
        made = apply(http, discovery, {"apiVersion": "v1", "kind": "Namespace",
                                       "metadata": {"name": namespace}}, dry_run=False)
        assert made.status_code < 300, made.text


def get(http: httpx.Client, path: str) -> dict[str, Any]:
    """The object at ``path`` (it must exist)."""
    answer = http.get(path)
    assert answer.status_code == 200, f"{path}: {answer.status_code} {answer.text[:300]}"
    found: dict[str, Any] = answer.json()
    return found


def catalog_platform(engine: Engine, name: str, service_stacks: bool) -> Engine:
    """A local platform ``name`` with the reference catalog service (in a stack of its own with
    ``service_stacks``, else the platform's program deploys it)."""
    shop = engine.tmp / name
    shutil.copytree(EXAMPLE / "services" / "catalog", shop / "services" / "catalog",
                    ignore=shutil.ignore_patterns("__pycache__", ".venv"))
    config = shop / "marketplace.yaml"
    config.write_text(yaml.safe_dump({"name": name, "blueprint": "local",
                                      "region": "eu-west-1", "service_stacks": service_stacks}))
    return Engine(engine.tmp, load_platform(config), seen=engine.seen, warnings=engine.warnings)


def charted_running(shop: Engine, first: Pins) -> Callable[[Session], Running]:
    """What ``upgrade --apply`` reads runs (its ``_running``) for a platform deployed without
    its charts: the real stack's re-read state, plus the Helm releases the same program, planned
    offline with its charts, registers under the Pins the stack last held (``first`` before the
    first step). Stand-in: no chart registry is reachable here, so no release is installed."""
    last = [first]

    def running(session: Session) -> Running:
        deployment = deployment_of(operations.exported_state(session), "the real stack")
        held = operations.held_pins(session)
        if held is not None:
            last[0] = held.pins
        inputs = replace(PLAN_INPUTS, held=HeldPins(last[0], "", ""))
        graph = plan_program(platform_program(shop.platform, inputs),
                             project=shop.platform.config.name, stack="local")
        releases = [r.to_dict() for r in graph.of_type(HELM_RELEASE)]
        return read_running({**deployment, "resources": [*deployment["resources"], *releases]})

    return running

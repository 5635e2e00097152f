"""Istio's canary revision through the real Pulumi engine against a real kube-apiserver, driven by
``upgrade --apply`` itself (``upgrade/apply.py``): the `local` blueprint with the reference
catalog service deployed by the platform, first as the kit before revisions left it (istiod in
place at 1.30.2, ``istio-injection=enabled``), then each Istio step of the plan made from that
stack's state, each an ``up`` of the Pins the step holds in the stack's config (the same
``upgrade/pinning.py`` Pins the CLI writes; the program reads them back as ``up`` does), its
effect read back from the re-read state: the canary beside the in-place istiod, the relabel
(the namespace's label and the Deployment's pod template moved on the real apiserver), the
restart and the gateway's revision landed with it, the old revision removed.

Stand-in: no chart registry is reachable here, so the in-cluster program runs without its charts
(see tests/test_engine_platform.py) and the engine's state holds no Helm release. The releases in
the state ``--apply`` reads (istiod per revision, the gateway) are those the same program,
planned offline with its charts, registers under the Pins the stack holds; every other resource
read (the namespace, the Deployments) is the real engine's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import httpx
import pulumi
import pytest
from support.kube_api import KubeApi
from support.platform_engine import (
    WITHOUT_CHARTS,
    catalog_platform,
    charted_running,
    cluster,
    get,
    no_controllers,
    release_namespaces,
)
from support.real_engine import Engine, deadline, engine, kubernetes_plugin

from marketplace_kit.blueprints.deploy_inputs import (
    DeployInputs,
    HeldPins,
    recorded,
)
from marketplace_kit.blueprints.program import platform_program
from marketplace_kit.contract import platform_outputs
from marketplace_kit.plan import plan_program
from marketplace_kit.platform import versions
from marketplace_kit.platform.mesh_revision import (
    IN_PLACE,
    INJECTION_LABEL,
    REVISION_LABEL,
    SIDECAR_REVISION_ANNOTATION,
    istio_revision,
)
from marketplace_kit.platform.pins import kit_pins
from marketplace_kit.provision import operations
from marketplace_kit.provision.operations import Session
from marketplace_kit.upgrade import apply

__all__ = ["cluster", "engine", "kubernetes_plugin"]
pytestmark = pytest.mark.usefixtures("kubernetes_plugin")
RELEASE = "kubernetes:helm.sh/v3:Release"
PINNED = istio_revision(versions.ISTIO)
EARLIER = replace(kit_pins(), istio_revisions=(IN_PLACE,), istio_injection=IN_PLACE,
                  istio_in_place="1.30.2")


def _template(deployment: dict[str, Any]) -> dict[str, str]:
    annotations: dict[str, str] = deployment["spec"]["template"]["metadata"].get(
        "annotations") or {}
    return annotations


def _program(shop: Engine, inputs: Callable[[], DeployInputs]) -> Callable[[], None]:
    """The platform's program with the inputs ``inputs()`` gives at run time, its charts left
    out, awaiting no controller."""
    def program() -> None:
        pulumi.runtime.register_resource_transform(no_controllers)
        platform_program(shop.platform, replace(inputs(), charts=False))()

    return program


def test_upgrade_apply_walks_the_canary_through_the_real_engine(
    engine: Engine, cluster: tuple[KubeApi, httpx.Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    api, http = cluster
    monkeypatch.setenv("KUBECONFIG", str(api.kubeconfig))
    shop = catalog_platform(engine, "bazaar", service_stacks=False)
    ns = "bazaar"
    namespace_path, deployment_path = (f"/api/v1/namespaces/{ns}",
                                       f"/apis/apps/v1/namespaces/{ns}/deployments/catalog")
    release_namespaces(http, plan_program(platform_program(shop.platform, WITHOUT_CHARTS),
                                          project=ns, stack="local"))
    earlier_kit = _program(shop, lambda: replace(WITHOUT_CHARTS,
                                                 held=HeldPins(EARLIER, "", "")))
    # `up` on a stack mid-upgrade: the program reads the Pins its config holds (recorded())
    this_kit = _program(shop, recorded)
    def session(command: str) -> Session:
        return shop.session(command, this_kit)

    monkeypatch.setattr(apply, "_running", charted_running(shop, EARLIER))
    said: list[str] = []

    with deadline(900, "the in-place platform, then upgrade --apply's Istio steps"):
        first = operations.up(shop.session("up", earlier_kit))
        assert first.result == "succeeded", first
        labels = get(http, namespace_path)["metadata"]["labels"]
        assert labels[INJECTION_LABEL] == "enabled" and REVISION_LABEL not in labels
        before = get(http, deployment_path)
        assert SIDECAR_REVISION_ANNOTATION not in _template(before)  # as the earlier kit's

        # the plan from that state: the canary's steps, each holding the Pins after it
        plan = apply.stack_plan(session("upgrade"), offline=True).plan
        assert [s.id for s in plan.steps] == ["istio:canary", "istio:relabel", "istio:restart",
                                              "istio:gateway", "istio:remove-old"]
        # step 1: the new istiod beside the in-place one; the cluster's objects stay
        assert apply.apply_upgrade(session("upgrade"), 1, said.append, offline=True) == \
            "succeeded"
        assert said[-2] == (f"  now running (state re-read): istiod revisions {PINNED} (istiod "
                            f"{versions.ISTIO}), default (istiod 1.30.2), namespaces' sidecar "
                            "injection default, mesh Deployments' sidecar revision unset, "
                            "gateway revision default"), said
        held = operations.held_pins(session("upgrade"))
        assert held is not None and held.pins == plan.steps[0].pins
        assert held.pins.istio_revisions == (IN_PLACE, PINNED)
        assert get(http, namespace_path)["metadata"]["labels"][INJECTION_LABEL] == "enabled"
        assert get(http, deployment_path)["metadata"]["generation"] == \
            before["metadata"]["generation"]

        # the rest, planned again from the re-read state: the relabel moves the namespace and the
        # Deployment's pod template on the apiserver, the restart and the gateway ride on it
        said.clear()
        assert apply.apply_upgrade(session("upgrade"), None, said.append, offline=True) == \
            "succeeded"
        steps = [line for line in said if line.startswith("step ")]
        assert [s.rsplit("  ", 1)[-1] for s in steps] == [
            "[istio:relabel]", "[istio:restart]", "[istio:gateway]", "[istio:remove-old]"]
        assert (f"  now running (state re-read): namespaces' sidecar injection {PINNED}, mesh "
                f"Deployments' sidecar revision {PINNED}, gateway revision {PINNED}") in said
        assert sum(line.startswith("  made by the step before's up") for line in said) == 2
        assert said[-1] == ("upgrade done: 4 steps; the stack runs the kit's pins (its held "
                            "versions removed)")
        assert operations.held_pins(session("upgrade")) is None

        labels = get(http, namespace_path)["metadata"]["labels"]
        assert labels[REVISION_LABEL] == PINNED and INJECTION_LABEL not in labels
        after = get(http, deployment_path)
        # the pod template changed: Kubernetes rolls every pod (new pods, the new sidecar)
        assert _template(after)[SIDECAR_REVISION_ANNOTATION] == PINNED
        assert after["metadata"]["generation"] > before["metadata"]["generation"]
        assert after["metadata"]["uid"] == before["metadata"]["uid"]
        out = operations.outputs(session("outputs"))
        contract = out.outputs[platform_outputs.OUTPUT][0]
        assert contract["sidecar_revision"] == PINNED  # what service stacks' pods carry

        # the stack at the kit's pins: nothing to apply, and an up changes nothing
        said.clear()
        assert apply.apply_upgrade(session("upgrade"), None, said.append, offline=True) == \
            "nothing"
        assert operations.up(session("up")).result == "no-changes"
        assert operations.destroy(session("destroy")).result == "succeeded"

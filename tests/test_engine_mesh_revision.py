"""Istio's canary revision through the real Pulumi engine against a real kube-apiserver: the
`local` blueprint with the reference catalog service deployed by the platform, first as the kit
before revisions left it (istiod in place, ``istio-injection=enabled``), then the upgrade's
canary (the in-place istiod beside the pinned revision, the injection moved to it), then the
old revision removed.

What the apiserver shows is what the in-cluster program registers without its charts (no chart
registry is reachable here: see tests/test_engine_platform.py): the namespace's labels and the
Deployments' pod templates; which istiod releases each step installs is read from the same
program planned with its charts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from support.kube_api import KubeApi
from support.mesh_shape import PINNED, in_place, mesh_shape
from support.platform_engine import (
    WITHOUT_CHARTS,
    catalog_platform,
    cluster,
    get,
    program_without_charts,
    release_namespaces,
)
from support.real_engine import Engine, deadline, engine, kubernetes_plugin

from marketplace_kit.blueprints.deploy_inputs import PLAN_INPUTS
from marketplace_kit.blueprints.program import platform_program
from marketplace_kit.contract import platform_outputs
from marketplace_kit.plan import ResourceGraph, plan_program
from marketplace_kit.platform.mesh_revision import (
    IN_PLACE,
    INJECTION_LABEL,
    REVISION_LABEL,
    SIDECAR_REVISION_ANNOTATION,
    release_revision,
)
from marketplace_kit.provision import operations

__all__ = ["cluster", "engine", "kubernetes_plugin"]
pytestmark = pytest.mark.usefixtures("kubernetes_plugin")
RELEASE = "kubernetes:helm.sh/v3:Release"
CANARY = ((IN_PLACE, PINNED), PINNED)
DONE = ((PINNED,), PINNED)


def _istiods(engine: Engine) -> dict[str, str]:
    """The istiod releases the program (with its charts, planned offline) installs: release
    name -> the revision its values install."""
    graph: ResourceGraph = plan_program(platform_program(engine.platform, PLAN_INPUTS),
                                        project=engine.platform.config.name, stack="local")
    return {str(r.inputs["name"]): release_revision(r.inputs["values"])
            for r in graph.of_type(RELEASE) if r.inputs["chart"] == "istiod"}


def _template(deployment: dict[str, Any]) -> dict[str, str]:
    annotations: dict[str, str] = deployment["spec"]["template"]["metadata"].get(
        "annotations") or {}
    return annotations


def test_canary_relabels_restarts_and_removes_the_old_revision(
    engine: Engine, cluster: tuple[KubeApi, httpx.Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    api, http = cluster
    monkeypatch.setenv("KUBECONFIG", str(api.kubeconfig))
    shop = catalog_platform(engine, "bazaar", service_stacks=False)
    ns = "bazaar"
    deployment_path = f"/apis/apps/v1/namespaces/{ns}/deployments/catalog"
    release_namespaces(http, plan_program(platform_program(shop.platform, WITHOUT_CHARTS),
                                          project=ns, stack="local"))
    program: Callable[[], None] = program_without_charts(shop)

    def up(step: str) -> operations.Outcome:
        result = operations.up(shop.session("up", program))
        assert result.result in ("succeeded", "no-changes"), (step, result)
        return result

    with deadline(900, "the in-place platform, its canary and the old revision's removal"):
        with in_place():
            assert _istiods(shop) == {"istiod": IN_PLACE}
            assert up("in place").result == "succeeded"
        labels = get(http, f"/api/v1/namespaces/{ns}")["metadata"]["labels"]
        assert labels[INJECTION_LABEL] == "enabled" and REVISION_LABEL not in labels
        before = get(http, deployment_path)
        assert SIDECAR_REVISION_ANNOTATION not in _template(before)  # as the earlier kit's

        with mesh_shape(*CANARY):
            assert _istiods(shop) == {"istiod": IN_PLACE, f"istiod-{PINNED}": PINNED}
            canary = up("canary")
            out = operations.outputs(shop.session("outputs", program))
        # the namespace and the Deployment changed in place: nothing replaced, nothing else
        assert canary.changes.get("update", 0) >= 2 and set(canary.changes) <= {
            "update", "same"}, canary.changes
        labels = get(http, f"/api/v1/namespaces/{ns}")["metadata"]["labels"]
        assert labels[REVISION_LABEL] == PINNED and INJECTION_LABEL not in labels
        after = get(http, deployment_path)
        # the pod template changed: Kubernetes rolls every pod (new pods, the new sidecar)
        assert _template(after)[SIDECAR_REVISION_ANNOTATION] == PINNED
        assert after["metadata"]["generation"] > before["metadata"]["generation"]
        assert after["metadata"]["uid"] == before["metadata"]["uid"]
        contract = out.outputs[platform_outputs.OUTPUT][0]
        assert contract["sidecar_revision"] == PINNED  # what service stacks' pods carry

        with mesh_shape(*DONE):
            assert _istiods(shop) == {f"istiod-{PINNED}": PINNED}
            removed = up("remove the old revision")
        # without its charts the removal changes nothing in the cluster: the namespace and the
        # workloads already run on the new revision
        assert removed.result == "no-changes", removed.changes
        assert get(http, deployment_path)["metadata"]["generation"] == \
            after["metadata"]["generation"]
        # and the kit's own default is that last shape: an up with no shape given changes nothing
        assert up("the pins").result == "no-changes"
        assert operations.destroy(shop.session("destroy", program)).result == "succeeded"

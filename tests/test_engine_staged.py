"""`up` in stages through the real Pulumi engine: the foundation's targets come from this run's
own preview, so the engine accepts them (no diag 2010 "target not found", no diag 2013 "the
always-targeted provider depends on an untargeted create").

The program has the AWS platform's shape (support/engine_programs.py): a network and a cluster
whose cloud resources are the SDK dynamic provider's stand-ins (AWS cannot run here), the
creator's access entry named after the caller (a provider data call: the real provider answers
it, the offline plan's mocks answer otherwise), a real Kubernetes provider depending on the
cluster and the access entry, and objects in the cluster through it. No kube-apiserver is
needed for what is tested here: the provider renders the objects' manifests to a directory
(its renderYamlToDirectory mode) instead of applying them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.engine_programs import staged_platform
from support.real_engine import Engine, engine, kubernetes_plugin

from marketplace_kit.plan import plan_program
from marketplace_kit.provision import operations
from marketplace_kit.provision.stages import foundation_targets

__all__ = ["engine", "kubernetes_plugin"]
pytestmark = pytest.mark.usefixtures("kubernetes_plugin")
KUBECONFIG = "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n"


def _names(urns: list[str]) -> set[str]:
    return {urn.rsplit("::", 1)[-1] for urn in urns}


def test_staged_up_targets_what_this_runs_preview_registers(
    engine: Engine, tmp_path: Path
) -> None:
    rendered = tmp_path / "rendered"
    program = staged_platform(KUBECONFIG, "staged", render_to=str(rendered))
    # the offline plan's names are the mocks' caller's: the engine would refuse them as targets
    offline = plan_program(program, project="shop", stack="local")
    offline_names = _names(foundation_targets({"create": [r.urn for r in offline]}))
    assert "shop-admin-planner" in offline_names
    outcome = operations.up(engine.session("up", program, staged=True))
    assert outcome.result == "succeeded"
    assert [p.name for p in outcome.phases] == ["foundation", "up"]
    foundation, rest = outcome.phases
    assert _names(foundation.targets) == {"shop", "shop-vpc", "shop-eks",
                                          "shop-admin-deployer-7f3a"}
    assert offline_names != _names(foundation.targets)
    assert [title for title, _ in engine.seen] == ["preview", "up (network and cluster)", "up"]
    # stage one made the foundation and the provider, nothing in the cluster; then the rest
    assert rest.changes.get("create") == 2
    assert sorted(p.name for p in rendered.rglob("*.yaml")) == [
        "v1-configmap-default-staged-settings-0.yaml",
        "v1-configmap-default-staged-settings-1.yaml"]
    again = operations.up(engine.session("up", program, staged=True))
    assert again.result == "no-changes"

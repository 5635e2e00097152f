"""`destroy-service` through the real Pulumi engine: a platform stack and a service stack on one
file backend, the service reading the platform through a real StackReference, both holding
objects in a real kube-apiserver (Strimzi's CRDs installed) through the real Kubernetes
provider.

The platform's `destroy` refuses in one line naming the live service stack; `destroy-service`
(the CLI, as a user runs it) deletes the service's KafkaTopic and KafkaUser first, then the
rest of its stack; the platform's state file is byte for byte what it was and its object is
still in the cluster; then the platform's `destroy` goes through.

Stand-ins (support/engine_programs.py): the cluster is a dynamic-provider stand-in holding the
kubeconfig (AWS cannot run here), and the service stack's program is a small one reading the
contract as the kit's service program does (the kit's own program against a platform program:
tests/test_engine_platform.py on the engine branch). The CLI installs the local target's
plugins before a run: here only the kubernetes provider, built from its Go module (the module
proxy serves no pulumi-random provider to build, and this service stack holds none).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
import yaml
from support.cli import assert_one_error_line, run_cli
from support.engine_programs import CONTRACT, contract_platform, contract_service
from support.kube_api import KubeApi
from support.real_engine import KUBERNETES, Engine, engine, kubernetes_plugin

from marketplace_kit.blueprints.projects import platform_stack_name
from marketplace_kit.cli.deploy_service_cmd import _session as service_session
from marketplace_kit.config import load_platform
from marketplace_kit.errors import KitError
from marketplace_kit.provision import operations, workspace
from marketplace_kit.scaffold import make_answers, render_service

__all__ = ["engine", "kubernetes_plugin"]
pytestmark = pytest.mark.usefixtures("kubernetes_plugin")
NAMESPACE = CONTRACT["namespace"]
STRIMZI = f"/apis/kafka.strimzi.io/v1/namespaces/{NAMESPACE}"


def _with_a_service(engine: Engine) -> tuple[Engine, Path]:
    """The test's platform with service stacks and one generated service, ``order``."""
    assert engine.platform.source is not None
    config = engine.platform.source
    data = yaml.safe_load(config.read_text())
    config.write_text(yaml.safe_dump({**data, "service_stacks": True}))
    order = config.parent / "services" / "order"
    render_service(make_answers(name="order", publishes=["order-events"]), order)
    return Engine(engine.tmp, load_platform(config), engine.seen, engine.warnings), order


def _status(http: httpx.Client, path: str) -> int:
    return http.get(path).status_code


def test_destroy_service_leaves_the_platform_stack_unchanged(
    engine: Engine, kube_api: KubeApi, crd_cluster: httpx.Client,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(workspace, "required_plugins", lambda target: dict(KUBERNETES))
    shop, order = _with_a_service(engine)
    assert shop.platform.source is not None
    config = shop.platform.source
    platform = contract_platform(kube_api.kubeconfig.read_text())
    assert operations.up(shop.session("up", platform)).result == "succeeded"
    (spec,) = shop.platform.services
    service = service_session(shop.platform, spec, None, None, None, None, True, True, None)
    service = replace(service, display=shop.display, warn=shop.warnings.append,
                      plugins=KUBERNETES,
                      program=contract_service(platform_stack_name(shop.platform), "order"))
    assert operations.up(service).result == "succeeded"
    assert _status(crd_cluster, f"{STRIMZI}/kafkatopics/order-events") == 200
    assert _status(crd_cluster, f"{STRIMZI}/kafkausers/order") == 200

    with pytest.raises(KitError) as refused:  # the platform's destroy, under a live service
        operations.destroy(shop.session("destroy", platform))
    line = str(refused.value)
    assert "\n" not in line and line.startswith(
        "destroy: service stacks still run on this platform (shop-order/local)"), line
    stacks = config.parent / ".marketplace-kit" / "state" / ".pulumi" / "stacks"
    platform_state = stacks / "shop" / "local.json"
    before = platform_state.read_bytes()

    code, out, err = run_cli(["destroy-service", str(order), "--config", str(config), "--yes",
                              "--json", "--remove"], config.parent)
    assert code == 0, err
    outcome = json.loads(out)
    assert outcome["project"] == "shop-order" and outcome["result"] == "succeeded"
    # the Strimzi resources first (their operator finalizes them), then the rest
    assert [p["name"] for p in outcome["phases"]] == ["release", "destroy"], outcome["phases"]
    assert sorted(u.rsplit("::", 1)[-1] for u in outcome["phases"][0]["targets"]) == [
        "topic-order-events", "user-order"]
    for gone in (f"{STRIMZI}/kafkatopics/order-events", f"{STRIMZI}/kafkausers/order",
                 f"/api/v1/namespaces/{NAMESPACE}/configmaps/order-contract"):
        assert _status(crd_cluster, gone) == 404, gone
    assert platform_state.read_bytes() == before  # the platform stack is untouched
    assert _status(crd_cluster, f"/api/v1/namespaces/{NAMESPACE}/configmaps/"
                                "platform-settings") == 200
    assert not (stacks / "shop-order" / "local.json").exists()  # --remove

    code, _, err = run_cli(["destroy-service", str(order), "--config", str(config), "--yes"],
                           config.parent)
    assert_one_error_line(code, err, "destroy-service order: no stack 'local' of project "
                          "'shop-order'", "not deployed")
    gone = operations.destroy(shop.session("destroy", platform))
    assert gone.result == "succeeded", gone
    assert _status(crd_cluster, f"/api/v1/namespaces/{NAMESPACE}/configmaps/"
                                "platform-settings") == 404

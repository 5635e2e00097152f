"""A kit upgrade never replaces Kafka or its node pools (whose pools own the brokers' volumes):
each earlier kit version's Kafka and KafkaNodePool objects (tests/data/earlier_shapes.json, the
production plan at that commit: tools/earlier_shapes.py) are created by the real Pulumi engine
and the real Kubernetes provider in a real kube-apiserver with Strimzi's real CRDs, then today's
objects are previewed over them: the provider plans updates at most, never a replacement or a
delete. A move of namespace, which the provider does replace, shows the check can fail.

No controller runs: the objects are checked as the provider plans them, which is what a kit
upgrade's preview shows before anything changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx
import pulumi
import pytest
from support.kube_api import KubeApi
from support.kube_objects import Discovery, apply, install_crds, yaml_documents
from support.real_engine import Engine, deadline, engine, kubernetes_plugin
from support.real_parts import real_part
from support.recorded_state import earlier_shapes

from marketplace_kit.blueprints.program import plan_platform
from marketplace_kit.config import default_platform
from marketplace_kit.provision import operations

__all__ = ["engine", "kubernetes_plugin"]
pytestmark = pytest.mark.usefixtures("kubernetes_plugin")
KAFKA_TYPES = ("kubernetes:kafka.strimzi.io/v1:Kafka",
               "kubernetes:kafka.strimzi.io/v1:KafkaNodePool")
REPLACING = ("replace", "create-replacement", "delete-replaced", "delete")


def _objects(resources: list[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["name"]: dict(r["inputs"]) for r in resources if r["type"] in KAFKA_TYPES}


def _today() -> dict[str, dict[str, Any]]:
    graph = plan_platform(default_platform("production"))
    return _objects([{"type": r.type, "name": r.name, "inputs": r.inputs}
                     for r in graph.resources])


def _program(objects: Mapping[str, Mapping[str, Any]]) -> Callable[[], None]:
    """The objects as the kit registers them (custom resources of those types and names)."""
    from pulumi_kubernetes.apiextensions import CustomResource

    def program() -> None:
        for name, inputs in objects.items():
            CustomResource(name, api_version=inputs["apiVersion"], kind=inputs["kind"],
                           metadata=inputs["metadata"], spec=inputs["spec"],
                           opts=pulumi.ResourceOptions(delete_before_replace=False))

    return program


@pytest.fixture
def cluster(monkeypatch: pytest.MonkeyPatch) -> Iterator[httpx.Client]:
    """An apiserver of the test's own with every CRD source installed, the provider's kubeconfig."""
    with KubeApi() as api, api.client() as http:
        install_crds(http, yaml_documents(sorted(real_part("crds").rglob("*.yaml"))))
        monkeypatch.setenv("KUBECONFIG", str(api.kubeconfig))
        yield http


def _namespace(http: httpx.Client, name: str) -> None:
    made = apply(http, Discovery(http), {"apiVersion": "v1", "kind": "Namespace",
                                         "metadata": {"name": name}}, dry_run=False)
    assert made.status_code < 300 or made.status_code == 409, made.text


def _planned(engine: Engine) -> Mapping[str, list[str]]:
    title, progress = engine.seen[-1]
    assert title == "preview"
    return progress.planned


def test_today_kafka_over_each_earlier_shape_plans_no_replacement(
    engine: Engine, cluster: httpx.Client
) -> None:
    today = _today()
    shapes = earlier_shapes()
    # the distinct Kafka shapes, oldest first (one stack each: up the earlier, preview today's)
    distinct: list[dict[str, dict[str, Any]]] = []
    for shape in shapes:
        objects = _objects(shape["resources"])
        if objects and objects not in distinct:
            distinct.append(objects)
    assert len(distinct) >= 2 and set(distinct[0]) == set(today)
    for namespace in sorted({i["metadata"]["namespace"] for objects in [*distinct, today]
                             for i in objects.values()}):
        _namespace(cluster, namespace)
    with deadline(900, "Kafka's earlier shapes up, today's previewed"):
        for objects in distinct:
            assert operations.up(engine.session("up", _program(objects))).result == "succeeded"
            operations.preview(engine.session("preview", _program(today)))
            planned = _planned(engine)
            assert not [u for op in REPLACING for u in planned.get(op, [])], planned
            if objects != today:
                assert planned.get("update"), planned  # a real difference, planned in place
        # the check can fail: a namespace move is a replacement the provider plans
        moved = {n: {**i, "metadata": {**i["metadata"], "namespace": "elsewhere"}}
                 for n, i in today.items()}
        _namespace(cluster, "elsewhere")
        operations.preview(engine.session("preview", _program(moved)))
        assert _planned(engine).get("replace"), _planned(engine)

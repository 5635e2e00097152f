"""Per-service stacks on the platform's exported contract (issue 23), under the SDK mocks and
against the fake `pulumi`: the platform plan exports the contract; each reference service plans
as its own stack from it; both shapes register the same Kubernetes objects; deploying one
service's stack leaves the platform's and the other services' state untouched.

Stand-in (the fake `pulumi`): the reference services' stacks hold AWS resources (IRSA roles,
databases); a real StackReference between stacks (a local platform and one service stack on
the real engine and kube-apiserver): tests/test_engine_platform.py."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.fake_pulumi import fake_api
from support.fake_pulumi.harness import FakePulumi, install, serve_cluster
from support.provision import Kit, fake_program, kit

from marketplace_kit.blueprints.program import plan_platform
from marketplace_kit.blueprints.service_plan import plan_service
from marketplace_kit.config import Platform, load_platform
from marketplace_kit.contract import platform_outputs
from marketplace_kit.contract.platform_outputs import PlatformOutputs
from marketplace_kit.core.events import dead_letter_topic
from marketplace_kit.errors import KitError
from marketplace_kit.plan.graph import ResourceGraph
from marketplace_kit.platform.waits import wait_line

__all__ = ["kit"]
REFERENCE = Path(__file__).resolve().parents[1] / "examples" / "marketplace"
TOPIC = "kubernetes:kafka.strimzi.io/v1:KafkaTopic"
USER = "kubernetes:kafka.strimzi.io/v1:KafkaUser"
SERVICE_TYPES = ("kubernetes:apps/v1:Deployment",
                 "kubernetes:networking.k8s.io/v1:NetworkPolicy",
                 "kubernetes:security.istio.io/v1:AuthorizationPolicy",
                 "kubernetes:core/v1:Service",
                 "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
                 "kubernetes:policy/v1:PodDisruptionBudget",
                 "kubernetes:networking.istio.io/v1:VirtualService",
                 "kubernetes:networking.istio.io/v1:DestinationRule",
                 "kubernetes:kafka.strimzi.io/v1:KafkaTopic",
                 "kubernetes:kafka.strimzi.io/v1:KafkaUser")


def _copy(tmp: Path, service_stacks: bool) -> Path:
    shop = tmp / f"shop-{service_stacks}"
    shutil.copytree(REFERENCE, shop,
                    ignore=shutil.ignore_patterns("__pycache__", ".marketplace-kit"))
    config = shop / "marketplace.yaml"
    data = yaml.safe_load(config.read_text())
    data["service_stacks"] = service_stacks
    config.write_text(yaml.safe_dump(data))
    return config


@cache
def _plans(tmp: Path) -> tuple[Platform, ResourceGraph, Platform, ResourceGraph]:
    whole = load_platform(_copy(tmp, False))
    split = load_platform(_copy(tmp, True))
    return whole, plan_platform(whole), split, plan_platform(split)


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> tuple[Platform, ResourceGraph, Platform,
                                                             ResourceGraph]:
    return _plans(tmp_path_factory.mktemp("service-stacks"))


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[fake_api.FakeApi]:
    """The platform's cluster API (a TLS stand-in: AWS cannot run here); deploy-service calls
    it before it deploys."""
    server = fake_api.start(tmp_path)
    yield server
    server.stop()


def _objects(graph: ResourceGraph) -> set[tuple[str, str]]:
    shared = ("Datastores", "Observability", "ServiceMesh", "ApiDocs")  # the platform's own
    return {(r.type, r.name) for r in graph if r.type in SERVICE_TYPES
            and not r.name.startswith("gateway-")  # the edge's own token policy stays
            and not any(a.type.endswith(shared) for a in graph.ancestors(r.urn))}


def test_the_platform_plan_exports_the_contract(plans: Any) -> None:
    whole, graph, _, split_graph = plans
    contract = PlatformOutputs.from_json(graph.outputs[platform_outputs.OUTPUT], "plan")
    assert graph.outputs[platform_outputs.KUBECONFIG] == "[secret]"
    assert contract.namespace == whole.config.name and contract.target == "aws"
    assert contract.database_secrets == {s.name: f"{s.name}-db" for s in whole.services}
    kafka = graph.named("kafka", "kubernetes:kafka.strimzi.io/v1:Kafka")
    assert kafka.inputs["metadata"]["name"] == contract.kafka_cluster
    assert contract.kafka_bootstrap_servers.startswith(f"{contract.kafka_cluster}-kafka-bootstrap")
    assert contract.gateway == "istio-ingress/marketplace"
    assert contract.oidc_provider_arn.startswith("arn:aws:iam::")
    assert contract.token_access["user"]["keys_secret"]  # the issuer's keys
    assert split_graph.outputs == graph.outputs  # the same contract in both shapes


def test_the_contract_is_checked_on_both_sides() -> None:
    with pytest.raises(ValueError, match="missing"):
        platform_outputs.export({"target": "aws"}, None)
    with pytest.raises(KitError, match="no 'platform' output"):
        PlatformOutputs.from_json(None, "organization/shop/dev")
    with pytest.raises(KitError, match="contract version 9"):
        PlatformOutputs.from_json({"version": 9}, "organization/shop/dev")


@pytest.mark.parametrize("name", ["catalog", "notification", "order", "payment", "user"])
def test_each_reference_service_plans_as_its_own_stack(plans: Any, name: str) -> None:
    _, _, split, split_graph = plans
    spec = next(s for s in split.services if s.name == name)
    graph = plan_service(split, spec, split_graph)
    assert {r.urn.split("::")[1] for r in graph} == {f"marketplace-{name}"}
    assert not [r for r in graph if r.type.startswith(("aws:eks", "aws:ec2", "aws:rds"))
                or r.type.endswith(("Kafka", "Release"))]  # nothing of the platform's
    deployment = graph.named(f"{name}-deployment", "kubernetes:apps/v1:Deployment")
    assert deployment.inputs["metadata"]["namespace"] == "marketplace"
    deployments = graph.of_type("kubernetes:apps/v1:Deployment")
    assert {r.inputs["metadata"]["name"] for r in deployments} == {name}
    topics = {r.inputs["metadata"]["name"] for r in graph.of_type(TOPIC)}
    assert topics == {*spec.publishes, *(dead_letter_topic(t) for t in spec.publishes)}
    users = graph.of_type(USER)
    assert len(users) == (1 if spec.publishes or spec.consumes else 0)
    mounted = {v["secret"]["secretName"] for v in
               deployment.inputs["spec"]["template"]["spec"]["volumes"] if "secret" in v}
    assert (f"{name}-db" in mounted) == (spec.datastore != "none")  # the platform's database
    if users:
        assert {name, "events-cluster-ca-cert"} <= mounted  # its Kafka user, the cluster CA
    policies = {r.type.rsplit(":", 1)[1] for r in graph if r.inputs.get("metadata", {})
                .get("name") == name and r.type.endswith(("AuthorizationPolicy", "NetworkPolicy"))}
    assert policies == {"AuthorizationPolicy", "NetworkPolicy"}  # its declared traffic


def test_both_shapes_register_the_same_service_objects(plans: Any) -> None:
    _, whole_graph, split, split_graph = plans
    assert not _objects(split_graph)  # the platform stack keeps none of them
    per_service = set().union(*(_objects(plan_service(split, s, split_graph))
                                for s in split.services))
    assert per_service == _objects(whole_graph)


def test_plan_service_cli(kit: Kit, plans: Any) -> None:
    _, _, split, _ = plans
    assert split.source is not None
    order = split.source.parent / "services" / "order"
    run = kit(["plan", "--config", str(split.source), "--service", str(order), "--format",
               "json"])
    assert run.code == 0, run.err
    assert {"order-deployment", "topic-order-events"} <= {r["name"] for r in
                                                          run.json()["resources"]}
    missing = kit(["plan", "--config", str(split.source), "--service", str(order.parent)])
    assert missing.code == 2 and "no service.yaml" in missing.err


def test_deploying_one_service_leaves_the_platform_and_other_services_untouched(
    plans: Any, kit: Kit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    cluster: fake_api.FakeApi,
) -> None:
    _, _, split, split_graph = plans
    assert split.source is not None
    config = split.source
    fake: FakePulumi = install(tmp_path, monkeypatch)
    serve_cluster("marketplace-dev", cluster.url, cluster.ca_data)
    stacks = config.parent / ".marketplace-kit" / "state" / ".pulumi" / "stacks"
    fake.set_program(fake_program(split_graph)[:5], {"platform": split_graph.outputs["platform"]})
    assert kit(["up", "--config", str(config), "--yes"]).code == 0
    specs = {s.name: s for s in split.services}
    for name in ("order", "catalog"):
        fake.set_program(fake_program(plan_service(split, specs[name], split_graph)))
        run = kit(["deploy-service", str(config.parent / "services" / name), "--config",
                   str(config), "--yes"])
        assert run.code == 0, run.err
    before = {p.relative_to(stacks).as_posix(): p.read_bytes() for p in stacks.rglob("*.json")}
    assert {"marketplace/dev.json", "marketplace-order/dev.json",
            "marketplace-catalog/dev.json"} <= set(before)
    changed = fake_program(plan_service(split, specs["order"], split_graph))
    changed.append({"type": "kubernetes:core/v1:ConfigMap", "name": "order-extra", "inputs": {}})
    fake.set_program(changed)
    run = kit(["deploy-service", str(config.parent / "services" / "order"), "--config",
               str(config), "--image", "registry.example/order:abc", "--yes"])
    assert run.code == 0, run.err
    assert wait_line("order") in run.err  # what it waits for, and how long at most
    after = {p.relative_to(stacks).as_posix(): p.read_bytes() for p in stacks.rglob("*.json")}
    assert after["marketplace-order/dev.json"] != before["marketplace-order/dev.json"]
    for untouched in set(before) - {"marketplace-order/dev.json"}:
        assert after[untouched] == before[untouched], untouched
    calls = [c for c in fake.calls() if "up" in c["argv"][:2]]
    assert calls[-1]["cwd"].endswith("workspace-order")  # a workspace per project


def test_deploy_service_needs_service_stacks(plans: Any, kit: Kit) -> None:
    whole = plans[0]
    run = kit(["deploy-service", str(whole.source.parent / "services" / "order"), "--config",
               str(whole.source), "--yes"])
    assert run.code == 2 and "service_stacks: false" in run.err


def test_deploy_service_all_deploys_one_stack_per_service(
    plans: Any, kit: Kit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    cluster: fake_api.FakeApi,
) -> None:
    split = plans[2]
    assert split.source is not None
    fake = install(tmp_path, monkeypatch)
    serve_cluster("marketplace-dev", cluster.url, cluster.ca_data)
    backend = tmp_path / "state"
    fake.set_program([{"type": "kubernetes:core/v1:ConfigMap", "name": "marker", "inputs": {}}])
    run = kit(["deploy-service", "--all", "--config", str(split.source), "--yes", "--backend",
               f"file://{backend}"])
    assert run.code == 0, run.err
    stacks = backend / ".pulumi" / "stacks"
    assert sorted(p.parent.name for p in stacks.glob("*/dev.json")) == sorted(
        f"marketplace-{s.name}" for s in split.services)
    both = kit(["deploy-service", str(split.source.parent / "services" / "order"), "--all",
                "--config", str(split.source)])
    assert both.code == 2 and "not both" in both.err

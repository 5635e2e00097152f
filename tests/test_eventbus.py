"""EventBus under the mocks: CRD ownership, ordering, KRaft node pools, topics, exact ACLs."""

from __future__ import annotations

import pulumi
import pytest
import yaml
from support.incluster import depends_on, fake_foundation, plan, validate_all

from marketplace_kit.monitoring import kafka_metrics
from marketplace_kit.plan.graph import ResourceGraph
from marketplace_kit.platform import strimzi_models, versions
from marketplace_kit.platform.eventbus import (
    EventBus,
    EventBusArgs,
    KafkaClient,
    KafkaSettings,
    acls,
)

CLIENTS = [
    KafkaClient("order", publishes=("order-events",), consumes=("payment-events",)),
    KafkaClient("payment", publishes=("payment-events",), consumes=("order-events",)),
    KafkaClient("audit", consumes=("order-events", "payment-events")),
    KafkaClient("outbox", publishes=("order-events",)),  # a second publisher of one topic
]
TOPICS = ["order-events", "payment-events", "order-events"]


def _graph(brokers: int = 3, encrypted: bool = True, zone_aware: bool = True) -> ResourceGraph:
    def body() -> None:
        provider = fake_foundation("local").provider
        EventBus(
            "eventbus",
            EventBusArgs(namespace="shop", config=KafkaSettings(brokers=brokers), topics=TOPICS,
                         clients=CLIENTS, encrypted_ebs=encrypted, zone_aware=zone_aware),
            pulumi.ResourceOptions(providers=[provider]),
        )

    return plan(body)


@pytest.fixture(scope="module")
def three() -> ResourceGraph:
    return _graph(3)


def test_operator_skips_crds_and_the_bus_owns_them(three: ResourceGraph) -> None:
    operator = three.named("strimzi-kafka-operator")
    assert operator.inputs["skipCrds"] is True
    assert operator.inputs["version"] == versions.STRIMZI
    assert operator.inputs["values"]["watchNamespaces"] == ["shop"]
    crds = three.named("strimzi-crds")
    assert crds.type == "kubernetes:yaml/v2:ConfigFile"
    assert crds.inputs["file"].endswith(f"/{versions.STRIMZI}/strimzi-crds-{versions.STRIMZI}.yaml")
    assert crds.urn in operator.dependencies


def test_custom_resources_wait_for_the_operator(three: ResourceGraph) -> None:
    operator = three.named("strimzi-kafka-operator")
    for type_ in ("Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser"):
        found = three.of_type(f"kubernetes:kafka.strimzi.io/v1:{type_}")
        assert found
        assert all(depends_on(three, r, operator) for r in found), type_


def test_topics_and_users_go_before_the_kafka_cluster_on_destroy(three: ResourceGraph) -> None:
    """Their finalizers need the Topic/User Operators, which the Kafka resource runs."""
    kafka = three.named("kafka")
    pools = three.of_type("kubernetes:kafka.strimzi.io/v1:KafkaNodePool")
    for type_ in ("KafkaTopic", "KafkaUser"):
        for resource in three.of_type(f"kubernetes:kafka.strimzi.io/v1:{type_}"):
            assert kafka.urn in resource.dependencies, resource.name
            assert {p.urn for p in pools} <= set(resource.dependencies)


def test_crds_wait_for_the_cluster_to_be_ready() -> None:
    def body() -> None:
        foundation = fake_foundation("local")
        ready = pulumi.CustomResource("test:index:Ready", "node-groups")
        EventBus("eventbus", EventBusArgs(namespace="shop", config=KafkaSettings(), topics=[],
                                          clients=[], depends_on=[ready]),
                 pulumi.ResourceOptions(providers=[foundation.provider]))

    graph = plan(body)
    assert graph.named("node-groups").urn in graph.named("strimzi-crds").dependencies


def test_broker_volumes_go_with_the_pools_and_brokers_spread_over_zones_off_spot(
    three: ResourceGraph,
) -> None:
    pools = {p.inputs["metadata"]["name"]: p.inputs["spec"] for p in
             three.of_type("kubernetes:kafka.strimzi.io/v1:KafkaNodePool")}
    for role, spec in pools.items():
        assert spec["storage"]["volumes"][0]["deleteClaim"] is True, role
        pod = spec["template"]["pod"]
        (term,) = pod["affinity"]["nodeAffinity"][
            "requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
        assert term["matchExpressions"] == [
            {"key": "marketplace-kit/capacity", "operator": "NotIn", "values": ["spot"]}
        ]
        (spread,) = pod["topologySpreadConstraints"]
        assert spread["topologyKey"] == "topology.kubernetes.io/zone"
        assert spread["labelSelector"]["matchLabels"]["strimzi.io/pool-name"] == role
    assert three.named("kafka-encrypted-gp3").inputs["reclaimPolicy"] == "Delete"
    rack = three.named("kafka").inputs["spec"]["kafka"]["rack"]
    assert rack == {"topologyKey": "topology.kubernetes.io/zone"}
    local = _graph(1, encrypted=False, zone_aware=False)
    assert "rack" not in local.named("kafka").inputs["spec"]["kafka"]
    broker = local.named("kafka-pool-broker").inputs["spec"]["template"]["pod"]
    assert "topologySpreadConstraints" not in broker and "affinity" in broker


def test_kafka_is_kraft_with_node_pools(three: ResourceGraph) -> None:
    kafka = three.named("kafka").inputs
    assert kafka["metadata"]["annotations"] == {
        "strimzi.io/node-pools": "enabled", "strimzi.io/kraft": "enabled"
    }
    spec = kafka["spec"]
    assert spec["kafka"]["version"] == versions.KAFKA
    assert versions.KAFKA in versions.STRIMZI_KAFKA_VERSIONS
    (listener,) = spec["kafka"]["listeners"]
    assert listener["tls"] is True and listener["authentication"] == {"type": "scram-sha-512"}
    assert spec["kafka"]["authorization"] == {"type": "simple"}
    assert spec["kafka"]["config"]["min.insync.replicas"] == 2
    assert set(spec["entityOperator"]) >= {"topicOperator", "userOperator"}
    assert "zookeeper" not in spec and "replicas" not in spec["kafka"]
    pools = {p.inputs["metadata"]["name"]: p.inputs["spec"] for p in
             three.of_type("kubernetes:kafka.strimzi.io/v1:KafkaNodePool")}
    assert pools["controller"]["roles"] == ["controller"] and pools["controller"]["replicas"] == 3
    assert pools["broker"]["roles"] == ["broker"] and pools["broker"]["replicas"] == 3
    volume = pools["broker"]["storage"]["volumes"][0]
    assert volume["type"] == "persistent-claim" and volume["class"] == "kafka-encrypted-gp3"
    storage_class = three.named("kafka-encrypted-gp3").inputs
    assert storage_class["parameters"] == {"type": "gp3", "encrypted": "true"}


def test_topics_once_with_seed_defaults(three: ResourceGraph) -> None:
    topics = three.of_type("kubernetes:kafka.strimzi.io/v1:KafkaTopic")
    assert sorted(t.inputs["metadata"]["name"] for t in topics) == [
        "order-events", "order-events.dlq", "payment-events", "payment-events.dlq"]
    spec = topics[0].inputs["spec"]
    assert spec["partitions"] == 3 and spec["replicas"] == 3
    assert spec["config"] == {"retention.ms": 7 * 24 * 3_600_000, "min.insync.replicas": 2}
    assert topics[0].inputs["metadata"]["labels"]["strimzi.io/cluster"] == "events"


def test_one_broker_scales_down_consistently() -> None:
    graph = _graph(1, encrypted=False)
    (topic, *_) = graph.of_type("kubernetes:kafka.strimzi.io/v1:KafkaTopic")
    assert topic.inputs["spec"]["replicas"] == 1
    assert topic.inputs["spec"]["config"]["min.insync.replicas"] == 1
    config = graph.named("kafka").inputs["spec"]["kafka"]["config"]
    assert config["default.replication.factor"] == 1 and config["min.insync.replicas"] == 1
    assert config["offsets.topic.replication.factor"] == 1
    pools = graph.of_type("kubernetes:kafka.strimzi.io/v1:KafkaNodePool")
    assert {p.inputs["spec"]["replicas"] for p in pools} == {1}
    assert not graph.of_type("kubernetes:storage.k8s.io/v1:StorageClass")
    validate_all(graph)


def _rules(graph: ResourceGraph, user: str) -> set[tuple[str, str, str]]:
    spec = graph.named(f"kafka-user-{user}").inputs["spec"]
    assert spec["authentication"] == {"type": "scram-sha-512"}
    return {
        (rule["resource"]["type"], rule["resource"]["name"], op)
        for rule in spec["authorization"]["acls"]
        for op in rule["operations"]
    }


def test_acls_are_exactly_what_each_service_needs(three: ResourceGraph) -> None:
    assert _rules(three, "order") == {
        ("topic", "order-events", "Write"), ("topic", "order-events", "Describe"),
        ("topic", "payment-events", "Read"), ("topic", "payment-events", "Describe"),
        ("group", "order", "Read"),
        # failures it cannot process are parked on the consumed topic's dead-letter topic
        ("topic", "payment-events.dlq", "Write"), ("topic", "payment-events.dlq", "Describe"),
    }
    assert _rules(three, "audit") == {
        ("topic", "order-events", "Read"), ("topic", "order-events", "Describe"),
        ("topic", "payment-events", "Read"), ("topic", "payment-events", "Describe"),
        ("group", "audit", "Read"),
        ("topic", "order-events.dlq", "Write"), ("topic", "order-events.dlq", "Describe"),
        ("topic", "payment-events.dlq", "Write"), ("topic", "payment-events.dlq", "Describe"),
    }
    # A pure publisher gets no group and no read.
    assert _rules(three, "outbox") == {("topic", "order-events", "Write"),
                                       ("topic", "order-events", "Describe")}
    assert all(r["resource"]["patternType"] == "literal" for r in acls(CLIENTS[0]))


def test_every_object_validates(three: ResourceGraph) -> None:
    # Kafka, pools, 2 topics + their 2 dead-letter topics, users, class, metrics ConfigMap,
    # PodMonitors (brokers + exporter, operator)
    assert validate_all(three) == 1 + 2 + 4 + 4 + 1 + 1 + 2


def test_each_consumed_topic_has_a_dead_letter_topic(three: ResourceGraph) -> None:
    topics = {r.inputs["metadata"]["name"] for r in three.of_type(
        "kubernetes:kafka.strimzi.io/v1:KafkaTopic")}
    assert topics == {"order-events", "payment-events", "order-events.dlq", "payment-events.dlq"}


def test_models_reject_v1beta2_shapes() -> None:
    with pytest.raises(ValueError):
        strimzi_models.validate({
            "apiVersion": "kafka.strimzi.io/v1beta2", "kind": "KafkaTopic",
            "metadata": {"name": "t"}, "spec": {"partitions": 1, "replicas": 1},
        })
    with pytest.raises(ValueError):  # zookeeper and spec.kafka.replicas are gone in v1
        strimzi_models.validate({
            "apiVersion": "kafka.strimzi.io/v1", "kind": "Kafka", "metadata": {"name": "k"},
            "spec": {"kafka": {"version": versions.KAFKA, "replicas": 3, "listeners": [
                {"name": "tls", "port": 9093, "type": "internal", "tls": True}]},
                "zookeeper": {"replicas": 3}},
        })
    with pytest.raises(ValueError):  # a Kafka version the pinned Strimzi does not support
        strimzi_models.validate({
            "apiVersion": "kafka.strimzi.io/v1", "kind": "Kafka", "metadata": {"name": "k"},
            "spec": {"kafka": {"version": "3.9.0", "listeners": [
                {"name": "tls", "port": 9093, "type": "internal", "tls": True}]}},
        })


def test_broker_metrics_and_kafka_exporter_are_scraped(three: ResourceGraph) -> None:
    kafka = three.named("kafka")
    spec = kafka.inputs["spec"]
    config = three.named("kafka-metrics")
    ref = spec["kafka"]["metricsConfig"]["valueFrom"]["configMapKeyRef"]
    assert ref == {"name": config.inputs["metadata"]["name"], "key": kafka_metrics.CONFIG_KEY}
    assert config.urn in kafka.dependencies
    jmx = yaml.safe_load(config.inputs["data"][kafka_metrics.CONFIG_KEY])
    assert {r["name"] for r in jmx["rules"]} == kafka_metrics.exported_names()
    assert all("$" not in r["name"] for r in jmx["rules"])  # every exported name is literal
    assert spec["kafkaExporter"]["groupRegex"] == ".*"
    monitors = {r.name: r for r in three.of_type(
        "kubernetes:monitoring.coreos.com/v1:PodMonitor")}
    brokers = monitors["pod-monitor-kafka-resources"].inputs
    assert brokers["spec"]["selector"] == {"matchLabels": {"strimzi.io/kind": "Kafka"}}
    assert brokers["spec"]["podMetricsEndpoints"][0]["port"] == "tcp-prometheus"
    operator = monitors["pod-monitor-strimzi-cluster-operator"].inputs
    assert operator["metadata"]["namespace"] == "strimzi"


def test_every_pod_strimzi_makes_from_the_kafka_resource_requests_resources(
    three: ResourceGraph,
) -> None:
    """Brokers, controllers, the entity operator's two containers and the Kafka Exporter: none
    BestEffort (issue 32), and the fit check counts each of them."""
    from marketplace_kit.fit.pods import _strimzi_pods

    (kafka,) = [r for r in three if r.type.endswith(":Kafka")]
    spec = kafka.inputs["spec"]
    for part in (spec["entityOperator"]["topicOperator"], spec["entityOperator"]["userOperator"],
                 spec["kafkaExporter"]):
        assert part["resources"]["requests"]["cpu"] and part["resources"]["requests"]["memory"]
    pods = {pod.name: pod for pod in _strimzi_pods(three)}
    assert "kafka-exporter" in pods and "kafka-entity-operator" in pods
    assert all(pod.cpu_m > 0 and pod.memory_mib > 0 for pod in pods.values()), pods

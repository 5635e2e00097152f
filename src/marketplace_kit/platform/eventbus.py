"""EventBus: Strimzi (operator + CRDs), a KRaft Kafka with node pools, topics, users with ACLs.

Teardown: topics and users depend on the Kafka resource, so ``destroy`` deletes them first, while
the Topic and User Operators (run by the Kafka resource's entity operator) still remove their
finalizers. Volumes: ``deleteClaim: true`` and a ``Delete`` reclaim policy, so deleting the node
pools deletes the brokers' claims and EBS volumes (nothing keeps billing after a destroy).

CRD ownership: Helm installs a chart's ``crds/`` only on first install and never upgrades them,
so the operator release skips them and the EventBus applies the CRD file of the pinned Strimzi
release itself (``versions.strimzi_crds_url``; from GitHub, or from ``strimzi_crds_mirror``):
moving the pin upgrades the CRDs with it, before the operator's chart, which depends on them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml

from marketplace_kit.core.addon import AddOn
from marketplace_kit.core.events import dead_letter_topic
from marketplace_kit.monitoring import kafka_metrics
from marketplace_kit.platform import namespaces, versions, workload_names
from marketplace_kit.platform.eventbus_state import EVENT_BUS_TYPE, STRIMZI_CRDS_OUTPUT
from marketplace_kit.platform.helm import chart_release, present
from marketplace_kit.platform.meta import CAPACITY_LABEL, NO_SIDECAR, ZONE_LABEL, metadata

ADDON = AddOn(
    name="eventbus", component="EventBus",
    exports=("EventBus", "EventBusArgs", "KafkaClient", "KafkaSettings"),
    group="event bus", section="eventbus",
    notes="Strimzi Kafka: brokers, storage, default partitions, retention",
    needs=("provider", "ready"), provides=("users", "bootstrap_servers", "ca_secret"),
    after=("mesh",),
)

LISTENER = "tls"
LISTENER_PORT = 9093


@dataclass(frozen=True)
class KafkaClient:
    """A service's use of the bus: the topics it writes and the topics it reads.

    Attributes:
        name: Service name (its KafkaUser and consumer group).
        publishes: Topics it writes.
        consumes: Topics it reads (it also writes their dead-letter topics).
    """

    name: str
    publishes: tuple[str, ...] = ()
    consumes: tuple[str, ...] = ()

    @property
    def dead_letter_topics(self) -> tuple[str, ...]:
        """Where this client parks what it cannot process: one per consumed topic."""
        return tuple(dead_letter_topic(t) for t in self.consumes)


@dataclass(frozen=True)
class KafkaSettings:
    """Size and defaults of the Kafka cluster.

    Attributes:
        brokers: Broker nodes (1 to 9); 3 or more also get 3 KRaft controllers.
        broker_storage_gib: Persistent volume size of each broker.
        partitions: Partitions of each topic.
        retention_hours: How long a topic keeps its messages.
    """

    brokers: int = 3
    broker_storage_gib: int = 100
    partitions: int = 3
    retention_hours: int = 168

    @property
    def replicas(self) -> int:
        """Topic replication factor: 3, or fewer when there are fewer brokers."""
        return min(3, self.brokers)

    @property
    def min_insync_replicas(self) -> int:
        """2 when topics have 3 replicas, otherwise 1."""
        return 2 if self.replicas >= 3 else 1


@dataclass
class EventBusArgs:
    """Options of the event bus.

    Attributes:
        namespace: Namespace of Kafka, its topics and users (user Secrets land here, next to
            pods).
        config: Brokers, storage, partitions and retention.
        topics: Event streams to create.
        clients: Services and their topics (a KafkaUser with ACLs each).
        cluster_name: Name of the Kafka resource.
        operator_namespace: Namespace of the Strimzi operator.
        encrypted_ebs: aws: an encrypted gp3 StorageClass for the brokers' volumes.
        storage_class: An existing StorageClass instead; None: the cluster default.
        zone_aware: aws: brokers spread over the zones and told their zone (rack), so a
            topic's replicas land in different AZs.
        operator_values: Helm values merged over the operator defaults.
        depends_on: What must exist first (the namespace, the cluster's ``ready``).
        monitoring_depends_on: The PodMonitor CRD (``Observability.monitoring_ready``): the
            brokers, the Kafka Exporter and the operator are scraped through PodMonitors.
        charts: Install the Strimzi operator's chart and CRDs; False: they are installed
            separately (nothing downloaded; the Kafka resources depend on nothing for them),
            the CRDs too unless ``strimzi_crds_mirror`` is set.
        kafka_version: Kafka's ``spec.kafka.version`` (one the operator runs).
        kafka_metadata_version: Kafka's ``spec.kafka.metadataVersion``; None: unset (Strimzi
            moves it to the version's default once every broker runs it).
        strimzi_crds: The Strimzi release whose CRD file is applied.
        strimzi_crds_mirror: Where that file is read: a local folder or a URL holding Strimzi's
            release CRD files under their release names (``strimzi-crds-<release>.yaml``); the
            CRDs are then applied even without ``charts`` (nothing downloaded), before the
            Kafka resources. None: the release asset on GitHub.
    """

    namespace: str
    config: KafkaSettings
    topics: list[str]
    clients: list[KafkaClient]
    cluster_name: str = workload_names.KAFKA_CLUSTER
    operator_namespace: str = namespaces.STRIMZI
    encrypted_ebs: bool = False  # aws: an encrypted gp3 StorageClass for the brokers' volumes
    storage_class: str | None = None
    zone_aware: bool = False
    operator_values: dict[str, Any] = field(default_factory=dict)
    depends_on: list[pulumi.Resource] = field(default_factory=list)
    monitoring_depends_on: list[pulumi.Resource] = field(default_factory=list)
    charts: bool = True
    kafka_version: str = versions.KAFKA
    kafka_metadata_version: str | None = None
    strimzi_crds: str = versions.STRIMZI
    strimzi_crds_mirror: str | None = None


class EventBus(pulumi.ComponentResource):
    """Kafka for the platform's event streams, each service with exactly the ACLs it needs."""

    def __init__(
        self, name: str, args: EventBusArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(EVENT_BUS_TYPE, name, None, opts)
        # Without charts the operator and its CRDs (a download too) are installed separately,
        # the CRDs unless read from a mirror.
        self.crds = k8s.yaml.v2.ConfigFile(
            "strimzi-crds",
            file=versions.strimzi_crds_url(args.strimzi_crds, args.strimzi_crds_mirror),
            # The first Kubernetes call of the platform: it waits for the cluster to be ready.
            opts=pulumi.ResourceOptions(parent=self, depends_on=args.depends_on),
        ) if args.charts or args.strimzi_crds_mirror is not None else None
        self.operator = chart_release(
            args.charts, "strimzi-kafka-operator", versions.STRIMZI_OPERATOR,
            namespace=args.operator_namespace, parent=self, skip_crds=True,
            defaults={"watchNamespaces": [args.namespace], "replicas": 1},
            values=args.operator_values,
            depends_on=present([self.crds, *args.depends_on]),
        )
        storage_class = args.storage_class
        self.storage_class: k8s.storage.v1.StorageClass | None = None
        if args.encrypted_ebs:
            self.storage_class = encrypted_gp3("kafka-encrypted-gp3", self)
            storage_class = "kafka-encrypted-gp3"
        # after the operator (itself after its CRDs and the namespace); without charts, after
        # the namespace (and the CRDs when they are applied)
        operator = ([self.operator] if self.operator is not None
                    else [*present([self.crds]), *args.depends_on])
        after_operator = [*operator, *present([self.storage_class])]
        cr_opts = pulumi.ResourceOptions(parent=self, depends_on=after_operator)
        cfg = args.config
        cluster, ns = args.cluster_name, args.namespace
        self.cluster_name = cluster
        self.metrics_config = k8s.core.v1.ConfigMap(
            "kafka-metrics",
            metadata=metadata(metrics_config_name(cluster), ns, "event-bus"),
            data={kafka_metrics.CONFIG_KEY: yaml.safe_dump(kafka_metrics.jmx_exporter_config(),
                                                            sort_keys=False)},
            opts=pulumi.ResourceOptions(parent=self, depends_on=args.depends_on),
        )
        self.kafka = k8s.apiextensions.CustomResource(
            "kafka",
            api_version=versions.STRIMZI_API,
            kind="Kafka",
            metadata=metadata(
                cluster, ns, "event-bus",
                annotations={"strimzi.io/node-pools": "enabled", "strimzi.io/kraft": "enabled"},
            ),
            spec=kafka_spec(cfg, metrics_config_name(cluster), args.zone_aware,
                            args.kafka_version, args.kafka_metadata_version),
            opts=pulumi.ResourceOptions(parent=self,
                                        depends_on=[*after_operator, self.metrics_config]),
        )
        self.node_pools = [
            k8s.apiextensions.CustomResource(
                f"kafka-pool-{role}",
                api_version=versions.STRIMZI_API,
                kind="KafkaNodePool",
                metadata=metadata(role, ns, "event-bus",
                                  extra_labels={"strimzi.io/cluster": cluster}),
                spec=node_pool_spec(role, replicas, cfg.broker_storage_gib, storage_class,
                                    cluster=cluster, zone_aware=args.zone_aware),
                opts=cr_opts,
            )
            for role, replicas in (("controller", controller_replicas(cfg)),
                                   ("broker", cfg.brokers))
        ]
        # Topics and users are deleted before the cluster whose operators finalize them.
        after_kafka = pulumi.ResourceOptions(
            parent=self, depends_on=[*after_operator, self.kafka, *self.node_pools]
        )
        self.topics = {
            topic: topic_resource(topic, ns, cluster, topic_spec(cfg), after_kafka)
            for topic in sorted({*args.topics, *dead_letters(args.clients)})
        }
        self.users = {
            client.name: user_resource(client, ns, cluster, after_kafka)
            for client in args.clients
        }
        monitor_opts = pulumi.ResourceOptions(
            parent=self, depends_on=[*operator, *args.monitoring_depends_on])
        self.pod_monitors = [
            k8s.apiextensions.CustomResource(
                f"pod-monitor-{name}",
                api_version=versions.PROMETHEUS_OPERATOR_API,
                kind="PodMonitor",
                metadata=metadata(name, namespace, "event-bus"),
                spec=monitor_spec,
                opts=monitor_opts,
            )
            for name, namespace, monitor_spec in pod_monitors(ns, args.operator_namespace)
        ]
        self.cluster_name = cluster  # its pods carry strimzi.io/cluster=<cluster>
        self.bootstrap_servers = f"{cluster}-kafka-bootstrap.{ns}.svc:{LISTENER_PORT}"
        self.ca_secret = f"{cluster}-cluster-ca-cert"  # Strimzi's cluster CA (key ca.crt)
        # the Strimzi release of the CRDs applied: the real engine records no inputs of the
        # ConfigFile (a provider-side component), so ``upgrade`` reads the release here
        self.register_outputs(
            {"bootstrap_servers": self.bootstrap_servers, "kafka_version": args.kafka_version,
             **({STRIMZI_CRDS_OUTPUT: args.strimzi_crds} if self.crds is not None else {})}
        )


def topic_resource(
    topic: str, namespace: str, cluster: str, spec: dict[str, Any], opts: pulumi.ResourceOptions
) -> k8s.apiextensions.CustomResource:
    """One event stream (a ``KafkaTopic`` the topic operator reconciles)."""
    return k8s.apiextensions.CustomResource(
        f"topic-{topic}",
        api_version=versions.STRIMZI_API,
        kind="KafkaTopic",
        metadata=metadata(topic, namespace, "event-stream",
                          extra_labels={"strimzi.io/cluster": cluster}),
        spec=spec,
        opts=opts,
    )


def user_resource(
    client: KafkaClient, namespace: str, cluster: str, opts: pulumi.ResourceOptions
) -> k8s.apiextensions.CustomResource:
    """One service's ``KafkaUser`` (SCRAM-SHA-512, exactly its ACLs)."""
    return k8s.apiextensions.CustomResource(
        f"kafka-user-{client.name}",
        api_version=versions.STRIMZI_API,
        kind="KafkaUser",
        metadata=metadata(client.name, namespace, "event-client",
                          extra_labels={"strimzi.io/cluster": cluster}),
        spec=user_spec(client),
        opts=opts,
    )


def controller_replicas(cfg: KafkaSettings) -> int:
    """A KRaft quorum of 3 when there are 3 or more brokers, else a single controller."""
    return 3 if cfg.brokers >= 3 else 1


# Requests of the Kafka pods (Strimzi sets none: without them the pods are BestEffort, the
# first evicted). A broker: 1 GiB of heap by Strimzi's default sizing plus the page cache.
BROKER_REQUESTS = {"cpu": "250m", "memory": "1Gi"}
CONTROLLER_REQUESTS = {"cpu": "100m", "memory": "512Mi"}
ENTITY_OPERATOR_REQUESTS = {"cpu": "25m", "memory": "256Mi"}  # each of topic and user operator
EXPORTER_REQUESTS = {"cpu": "10m", "memory": "64Mi"}  # Kafka Exporter (lag metrics)


def metrics_config_name(cluster: str) -> str:
    """The ConfigMap with the brokers' JMX Exporter configuration."""
    return f"{cluster}-kafka-metrics"


def kafka_spec(cfg: KafkaSettings, metrics_config: str, zone_aware: bool = False,
               version: str = versions.KAFKA, metadata_version: str | None = None
               ) -> dict[str, Any]:
    """The Kafka cluster: one TLS listener with SCRAM-SHA-512, simple authorization; broker
    metrics through the JMX Exporter (``metrics_config`` ConfigMap) and the Kafka Exporter
    (topic offsets, consumer-group lag) for every topic and group.

    ``zone_aware``: each broker's rack is its node's zone, so replicas go to different AZs.
    ``version``/``metadata_version``: Kafka's (the metadata version None: left unset).
    """
    replicas, min_isr = cfg.replicas, cfg.min_insync_replicas
    rack = {"rack": {"topologyKey": ZONE_LABEL}} if zone_aware else {}
    return {
        "kafka": {
            **rack,
            "version": version,
            **({"metadataVersion": metadata_version} if metadata_version else {}),
            "listeners": [
                {
                    "name": LISTENER,
                    "port": LISTENER_PORT,
                    "type": "internal",
                    "tls": True,
                    "authentication": {"type": "scram-sha-512"},
                }
            ],
            "authorization": {"type": "simple"},
            "config": {
                "offsets.topic.replication.factor": replicas,
                "transaction.state.log.replication.factor": replicas,
                "transaction.state.log.min.isr": min_isr,
                "default.replication.factor": replicas,
                "min.insync.replicas": min_isr,
                "auto.create.topics.enable": False,
            },
            "metricsConfig": {
                "type": "jmxPrometheusExporter",
                "valueFrom": {"configMapKeyRef": {"name": metrics_config,
                                                  "key": kafka_metrics.CONFIG_KEY}},
            },
        },
        "kafkaExporter": {
            "topicRegex": ".*",
            "groupRegex": ".*",
            "resources": {"requests": dict(EXPORTER_REQUESTS)},
            "template": {"pod": {"metadata": {"labels": dict(NO_SIDECAR)}}},
        },
        "entityOperator": {
            "topicOperator": {"resources": {"requests": dict(ENTITY_OPERATOR_REQUESTS)}},
            "userOperator": {"resources": {"requests": dict(ENTITY_OPERATOR_REQUESTS)}},
            "template": {"pod": {"metadata": {"labels": dict(NO_SIDECAR)}}},
        },
    }


def pod_monitors(
    namespace: str, operator_namespace: str
) -> list[tuple[str, str, dict[str, Any]]]:
    """(name, namespace, spec) of the PodMonitors: the brokers, controllers and Kafka Exporter
    (Strimzi labels them ``strimzi.io/kind: Kafka``; metrics on ``tcp-prometheus``) and the
    cluster operator (reconciliations, certificate expiry; port ``http``)."""
    return [
        (workload_names.KAFKA_POD_MONITOR, namespace, {
            "selector": {"matchLabels": {"strimzi.io/kind": "Kafka"}},
            "podMetricsEndpoints": [{"port": kafka_metrics.METRICS_PORT_NAME, "path": "/metrics",
                                     "interval": "30s"}],
        }),
        ("strimzi-cluster-operator", operator_namespace, {
            "selector": {"matchLabels": {"strimzi.io/kind": "cluster-operator"}},
            "podMetricsEndpoints": [{"port": "http", "path": "/metrics", "interval": "30s"}],
        }),
    ]


def node_pool_spec(
    role: str,
    replicas: int,
    size_gib: int,
    storage_class: str | None,
    *,
    cluster: str = workload_names.KAFKA_CLUSTER,
    zone_aware: bool = False,
) -> dict[str, Any]:
    """A node pool of one role: a claim deleted with the pool, pods off spot nodes.

    ``zone_aware``: the pool's pods spread evenly over the zones (at most one more per zone).
    """
    volume: dict[str, Any] = {
        "id": 0,
        "type": "persistent-claim",
        "size": f"{size_gib if role == 'broker' else 10}Gi",
        "deleteClaim": True,
        "kraftMetadata": "shared",
    }
    if storage_class:
        volume["class"] = storage_class
    off_spot = {"matchExpressions": [
        {"key": CAPACITY_LABEL, "operator": "NotIn", "values": ["spot"]}
    ]}
    pod: dict[str, Any] = {
        "metadata": {"labels": dict(NO_SIDECAR)},
        "affinity": {"nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [off_spot]}
        }},
    }
    if zone_aware:
        pod["topologySpreadConstraints"] = [{
            "maxSkew": 1,
            "topologyKey": ZONE_LABEL,
            "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": {"matchLabels": {
                "strimzi.io/cluster": cluster, "strimzi.io/pool-name": role,
            }},
        }]
    return {
        "replicas": replicas,
        "roles": [role],
        "storage": {"type": "jbod", "volumes": [volume]},
        "resources": {"requests": dict(BROKER_REQUESTS if role == "broker"
                                       else CONTROLLER_REQUESTS)},
        "template": {"pod": pod},
    }


def topic_spec(cfg: KafkaSettings) -> dict[str, Any]:
    """Partitions, replicas, retention and min.insync.replicas of one event stream."""
    return {
        "partitions": cfg.partitions,
        "replicas": cfg.replicas,
        "config": {
            "retention.ms": cfg.retention_hours * 3_600_000,
            "min.insync.replicas": cfg.min_insync_replicas,
        },
    }


def dead_letters(clients: list[KafkaClient]) -> set[str]:
    """The dead-letter topics the clients need."""
    return {t for client in clients for t in client.dead_letter_topics}


def acls(client: KafkaClient) -> list[dict[str, Any]]:
    """Write+Describe on published topics; Read+Describe on consumed ones, Read on the
    consumer group named after the service and Write+Describe on the consumed topics'
    dead-letter topics. Nothing else."""
    def topic(name: str, operations: list[str]) -> dict[str, Any]:
        return {
            "resource": {"type": "topic", "name": name, "patternType": "literal"},
            "operations": operations,
        }

    writes = (*client.publishes, *client.dead_letter_topics)
    rules = [topic(t, ["Write", "Describe"]) for t in writes]
    rules += [topic(t, ["Read", "Describe"]) for t in client.consumes]
    if client.consumes:
        rules.append(
            {
                "resource": {"type": "group", "name": client.name, "patternType": "literal"},
                "operations": ["Read"],
            }
        )
    return rules


def user_spec(client: KafkaClient) -> dict[str, Any]:
    """A SCRAM-SHA-512 user (password in a Secret named after the user) with its ACLs."""
    return {
        "authentication": {"type": "scram-sha-512"},
        "authorization": {"type": "simple", "acls": acls(client)},
    }


def encrypted_gp3(name: str, parent: pulumi.Resource) -> k8s.storage.v1.StorageClass:
    """An EBS gp3 StorageClass with encryption at rest (EBS CSI driver), volumes deleted with
    their claims (``deleteClaim: true`` on the pools: a destroy leaves no volume billing)."""
    return k8s.storage.v1.StorageClass(
        name,
        metadata=metadata(name, None, "storage"),
        provisioner="ebs.csi.aws.com",
        parameters={"type": "gp3", "encrypted": "true"},
        reclaim_policy="Delete",
        volume_binding_mode="WaitForFirstConsumer",
        allow_volume_expansion=True,
        opts=pulumi.ResourceOptions(parent=parent),
    )

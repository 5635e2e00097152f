"""MarketplaceService: one service of the marketplace from its Workload description.

Owns its Deployment, Service, HPA, PDB, ServiceAccount (IRSA role on aws), ServiceMonitor and
Grafana dashboard. Its route lives in the ApiGateway, its topics and Kafka user in the EventBus
(topics are shared between services; ACLs sit next to the bus), its database in Datastores.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_kubernetes as k8s

from marketplace_kit.core.addon import AddOn
from marketplace_kit.core.foundation import Foundation
from marketplace_kit.platform import iam, versions
from marketplace_kit.platform.meta import labels, metadata
from marketplace_kit.platform.tokens import TokenAccess, token_env, token_volume

ADDON = AddOn(
    name="service", component="MarketplaceService",
    exports=("MarketplaceService", "MarketplaceServiceArgs", "KafkaAccess", "Workload",
             "Scaling", "Requests"),
    group="services",
    layer="workload", needs=("target", "oidc_provider_arn", "oidc_issuer_url"),
    after=("mesh", "eventbus", "datastores", "observability"),
)

METRICS_PORT = 15020  # Istio's merged metrics (app + sidecar) endpoint, plain HTTP


@dataclass(frozen=True)
class KafkaAccess:
    """How the service reaches the bus: bootstrap, its user's Secret and the cluster CA.

    Attributes:
        bootstrap_servers: Kafka bootstrap address (TLS listener).
        user_secret: Secret of the service's KafkaUser (client certificate).
        ca_secret: Secret of the cluster CA (key ``ca.crt``).
    """

    bootstrap_servers: str
    user_secret: str
    ca_secret: str


@dataclass(frozen=True)
class Scaling:
    """Horizontal autoscaling of a service.

    Attributes:
        min: Fewest replicas (2 or more also gets ``minAvailable: 1`` in its PDB).
        max: Most replicas.
        cpu_target: Average CPU utilisation (percent of requests) the HPA aims at.
    """

    min: int = 2
    max: int = 10
    cpu_target: int = 70


@dataclass(frozen=True)
class Requests:
    """Container resources of a service.

    Attributes:
        cpu: CPU request (what the scheduler reserves).
        memory: Memory request.
        cpu_limit: CPU limit.
        memory_limit: Memory limit (the container is killed above it).
    """

    cpu: str = "100m"
    memory: str = "256Mi"
    cpu_limit: str = "500m"
    memory_limit: str = "512Mi"


@dataclass(frozen=True)
class Workload:
    """What the platform runs for one service (``service.yaml`` maps onto it).

    Attributes:
        name: Service name: Deployment, Service, ServiceAccount, Kafka user and consumer group.
        version: Image tag when ``image`` is empty, and the ``app.kubernetes.io/version`` label.
        port: HTTP port of the container (probes and the Service).
        datastore: Store it reads its connection Secret for (``none``: no database env).
        publishes: Topics it writes (its Kafka user gets Write on them).
        consumes: Topics it reads (and their dead-letter topics it writes).
        replicas: HPA bounds and CPU target.
        resources: Container requests and limits.
        image: Full image reference; empty means ``<image_registry>/<name>:<version>``.
    """

    name: str
    version: str = "0.1.0"
    port: int = 8000
    datastore: Literal["postgres", "documentdb", "none"] = "postgres"
    publishes: tuple[str, ...] | list[str] = ()
    consumes: tuple[str, ...] | list[str] = ()
    replicas: Scaling = Scaling()
    resources: Requests = Requests()
    image: str = ""


@dataclass
class MarketplaceServiceArgs:
    """Everything one service needs from the platform.

    Attributes:
        spec: The service: name, version, port, topics, scaling, resources.
        namespace: Workload namespace (sidecar injection on).
        foundation: The cluster below (IRSA role on aws).
        image_registry: Registry of ``<name>:<version>`` when the spec has no image.
        db_secret: Secret with its database URL or host; None: no database.
        kafka: How it reaches the bus; None: no Kafka env.
        otlp_host: OTLP collector host; None: no tracing env.
        tokens: The issuer's signing-key Secret, or the JWKS URL to verify tokens with;
            None: no AUTH_* env (auth off).
        depends_on: Pods need istiod's injector and their Secrets (DB bootstrap, Kafka user)
            first.
        monitoring_depends_on: The ServiceMonitor CRD (``Observability.monitoring_ready``).
    """

    spec: Workload
    namespace: str
    foundation: Foundation
    image_registry: str = ""
    db_secret: str | None = None
    kafka: KafkaAccess | None = None
    otlp_host: str | None = None
    tokens: TokenAccess | None = None
    depends_on: list[pulumi.Resource] = field(default_factory=list)
    monitoring_depends_on: list[pulumi.Resource] = field(default_factory=list)


def image_of(spec: Workload, registry: str) -> str:
    """The pinned image: ``spec.image``, else ``<registry>/<name>:<version>``."""
    if spec.image:
        return spec.image
    prefix = f"{registry.rstrip('/')}/" if registry else ""
    return f"{prefix}{spec.name}:{spec.version}"


class MarketplaceService(pulumi.ComponentResource):
    """A golden-path service on the platform."""

    def __init__(
        self, name: str, args: MarketplaceServiceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("marketplace-kit:platform:MarketplaceService", name, None, opts)
        spec, ns = args.spec, args.namespace
        meta = metadata(spec.name, ns, "service", version=spec.version)
        child = pulumi.ResourceOptions(parent=self, depends_on=args.depends_on)
        annotations = None
        self.role = None
        f = args.foundation
        if f.oidc_provider_arn is not None and f.oidc_issuer_url is not None:
            self.role, _ = iam.irsa_role(
                f"{spec.name}-role", oidc_provider_arn=f.oidc_provider_arn,
                oidc_issuer_url=f.oidc_issuer_url, namespace=ns, service_account=spec.name,
                policy_arns=[], parent=self,
            )
            annotations = {"eks.amazonaws.com/role-arn": self.role.arn}
        self.service_account = k8s.core.v1.ServiceAccount(
            f"{spec.name}-sa",
            metadata=metadata(spec.name, ns, "service", version=spec.version,
                              annotations=annotations),
            automount_service_account_token=self.role is not None,
            opts=child,
        )
        self.deployment = k8s.apps.v1.Deployment(
            f"{spec.name}-deployment",
            metadata=meta,
            spec=deployment_spec(args, image_of(spec, args.image_registry)),
            opts=pulumi.ResourceOptions(parent=self,
                                        depends_on=[*args.depends_on, self.service_account]),
        )
        self.service = k8s.core.v1.Service(
            f"{spec.name}-service",
            metadata=meta,
            spec={
                "selector": selector(spec),
                "ports": [
                    {"name": "http", "port": spec.port, "targetPort": spec.port},
                    {"name": "http-metrics", "port": METRICS_PORT, "targetPort": METRICS_PORT},
                ],
            },
            opts=child,
        )
        self.hpa = k8s.autoscaling.v2.HorizontalPodAutoscaler(
            f"{spec.name}-hpa",
            metadata=meta,
            spec={
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                                   "name": spec.name},
                "minReplicas": spec.replicas.min,
                "maxReplicas": spec.replicas.max,
                "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                    "type": "Utilization", "averageUtilization": spec.replicas.cpu_target}}}],
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.deployment]),
        )
        # With one replica, minAvailable 1 would block every node drain: allow one down.
        budget = {"minAvailable": 1} if spec.replicas.min >= 2 else {"maxUnavailable": 1}
        self.pdb = k8s.policy.v1.PodDisruptionBudget(
            f"{spec.name}-pdb",
            metadata=meta,
            spec={**budget, "selector": {"matchLabels": selector(spec)}},
            opts=child,
        )
        self.service_monitor = k8s.apiextensions.CustomResource(
            f"{spec.name}-monitor",
            api_version=versions.PROMETHEUS_OPERATOR_API,
            kind="ServiceMonitor",
            metadata=meta,
            spec={
                "selector": {"matchLabels": selector(spec)},
                "endpoints": [{"port": "http-metrics", "path": "/stats/prometheus",
                               "interval": "30s"}],
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*args.depends_on,
                                                                 *args.monitoring_depends_on]),
        )
        self.dashboard = k8s.core.v1.ConfigMap(
            f"{spec.name}-dashboard",
            metadata=metadata(f"{spec.name}-dashboard", ns, "dashboard",
                              extra_labels={"grafana_dashboard": "1"}),
            data={f"{spec.name}.json": json.dumps(dashboard(spec), indent=2, sort_keys=True)},
            opts=child,
        )
        self.register_outputs({"image": image_of(spec, args.image_registry)})


def selector(spec: Workload) -> dict[str, str]:
    """The labels that select the service's pods."""
    return {"app.kubernetes.io/name": spec.name}


def container_env(args: MarketplaceServiceArgs) -> list[dict[str, Any]]:
    """Connection settings from Secrets (DB, Kafka user) and plain values; no literal secrets."""
    spec = args.spec
    env: list[dict[str, Any]] = [
        {"name": "SERVICE_NAME", "value": spec.name},
        {"name": "PORT", "value": str(spec.port)},
    ]
    if args.db_secret:
        key = "url" if spec.datastore == "postgres" else "host"
        env.append({"name": "DATABASE_URL" if key == "url" else "DOCUMENTDB_HOST",
                    "valueFrom": {"secretKeyRef": {"name": args.db_secret, "key": key}}})
    if args.kafka and (spec.publishes or spec.consumes):
        env += [
            {"name": "KAFKA_BOOTSTRAP_SERVERS", "value": args.kafka.bootstrap_servers},
            {"name": "KAFKA_SECURITY_PROTOCOL", "value": "SASL_SSL"},
            {"name": "KAFKA_SASL_MECHANISM", "value": "SCRAM-SHA-512"},
            {"name": "KAFKA_USERNAME", "value": args.kafka.user_secret},
            {"name": "KAFKA_PASSWORD", "valueFrom": {"secretKeyRef": {
                "name": args.kafka.user_secret, "key": "password"}}},
            {"name": "KAFKA_CA_FILE", "value": "/etc/kafka-ca/ca.crt"},
            {"name": "KAFKA_CONSUMER_GROUP", "value": spec.name},
        ]
    if args.tokens is not None:
        env += token_env(args.tokens)
    if args.otlp_host:
        env.append({"name": "OTEL_EXPORTER_OTLP_ENDPOINT",
                    "value": f"http://{args.otlp_host}:4317"})
        env.append({"name": "OTEL_SERVICE_NAME", "value": spec.name})
    return env


def deployment_spec(args: MarketplaceServiceArgs, image: str) -> dict[str, Any]:
    """Probes, resources and the restricted security context; /tmp is the only writable path."""
    spec = args.spec
    mounts: list[dict[str, Any]] = [{"name": "tmp", "mountPath": "/tmp"}]
    volumes: list[dict[str, Any]] = [{"name": "tmp", "emptyDir": {}}]
    if args.kafka and (spec.publishes or spec.consumes):
        mounts.append({"name": "kafka-ca", "mountPath": "/etc/kafka-ca", "readOnly": True})
        volumes.append({"name": "kafka-ca", "secret": {"secretName": args.kafka.ca_secret,
                                                       "items": [{"key": "ca.crt",
                                                                  "path": "ca.crt"}]}})
    if args.tokens is not None:
        key_mounts, key_volumes = token_volume(args.tokens)
        mounts += key_mounts
        volumes += key_volumes
    probe = {"httpGet": {"port": spec.port}, "periodSeconds": 10, "timeoutSeconds": 2}
    r = spec.resources
    return {
        "selector": {"matchLabels": selector(spec)},
        "template": {
            "metadata": {
                "labels": labels(spec.name, "service", spec.version),
                # Istio merges these app metrics into the sidecar's :15020/stats/prometheus.
                "annotations": {"prometheus.io/scrape": "true",
                                "prometheus.io/port": str(spec.port),
                                "prometheus.io/path": "/metrics"},
            },
            "spec": {
                "serviceAccountName": spec.name,
                "securityContext": {"runAsNonRoot": True, "runAsUser": 10001,
                                    "runAsGroup": 10001, "fsGroup": 10001,
                                    "seccompProfile": {"type": "RuntimeDefault"}},
                "containers": [
                    {
                        "name": spec.name,
                        "image": image,
                        "ports": [{"name": "http", "containerPort": spec.port}],
                        "env": container_env(args),
                        "readinessProbe": {**probe, "httpGet": {"path": "/readyz",
                                                                "port": spec.port}},
                        "livenessProbe": {**probe, "httpGet": {"path": "/healthz",
                                                               "port": spec.port},
                                          "initialDelaySeconds": 10},
                        "resources": {
                            "requests": {"cpu": r.cpu, "memory": r.memory},
                            "limits": {"cpu": r.cpu_limit, "memory": r.memory_limit},
                        },
                        "securityContext": {
                            "runAsNonRoot": True,
                            "allowPrivilegeEscalation": False,
                            "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]},
                            "seccompProfile": {"type": "RuntimeDefault"},
                        },
                        "volumeMounts": mounts,
                    }
                ],
                "volumes": volumes,
            },
        },
    }


def dashboard(spec: Workload) -> dict[str, Any]:
    """A Grafana dashboard: request rate, latency p50/p99, error rate, consumer lag."""
    sel = f'destination_workload="{spec.name}", reporter="destination"'
    bucket = f"sum by (le) (rate(istio_request_duration_milliseconds_bucket{{{sel}}}[5m]))"
    panels = [
        ("Request rate (req/s)", f"sum(rate(istio_requests_total{{{sel}}}[5m]))"),
        ("Latency p50 (ms)", f"histogram_quantile(0.5, {bucket})"),
        ("Latency p99 (ms)", f"histogram_quantile(0.99, {bucket})"),
        ("Error rate (5xx share)",
         f'sum(rate(istio_requests_total{{{sel}, response_code=~"5.."}}[5m])) / '
         f"sum(rate(istio_requests_total{{{sel}}}[5m]))"),
        ("Consumer lag (messages)",
         f'sum by (topic) (kafka_consumergroup_lag{{consumergroup="{spec.name}"}})'),
    ]
    return {
        "title": f"{spec.name} service",
        "uid": f"svc-{spec.name}",
        "schemaVersion": 39,
        "tags": ["marketplace", spec.name],
        "panels": [
            {
                "id": i + 1,
                "type": "timeseries",
                "title": title,
                "gridPos": {"h": 8, "w": 12, "x": (i % 2) * 12, "y": (i // 2) * 8},
                "targets": [{"expr": expr, "refId": "A"}],
            }
            for i, (title, expr) in enumerate(panels)
        ],
    }

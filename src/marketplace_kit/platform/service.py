"""MarketplaceService: one service of the marketplace from its Workload description.

Owns its Deployment, Service, HPA, PDB, ServiceAccount (IRSA role on aws), ServiceMonitor,
PrometheusRule (SLO and event-flow alerts) and Grafana dashboard. Its route lives in the
ApiGateway, its topics and Kafka user in the EventBus (topics are shared between services; ACLs
sit next to the bus), its database in Datastores.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pulumi_tls as tls

from marketplace_kit.contract import container as c
from marketplace_kit.core.addon import AddOn
from marketplace_kit.core.foundation import Foundation
from marketplace_kit.monitoring.dashboards import render, service_dashboard
from marketplace_kit.monitoring.rules import ServiceSignals, service_groups
from marketplace_kit.monitoring.slo import Objectives
from marketplace_kit.platform import iam, traffic, versions
from marketplace_kit.platform.mesh_revision import sidecar_annotations
from marketplace_kit.platform.meta import labels, metadata, restricted_container
from marketplace_kit.platform.tokens import TokenAccess, token_env, token_volume
from marketplace_kit.platform.traffic import Peer as Peer  # exported with the service
from marketplace_kit.platform.traffic import Traffic
from marketplace_kit.platform.waits import ENDPOINTS, ROLLOUT, SKIP_AWAIT

ADDON = AddOn(
    name="service", component="MarketplaceService",
    exports=("MarketplaceService", "MarketplaceServiceArgs", "KafkaAccess", "Workload",
             "Scaling", "Requests", "Traffic", "Peer"),
    group="services",
    layer="workload", needs=("target", "oidc_provider_arn", "oidc_issuer_url"),
    after=("mesh", "eventbus", "datastores", "observability"),
)

METRICS_PORT = c.MESH_METRICS_PORT  # Istio's merged metrics (app + sidecar), plain HTTP


@dataclass(frozen=True)
class KafkaAccess:
    """How the service reaches the bus: bootstrap, its user's Secret and the cluster CA.

    Attributes:
        bootstrap_servers: Kafka bootstrap address (TLS listener).
        user_secret: The service's KafkaUser: its SCRAM username and the Secret holding its
            ``password`` (mounted as a file, see ``contract.container``).
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
        slo: Objectives its alerts guard (availability, latency, outbox delay, consumer lag).
        sends: Notification channels besides e-mail: ``sms`` (its IRSA role may
            ``sns:Publish``; the SMS env of ``contract.container``) and ``push`` (a VAPID
            P-256 key in a Secret, mounted as a file).
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
    slo: Objectives = field(default_factory=Objectives)
    sends: tuple[str, ...] | list[str] = ()


@dataclass
class MarketplaceServiceArgs:
    """Everything one service needs from the platform.

    Attributes:
        spec: The service: name, version, port, topics, scaling, resources.
        namespace: Workload namespace (sidecar injection on).
        foundation: The cluster below (IRSA role on aws).
        image_registry: Registry of ``<name>:<version>`` when the spec has no image.
        db_secret: Secret with its database URL (key ``url``, mounted as a file); None: none.
        kafka: How it reaches the bus; None: no Kafka env.
        otlp_host: OTLP collector host; None: no tracing env.
        tokens: The issuer's signing-key Secret, or the JWKS URL to verify tokens with;
            None: no AUTH_* env (auth off).
        traffic: Who may reach it and what it may reach (an Istio AuthorizationPolicy and a
            NetworkPolicy, both deny-by-default); None: neither is created.
        depends_on: Pods need istiod's injector and their Secrets (DB bootstrap, Kafka user)
            first.
        monitoring_depends_on: The ServiceMonitor CRD (``Observability.monitoring_ready``).
        permissions_boundary: ARN of the managed policy bounding its IRSA role (the platform's
            ``service_role_boundary`` when deploy roles may write that role); None: none.
        sidecar_revision: The istiod revision injecting its sidecar (``ServiceMesh
            .injection_revision``, the contract's ``sidecar_revision``), on its pod template: a
            move to another revision rolls its pods onto that revision's sidecar. None: none.
    """

    spec: Workload
    namespace: str
    foundation: Foundation
    image_registry: str = ""
    db_secret: str | None = None
    kafka: KafkaAccess | None = None
    otlp_host: str | None = None
    tokens: TokenAccess | None = None
    traffic: Traffic | None = None
    depends_on: list[pulumi.Resource] = field(default_factory=list)
    monitoring_depends_on: list[pulumi.Resource] = field(default_factory=list)
    permissions_boundary: pulumi.Input[str] | None = None
    sidecar_revision: str | None = None


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
        self.sms_policy: aws.iam.RolePolicy | None = None
        f = args.foundation
        if f.oidc_provider_arn is not None and f.oidc_issuer_url is not None:
            self.role, _ = iam.irsa_role(
                f"{spec.name}-role", oidc_provider_arn=f.oidc_provider_arn,
                oidc_issuer_url=f.oidc_issuer_url, namespace=ns, service_account=spec.name,
                policy_arns=[], parent=self, permissions_boundary=args.permissions_boundary,
            )
            annotations = {"eks.amazonaws.com/role-arn": self.role.arn}
            if "sms" in spec.sends:
                self.sms_policy = aws.iam.RolePolicy(
                    f"{spec.name}-sms", role=self.role.id, policy=json.dumps(sms_policy()),
                    opts=pulumi.ResourceOptions(parent=self))
        self.vapid_key = self.vapid_secret = None
        if "push" in spec.sends:
            # One key for the service's lifetime: browsers subscribed with its public half.
            self.vapid_key = tls.PrivateKey(f"{spec.name}-vapid-key", algorithm="ECDSA",
                                            ecdsa_curve="P256", opts=child)
            self.vapid_secret = k8s.core.v1.Secret(
                f"{spec.name}-vapid",
                metadata=metadata(vapid_secret_name(spec), ns, "vapid-key",
                                  annotations=SKIP_AWAIT),
                string_data={c.VAPID_MOUNT.key: self.vapid_key.private_key_pem_pkcs8},
                opts=child,
            )
        self.service_account = k8s.core.v1.ServiceAccount(
            f"{spec.name}-sa",
            metadata=metadata(spec.name, ns, "service", version=spec.version,
                              annotations=annotations),
            # No workload calls the Kubernetes API; IRSA's token is a projected volume of its own.
            automount_service_account_token=False,
            opts=child,
        )
        self.deployment = k8s.apps.v1.Deployment(
            f"{spec.name}-deployment",
            metadata=meta,
            spec=deployment_spec(args, image_of(spec, args.image_registry)),
            opts=pulumi.ResourceOptions(parent=self, custom_timeouts=ROLLOUT.timeouts(),
                                        depends_on=[
                *args.depends_on, self.service_account,
                *([self.vapid_secret] if self.vapid_secret else [])]),
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
            opts=pulumi.ResourceOptions(parent=self, custom_timeouts=ENDPOINTS.timeouts()),
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
                "endpoints": [{"port": "http-metrics", "path": c.MESH_METRICS_PATH,
                               "interval": "30s"}],
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*args.depends_on,
                                                                 *args.monitoring_depends_on]),
        )
        self.dashboard = k8s.core.v1.ConfigMap(
            f"{spec.name}-dashboard",
            metadata=metadata(f"{spec.name}-dashboard", ns, "dashboard",
                              extra_labels={"grafana_dashboard": "1"}),
            data={f"{spec.name}.json": json.dumps(dashboard(spec, ns), indent=2, sort_keys=True)},
            opts=child,
        )
        self.rules = k8s.apiextensions.CustomResource(
            f"{spec.name}-rules",
            api_version=versions.PROMETHEUS_OPERATOR_API,
            kind="PrometheusRule",
            metadata=meta,
            spec={"groups": rule_groups(spec, ns)},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*args.depends_on,
                                                                 *args.monitoring_depends_on]),
        )
        self.authorization = self.network_policy = None
        if args.traffic is not None:
            self.authorization = k8s.apiextensions.CustomResource(
                f"{spec.name}-authz",
                api_version=versions.ISTIO_SECURITY_API,
                kind="AuthorizationPolicy",
                metadata=meta,
                spec=traffic.authorization_policy(spec.name, spec.port, ns, args.traffic),
                opts=child,
            )
            self.network_policy = k8s.networking.v1.NetworkPolicy(
                f"{spec.name}-netpol",
                metadata=meta,
                spec=traffic.network_policy(spec.name, spec.port, args.traffic),
                opts=child,
            )
        self.register_outputs({"image": image_of(spec, args.image_registry)})


def selector(spec: Workload) -> dict[str, str]:
    """The labels that select the service's pods."""
    return {"app.kubernetes.io/name": spec.name}


def vapid_secret_name(spec: Workload) -> str:
    """The Secret holding the service's VAPID key (``push`` in ``sends``)."""
    return f"{spec.name}-vapid"


# SMS goes to phone numbers, which have no ARN: publishing is allowed on anything that is not
# an SNS topic or application endpoint (AWS's pattern for SMS-only publishing; every partition).
NOT_SNS = "arn:*:sns:*:*:*"


def sms_policy() -> dict[str, Any]:
    """The inline policy of a service that sends SMS: publish to phone numbers, nothing else
    (no topic, no application endpoint)."""
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": list(c.SMS_IAM_ACTIONS), "NotResource": NOT_SNS}]}


def service_role_policies() -> tuple[dict[str, Any], ...]:
    """Every inline policy a service's IRSA role may get from this kit (no managed policy is
    attached to service roles)."""
    return (sms_policy(),)


def boundary_policy() -> dict[str, Any]:
    """The permissions boundary of every service role: at most what ``service_role_policies``
    grant (their statements, resources included), so an inline policy written by a service's
    deploy role cannot reach further."""
    statements = [{**s, "Sid": f"ServicesMayAtMost{i}"}
                  for i, s in enumerate(s for p in service_role_policies()
                                        for s in p["Statement"])]
    return {"Version": "2012-10-17", "Statement": statements}


def sends_sms(args: MarketplaceServiceArgs) -> bool:
    """SMS needs AWS credentials: only with an IRSA role (target aws)."""
    f = args.foundation
    return "sms" in args.spec.sends and f.oidc_provider_arn is not None


def _uses_kafka(args: MarketplaceServiceArgs) -> bool:
    return args.kafka is not None and bool(args.spec.publishes or args.spec.consumes)


def container_env(args: MarketplaceServiceArgs) -> list[dict[str, Any]]:
    """The contract's environment (``contract.container``): plain values and the paths of the
    mounted secret files; no secret travels as an environment variable."""
    spec = args.spec
    env: list[dict[str, Any]] = [
        {"name": c.SERVICE_NAME.name, "value": spec.name},
        {"name": c.PORT.name, "value": str(spec.port)},
    ]
    if args.db_secret:
        env.append({"name": c.DATABASE_MOUNT.env.name, "value": c.DATABASE_MOUNT.path})
    if args.kafka is not None and _uses_kafka(args):
        env += [
            {"name": c.KAFKA_BOOTSTRAP_SERVERS.name, "value": args.kafka.bootstrap_servers},
            {"name": c.KAFKA_SECURITY_PROTOCOL.name, "value": c.KAFKA_PROTOCOL},
            {"name": c.KAFKA_SASL_MECHANISM.name, "value": c.KAFKA_MECHANISM},
            {"name": c.KAFKA_SASL_USERNAME.name, "value": args.kafka.user_secret},
            {"name": c.KAFKA_PASSWORD_MOUNT.env.name, "value": c.KAFKA_PASSWORD_MOUNT.path},
            {"name": c.KAFKA_CA_MOUNT.env.name, "value": c.KAFKA_CA_MOUNT.path},
            {"name": c.KAFKA_GROUP_ID.name, "value": spec.name},
        ]
    if args.tokens is not None:
        env += token_env(args.tokens)
    if sends_sms(args):  # credentials and AWS_REGION: IRSA (EKS's webhook sets them)
        env.append({"name": c.SMS_PROVIDER.name, "value": "sns"})
    if "push" in spec.sends:
        env.append({"name": c.VAPID_MOUNT.env.name, "value": c.VAPID_MOUNT.path})
    if args.otlp_host:
        env += [
            {"name": c.OTEL_EXPORTER_OTLP_ENDPOINT.name, "value": c.otlp_endpoint(args.otlp_host)},
            {"name": c.OTEL_EXPORTER_OTLP_PROTOCOL.name, "value": c.OTLP_PROTOCOL},
            {"name": c.OTEL_SERVICE_NAME.name, "value": spec.name},
        ]
    return env


def secret_mounts(args: MarketplaceServiceArgs) -> list[tuple[c.SecretMount, str]]:
    """Each mounted Secret of the contract with the Kubernetes Secret it comes from."""
    found: list[tuple[c.SecretMount, str]] = []
    if args.db_secret:
        found.append((c.DATABASE_MOUNT, args.db_secret))
    if args.kafka is not None and _uses_kafka(args):
        found.append((c.KAFKA_PASSWORD_MOUNT, args.kafka.user_secret))
        found.append((c.KAFKA_CA_MOUNT, args.kafka.ca_secret))
    if "push" in args.spec.sends:
        found.append((c.VAPID_MOUNT, vapid_secret_name(args.spec)))
    return found


def deployment_spec(args: MarketplaceServiceArgs, image: str) -> dict[str, Any]:
    """Probes, resources and the restricted security context; /tmp is the only writable path,
    each Secret is a read-only volume holding only the key the contract names (mode 0440)."""
    spec = args.spec
    mounts: list[dict[str, Any]] = [{"name": "tmp", "mountPath": c.TMP_DIR}]
    volumes: list[dict[str, Any]] = [{"name": "tmp", "emptyDir": {}}]
    for mount, secret in secret_mounts(args):
        mounts.append({"name": mount.volume, "mountPath": mount.directory, "readOnly": True})
        volumes.append({"name": mount.volume, "secret": {
            "secretName": secret, "defaultMode": 0o440,
            "items": [{"key": mount.key, "path": mount.key}]}})
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
                                "prometheus.io/path": c.METRICS_PATH,
                                **sidecar_annotations(args.sidecar_revision)},
            },
            "spec": {
                "serviceAccountName": spec.name,
                "automountServiceAccountToken": False,
                "securityContext": {"runAsNonRoot": True, "runAsUser": 10001,
                                    "runAsGroup": 10001, "fsGroup": 10001,
                                    "seccompProfile": {"type": "RuntimeDefault"}},
                "containers": [
                    {
                        "name": spec.name,
                        "image": image,
                        "imagePullPolicy": "Always",
                        "ports": [{"name": "http", "containerPort": spec.port}],
                        "env": container_env(args),
                        "readinessProbe": {**probe, "httpGet": {"path": c.READINESS_PATH,
                                                                "port": spec.port}},
                        "livenessProbe": {**probe, "httpGet": {"path": c.LIVENESS_PATH,
                                                               "port": spec.port},
                                          "initialDelaySeconds": 10},
                        "resources": {
                            "requests": {"cpu": r.cpu, "memory": r.memory},
                            "limits": {"cpu": r.cpu_limit, "memory": r.memory_limit},
                        },
                        "securityContext": restricted_container(),
                        "volumeMounts": mounts,
                    }
                ],
                "volumes": volumes,
            },
        },
    }


def signals_of(spec: Workload, namespace: str) -> ServiceSignals:
    """What the service's dashboard and rules need to know about it."""
    return ServiceSignals(
        name=spec.name,
        namespace=namespace,
        publishes=tuple(spec.publishes),
        consumes=tuple(spec.consumes),
        has_outbox=bool(spec.publishes) and spec.datastore != "none",
        objectives=spec.slo,
    )


def dashboard(spec: Workload, namespace: str) -> dict[str, Any]:
    """The service's Grafana dashboard: golden signals and event flow."""
    return render(service_dashboard(signals_of(spec, namespace)))


def rule_groups(spec: Workload, namespace: str) -> list[dict[str, Any]]:
    """The service's PrometheusRule groups: SLO burn rates, outbox, dead letters, lag."""
    return service_groups(signals_of(spec, namespace))

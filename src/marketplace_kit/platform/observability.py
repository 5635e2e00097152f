"""Observability: kube-prometheus-stack, logs (OpenSearch or Loki), traces (OTel collector +
Jaeger v2, stored in OpenSearch when it runs)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from marketplace_kit.contract import container
from marketplace_kit.core.addon import AddOn
from marketplace_kit.platform import namespaces, versions
from marketplace_kit.platform.helm import chart_release, present
from marketplace_kit.platform.meta import metadata

ADDON = AddOn(
    name="observability", component="Observability",
    exports=("Observability", "ObservabilityArgs", "TelemetrySettings"), group="observability",
    section="observability", notes="logs (opensearch, loki or none), traces, metrics retention",
    needs=("provider", "ready"), provides=("monitoring_ready", "otlp_host"),
)

NAMESPACE = namespaces.OBSERVABILITY
GRAFANA_ADMIN_SECRET = "grafana-admin"
COLLECTOR = "otel-collector"
JAEGER = "jaeger"  # the release, and the chart's Deployment and Service (release name = chart name)
JAEGER_OTLP_GRPC_PORT = 4317
OPENSEARCH_ADMIN_SECRET = "opensearch-admin"  # keys: username, password, cookie
OPENSEARCH_SERVICE = "opensearch-cluster-master"  # the chart's clusterName-nodeGroup
OPENSEARCH_PORT = 9200
OPENSEARCH_URL = f"https://{OPENSEARCH_SERVICE}:{OPENSEARCH_PORT}"
OPENSEARCH_HEAP_MIB = 1024
OPENSEARCH_VOLUME_GIB = 30  # log and trace indices per node
DASHBOARD_LABEL = "grafana_dashboard"


@dataclass(frozen=True)
class TelemetrySettings:
    """Which signals the platform keeps.

    Attributes:
        logs: Log store: ``opensearch`` (OpenSearch + Dashboards: search and log UI; Jaeger
            stores traces there too), ``loki`` (lighter) or ``none``.
        traces: Run the OTLP collector and Jaeger v2 (in memory unless OpenSearch runs).
        metrics_retention_days: How long Prometheus keeps samples.
    """

    logs: Literal["opensearch", "loki", "none"] = "opensearch"
    traces: bool = True
    metrics_retention_days: int = 15


@dataclass
class ObservabilityArgs:
    """Options of the observability stack.

    Attributes:
        config: Which signals are kept (logs, traces, metrics retention).
        replicas: OpenSearch nodes, Prometheus and Alertmanager replicas.
        values: Helm values per release name, merged over the kit's defaults.
        depends_on: What must exist first (the cluster's ``ready``: with the EBS CSI driver
            and the StorageClass, which releases with volumes depend on directly).
        charts: Install the charts (Prometheus, the log store, Jaeger, the collector); False:
            they are installed separately (nothing downloaded; ``otlp_host`` still names the
            collector's Service).
    """

    config: TelemetrySettings
    replicas: int = 1
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    depends_on: list[pulumi.Resource] = field(default_factory=list)
    charts: bool = True


class Observability(pulumi.ComponentResource):
    """Metrics, logs and traces for every workload of the platform.

    ``monitoring_ready`` (the kube-prometheus-stack release, which installs the
    ServiceMonitor CRD) is what ServiceMonitors depend on; ``otlp_host`` is where workloads
    and the mesh send traces.
    """

    def __init__(
        self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("marketplace-kit:platform:Observability", name, None, opts)
        self._args = args
        cfg = args.config
        self.namespace = k8s.core.v1.Namespace(
            "observability-namespace",
            metadata=metadata(NAMESPACE, None, "observability"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=args.depends_on),
        )
        after_ns: list[pulumi.Resource] = [self.namespace]
        password = random.RandomPassword(
            "grafana-admin-password", length=24, special=False,
            opts=pulumi.ResourceOptions(parent=self),
        )
        grafana_secret = k8s.core.v1.Secret(
            GRAFANA_ADMIN_SECRET,
            metadata=metadata(GRAFANA_ADMIN_SECRET, NAMESPACE, "observability"),
            string_data={"admin-user": "admin", "admin-password": password.result},
            opts=pulumi.ResourceOptions(parent=self, depends_on=after_ns),
        )
        self.releases: dict[str, k8s.helm.v3.Release] = {}
        # The operator's CRDs first, as a release of their own: Helm upgrades them with each
        # version bump (kube-prometheus-stack's own copy sits in crds/, never upgraded).
        crds = self._release("prometheus-operator-crds", versions.PROMETHEUS_OPERATOR_CRDS, {},
                             after_ns)
        self.prometheus = self._release(
            "kube-prometheus-stack", versions.KUBE_PROMETHEUS_STACK,
            prometheus_values(cfg.metrics_retention_days, args.replicas),
            present([grafana_secret, crds, *after_ns]),
        )
        self.monitoring_ready: list[pulumi.Resource] = present([self.prometheus])
        self.otlp_host: str | None = None
        search: list[pulumi.Resource] = []
        if cfg.logs == "opensearch":
            admin = self._opensearch_admin(after_ns)
            store = self._release("opensearch", versions.OPENSEARCH,
                                  opensearch_values(args.replicas), [admin, *after_ns])
            search = present([store])
            self._release("opensearch-dashboards", versions.OPENSEARCH_DASHBOARDS,
                          dashboards_values(), search)
            self._release("fluent-bit", versions.FLUENT_BIT, fluent_bit_values("opensearch"),
                          search)
        elif cfg.logs == "loki":
            loki = self._release("loki", versions.LOKI, loki_values(), after_ns)
            self._release("fluent-bit", versions.FLUENT_BIT, fluent_bit_values("loki"),
                          present([loki]))
        if cfg.traces:
            self._release("jaeger", versions.JAEGER, jaeger_values(args.replicas if search else 0),
                          search or after_ns)
            self._release("otel-collector", versions.OTEL_COLLECTOR, collector_values(), after_ns)
            self.otlp_host = f"{COLLECTOR}.{NAMESPACE}.svc.cluster.local"
        self.register_outputs({"releases": sorted(self.releases), "otlp_host": self.otlp_host})

    def _opensearch_admin(self, depends_on: list[pulumi.Resource]) -> k8s.core.v1.Secret:
        """OpenSearch's ``admin`` password (its security plugin refuses to start without a strong
        one), read by OpenSearch, Dashboards, Fluent Bit and Jaeger from one Secret."""
        password = random.RandomPassword(
            "opensearch-admin-password", length=32, special=True, override_special="-_.",
            min_upper=2, min_lower=2, min_numeric=2, min_special=2,
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Dashboards signs its session cookies with the key `cookie` of the same Secret
        # (opensearch-dashboards' deployment reads it, not optional).
        cookie = random.RandomPassword(
            "opensearch-dashboards-cookie", length=32, special=False,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return k8s.core.v1.Secret(
            OPENSEARCH_ADMIN_SECRET,
            metadata=metadata(OPENSEARCH_ADMIN_SECRET, NAMESPACE, "observability"),
            string_data={"username": "admin", "password": password.result,
                         "cookie": cookie.result},
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
        )

    def _release(
        self, name: str, chart: versions.Chart, defaults: dict[str, Any],
        depends_on: list[pulumi.Resource],
    ) -> k8s.helm.v3.Release | None:
        release = chart_release(
            self._args.charts, name, chart, namespace=NAMESPACE, parent=self, defaults=defaults,
            values=self._args.values.get(name), depends_on=depends_on, create_namespace=False,
            storage=self._args.depends_on,
        )
        if release is not None:
            self.releases[name] = release
        return release


ALERTMANAGER_VOLUME_GIB = 2  # silences and notification state
# Requests of every observability pod the charts leave without (their values default to
# `resources: {}`: BestEffort pods, first evicted and invisible to the fit check).
REQUESTS: dict[str, dict[str, str]] = {
    "prometheus": {"cpu": "100m", "memory": "1Gi"},
    "alertmanager": {"cpu": "10m", "memory": "64Mi"},
    "prometheus-operator": {"cpu": "50m", "memory": "128Mi"},
    "grafana": {"cpu": "50m", "memory": "256Mi"},
    "grafana-sidecar": {"cpu": "5m", "memory": "64Mi"},  # each dashboard/datasource sidecar
    "kube-state-metrics": {"cpu": "10m", "memory": "64Mi"},
    "node-exporter": {"cpu": "10m", "memory": "32Mi"},
    "loki": {"cpu": "100m", "memory": "512Mi"},
    "loki-gateway": {"cpu": "10m", "memory": "32Mi"},
    "loki-canary": {"cpu": "5m", "memory": "32Mi"},
    "fluent-bit": {"cpu": "25m", "memory": "64Mi"},
    "otel-collector": {"cpu": "50m", "memory": "256Mi"},
}


def requests(name: str) -> dict[str, Any]:
    """A ``resources`` value with the requests of one of the pods above."""
    return {"requests": dict(REQUESTS[name])}
GRAFANA_VOLUME_GIB = 5  # users, annotations, alert state (dashboards come from ConfigMaps)


def prometheus_volume_gib(retention_days: int) -> int:
    """Prometheus' volume: about 2 GiB a day of retention for the platform's series, 10 at least."""
    return max(10, 2 * retention_days)


def volume_claim(size_gib: int) -> dict[str, Any]:
    """A prometheus-operator ``storage``/``storageSpec``: one ReadWriteOnce claim per replica on
    the cluster's default StorageClass (encrypted gp3 on EKS)."""
    return {"volumeClaimTemplate": {"spec": {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": f"{size_gib}Gi"}},
    }}}


def prometheus_values(retention_days: int, replicas: int) -> dict[str, Any]:
    """Prometheus picks up every ServiceMonitor; Grafana loads dashboards from labelled
    ConfigMaps in any namespace; its admin password comes from a Secret."""
    return {
        "crds": {"enabled": False},  # the prometheus-operator-crds release has them
        "prometheus": {
            "prometheusSpec": {
                "retention": f"{retention_days}d",
                "replicas": replicas,
                # Every rule and monitor, not only those labelled release=<this release>: the
                # platform's and each service's PrometheusRules carry no such label.
                "ruleSelectorNilUsesHelmValues": False,
                "serviceMonitorSelectorNilUsesHelmValues": False,
                "podMonitorSelectorNilUsesHelmValues": False,
                "resources": requests("prometheus"),
                # Retention survives a reschedule (each spot reclaim in dev): a volume per replica.
                "storageSpec": volume_claim(prometheus_volume_gib(retention_days)),
            },
            "podDisruptionBudget": {"enabled": replicas >= 2, "minAvailable": 1},
        },
        "alertmanager": {"alertmanagerSpec": {"replicas": replicas,
                                              "storage": volume_claim(ALERTMANAGER_VOLUME_GIB),
                                              "resources": requests("alertmanager")},
                         "podDisruptionBudget": {"enabled": replicas >= 2, "minAvailable": 1}},
        "prometheusOperator": {"resources": requests("prometheus-operator")},
        "kube-state-metrics": {"resources": requests("kube-state-metrics")},
        "prometheus-node-exporter": {"resources": requests("node-exporter")},
        "grafana": {
            "resources": requests("grafana"),
            "persistence": {"enabled": True, "size": f"{GRAFANA_VOLUME_GIB}Gi"},
            "admin": {
                "existingSecret": GRAFANA_ADMIN_SECRET,
                "userKey": "admin-user",
                "passwordKey": "admin-password",
            },
            "sidecar": {
                "resources": requests("grafana-sidecar"),
                "dashboards": {"enabled": True, "label": DASHBOARD_LABEL, "searchNamespace": "ALL"},
            },
        },
    }


def _admin_password_env(name: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": OPENSEARCH_ADMIN_SECRET,
                                                         "key": "password"}}}


def jaeger_values(opensearch_nodes: int) -> dict[str, Any]:
    """Jaeger v2 all-in-one (one Deployment: OTLP in, query UI on 16686). Traces go to OpenSearch
    when it runs (``opensearch_nodes`` > 0; indices ``jaeger-*``, a replica per shard only with
    2+ nodes), else to memory (lost on restart; the loki and none log options)."""
    opensearch = opensearch_nodes > 0
    if opensearch:
        index = {"shards": 1, "replicas": min(1, opensearch_nodes - 1)}
        backend: dict[str, Any] = {"opensearch": {
            "server_urls": [OPENSEARCH_URL],
            "auth": {"basic": {"username": "admin", "password": "${env:OPENSEARCH_PASSWORD}"}},
            # The chart's demo security configuration serves a self-signed certificate.
            "tls": {"insecure_skip_verify": True},
            "indices": {"index_prefix": "jaeger", "spans": index, "services": index},
        }}
    else:
        backend = {"memory": {"max_traces": 50000}}
    config = {
        "service": {
            "extensions": ["jaeger_storage", "jaeger_query", "healthcheckv2"],
            "pipelines": {"traces": {"receivers": ["otlp"], "processors": ["batch"],
                                     "exporters": ["jaeger_storage_exporter"]}},
            "telemetry": {"resource": {"service.name": "jaeger"}, "metrics": {
                "level": "detailed", "readers": [{"pull": {"exporter": {"prometheus": {
                    "host": "0.0.0.0", "port": 8888}}}}]}},
        },
        "extensions": {
            # The chart's probes read /status on 13133.
            "healthcheckv2": {"use_v2": True, "http": {"endpoint": "0.0.0.0:13133"}},
            "jaeger_query": {"storage": {"traces": "traces"}},
            "jaeger_storage": {"backends": {"traces": backend}},
        },
        "receivers": {"otlp": {"protocols": {
            "grpc": {"endpoint": f"0.0.0.0:{JAEGER_OTLP_GRPC_PORT}"}}}},
        "processors": {"batch": {}},
        "exporters": {"jaeger_storage_exporter": {"trace_storage": "traces"}},
    }
    jaeger: dict[str, Any] = {"resources": {"requests": {"cpu": "100m", "memory": "256Mi"}}}
    if opensearch:
        jaeger["extraEnv"] = [_admin_password_env("OPENSEARCH_PASSWORD")]
    return {"userconfig": config, "jaeger": jaeger}


def collector_values() -> dict[str, Any]:
    """An OTLP collector that batches traces into Jaeger v2; it receives OTLP/HTTP only, on the
    container contract's port (services and the mesh's sidecars both send there)."""
    return {
        "mode": "deployment",
        "fullnameOverride": COLLECTOR,
        "resources": requests("otel-collector"),
        "image": {"repository": versions.OTEL_COLLECTOR_IMAGE},
        "config": {
            "receivers": {"otlp": {"protocols": {
                "http": {"endpoint": f"0.0.0.0:{container.OTLP_PORT}"}}}},
            "processors": {"batch": {}},
            "exporters": {
                "otlp/jaeger": {
                    "endpoint": f"{JAEGER}.{NAMESPACE}.svc.cluster.local:{JAEGER_OTLP_GRPC_PORT}",
                    "tls": {"insecure": True},
                }
            },
            "service": {
                "pipelines": {
                    "traces": {
                        "receivers": ["otlp"],
                        "processors": ["batch"],
                        "exporters": ["otlp/jaeger"],
                    }
                }
            },
        },
    }


def opensearch_values(replicas: int) -> dict[str, Any]:
    """OpenSearch nodes (every node master-eligible and data; one node runs as a single-node
    cluster), each on its own volume; the admin password from the kit's Secret; the chart's PDB
    (``maxUnavailable`` 1: a drain takes one node at a time)."""
    return {
        "singleNode": replicas == 1,
        "replicas": replicas,
        "opensearchJavaOpts": f"-Xms{OPENSEARCH_HEAP_MIB}m -Xmx{OPENSEARCH_HEAP_MIB}m",
        # Heap plus off-heap (Lucene's page cache lives outside the request).
        "resources": {"requests": {"cpu": "500m", "memory": f"{2 * OPENSEARCH_HEAP_MIB}Mi"}},
        # fsGroup (podSecurityContext, the chart's default 1000) owns the volume; the chart's
        # chown init container would run an unpinned busybox:latest.
        "persistence": {"enabled": True, "enableInitChown": False,
                        "size": f"{OPENSEARCH_VOLUME_GIB}Gi"},
        "maxUnavailable": 1,
        "extraEnvs": [_admin_password_env("OPENSEARCH_INITIAL_ADMIN_PASSWORD")],
    }


def dashboards_values() -> dict[str, Any]:
    """OpenSearch Dashboards (the log search UI), signed in to OpenSearch as admin."""
    return {
        "opensearchHosts": OPENSEARCH_URL,
        "opensearchAccount": {"secret": OPENSEARCH_ADMIN_SECRET},
    }


def loki_values() -> dict[str, Any]:
    """Loki in single-binary mode on its filesystem (the lighter option)."""
    return {
        "deploymentMode": "SingleBinary",
        "loki": {
            "auth_enabled": False,
            "commonConfig": {"replication_factor": 1},
            "storage": {"type": "filesystem"},
            "schemaConfig": {
                "configs": [
                    {
                        "from": "2024-01-01",
                        "store": "tsdb",
                        "object_store": "filesystem",
                        "schema": "v13",
                        "index": {"prefix": "index_", "period": "24h"},
                    }
                ]
            },
        },
        "singleBinary": {"replicas": 1, "resources": requests("loki")},
        "gateway": {"resources": requests("loki-gateway")},
        "lokiCanary": {"resources": requests("loki-canary")},
        # The chart's memcached caches default to 8192 MB (chunks: a 9830Mi request) and
        # 1024 MB (results): more than a dev node has. A single-binary Loki on its filesystem
        # reads chunks locally; the fit check (marketplace_kit.fit) caught the first one.
        "chunksCache": {"enabled": False},
        "resultsCache": {"enabled": False},
        "read": {"replicas": 0},
        "write": {"replicas": 0},
        "backend": {"replicas": 0},
    }


def fluent_bit_values(sink: str) -> dict[str, Any]:
    """Fluent Bit tails container logs into OpenSearch (``logstash-*`` daily indices) or Loki."""
    if sink == "opensearch":
        output = (
            f"[OUTPUT]\n    Name opensearch\n    Match kube.*\n    Host {OPENSEARCH_SERVICE}\n"
            f"    Port {OPENSEARCH_PORT}\n    tls On\n    tls.verify Off\n"
            "    Suppress_Type_Name On\n    Logstash_Format On\n    Replace_Dots On\n"
            "    HTTP_User admin\n    HTTP_Passwd ${OPENSEARCH_PASSWORD}\n"
        )
        return {"config": {"outputs": output}, "resources": requests("fluent-bit"),
                "env": [_admin_password_env("OPENSEARCH_PASSWORD")]}
    output = (
        "[OUTPUT]\n    Name loki\n    Match kube.*\n    Host loki-gateway\n"
        "    Port 80\n    Labels job=fluent-bit\n    Auto_kubernetes_labels On\n"
    )
    return {"config": {"outputs": output}, "resources": requests("fluent-bit")}

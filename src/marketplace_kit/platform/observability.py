"""Observability: kube-prometheus-stack, logs (EFK or Loki), traces (OTel collector + Jaeger)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from marketplace_kit.contract import container
from marketplace_kit.core.addon import AddOn
from marketplace_kit.platform import versions
from marketplace_kit.platform.helm import helm_release
from marketplace_kit.platform.meta import metadata

ADDON = AddOn(
    name="observability", component="Observability",
    exports=("Observability", "ObservabilityArgs", "TelemetrySettings"), group="observability",
    section="observability", notes="logs (efk, loki or none), traces, metrics retention",
    needs=("provider", "ready"), provides=("monitoring_ready", "otlp_host"),
)

NAMESPACE = "observability"
GRAFANA_ADMIN_SECRET = "grafana-admin"
COLLECTOR = "otel-collector"
JAEGER = "jaeger"
DASHBOARD_LABEL = "grafana_dashboard"


@dataclass(frozen=True)
class TelemetrySettings:
    """Which signals the platform keeps.

    Attributes:
        logs: Log store: ``efk`` (search + UI), ``loki`` (lighter) or ``none``.
        traces: Run the OTLP collector and a trace store.
        metrics_retention_days: How long Prometheus keeps samples.
    """

    logs: Literal["efk", "loki", "none"] = "efk"
    traces: bool = True
    metrics_retention_days: int = 15


@dataclass
class ObservabilityArgs:
    """Options of the observability stack.

    Attributes:
        config: Which signals are kept (logs, traces, metrics retention).
        replicas: Elasticsearch nodes, Prometheus and Alertmanager replicas.
        values: Helm values per release name, merged over the kit's defaults.
        depends_on: What must exist first (the cluster's ``ready``).
    """

    config: TelemetrySettings
    replicas: int = 1
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    depends_on: list[pulumi.Resource] = field(default_factory=list)


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
        self.prometheus = self._release(
            "kube-prometheus-stack", versions.KUBE_PROMETHEUS_STACK,
            prometheus_values(cfg.metrics_retention_days, args.replicas),
            [grafana_secret, *after_ns],
        )
        self.monitoring_ready: list[pulumi.Resource] = [self.prometheus]
        self.otlp_host: str | None = None
        if cfg.traces:
            self._release("jaeger", versions.JAEGER, jaeger_values(), after_ns)
            self._release("otel-collector", versions.OTEL_COLLECTOR, collector_values(), after_ns)
            self.otlp_host = f"{COLLECTOR}.{NAMESPACE}.svc.cluster.local"
        if cfg.logs == "efk":
            es = self._release("elasticsearch", versions.ELASTICSEARCH,
                               elasticsearch_values(args.replicas), after_ns)
            self._release("kibana", versions.KIBANA, {"elasticsearchHosts":
                          "https://elasticsearch-master:9200"}, [es])
            self._release("fluent-bit", versions.FLUENT_BIT, fluent_bit_values("es"), [es])
        elif cfg.logs == "loki":
            loki = self._release("loki", versions.LOKI, loki_values(), after_ns)
            self._release("fluent-bit", versions.FLUENT_BIT, fluent_bit_values("loki"), [loki])
        self.register_outputs({"releases": sorted(self.releases), "otlp_host": self.otlp_host})

    def _release(
        self, name: str, chart: versions.Chart, defaults: dict[str, Any],
        depends_on: list[pulumi.Resource],
    ) -> k8s.helm.v3.Release:
        release = helm_release(
            name, chart, namespace=NAMESPACE, parent=self, defaults=defaults,
            values=self._args.values.get(name), depends_on=depends_on, create_namespace=False,
        )
        self.releases[name] = release
        return release


ALERTMANAGER_VOLUME_GIB = 2  # silences and notification state
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
        "prometheus": {
            "prometheusSpec": {
                "retention": f"{retention_days}d",
                "replicas": replicas,
                "serviceMonitorSelectorNilUsesHelmValues": False,
                "podMonitorSelectorNilUsesHelmValues": False,
                # Retention survives a reschedule (each spot reclaim in dev): a volume per replica.
                "storageSpec": volume_claim(prometheus_volume_gib(retention_days)),
            },
            "podDisruptionBudget": {"enabled": replicas >= 2, "minAvailable": 1},
        },
        "alertmanager": {"alertmanagerSpec": {"replicas": replicas,
                                              "storage": volume_claim(ALERTMANAGER_VOLUME_GIB)},
                         "podDisruptionBudget": {"enabled": replicas >= 2, "minAvailable": 1}},
        "grafana": {
            "persistence": {"enabled": True, "size": f"{GRAFANA_VOLUME_GIB}Gi"},
            "admin": {
                "existingSecret": GRAFANA_ADMIN_SECRET,
                "userKey": "admin-user",
                "passwordKey": "admin-password",
            },
            "sidecar": {
                "dashboards": {"enabled": True, "label": DASHBOARD_LABEL, "searchNamespace": "ALL"}
            },
        },
    }


def jaeger_values() -> dict[str, Any]:
    """Jaeger all-in-one (in-memory storage: traces are lost on restart)."""
    return {
        "provisionDataStore": {"cassandra": False},
        "allInOne": {"enabled": True},
        "storage": {"type": "memory"},
        "agent": {"enabled": False},
        "collector": {"enabled": False},
        "query": {"enabled": False},
    }


def collector_values() -> dict[str, Any]:
    """An OTLP collector that batches traces into Jaeger; it receives OTLP/HTTP only, on the
    container contract's port (services and the mesh's sidecars both send there)."""
    return {
        "mode": "deployment",
        "fullnameOverride": COLLECTOR,
        "image": {"repository": versions.OTEL_COLLECTOR_IMAGE},
        "config": {
            "receivers": {"otlp": {"protocols": {
                "http": {"endpoint": f"0.0.0.0:{container.OTLP_PORT}"}}}},
            "processors": {"batch": {}},
            "exporters": {
                "otlp/jaeger": {
                    "endpoint": f"{JAEGER}-collector.{NAMESPACE}.svc.cluster.local:4317",
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


def elasticsearch_values(replicas: int) -> dict[str, Any]:
    """Elasticsearch nodes (a quorum of masters when there are 3 or more)."""
    return {"replicas": replicas, "minimumMasterNodes": 2 if replicas >= 3 else 1}


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
        "singleBinary": {"replicas": 1},
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
    """Fluent Bit tails container logs into Elasticsearch or Loki."""
    if sink == "es":
        output = (
            "[OUTPUT]\n    Name es\n    Match kube.*\n    Host elasticsearch-master\n"
            "    Port 9200\n    tls On\n    tls.verify Off\n    Suppress_Type_Name On\n"
            "    Logstash_Format On\n    HTTP_User elastic\n    HTTP_Passwd ${ES_PASSWORD}\n"
        )
        # The elastic chart generates the ``elastic`` user's password into this Secret.
        password = {"secretKeyRef": {"name": "elasticsearch-master-credentials",
                                     "key": "password"}}
        return {"config": {"outputs": output},
                "env": [{"name": "ES_PASSWORD", "valueFrom": password}]}
    else:
        output = (
            "[OUTPUT]\n    Name loki\n    Match kube.*\n    Host loki-gateway\n"
            "    Port 80\n    Labels job=fluent-bit\n    Auto_kubernetes_labels On\n"
        )
    return {"config": {"outputs": output}}

"""PlatformMonitoring: the platform's own alerting rules, its overview dashboard, and the scrape
of istiod (the mesh root certificate's expiry). Service rules and dashboards live with each
MarketplaceService; the Kafka scrapes (PodMonitors) with the EventBus."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from marketplace_kit.core.addon import AddOn
from marketplace_kit.monitoring.dashboards import platform_dashboard, render
from marketplace_kit.monitoring.rules import PlatformSignals, platform_groups
from marketplace_kit.platform import versions
from marketplace_kit.platform.meta import metadata

ADDON = AddOn(
    name="monitoring", component="PlatformMonitoring",
    exports=("PlatformMonitoring", "PlatformMonitoringArgs"), group="observability",
    needs=("provider",), after=("observability", "mesh", "eventbus"),
)

DASHBOARD_LABEL = "grafana_dashboard"


@dataclass
class PlatformMonitoringArgs:
    """Where the rules and dashboard go, and what the Kafka rules expect.

    Attributes:
        namespace: The observability namespace (rules and dashboard ConfigMap).
        mesh_namespace: Where istiod runs (its ServiceMonitor).
        kafka_brokers: Brokers the event bus should have; 0: no event bus, no Kafka rules.
        depends_on: The monitoring CRDs (``Observability.monitoring_ready``) and istiod.
    """

    namespace: str
    mesh_namespace: str
    kafka_brokers: int = 0
    depends_on: list[pulumi.Resource] = field(default_factory=list)


class PlatformMonitoring(pulumi.ComponentResource):
    """Platform alerts (Kafka, nodes, certificates) and the platform overview dashboard."""

    def __init__(
        self, name: str, args: PlatformMonitoringArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("marketplace-kit:platform:PlatformMonitoring", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, depends_on=args.depends_on)
        self.rules = k8s.apiextensions.CustomResource(
            "platform-rules",
            api_version=versions.PROMETHEUS_OPERATOR_API,
            kind="PrometheusRule",
            metadata=metadata("platform", args.namespace, "alerting"),
            spec={"groups": platform_groups(PlatformSignals(kafka_brokers=args.kafka_brokers))},
            opts=child,
        )
        overview = render(platform_dashboard(kafka=args.kafka_brokers > 0))
        self.dashboard = k8s.core.v1.ConfigMap(
            "platform-dashboard",
            metadata=metadata("platform-dashboard", args.namespace, "dashboard",
                              extra_labels={DASHBOARD_LABEL: "1"}),
            data={"platform-overview.json": json.dumps(overview, indent=2, sort_keys=True)},
            opts=child,
        )
        self.istiod_monitor = k8s.apiextensions.CustomResource(
            "istiod-monitor",
            api_version=versions.PROMETHEUS_OPERATOR_API,
            kind="ServiceMonitor",
            metadata=metadata("istiod", args.mesh_namespace, "mesh"),
            spec={
                "selector": {"matchLabels": {"istio": "pilot"}},
                "endpoints": [{"port": "http-monitoring", "path": "/metrics", "interval": "30s"}],
            },
            opts=child,
        )
        self.register_outputs({})

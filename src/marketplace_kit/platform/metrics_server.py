"""metrics-server: the resource metrics API (``metrics.k8s.io``) every CPU-based HPA reads.

Without it the HPAs of the services, istiod and the ingress gateway never see CPU and never
scale. One chart release in ``kube-system``; 2+ replicas also get a PodDisruptionBudget.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi

from marketplace_kit.core.addon import AddOn
from marketplace_kit.platform import namespaces, versions
from marketplace_kit.platform.helm import chart_release

ADDON = AddOn(
    name="metrics-server", component="MetricsServer",
    exports=("MetricsServer", "MetricsServerArgs"), group="cluster",
    needs=("provider", "ready"), provides=("release",),
)

NAMESPACE = namespaces.KUBE_SYSTEM
# The chart's own request (values.yaml ``resources.requests`` at the pinned tag), set explicitly
# so the fit check and the rendered release agree.
REQUESTS = {"cpu": "100m", "memory": "200Mi"}


@dataclass
class MetricsServerArgs:
    """Options of metrics-server.

    Attributes:
        replicas: Replicas of the Deployment; 2 or more also get a PodDisruptionBudget.
        insecure_kubelet_tls: Skip verifying kubelet serving certificates (kind, k3d and
            minikube sign them with a CA the API server does not know; EKS does not need it).
        values: Helm values merged over the defaults.
        depends_on: What must exist first (the cluster's ``ready``).
        charts: Install the chart; False: it is installed separately (nothing downloaded).
    """

    replicas: int = 1
    insecure_kubelet_tls: bool = False
    values: dict[str, Any] = field(default_factory=dict)
    depends_on: list[pulumi.Resource] = field(default_factory=list)
    charts: bool = True


class MetricsServer(pulumi.ComponentResource):
    """The metrics API behind ``kubectl top`` and every HorizontalPodAutoscaler."""

    def __init__(
        self, name: str, args: MetricsServerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("marketplace-kit:platform:MetricsServer", name, None, opts)
        self.release = chart_release(
            args.charts, "metrics-server", versions.METRICS_SERVER, namespace=NAMESPACE,
            parent=self,
            defaults=metrics_server_values(args.replicas, args.insecure_kubelet_tls),
            values=args.values, depends_on=args.depends_on, create_namespace=False,
        )
        self.register_outputs({"release": self.release.name if self.release else None})


def metrics_server_values(replicas: int, insecure_kubelet_tls: bool) -> dict[str, Any]:
    """Replicas, requests, a PDB when there are two, and the kubelet TLS flag for local."""
    values: dict[str, Any] = {
        "replicas": replicas,
        "resources": {"requests": dict(REQUESTS)},
        "podDisruptionBudget": {"enabled": replicas >= 2, "minAvailable": 1},
    }
    if insecure_kubelet_tls:
        values["args"] = ["--kubelet-insecure-tls"]
    return values

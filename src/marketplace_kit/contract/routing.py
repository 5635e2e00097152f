"""Which paths the gateway sends to a service, defined once: the cluster's VirtualService
(``uri.prefix`` of the service's route prefix), the local front door of ``marketplace-kit dev``
and the check that a service's API document agrees with its route all match here."""

from __future__ import annotations

from marketplace_kit.contract.container import LIVENESS_PATH, METRICS_PATH, READINESS_PATH

# Called inside the cluster (the kubelet's probes, Prometheus' scrape) on each pod, never routed
# by the gateway: every service serves them, at the same paths (and no SLO counts them).
IN_CLUSTER_PATHS: tuple[str, ...] = (LIVENESS_PATH, READINESS_PATH, METRICS_PATH)


def routed(prefix: str, path: str) -> bool:
    """Whether the gateway sends ``path`` to the service with route prefix ``prefix`` (Istio's
    prefix match: a plain string prefix; the services' prefixes never overlap, ``plan``
    refuses that)."""
    return path.startswith(prefix)

"""The namespaces the platform installs into and those Kubernetes owns: one definition, read by
the components that create or select them and by the config, which refuses them as a platform's
workload namespace (the workload namespace is the platform's ``name``). Pure data.
"""

from __future__ import annotations

# Kubernetes' own: created by the API server (``default``, ``kube-*``); EKS add-ons, CoreDNS,
# metrics-server and Karpenter run in kube-system.
KUBE_SYSTEM = "kube-system"
KUBERNETES = ("default", KUBE_SYSTEM, "kube-public", "kube-node-lease")

# The kit's shared add-ons.
MESH = "istio-system"  # istiod, the mesh root namespace (mesh-wide PeerAuthentication)
INGRESS = "istio-ingress"  # the ingress gateway
OBSERVABILITY = "observability"  # Prometheus, Grafana, logs, traces, the OTel collector
STRIMZI = "strimzi"  # the Strimzi operator (Kafka itself runs in the workload namespace)
PLATFORM = (MESH, INGRESS, OBSERVABILITY, STRIMZI)

# Every namespace a platform's services must not be deployed into.
RESERVED = frozenset((*KUBERNETES, *PLATFORM))

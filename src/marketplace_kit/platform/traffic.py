"""Who may reach a service, and what it may reach: one Istio AuthorizationPolicy and one
Kubernetes NetworkPolicy per service, both deny-by-default.

The AuthorizationPolicy (mTLS identities, L7) selects the service's pods with action ALLOW, so
anything no rule matches is denied: the ingress gateway on the service's route prefix, the
callers it declares (``calls:`` in their service.yaml; the token verifiers on the issuer's JWKS
paths), and metrics scrapes on Istio's merged metrics port. The NetworkPolicy (pod IPs and
ports, L3/L4) is the second wall: its ingress mirrors those sources, its egress allows DNS, the
mesh control plane, the Kafka brokers, the database, the OTel collector and the declared callees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marketplace_kit.contract import container
from marketplace_kit.platform import namespaces

DNS_PORT = 53
ISTIOD_PORTS = (15012, 15017)  # xDS + certificates, injection webhook
KAFKA_TLS_PORT = 9093  # the Strimzi TLS listener (SCRAM-SHA-512)
POSTGRES_PORT = 5432
APP = "app.kubernetes.io/name"
NAMESPACE_NAME = "kubernetes.io/metadata.name"  # set by Kubernetes on every namespace


@dataclass(frozen=True)
class Peer:
    """Another service of the platform this one talks to (or hears from) over HTTP.

    Attributes:
        service: Its name (Deployment, ServiceAccount and ``app.kubernetes.io/name``).
        port: Its HTTP port.
        paths: Paths the caller may use (``/x`` exact, ``/x/*`` prefix); empty: any path.
    """

    service: str
    port: int
    paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class Traffic:
    """The declared traffic of one service.

    Attributes:
        route_prefix: Its path prefix at the ingress gateway.
        callers: Services allowed to call it (their mTLS identity, their pods).
        callees: Services it calls (egress to their pods and ports).
        gateway_namespace: Namespace of the ingress gateway.
        gateway_service_account: Service account of the gateway pods (their mTLS identity).
        mesh_namespace: Namespace of istiod.
        monitoring_namespace: Namespace of Prometheus (it scrapes the merged metrics port).
        collector_namespace: Namespace of the OTel collector; None: no tracing egress.
        kafka_cluster: Strimzi cluster whose brokers it reaches; None: no Kafka egress.
        database: ``pods`` (in-cluster PostgreSQL, ``app.kubernetes.io/name: postgres``),
            ``external`` (RDS: any address on 5432) or None.
        trust_domain: The mesh's trust domain (SPIFFE identities ``<domain>/ns/<ns>/sa/<sa>``).
    """

    route_prefix: str
    callers: tuple[Peer, ...] = ()
    callees: tuple[Peer, ...] = ()
    gateway_namespace: str = namespaces.INGRESS
    gateway_service_account: str = "istio-ingressgateway"
    mesh_namespace: str = namespaces.MESH
    monitoring_namespace: str = namespaces.OBSERVABILITY
    collector_namespace: str | None = None
    kafka_cluster: str | None = None
    database: str | None = None
    trust_domain: str = "cluster.local"


def principal(traffic: Traffic, namespace: str, service_account: str) -> str:
    """The mTLS identity Istio's AuthorizationPolicy matches (``source.principal``)."""
    return f"{traffic.trust_domain}/ns/{namespace}/sa/{service_account}"


def authorization_policy(name: str, port: int, namespace: str, traffic: Traffic) -> dict[str, Any]:
    """The ``spec`` of the service's AuthorizationPolicy (action ALLOW: the rest is denied)."""
    prefix = traffic.route_prefix.rstrip("/")
    rules: list[dict[str, Any]] = [
        {"from": [{"source": {"principals": [
            principal(traffic, traffic.gateway_namespace, traffic.gateway_service_account)]}}],
         "to": [{"operation": {"ports": [str(port)],
                               "paths": [prefix or "/", f"{prefix}/*"]}}]},
        # Prometheus has no sidecar (no identity): the metrics port admits GET of the merged
        # metrics only; the NetworkPolicy admits only the monitoring namespace on it.
        {"to": [{"operation": {"ports": [str(container.MESH_METRICS_PORT)], "methods": ["GET"],
                               "paths": [container.MESH_METRICS_PATH]}}]},
    ]
    for caller in traffic.callers:
        operation: dict[str, Any] = {"ports": [str(port)]}
        if caller.paths:
            operation["paths"] = list(caller.paths)
        rules.append({"from": [{"source": {"principals": [
            principal(traffic, namespace, caller.service)]}}], "to": [{"operation": operation}]})
    return {"selector": {"matchLabels": {APP: name}}, "action": "ALLOW", "rules": rules}


def _namespace(name: str) -> dict[str, Any]:
    return {"namespaceSelector": {"matchLabels": {NAMESPACE_NAME: name}}}


def _tcp(*ports: int) -> list[dict[str, Any]]:
    return [{"protocol": "TCP", "port": p} for p in ports]


def network_policy(name: str, port: int, traffic: Traffic) -> dict[str, Any]:
    """The ``spec`` of the service's NetworkPolicy: ingress and egress both default-deny."""
    ingress = [
        {"from": [_namespace(traffic.gateway_namespace)], "ports": _tcp(port)},
        {"from": [_namespace(traffic.monitoring_namespace)],
         "ports": _tcp(container.MESH_METRICS_PORT)},
    ]
    if traffic.callers:
        ingress.append({"from": [{"podSelector": {"matchLabels": {APP: c.service}}}
                                 for c in traffic.callers], "ports": _tcp(port)})
    egress: list[dict[str, Any]] = [
        {"to": [{**_namespace(namespaces.KUBE_SYSTEM),
                 "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
         "ports": [{"protocol": "UDP", "port": DNS_PORT}, {"protocol": "TCP", "port": DNS_PORT}]},
        {"to": [_namespace(traffic.mesh_namespace)], "ports": _tcp(*ISTIOD_PORTS)},
    ]
    if traffic.kafka_cluster:
        egress.append({"to": [{"podSelector": {"matchLabels": {
            "strimzi.io/cluster": traffic.kafka_cluster, "strimzi.io/kind": "Kafka"}}}],
            "ports": _tcp(KAFKA_TLS_PORT)})
    if traffic.database == "pods":
        egress.append({"to": [{"podSelector": {"matchLabels": {APP: "postgres"}}}],
                       "ports": _tcp(POSTGRES_PORT)})
    elif traffic.database == "external":
        egress.append({"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": _tcp(POSTGRES_PORT)})
    if traffic.collector_namespace:
        egress.append({"to": [_namespace(traffic.collector_namespace)],
                       "ports": _tcp(container.OTLP_PORT)})
    for callee in traffic.callees:
        egress.append({"to": [{"podSelector": {"matchLabels": {APP: callee.service}}}],
                       "ports": _tcp(callee.port)})
    return {"podSelector": {"matchLabels": {APP: name}}, "policyTypes": ["Ingress", "Egress"],
            "ingress": ingress, "egress": egress}

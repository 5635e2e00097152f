"""Compose the in-cluster layers over a Foundation, with explicit, minimal dependencies.

Edges (nothing else is serialized):
- Istio base (CRDs) -> Gateway, VirtualServices, DestinationRules, EnvoyFilter,
  PeerAuthentication, Telemetry; istiod -> gateway release and every pod with a sidecar.
- Strimzi CRDs -> operator release -> Kafka, node pools, topics, users.
- kube-prometheus-stack (ServiceMonitor CRD) -> ServiceMonitors.
- the workload namespace -> everything namespaced in it; DB bootstrap Job and Kafka users ->
  the Deployments that read their Secrets.
Observability, the mesh, the event bus and the data stores otherwise install in parallel.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi

from marketplace_kit.core.foundation import Foundation
from marketplace_kit.config import Platform
from marketplace_kit.platform.datastores import DatabaseClient, Datastores, DatastoresArgs
from marketplace_kit.platform.eventbus import EventBus, EventBusArgs, KafkaClient
from marketplace_kit.platform.gateway import ApiGateway, ApiGatewayArgs, Route
from marketplace_kit.platform.mesh import AWS_NLB, ServiceMesh, ServiceMeshArgs
from marketplace_kit.platform.observability import Observability, ObservabilityArgs
from marketplace_kit.platform.service import (
    KafkaAccess,
    MarketplaceService,
    MarketplaceServiceArgs,
)


@dataclass
class InCluster:
    """The in-cluster layers of a platform, for callers and tests to inspect."""

    observability: Observability
    mesh: ServiceMesh
    gateway: ApiGateway
    eventbus: EventBus
    datastores: Datastores
    services: dict[str, MarketplaceService] = field(default_factory=dict)


def build_in_cluster(platform: Platform, foundation: Foundation) -> InCluster:
    """Register the mesh, gateway, event bus, data stores, observability and every service."""
    config, specs = platform.config, platform.services
    production = config.blueprint == "production"
    ns = config.name
    opts = pulumi.ResourceOptions(providers=[foundation.provider])
    ready = list(foundation.ready)

    observability = Observability(
        "observability",
        ObservabilityArgs(config=config.observability, replicas=3 if production else 1,
                          depends_on=ready),
        opts=opts,
    )
    mesh = ServiceMesh(
        "mesh",
        ServiceMeshArgs(workload_namespace=ns, gateway_replicas=config.mesh.gateway_replicas,
                        tracing_host=observability.otlp_host, depends_on=ready,
                        load_balancer_annotations=AWS_NLB if foundation.target == "aws" else {}),
        opts=opts,
    )
    gateway = ApiGateway(
        "gateway",
        ApiGatewayArgs(
            workload_namespace=ns,
            routes=[Route(s.name, s.route_prefix, s.port) for s in specs],
            hosts=list(config.gateway.hosts),
            tls_secret=config.gateway.tls_secret,
            rate_limit_per_second=config.gateway.rate_limit_per_second,
            depends_on=[*mesh.crds_ready, mesh.workload_namespace, mesh.ingress_namespace],
        ),
        opts=opts,
    )
    eventbus = EventBus(
        "eventbus",
        EventBusArgs(
            namespace=ns,
            config=config.eventbus,
            topics=platform.topics,
            clients=[KafkaClient(s.name, tuple(s.publishes), tuple(s.consumes))
                     for s in specs if s.publishes or s.consumes],
            encrypted_ebs=foundation.target == "aws",
            depends_on=[mesh.workload_namespace, *ready],
        ),
        opts=opts,
    )
    datastores = Datastores(
        "datastores",
        DatastoresArgs(
            foundation=foundation,
            namespace=ns,
            clients=[DatabaseClient(s.name, s.datastore) for s in specs
                     if s.datastore != "none"],
            postgres=config.datastores.postgres,
            documentdb=config.datastores.documentdb,
            name=config.name,
            production=production,
            performance_insights=production,
            depends_on=[mesh.workload_namespace],
        ),
        opts=opts,
    )
    built = InCluster(observability, mesh, gateway, eventbus, datastores)
    for spec in specs:
        user = eventbus.users.get(spec.name)
        kafka = None
        if user is not None:
            kafka = KafkaAccess(eventbus.bootstrap_servers, spec.name, eventbus.ca_secret)
        built.services[spec.name] = MarketplaceService(
            spec.name,
            MarketplaceServiceArgs(
                spec=spec,
                namespace=ns,
                foundation=foundation,
                image_registry=config.image_registry,
                db_secret=datastores.secret_names.get(spec.name),
                kafka=kafka,
                otlp_host=observability.otlp_host,
                depends_on=[*mesh.ready, *datastores.ready, *([user] if user else [])],
                monitoring_depends_on=observability.monitoring_ready,
            ),
            opts=opts,
        )
    return built

"""Compose the in-cluster layers over a Foundation, with explicit, minimal dependencies.

Edges (nothing else is serialized):
- Istio base (CRDs) -> Gateway, VirtualServices, DestinationRules, EnvoyFilter,
  PeerAuthentication, Telemetry; istiod -> gateway release and every pod with a sidecar.
- Strimzi CRDs -> operator release -> Kafka, node pools, topics, users.
- kube-prometheus-stack (monitoring CRDs) -> ServiceMonitors, PodMonitors, PrometheusRules.
- the workload namespace -> everything namespaced in it; DB bootstrap Job and Kafka users ->
  the Deployments that read their Secrets.
Observability, the mesh, the event bus and the data stores otherwise install in parallel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import pulumi

from marketplace_kit.blueprints import deploy_access, settings, tokens
from marketplace_kit.blueprints.api_documents import api_documents
from marketplace_kit.blueprints.base import resource_prefix
from marketplace_kit.blueprints.deploy_inputs import DeployInputs
from marketplace_kit.blueprints.routes import route_table
from marketplace_kit.config import Platform
from marketplace_kit.contract.container import DISCOVERY_PATH, JWKS_PATH
from marketplace_kit.core.foundation import Foundation
from marketplace_kit.errors import KitError
from marketplace_kit.platform import registry, versions
from marketplace_kit.platform.api_docs import ApiDocs, ApiDocsArgs, DocumentsTooLarge
from marketplace_kit.platform.datastores import DatabaseClient, Datastores, DatastoresArgs
from marketplace_kit.platform.eventbus import EventBus, EventBusArgs, KafkaClient
from marketplace_kit.platform.gateway import ApiGateway, ApiGatewayArgs
from marketplace_kit.platform.karpenter import Karpenter, KarpenterArgs, NodePoolLimits
from marketplace_kit.platform.mesh import (
    AWS_NLB,
    GATEWAY_RELEASE,
    INGRESS_NAMESPACE,
    SYSTEM_NAMESPACE,
    ServiceMesh,
    ServiceMeshArgs,
)
from marketplace_kit.platform.metrics_server import MetricsServer, MetricsServerArgs
from marketplace_kit.platform.monitoring import PlatformMonitoring, PlatformMonitoringArgs
from marketplace_kit.platform.observability import NAMESPACE, Observability, ObservabilityArgs
from marketplace_kit.platform.pins import Pins
from marketplace_kit.platform.principals import key_users
from marketplace_kit.platform.service import (
    KafkaAccess,
    MarketplaceService,
    MarketplaceServiceArgs,
)
from marketplace_kit.platform.tokens import TokenAccess, TokenSigningKeys
from marketplace_kit.platform.traffic import Peer, Traffic

_C = TypeVar("_C", bound=pulumi.ComponentResource)

@dataclass
class InCluster:
    """The in-cluster layers of a platform, for callers and tests to inspect."""

    addons: dict[str, pulumi.ComponentResource] = field(default_factory=dict)
    services: dict[str, MarketplaceService] = field(default_factory=dict)
    token_access: dict[str, TokenAccess | None] = field(default_factory=dict)
    traffic: dict[str, Traffic] = field(default_factory=dict)
    ci: deploy_access.CiAccess = field(default_factory=deploy_access.CiAccess)

    def _get(self, name: str, kind: type[_C]) -> _C:
        addon = self.addons[name]
        assert isinstance(addon, kind)
        return addon

    @property
    def observability(self) -> Observability:
        return self._get("observability", Observability)

    @property
    def mesh(self) -> ServiceMesh:
        return self._get("mesh", ServiceMesh)

    @property
    def gateway(self) -> ApiGateway:
        return self._get("gateway", ApiGateway)

    @property
    def eventbus(self) -> EventBus:
        return self._get("eventbus", EventBus)

    @property
    def datastores(self) -> Datastores:
        return self._get("datastores", Datastores)

    @property
    def monitoring(self) -> PlatformMonitoring:
        return self._get("monitoring", PlatformMonitoring)


@dataclass
class Context:
    """What a blueprint's config -> Args mapping reads: the platform, foundation, add-ons so far."""

    platform: Platform
    foundation: Foundation
    built: InCluster
    inputs: DeployInputs = field(default_factory=DeployInputs)
    _keys: list[TokenSigningKeys | None] = field(default_factory=list)

    def signing_keys(self) -> TokenSigningKeys | None:
        """The token issuer's keys, created once (after the mesh: in the workload namespace)."""
        if not self._keys:
            depends = [self.built.mesh.workload_namespace] if "mesh" in self.built.addons else []
            self._keys.append(tokens.signing_keys(self.platform, self.opts, depends))
        return self._keys[0]

    @property
    def production(self) -> bool:
        return self.platform.config.blueprint == "production"

    @property
    def pins(self) -> Pins:
        """The versions this run deploys (the kit's, or those a stack mid-upgrade holds)."""
        return self.inputs.pins(self.platform.config.cluster.kubernetes_version)

    @property
    def ready(self) -> list[pulumi.Resource]:
        """What must exist before any Kubernetes object (the foundation's ``ready``)."""
        return list(self.foundation.ready)

    @property
    def opts(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(providers=[self.foundation.provider])


def _observability(ctx: Context) -> Observability:
    config = ctx.platform.config
    return Observability(
        "observability",
        ObservabilityArgs(config=settings.telemetry(config.observability),
                          replicas=3 if ctx.production else 1,
                          depends_on=list(ctx.foundation.ready), charts=ctx.inputs.charts),
        opts=ctx.opts,
    )


def mesh_args(ctx: Context) -> ServiceMeshArgs:
    """The mesh's args from the config, its istiod revisions and injection from the Pins (the
    pinned Istio's; during an upgrade's canary those it holds, the in-place istiod at the
    version it runs)."""
    config, foundation, pins = ctx.platform.config, ctx.foundation, ctx.pins
    observability = ctx.built.addons.get("observability")
    tracing = observability.otlp_host if isinstance(observability, Observability) else None
    return ServiceMeshArgs(workload_namespace=config.name,
                           gateway_replicas=config.mesh.gateway_replicas,
                           tracing_host=tracing, depends_on=list(foundation.ready),
                           load_balancer_depends_on=list(foundation.edge),
                           load_balancer_annotations=AWS_NLB if foundation.target == "aws" else {},
                           charts=ctx.inputs.charts, revisions=pins.istio_revisions,
                           injection_revision=pins.istio_injection,
                           in_place_version=pins.istio_in_place or versions.ISTIO)


def _mesh(ctx: Context) -> ServiceMesh:
    return ServiceMesh("mesh", mesh_args(ctx), opts=ctx.opts)


def _gateway(ctx: Context) -> ApiGateway:
    config, mesh = ctx.platform.config, ctx.built.mesh
    table = route_table(ctx.platform)
    return ApiGateway(
        "gateway",
        ApiGatewayArgs(
            workload_namespace=config.name,
            routes=list(table.routes),
            tokens=tokens.gateway_issuer(ctx.platform, ctx.signing_keys()),
            hosts=list(config.gateway.hosts),
            tls_secret=config.gateway.tls_secret,
            rate_limit_per_second=table.rate_limit_per_second,
            policy=table.policy,
            depends_on=[*mesh.crds_ready, mesh.workload_namespace, mesh.ingress_namespace],
            route_objects=not config.service_stacks,
        ),
        opts=ctx.opts,
    )


def _eventbus(ctx: Context) -> EventBus:
    platform = ctx.platform
    return EventBus(
        "eventbus",
        EventBusArgs(
            namespace=platform.config.name,
            config=settings.kafka(platform.config.eventbus),
            # With service stacks, each producer's stack owns its topics and its Kafka user.
            topics=[] if platform.config.service_stacks else platform.topics,
            clients=[] if platform.config.service_stacks else kafka_clients(platform),
            encrypted_ebs=ctx.foundation.target == "aws",
            zone_aware=ctx.foundation.target == "aws",
            depends_on=[ctx.built.mesh.workload_namespace, *ctx.foundation.ready],
            monitoring_depends_on=ctx.built.observability.monitoring_ready,
            charts=ctx.inputs.charts,
            kafka_version=ctx.pins.kafka,
            kafka_metadata_version=ctx.pins.kafka_metadata,
            strimzi_crds=ctx.pins.strimzi_crds,
            strimzi_crds_mirror=ctx.inputs.strimzi_crds_mirror,
        ),
        opts=ctx.opts,
    )


def kafka_clients(platform: Platform) -> list[KafkaClient]:
    """Every service that publishes or consumes, with its topics."""
    return [KafkaClient(s.name, tuple(s.publishes), tuple(s.consumes))
            for s in platform.services if s.publishes or s.consumes]


def _datastores(ctx: Context) -> Datastores:
    config = ctx.platform.config
    return Datastores(
        "datastores",
        DatastoresArgs(
            foundation=ctx.foundation,
            namespace=config.name,
            clients=[DatabaseClient(s.name, s.datastore) for s in ctx.platform.services
                     if s.datastore != "none"],
            postgres=settings.postgres(config.datastores.postgres),
            documentdb=settings.documentdb(config.datastores.documentdb),
            name=resource_prefix(config.name, pulumi.get_stack()),
            production=ctx.production,
            lift_deletion_protection=ctx.inputs.lift_deletion_protection,
            performance_insights=ctx.production,
            deployers=(key_users(config.cluster.admin_principal_arns, pulumi.InvokeOptions())
                       if ctx.foundation.target == "aws" else []),
            depends_on=[ctx.built.mesh.workload_namespace],
        ),
        opts=ctx.opts,
    )


def _metrics_server(ctx: Context) -> MetricsServer:
    args = MetricsServerArgs(replicas=2 if ctx.production else 1, depends_on=ctx.ready,
                             insecure_kubelet_tls=ctx.foundation.target == "local",
                             charts=ctx.inputs.charts)
    return MetricsServer("metrics-server", args, opts=ctx.opts)


def _monitoring(ctx: Context) -> PlatformMonitoring:
    observability, mesh = ctx.built.observability, ctx.built.mesh
    eventbus = ctx.built.addons.get("eventbus")
    return PlatformMonitoring(
        "platform-monitoring",
        PlatformMonitoringArgs(
            namespace=NAMESPACE, mesh_namespace=SYSTEM_NAMESPACE,
            kafka_brokers=ctx.platform.config.eventbus.brokers if eventbus else 0,
            depends_on=[*observability.monitoring_ready, *mesh.ready],
        ),
        opts=ctx.opts,
    )


def _api_docs(ctx: Context) -> ApiDocs | None:
    """Only with ``gateway.api_docs`` and services found in the services_dir."""
    config, mesh, gateway = ctx.platform.config, ctx.built.mesh, ctx.built.gateway
    documents = api_documents(ctx.platform) if config.gateway.api_docs else None
    if documents is None:
        return None
    flows = Traffic(route_prefix="", gateway_namespace=INGRESS_NAMESPACE,
                    gateway_service_account=GATEWAY_RELEASE, mesh_namespace=SYSTEM_NAMESPACE,
                    monitoring_namespace=NAMESPACE)
    try:
        args = ApiDocsArgs(
            namespace=config.name, openapi=documents.openapi, asyncapi=documents.asyncapi,
            gateway=gateway.gateway_ref, hosts=list(config.gateway.hosts),
            open_at_gateway=gateway.authorization_policy is not None, traffic=flows,
            replicas=2 if ctx.production else 1,
            depends_on=[*mesh.crds_ready, mesh.workload_namespace, gateway.gateway],
        )
        return ApiDocs("api-docs", args, opts=ctx.opts)
    except DocumentsTooLarge as exc:
        raise KitError(f"{exc}; fix: set gateway.api_docs: false, or split the services' "
                       "documents") from None


def _karpenter(ctx: Context) -> Karpenter:
    limits = NodePoolLimits(spot_cpu=64, on_demand_cpu=32) if ctx.production else NodePoolLimits()
    args = KarpenterArgs(foundation=ctx.foundation, limits=limits,
                         replicas=2 if ctx.production else 1,
                         disk_gib=ctx.platform.config.cluster.on_demand.disk_gib,
                         ami_alias=ctx.pins.karpenter_ami_alias)
    return Karpenter("karpenter", args, opts=ctx.opts)


# The in-cluster add-ons of every blueprint, each with how the blueprint maps its config to the
# add-on's Args (config -> Args stays in blueprints/). Registration follows each add-on's declared
# ``after``; an add-on whose ``targets`` exclude the platform's target is left out, and so is one
# whose mapping returns None (not configured).
IN_CLUSTER: dict[str, Callable[[Context], pulumi.ComponentResource | None]] = {
    "observability": _observability,
    "mesh": _mesh,
    "gateway": _gateway,
    "eventbus": _eventbus,
    "datastores": _datastores,
    "metrics-server": _metrics_server,
    "monitoring": _monitoring,
    "karpenter": _karpenter,
    "api-docs": _api_docs,  # None (left out) unless gateway.api_docs
}


def build_in_cluster(
    platform: Platform, foundation: Foundation, inputs: DeployInputs | None = None
) -> InCluster:
    """Register the blueprint's in-cluster add-ons, in their declared order, then every service."""
    config, specs = platform.config, platform.services
    built = InCluster()
    ctx = Context(platform, foundation, built, inputs or DeployInputs())
    included = [n for n in IN_CLUSTER if foundation.target in registry.addons()[n].targets]
    for name in registry.ordered(included):
        addon = IN_CLUSTER[name](ctx)
        if addon is not None:
            built.addons[name] = addon
    eventbus, datastores = built.eventbus, built.datastores
    mesh, observability = built.mesh, built.observability
    ns = config.name
    keys = ctx.signing_keys()
    flows = traffic_of(platform, eventbus.cluster_name, observability.otlp_host is not None,
                       "external" if foundation.target == "aws" else "pods", keys is not None)
    built.token_access = {spec.name: tokens.token_access(platform, spec, keys) for spec in specs}
    built.traffic = flows
    for spec in specs if not config.service_stacks else ():
        user = eventbus.users.get(spec.name)
        kafka = None
        if user is not None:
            kafka = KafkaAccess(eventbus.bootstrap_servers, spec.name, eventbus.ca_secret)
        built.services[spec.name] = MarketplaceService(
            spec.name,
            MarketplaceServiceArgs(
                spec=settings.workload(spec),
                namespace=ns,
                foundation=foundation,
                image_registry=config.image_registry,
                db_secret=datastores.secret_names.get(spec.name),
                kafka=kafka,
                otlp_host=observability.otlp_host,
                tokens=built.token_access[spec.name],
                traffic=flows[spec.name],
                sidecar_revision=mesh.injection_revision,
                depends_on=[*mesh.crds_ready, *mesh.ready, *datastores.ready,
                            *([user] if user else []),
                            *([keys.secret] if keys and spec.issues_tokens else [])],
                monitoring_depends_on=observability.monitoring_ready,
            ),
            opts=ctx.opts,
        )
    if deploy_access.wanted(platform, foundation):
        secrets = {spec.name: pod_secrets(spec.name, built) for spec in specs}
        built.ci = deploy_access.build_deploy_access(
            platform, foundation, secrets, ctx.opts, [mesh.workload_namespace, *ctx.ready])
    return built


def pod_secrets(service: str, built: InCluster) -> tuple[str, ...]:
    """The Secrets a service's pods read: its database, its Kafka user (named after it), the
    cluster CA, and the issuer's signing keys."""
    access = built.token_access.get(service)
    found = [built.datastores.secret_names.get(service), service, built.eventbus.ca_secret,
             access.keys_secret if access is not None else None]
    return tuple(sorted({s for s in found if s}))


def traffic_of(
    platform: Platform, kafka_cluster: str, tracing: bool, database: str, tokens: bool
) -> dict[str, Traffic]:
    """Each service's declared traffic: its ``calls:``, and every token verifier calling the
    issuer's JWKS and discovery paths (what AUTH_JWKS_URL points at)."""
    specs = {s.name: s for s in platform.services}
    calls: dict[str, dict[str, tuple[str, ...]]] = {
        s.name: {c: () for c in s.calls} for s in specs.values()}
    issuer = platform.token_issuer
    if issuer is not None and tokens:
        well_known = (f"{issuer.route_prefix}{JWKS_PATH}", f"{issuer.route_prefix}{DISCOVERY_PATH}")
        for name in specs:
            if name != issuer.name and issuer.name not in calls[name]:
                calls[name][issuer.name] = well_known
    flows = {}
    for spec in specs.values():
        callers = tuple(Peer(c, specs[c].port, paths) for c in sorted(calls)
                        for callee, paths in calls[c].items() if callee == spec.name)
        callees = tuple(Peer(c, specs[c].port) for c in sorted(calls[spec.name]))
        flows[spec.name] = Traffic(
            route_prefix=spec.route_prefix, callers=callers, callees=callees,
            gateway_namespace=INGRESS_NAMESPACE, gateway_service_account=GATEWAY_RELEASE,
            mesh_namespace=SYSTEM_NAMESPACE, monitoring_namespace=NAMESPACE,
            collector_namespace=NAMESPACE if tracing else None,
            kafka_cluster=kafka_cluster if spec.publishes or spec.consumes else None,
            database=database if spec.datastore != "none" else None,
        )
    return flows

"""One service as a stack of its own, on the platform stack's exported contract.

The service's program reads the platform through a ``pulumi.StackReference`` (the contract of
``contract/platform_outputs.py``) and registers only what the service owns: its workload
(Deployment, Service, HPA, PDB, ServiceAccount, ServiceMonitor, dashboard), its route
(VirtualService, DestinationRule), the topics it publishes with their dead-letter topics (one
owner per topic: the producer; a consumer's ACLs, reading the topic and writing its DLQ, do not
need either to exist), and its Kafka user with its ACLs. Its database and role stay with the
platform (creating them needs the database's admin credentials); the contract names the Secret.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from marketplace_kit.blueprints import settings
from marketplace_kit.config import ServiceSpec
from marketplace_kit.contract import platform_outputs
from marketplace_kit.contract.platform_outputs import PlatformOutputs
from marketplace_kit.core.events import owned_topics
from marketplace_kit.core.foundation import Foundation
from marketplace_kit.platform.eventbus import KafkaClient, topic_resource, user_resource
from marketplace_kit.platform.gateway import OpenRoute, Route, RoutePolicy, route_resources
from marketplace_kit.platform.service import KafkaAccess, MarketplaceService, MarketplaceServiceArgs
from marketplace_kit.platform.tokens import TokenAccess
from marketplace_kit.platform.traffic import Peer, Traffic


@dataclass
class ServiceStack:
    """What one service's stack registered, for callers and tests to inspect."""

    service: MarketplaceService
    topics: dict[str, pulumi.Resource] = field(default_factory=dict)
    user: pulumi.Resource | None = None
    routes: tuple[pulumi.Resource, ...] = ()


def build_service_stack(
    spec: ServiceSpec, contract: PlatformOutputs, kubeconfig: pulumi.Input[str] | None
) -> ServiceStack:
    """Register one service's resources against the platform described by ``contract``."""
    if contract.target == "aws":
        provider = k8s.Provider("platform-cluster", kubeconfig=kubeconfig)
    else:
        provider = k8s.Provider("platform-cluster", context=contract.kube_context or None)
    opts = pulumi.ResourceOptions(provider=provider)
    ns, cluster = contract.namespace, contract.kafka_cluster
    owned = owned_topics(tuple(spec.publishes))
    topics = {t: topic_resource(t, ns, cluster, contract.kafka_topic_spec, opts) for t in owned}
    user = None
    if spec.publishes or spec.consumes:
        client = KafkaClient(spec.name, tuple(spec.publishes), tuple(spec.consumes))
        user = user_resource(client, ns, cluster, opts)
    route = Route(spec.name, spec.route_prefix, spec.port,
                  tuple(OpenRoute.parse(r) for r in spec.public_routes))
    routes = route_resources(route, ns, list(contract.gateway_hosts), contract.gateway,
                             RoutePolicy(), opts)
    foundation = Foundation(
        target="aws" if contract.target == "aws" else "local",
        provider=provider,
        cluster_name=contract.cluster_name,
        oidc_provider_arn=pulumi.Output.from_input(contract.oidc_provider_arn)
        if contract.oidc_provider_arn else None,
        oidc_issuer_url=pulumi.Output.from_input(contract.oidc_issuer_url)
        if contract.oidc_issuer_url else None,
    )
    access = contract.token_access.get(spec.name)
    service = MarketplaceService(
        spec.name,
        MarketplaceServiceArgs(
            spec=settings.workload(spec),
            namespace=ns,
            foundation=foundation,
            image_registry=contract.image_registry,
            db_secret=contract.database_secrets.get(spec.name),
            kafka=KafkaAccess(contract.kafka_bootstrap_servers, spec.name,
                              contract.kafka_ca_secret) if user is not None else None,
            otlp_host=contract.otlp_host or None,
            tokens=TokenAccess(**access) if access else None,
            traffic=traffic_from(contract.traffic.get(spec.name)),
            sidecar_revision=contract.sidecar_revision or None,
            depends_on=[*([user] if user is not None else [])],
            permissions_boundary=contract.service_role_boundary or None,
        ),
        opts=opts,
    )
    return ServiceStack(service, topics, user, routes)


def traffic_from(data: dict[str, Any] | None) -> Traffic | None:
    """A service's ``Traffic`` back from the contract's plain values."""
    if data is None:
        return None
    peers = {k: tuple(Peer(p["service"], p["port"], tuple(p.get("paths", ()))) for p in data[k])
             for k in ("callers", "callees")}
    return Traffic(**{**data, **peers})


def service_program(spec: ServiceSpec, platform_stack: str,
                    parameter: str | None = None) -> Callable[[], Awaitable[None]]:
    """The service stack's Pulumi program (async: it awaits the platform's contract): from its
    SSM ``parameter`` (aws: the platform's state stays unread), else through a StackReference
    to ``platform_stack`` (local)."""

    async def program() -> None:
        if parameter:
            import pulumi_aws as aws

            text = await aws.ssm.get_parameter_output(name=parameter).value.future()
            contract, kubeconfig = platform_outputs.read_document(text, parameter)
            build_service_stack(spec, contract, kubeconfig)
            return
        reference = pulumi.StackReference("platform", stack_name=platform_stack)
        contract = await platform_outputs.read(reference, platform_stack)
        from_reference = reference.get_output(platform_outputs.KUBECONFIG)
        build_service_stack(spec, contract,
                            from_reference if contract.target == "aws" else None)

    return program

"""A plain Pulumi program built from marketplace-kit's components, as a Pulumi user writes one.

Every layer, without ``marketplace.yaml``: network, EKS, then observability, the mesh, the API
gateway, Kafka, PostgreSQL and one service, each from its own typed Args.
``pulumi up`` runs this file as ``__main__``; tests import it and plan :func:`build` offline.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from marketplace_kit.contract.openapi import merge_openapi
from marketplace_kit.core.events import owned_topics
from marketplace_kit.core.foundation import Foundation
from marketplace_kit.platform import (
    ApiDocs,
    ApiDocsArgs,
    ApiGateway,
    ApiGatewayArgs,
    Cluster,
    ClusterArgs,
    DatabaseClient,
    Datastores,
    DatastoresArgs,
    DeployIdentity,
    EventBus,
    EventBusArgs,
    KafkaAccess,
    KafkaClient,
    KafkaSettings,
    Karpenter,
    KarpenterArgs,
    MarketplaceService,
    MarketplaceServiceArgs,
    MetricsServer,
    MetricsServerArgs,
    Network,
    NetworkArgs,
    NodeGroupArgs,
    Observability,
    ObservabilityArgs,
    OpenRoute,
    PlatformMonitoring,
    PlatformMonitoringArgs,
    PostgresSettings,
    Route,
    ServiceDeployAccess,
    ServiceDeployAccessArgs,
    ServiceMesh,
    ServiceMeshArgs,
    TelemetrySettings,
    TokenAccess,
    TokenIssuer,
    TokenSigningKeys,
    TokenSigningKeysArgs,
    Workload,
)
from marketplace_kit.platform.service import boundary_policy

APPS = "apps"  # the workload namespace (sidecar injection on)
# The orders service's OpenAPI document (a real service serves it at /orders/openapi.json).
ORDERS_OPENAPI = {
    "openapi": "3.1.0",
    "info": {"title": "orders", "version": "1.0.0"},
    "paths": {"/orders/catalog/items": {"get": {
        "operationId": "list_items", "responses": {"200": {"description": "The items."}}}}},
}


def build(name: str = "shop", public_access_cidrs: Sequence[str] = ()) -> Cluster:
    """A 3-AZ VPC, an EKS cluster on it, the in-cluster platform and one ``orders`` service."""
    network = Network(name, NetworkArgs(cluster_name=name, az_count=3, nat="per_az"))
    cluster = Cluster(
        name,
        ClusterArgs(
            cluster_name=name,
            vpc_id=network.vpc_id,
            private_subnet_ids=network.private_subnet_ids,
            public_access_cidrs=list(public_access_cidrs),
            node_groups=[
                NodeGroupArgs("general", instance_types=["m6i.large"], min_size=2,
                              desired_size=2, max_size=4),
                NodeGroupArgs("spot", capacity_type="SPOT",
                              instance_types=["m6i.large", "m5.large"], min_size=0,
                              desired_size=1, max_size=6),
            ],
        ),
    )
    # What every in-cluster component needs from the layers below (the kit's one contract).
    foundation = Foundation(
        target="aws", provider=cluster.provider, cluster_name=cluster.cluster_name,
        ready=cluster.ready, vpc_id=network.vpc_id, vpc_cidr=network.vpc_cidr,
        private_subnet_ids=network.private_subnet_ids,
        node_security_group_id=cluster.node_security_group_id,
        oidc_provider_arn=cluster.oidc_provider_arn, oidc_issuer_url=cluster.oidc_issuer_url,
        node_role_arn=cluster.node_role_arn,
    )
    opts = pulumi.ResourceOptions(providers=[cluster.provider])
    # Node autoscaling (spot first, on-demand fallback) and the metrics API the HPAs read.
    Karpenter("karpenter", KarpenterArgs(foundation=foundation), opts=opts)
    MetricsServer("metrics-server", MetricsServerArgs(replicas=2, depends_on=cluster.ready),
                  opts=opts)
    observability = Observability(
        "observability",
        ObservabilityArgs(config=TelemetrySettings(logs="loki"), depends_on=cluster.ready),
        opts=opts,
    )
    mesh = ServiceMesh(
        "mesh",
        ServiceMeshArgs(workload_namespace=APPS, gateway_replicas=2,
                        tracing_host=observability.otlp_host, depends_on=cluster.ready),
        opts=opts,
    )
    # The orders service issues the tokens here: it alone gets the signing keys Secret; the
    # gateway checks tokens with their public keys; GET /orders/catalog/* stays open.
    keys = TokenSigningKeys(
        "tokens",
        TokenSigningKeysArgs(service="orders", namespace=APPS, kids=["2026-01"],
                             depends_on=[mesh.workload_namespace]),
        opts=opts,
    )
    issuer = f"http://orders.{APPS}.svc.cluster.local:8000/orders"
    gateway = ApiGateway(
        "gateway",
        ApiGatewayArgs(workload_namespace=APPS,
                       routes=[Route("orders", "/orders", 8000,
                                     public=(OpenRoute("GET", "/catalog/*"),))],
                       tokens=TokenIssuer(issuer, name, keys.jwks, "/orders"),
                       depends_on=[*mesh.crds_ready, mesh.workload_namespace,
                                   mesh.ingress_namespace]),
        opts=opts,
    )
    # The gateway's one API document (/openapi.json, /docs): the services' own documents merged.
    ApiDocs(
        "api-docs",
        ApiDocsArgs(namespace=APPS, openapi=merge_openapi({"orders": ORDERS_OPENAPI},
                                                          {"orders": "/orders"}),
                    gateway=gateway.gateway_ref,
                    open_at_gateway=gateway.authorization_policy is not None,
                    depends_on=[*mesh.crds_ready, mesh.workload_namespace, gateway.gateway]),
        opts=opts,
    )
    bus = EventBus(
        "eventbus",
        EventBusArgs(namespace=APPS, config=KafkaSettings(brokers=3), topics=["order-events"],
                     clients=[KafkaClient("orders", publishes=("order-events",))],
                     encrypted_ebs=True, depends_on=[mesh.workload_namespace, *cluster.ready],
                     monitoring_depends_on=observability.monitoring_ready),
        opts=opts,
    )
    PlatformMonitoring(
        "platform-monitoring",
        PlatformMonitoringArgs(namespace="observability", mesh_namespace="istio-system",
                               kafka_brokers=3,
                               depends_on=[*observability.monitoring_ready, *mesh.ready]),
        opts=opts,
    )
    stores = Datastores(
        "datastores",
        DatastoresArgs(foundation=foundation, namespace=APPS, name=name,
                       clients=[DatabaseClient("orders", "postgres")],
                       postgres=PostgresSettings(instance_class="db.t4g.medium"),
                       depends_on=[mesh.workload_namespace]),
        opts=opts,
    )
    user = bus.users["orders"]
    # The most the orders role may ever be granted: its deploy role writes that role's inline
    # policy only with this boundary attached, and may never lift it.
    boundary = aws.iam.Policy("service-role-boundary", policy=json.dumps(boundary_policy()),
                              opts=opts)
    MarketplaceService(
        "orders",
        MarketplaceServiceArgs(
            spec=Workload(name="orders", version="1.0.0", publishes=("order-events",)),
            namespace=APPS, foundation=foundation,
            image_registry="123456789012.dkr.ecr.eu-west-1.amazonaws.com",
            db_secret=stores.secret_names["orders"],
            kafka=KafkaAccess(bus.bootstrap_servers, "orders", bus.ca_secret),
            otlp_host=observability.otlp_host,
            tokens=TokenAccess(issuer, name, keys_secret=keys.secret_name, kids=tuple(keys.keys)),
            depends_on=[*mesh.ready, *stores.ready, user, keys.secret],
            monitoring_depends_on=observability.monitoring_ready,
            permissions_boundary=boundary.arn,
        ),
        opts=opts,
    )
    # The orders repository's CI may deploy orders' own stack and nothing else.
    github = aws.iam.OpenIdConnectProvider("github-actions",
                                           url="https://token.actions.githubusercontent.com",
                                           client_id_lists=["sts.amazonaws.com"])
    deploy = ServiceDeployAccess(
        "orders-deploy-access",
        ServiceDeployAccessArgs(
            identity=DeployIdentity(
                service="orders", repository="example-org/orders", environment="production",
                names=("orders", "orders-dashboard"), topics=owned_topics(("order-events",)),
                secrets=(stores.secret_names["orders"], keys.secret_name, bus.ca_secret)),
            namespace=APPS, cluster_name=cluster.cluster_name,
            github_provider_arn=github.arn, service_project="orders",
            boundary_arn=boundary.arn,
            depends_on=[mesh.workload_namespace]),
        opts=opts,
    )
    pulumi.export("orders_deploy_role_arn", deploy.role_arn)
    pulumi.export("vpc_id", network.vpc_id)
    pulumi.export("private_subnet_ids", network.private_subnet_ids)
    pulumi.export("cluster_name", cluster.cluster_name)
    pulumi.export("oidc_provider_arn", cluster.oidc_provider_arn)
    pulumi.export("kubeconfig", pulumi.Output.secret(cluster.kubeconfig))
    return cluster


if __name__ == "__main__":
    config = pulumi.Config()
    build(
        name=config.get("clusterName") or "shop",
        public_access_cidrs=config.get_object("publicAccessCidrs") or [],
    )

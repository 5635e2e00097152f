"""Compose the platform layers for a blueprint: foundation (network + cluster), then in-cluster,
and export the platform contract service stacks read."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from marketplace_kit.blueprints.deploy_inputs import DeployInputs, recorded
from marketplace_kit.config import Platform

if TYPE_CHECKING:
    from marketplace_kit.blueprints.in_cluster import InCluster
    from marketplace_kit.core.foundation import Foundation


def build_platform(platform: Platform, inputs: DeployInputs | None = None) -> None:
    """Register every resource of a platform (inside a Pulumi program) and export its contract.

    Without ``inputs`` the program uses those ``up`` recorded in the stack's config. Charts,
    the cluster and Kafka at the inputs' ``Pins`` (the kit's, or those an upgrade holds)."""
    from marketplace_kit.blueprints.base import build_foundation
    from marketplace_kit.blueprints.in_cluster import build_in_cluster
    from marketplace_kit.contract import platform_outputs
    from marketplace_kit.platform.pins import holding

    inputs = inputs or recorded()
    with holding(inputs.pins(platform.config.cluster.kubernetes_version)):
        foundation = build_foundation(platform, inputs)
        built = build_in_cluster(platform, foundation, inputs)
    values = contract_values(platform, foundation, built)
    platform_outputs.export(values, foundation.kubeconfig)
    if foundation.target == "aws" and platform.config.service_stacks:
        publish_contract(platform, values, foundation.kubeconfig)


def publish_contract(platform: Platform, values: dict[str, Any],
                     kubeconfig: Any) -> None:
    """Each service's view of the contract as an SSM parameter of its own, away from the
    platform's state: a service's deploy role reads its parameter, never the platform stack."""
    import pulumi
    import pulumi_aws as aws

    from marketplace_kit.contract import platform_outputs as po

    contract = pulumi.Output.from_input({"version": po.VERSION, **values})

    def document(service: str) -> pulumi.Output[str]:
        return pulumi.Output.all(contract, kubeconfig).apply(
            lambda v: po.service_document(v[0], service, v[1] or ""))

    for spec in platform.services:
        aws.ssm.Parameter(
            f"{spec.name}-contract", type="String", tier="Intelligent-Tiering",
            name=po.parameter_name(platform.config.name, pulumi.get_stack(), spec.name),
            value=document(spec.name),
            description=f"the platform contract {spec.name}'s stack reads")


def contract_values(platform: Platform, foundation: Foundation, built: InCluster) -> dict[str, Any]:
    """The ``PlatformOutputs`` fields of this platform (Outputs where the cloud decides)."""
    from marketplace_kit.blueprints import settings
    from marketplace_kit.platform.eventbus import topic_spec

    config = platform.config
    eventbus, gateway = built.eventbus, built.gateway
    local = foundation.target == "local"
    return {
        "target": foundation.target,
        "region": config.region,
        "namespace": config.name,
        "cluster_name": foundation.cluster_name,
        "kube_context": (config.cluster.kubeconfig_context or "") if local else "",
        "oidc_provider_arn": foundation.oidc_provider_arn or "",
        "oidc_issuer_url": foundation.oidc_issuer_url or "",
        "kafka_cluster": eventbus.cluster_name,
        "kafka_bootstrap_servers": eventbus.bootstrap_servers,
        "kafka_ca_secret": eventbus.ca_secret,
        "kafka_topic_spec": topic_spec(settings.kafka(config.eventbus)),
        "otlp_host": built.observability.otlp_host or "",
        "gateway": gateway.gateway_ref,
        "gateway_hosts": list(config.gateway.hosts),
        "image_registry": config.image_registry,
        "database_secrets": dict(built.datastores.secret_names),
        "token_access": {name: asdict(access) for name, access in built.token_access.items()
                         if access is not None},
        "traffic": {name: asdict(flow) for name, flow in built.traffic.items()},
        "deploy_roles": dict(built.ci.deploy_roles),
        "push_roles": dict(built.ci.push_roles),
        "image_repositories": dict(built.ci.image_repositories),
        "service_role_boundary": built.ci.boundary,
        "sidecar_revision": built.mesh.injection_revision,
    }

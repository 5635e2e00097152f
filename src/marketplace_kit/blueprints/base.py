"""The foundation of a blueprint: Network + Cluster on AWS, or LocalCluster on target local."""

from __future__ import annotations

import hashlib
import re
from ipaddress import IPv4Network

from marketplace_kit.blueprints.deploy_inputs import DeployInputs
from marketplace_kit.config import Platform, PlatformConfig
from marketplace_kit.core.foundation import Foundation
from marketplace_kit.errors import ConfigError

MAX_PREFIX = 40  # leaves room for suffixes within RDS's 63 and EKS's 100 characters


def resource_prefix(platform_name: str, stack: str) -> str:
    """``<platform>-<stack>``, usable in EKS, RDS and DocumentDB names (one per stack).

    Lowercase letters, digits and single hyphens; shortened with a hash past ``MAX_PREFIX``.
    """
    text = re.sub(r"[^a-z0-9]+", "-", f"{platform_name}-{stack}".lower()).strip("-")
    if len(text) <= MAX_PREFIX:
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()[:6]
    return f"{text[: MAX_PREFIX - 7].rstrip('-')}-{digest}"


def cluster_name(config: PlatformConfig, stack: str) -> str:
    """The EKS cluster name: the platform name and its stack (a second stack gets its own)."""
    return resource_prefix(config.name, stack)


def public_access_cidrs(config: PlatformConfig, inputs: DeployInputs) -> list[str]:
    """Who may reach the public API endpoint (the listed CIDRs, the deployer's address, the
    deploy jobs' runners); empty means private only."""
    cluster = config.cluster
    if cluster.endpoint_access == "private":
        return []
    cidrs = [str(c) for c in (*cluster.public_access_cidrs, *runner_cidrs(config))]
    if cluster.endpoint_access == "deployer":
        if not inputs.deployer_cidr:
            raise ConfigError(
                "cluster.endpoint_access is deployer but the deployer's address is unknown; fix: "
                "deploy with `marketplace-kit up` (it finds the address), or set "
                "endpoint_access: cidrs with public_access_cidrs"
            )
        cidrs.append(inputs.deployer_cidr)
    return list(dict.fromkeys(cidrs))


def runner_cidrs(config: PlatformConfig) -> list[IPv4Network]:
    """The deploy jobs' runner CIDRs the API admits (``api_reach: runner_cidrs``)."""
    access = config.deploy_access
    if config.deploys_from_ci and access.api_reach == "runner_cidrs":
        return list(access.runner_cidrs)
    return []


def open_endpoint(config: PlatformConfig) -> bool:
    """Whether the public endpoint admits any address (``api_reach: public_endpoint``)."""
    return config.deploys_from_ci and config.deploy_access.api_reach == "public_endpoint"


def build_foundation(platform: Platform, inputs: DeployInputs | None = None) -> Foundation:
    """Register the network and cluster of a platform; return what the layers above need."""
    config = platform.config
    if config.target == "local":
        return _local(config)
    return _aws(config, inputs or DeployInputs())


def _local(config: PlatformConfig) -> Foundation:
    from marketplace_kit.platform.cluster import LocalCluster, LocalClusterArgs

    local = LocalCluster(config.name, LocalClusterArgs(context=config.cluster.kubeconfig_context))
    return Foundation(
        target="local", provider=local.provider, cluster_name=local.cluster_name, ready=local.ready
    )


def _aws(config: PlatformConfig, inputs: DeployInputs) -> Foundation:
    import pulumi

    from marketplace_kit.platform.cluster import Cluster, ClusterArgs, NodeGroupArgs
    from marketplace_kit.platform.network import Network, NetworkArgs

    name = cluster_name(config, pulumi.get_stack())
    tags = {"marketplace-kit/platform": config.name, "marketplace-kit/blueprint": config.blueprint}
    network = Network(
        config.name,
        NetworkArgs(
            cluster_name=name,
            cidr=str(config.network.cidr),
            az_count=config.network.azs,
            nat=config.network.nat,
            tags=tags,
        ),
    )
    pins = inputs.pins(config.cluster.kubernetes_version)
    sized = [("on-demand", config.cluster.on_demand), ("spot", config.cluster.spot)]
    groups = [
        NodeGroupArgs(
            name=group_name,
            capacity_type="SPOT" if group_name == "spot" else "ON_DEMAND",
            instance_types=tuple(group.instance_types),
            min_size=group.min,
            desired_size=group.desired,
            max_size=group.max,
            disk_gib=group.disk_gib,
            kubernetes_version=pins.node_kubernetes.get(group_name),
            ami_release=pins.node_releases.get(group_name),
        )
        for group_name, group in sized
        if group is not None
    ]
    cluster = Cluster(
        config.name,
        ClusterArgs(
            cluster_name=name,
            vpc_id=network.vpc_id,
            private_subnet_ids=network.private_subnet_ids,
            kubernetes_version=pins.kubernetes,
            node_groups=groups,
            public_access_cidrs=public_access_cidrs(config, inputs),
            open_endpoint=open_endpoint(config),
            admin_principal_arns=list(config.cluster.admin_principal_arns),
            # configured admins are the cluster's admins: whoever runs `up` gets no entry of
            # its own (an explicit access entry; the cluster's bootstrap flag, ForceNew on EKS,
            # is not touched by switching, so switching never replaces an existing cluster)
            creator_admin=not config.cluster.admin_principal_arns,
            # ForceNew: an existing cluster keeps the value it was created with (read from the
            # stack's state by `up`), so a kit upgrade never replaces it
            bootstrap_creator_admin=inputs.creator_bootstrap,
            log_types=list(config.cluster.log_types),
            support_type="EXTENDED" if config.cluster.extended_support else "STANDARD",
            addon_versions=dict(pins.addons),
            tags=tags,
            node_depends_on=network.egress,
        ),
    )
    return Foundation(
        target="aws",
        provider=cluster.provider,
        cluster_name=cluster.cluster_name,
        ready=cluster.ready,
        vpc_id=network.vpc_id,
        vpc_cidr=network.vpc_cidr,
        private_subnet_ids=network.private_subnet_ids,
        node_security_group_id=cluster.node_security_group_id,
        oidc_provider_arn=cluster.oidc_provider_arn,
        oidc_issuer_url=cluster.oidc_issuer_url,
        kubeconfig=cluster.kubeconfig,
        node_role_arn=cluster.node_role_arn,
        edge=network.edge,
    )

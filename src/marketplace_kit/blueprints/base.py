"""The foundation of a blueprint: Network + Cluster on AWS, or LocalCluster on target local."""

from __future__ import annotations

from marketplace_kit.config import Platform, PlatformConfig
from marketplace_kit.core.foundation import Foundation
from marketplace_kit.platform import versions


def cluster_name(config: PlatformConfig) -> str:
    """The EKS cluster name: the platform name and its blueprint (one cluster per stack)."""
    return f"{config.name}-{config.blueprint}"


def build_foundation(platform: Platform) -> Foundation:
    """Register the network and cluster of a platform; return what the layers above need."""
    config = platform.config
    if config.target == "local":
        return _local(config)
    return _aws(config)


def _local(config: PlatformConfig) -> Foundation:
    from marketplace_kit.platform.cluster import LocalCluster, LocalClusterArgs

    local = LocalCluster(config.name, LocalClusterArgs(context=config.cluster.kubeconfig_context))
    return Foundation(
        target="local", provider=local.provider, cluster_name=local.cluster_name, ready=local.ready
    )


def _aws(config: PlatformConfig) -> Foundation:
    from marketplace_kit.platform.cluster import Cluster, ClusterArgs, NodeGroupArgs
    from marketplace_kit.platform.network import Network, NetworkArgs

    name = cluster_name(config)
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
    sized = [("on-demand", config.cluster.on_demand), ("spot", config.cluster.spot)]
    groups = [
        NodeGroupArgs(
            name=group_name,
            capacity_type="SPOT" if group_name == "spot" else "ON_DEMAND",
            instance_types=tuple(group.instance_types),
            min_size=group.min,
            desired_size=group.desired,
            max_size=group.max,
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
            kubernetes_version=config.cluster.kubernetes_version,
            node_groups=groups,
            public_access_cidrs=[str(c) for c in config.cluster.public_access_cidrs],
            admin_principal_arns=list(config.cluster.admin_principal_arns),
            support_type="EXTENDED" if config.cluster.extended_support else "STANDARD",
            addon_versions=dict(
                versions.EKS_ADDONS_BY_KUBERNETES[config.cluster.kubernetes_version]),
            tags=tags,
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
    )

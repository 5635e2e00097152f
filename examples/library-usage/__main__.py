"""A plain Pulumi program built from marketplace-kit's components, as a Pulumi user writes one.

``pulumi up`` runs this file as ``__main__``; tests import it and plan :func:`build` offline.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_kubernetes as k8s

from marketplace_kit.platform import Cluster, ClusterArgs, Network, NetworkArgs, NodeGroupArgs


def build(name: str = "shop", public_access_cidrs: Sequence[str] = ()) -> Cluster:
    """A 3-AZ VPC with NAT per AZ, an EKS cluster on it, and one namespace for the apps."""
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
    # Anything Kubernetes goes through the cluster's provider, after the cluster is ready.
    k8s.core.v1.Namespace(
        "apps",
        metadata={"name": "apps", "labels": {"app.kubernetes.io/part-of": name}},
        opts=pulumi.ResourceOptions(provider=cluster.provider, depends_on=cluster.ready),
    )
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

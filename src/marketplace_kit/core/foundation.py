"""The contract between the cluster layer and everything that runs inside the cluster."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_kubernetes as k8s


@dataclass
class Foundation:
    """What the in-cluster layers need from the network and cluster below them.

    On target ``local`` only ``provider`` (and ``ready``, empty) are set: the AWS-only fields
    stay ``None``.

    Attributes:
        target: ``aws`` (EKS) or ``local`` (an existing kubeconfig context).
        provider: The Kubernetes provider every in-cluster resource goes through.
        cluster_name: Cluster name (EKS) or kubeconfig context.
        ready: Resources that must exist before any Kubernetes object is created (node groups,
            core add-ons).
        vpc_id: VPC of the cluster (aws).
        vpc_cidr: Its CIDR (security group rules of the data stores).
        private_subnet_ids: Private subnets (data store subnet groups).
        node_security_group_id: Security group of the nodes (what may reach the data stores).
        oidc_provider_arn: IAM OIDC provider of the cluster (IRSA trust policies).
        oidc_issuer_url: Its issuer URL.
        kubeconfig: How other stacks reach the cluster (aws; exported as a secret).
        node_role_arn: IAM role of the nodes (Karpenter launches its nodes with it).
        edge: What internet-facing load balancers sit on (aws: public subnets, the internet
            gateway and its route); whatever makes one depends on it, so destroy deletes the
            load balancer first.
    """

    target: Literal["aws", "local"]
    provider: k8s.Provider
    cluster_name: pulumi.Input[str]
    ready: list[pulumi.Resource] = field(default_factory=list)
    vpc_id: pulumi.Output[str] | None = None
    vpc_cidr: str | None = None
    private_subnet_ids: list[pulumi.Output[str]] = field(default_factory=list)
    node_security_group_id: pulumi.Output[str] | None = None
    oidc_provider_arn: pulumi.Output[str] | None = None
    oidc_issuer_url: pulumi.Output[str] | None = None
    kubeconfig: pulumi.Output[str] | None = None
    node_role_arn: pulumi.Output[str] | None = None
    edge: list[pulumi.Resource] = field(default_factory=list)

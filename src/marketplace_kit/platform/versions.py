"""Every pinned external version the kit deploys, in one place.

Each pin names the upstream release it comes from. Change a version here and every component,
blueprint, rendered manifest and generated service follows.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Chart:
    """A pinned Helm chart: name, repository and version (the upstream release it comes from)."""

    name: str
    repository: str
    version: str
    source: str


# --- Kubernetes / EKS -------------------------------------------------------------------
# EKS standard support: https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html
KUBERNETES = "1.33"

# EKS managed add-ons, versions published for Kubernetes 1.33 (`aws eks describe-addon-versions`).
EKS_ADDONS: dict[str, str] = {
    "vpc-cni": "v1.19.5-eksbuild.1",
    "coredns": "v1.12.1-eksbuild.2",
    "kube-proxy": "v1.33.0-eksbuild.2",
    "aws-ebs-csi-driver": "v1.44.0-eksbuild.1",
}

# Managed node group AMI: Amazon Linux 2023 (AL2 AMIs end with Kubernetes 1.32).
# https://docs.aws.amazon.com/eks/latest/APIReference/API_Nodegroup.html#AmazonEKS-Type-Nodegroup-amiType
EKS_AMI_TYPE = "AL2023_x86_64_STANDARD"

# --- Pulumi providers (installed at these versions before `up`) -------------------------
PULUMI_PLUGINS: dict[str, str] = {
    "aws": "7.51.1",  # pulumi-aws on PyPI, same version as the plugin
    "kubernetes": "4.34.2",  # pulumi-kubernetes on PyPI
}

# Oldest Pulumi CLI the kit drives: 3.181.0 added `--client` for inline programs on refresh and
# destroy (https://github.com/pulumi/pulumi/releases/tag/v3.181.0), which the Automation API uses.
PULUMI_CLI_MINIMUM = "3.181.0"

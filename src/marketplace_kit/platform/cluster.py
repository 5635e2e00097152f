"""Cluster: EKS from pulumi-aws primitives, and LocalCluster for an existing kubeconfig context.

Both hand the layers above a ``k8s.Provider`` (``provider``) and the resources that must exist
before any Kubernetes object is created (``ready``).

EKS order of creation (explicit, nothing serialised that could run in parallel)::

    IAM role ─► KMS key ─► cluster ─► OIDC provider ─► ebs-csi IRSA role ───────────┐
                              ├─► vpc-cni, kube-proxy ─► node groups ─► coredns, ebs-csi
                              └─► admin access entries ─► Kubernetes provider ─► gp3 StorageClass

The Secrets key's policy (``key_policy.cluster_key_policy``) names the cluster role, hence the
role first.

The control-plane log group is left to EKS (``/aws/eks/<name>/cluster``): a group created here
is re-created by EKS from late log deliveries after a destroy, and the next ``up`` then fails
on "already exists". ``marketplace-kit up`` sets its retention once EKS has made it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from marketplace_kit.core.addon import AddOn
from marketplace_kit.errors import ConfigError
from marketplace_kit.platform import namespaces, versions
from marketplace_kit.platform.cidr import parse_cidr
from marketplace_kit.platform.iam import (
    attach_policies,
    irsa_role,
    managed_policy,
    service_trust_policy,
)
from marketplace_kit.platform.key_policy import cluster_key_policy
from marketplace_kit.platform.meta import CAPACITY_LABEL, labels
from marketplace_kit.platform.principals import deployers, key_users

ADDONS = (
    AddOn(
        name="cluster", component="Cluster", exports=("Cluster", "ClusterArgs", "NodeGroupArgs"),
        group="cluster", layer="foundation", section="cluster",
        notes="EKS: version, node groups (on-demand, spot), API access CIDRs, admins",
        needs=("vpc_id", "private_subnet_ids"),
        provides=("provider", "ready", "oidc_provider_arn", "oidc_issuer_url",
                  "node_security_group_id"),
        after=("network",), targets=("aws",),
        priced=("aws:eks/cluster:Cluster", "aws:eks/nodeGroup:NodeGroup", "aws:kms/key:Key"),
    ),
    AddOn(
        name="local-cluster", component="LocalCluster",
        exports=("LocalCluster", "LocalClusterArgs"), group="cluster", layer="foundation",
        section="cluster", provides=("provider", "ready"), targets=("local",),
    ),
)

LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
# What the Terraform EKS module enables by default: who did what, and who authenticated.
DEFAULT_LOG_TYPES = ("api", "audit", "authenticator")
ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
# Add-ons the nodes need to become Ready (the cluster is created without self-managed ones).
BEFORE_NODES = ("vpc-cni", "kube-proxy")
# Add-ons whose pods need nodes: created after the node groups.
AFTER_NODES = ("coredns", "aws-ebs-csi-driver")
EBS_CSI_SERVICE_ACCOUNT = (namespaces.KUBE_SYSTEM, "ebs-csi-controller-sa")
NODE_POLICIES = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryReadOnly",
    "AmazonSSMManagedInstanceCore",
)


@dataclass
class NodeGroupArgs:
    """A managed node group (nodes always go in the private subnets).

    Attributes:
        name: Node group name (suffix of the AWS resource name).
        capacity_type: ``ON_DEMAND`` or ``SPOT``.
        instance_types: EC2 types; on-demand launches the first, spot picks among all.
        min_size: Fewest nodes.
        desired_size: Nodes at creation.
        max_size: Most nodes.
        disk_gib: Root volume size of each node (encrypted gp3).
        labels: Kubernetes labels on the nodes.
        kubernetes_version: The nodes' Kubernetes minor while they lag the control plane (an
            upgrade rolls them after it); None: the cluster's.
        ami_release: The nodes' AMI release version while an upgrade holds it (``""``: left
            unset, as EKS made them); None: the cluster's for the group's minor.
    """

    name: str
    capacity_type: Literal["ON_DEMAND", "SPOT"] = "ON_DEMAND"
    instance_types: Sequence[str] = ("t3.medium",)
    min_size: int = 1
    desired_size: int = 1
    max_size: int = 3
    disk_gib: int = 50
    labels: Mapping[str, str] = field(default_factory=dict)
    kubernetes_version: str | None = None
    ami_release: str | None = None


@dataclass
class ClusterArgs:
    """An EKS cluster in the private subnets of a VPC.

    The API endpoint is private; it is also public, restricted to ``public_access_cidrs``,
    only when that list is not empty. ``admin_principal_arns`` get cluster-admin access entries;
    so does the identity running the deployment when ``creator_admin`` (added as an explicit
    access entry, as the Terraform EKS module does: EKS's own bootstrap entry for the creator
    would make a second CreateAccessEntry for the same principal fail with 409). A cluster an
    earlier kit created with EKS's bootstrap entry keeps it (``bootstrap_creator_admin``: the flag
    is ForceNew, so changing it would replace the cluster); the caller then gets no explicit
    entry (the creator's is EKS's).

    Attributes:
        vpc_id: VPC of the cluster (``Network.vpc_id``).
        private_subnet_ids: Subnets of the control plane ENIs and the nodes.
        cluster_name: EKS cluster name; None: the component's name.
        kubernetes_version: Kubernetes minor version (default: ``versions.KUBERNETES``).
        node_groups: Managed node groups.
        public_access_cidrs: CIDRs allowed to reach the public API endpoint; empty: private only.
        open_endpoint: The public endpoint admits any address (every call still needs an IAM
            identity with an access entry): ``public_access_cidrs`` is then ignored.
        admin_principal_arns: IAM principals given cluster-admin access entries, and the
            Secrets key's ``Deployers`` (else the identity running the deployment).
        creator_admin: Give the identity running the deployment a cluster-admin access entry.
        bootstrap_creator_admin: EKS's own admin entry for the cluster's creator
            (``bootstrapClusterCreatorAdminPermissions``, ForceNew): only to keep the value an
            existing cluster was created with; new clusters get an explicit entry instead.
        log_types: Control-plane logs sent to CloudWatch (EKS creates and owns the log group).
        addon_versions: EKS managed add-on name -> version (default: ``versions.EKS_ADDONS``).
        ami_type: Node AMI type (default: Amazon Linux 2023).
        node_ami_release: The managed node groups' AMI release version (EKS's
            ``<Kubernetes patch>-<date>``, e.g. ``1.35.6-20260714``); None: the kit's pinned
            release for ``kubernetes_version`` (``versions.EKS_AMI_RELEASE_VERSIONS``). Nodes move
            to another release only when this changes, never by EKS's latest.
        default_storage_class: Create an encrypted gp3 StorageClass and make it the default.
        support_type: ``STANDARD`` (EKS upgrades the control plane when standard support ends)
            or ``EXTENDED`` (keep the version, billed at the extended-support rate).
        tags: Tags on every AWS resource.
        node_depends_on: What the nodes need besides their subnets (``Network.egress``: they
            join through it, and destroy keeps it until the last node is gone).
    """

    vpc_id: pulumi.Input[str]
    private_subnet_ids: Sequence[pulumi.Input[str]]
    cluster_name: str | None = None  # default: the component's name
    kubernetes_version: str = versions.KUBERNETES
    node_groups: Sequence[NodeGroupArgs] = (NodeGroupArgs("on-demand"),)
    public_access_cidrs: Sequence[str] = ()
    open_endpoint: bool = False
    admin_principal_arns: Sequence[str] = ()
    creator_admin: bool = True
    bootstrap_creator_admin: bool = False
    log_types: Sequence[str] = DEFAULT_LOG_TYPES
    addon_versions: Mapping[str, str] = field(default_factory=lambda: dict(versions.EKS_ADDONS))
    ami_type: str = versions.EKS_AMI_TYPE
    node_ami_release: str | None = None  # default: the pinned release for kubernetes_version
    default_storage_class: bool = True
    support_type: Literal["STANDARD", "EXTENDED"] = "STANDARD"
    tags: Mapping[str, str] = field(default_factory=dict)
    node_depends_on: Sequence[pulumi.Resource] = ()

    def validate(self) -> None:
        """One-line ConfigError on inconsistent settings."""
        if not self.private_subnet_ids:
            raise ConfigError("cluster: no private subnets; fix: pass the Network's subnets")
        names = [g.name for g in self.node_groups]
        if not names or len(set(names)) != len(names):
            raise ConfigError("cluster: node groups need unique names; fix: name each one")
        for group in self.node_groups:
            if not 0 <= group.min_size <= group.desired_size <= group.max_size >= 1:
                raise ConfigError(
                    f"cluster: node group {group.name}: need 0 <= min <= desired <= max, max >= 1"
                    "; fix: correct the sizes"
                )
        for cidr in self.public_access_cidrs:
            if parse_cidr(cidr, "public access CIDR", "cluster").prefixlen == 0:
                raise ConfigError(
                    "cluster: public_access_cidrs: 0.0.0.0/0 opens the API to the internet; "
                    "fix: list your office/VPN CIDRs"
                )
        unknown = sorted(set(self.log_types) - set(LOG_TYPES))
        if unknown:
            raise ConfigError(
                f"cluster: unknown log types {unknown}; fix: use some of {list(LOG_TYPES)}"
            )
        for group in self.node_groups:
            if not 20 <= group.disk_gib <= 16384:
                raise ConfigError(
                    f"cluster: node group {group.name}: disk_gib {group.disk_gib} is outside "
                    "20..16384; fix: give a size in GiB in that range"
                )
        missing = sorted(set(BEFORE_NODES + AFTER_NODES) - set(self.addon_versions))
        if missing:
            raise ConfigError(f"cluster: no version for add-ons {missing}; fix: pin them")
        release = self.ami_release_version
        if release is None:
            raise ConfigError(
                f"cluster: the kit pins no node AMI release for Kubernetes "
                f"{self.kubernetes_version}; fix: set node_ami_release (an awslabs/amazon-eks-ami "
                f"release version, {self.kubernetes_version}.<patch>-<YYYYMMDD>)"
            )
        if not release.startswith(f"{self.kubernetes_version}."):
            raise ConfigError(
                f"cluster: node_ami_release {release} is not for Kubernetes "
                f"{self.kubernetes_version}; fix: give a "
                f"{self.kubernetes_version}.<patch>-<YYYYMMDD> release"
            )

    def group_ami_release(self, group: NodeGroupArgs) -> str | None:
        """A node group's AMI release: the one it is held at, else the cluster's, or for a group
        lagging the control plane the pinned release of its minor (None: EKS's latest for it)."""
        if group.ami_release is not None:
            return group.ami_release or None
        if group.kubernetes_version in (None, self.kubernetes_version):
            return self.ami_release_version
        return versions.EKS_AMI_RELEASE_VERSIONS.get(group.kubernetes_version)

    @property
    def ami_release_version(self) -> str | None:
        """The node groups' AMI release version: the given one, else the pinned one."""
        return self.node_ami_release or versions.EKS_AMI_RELEASE_VERSIONS.get(
            self.kubernetes_version)


def kubeconfig(cluster_name: str, endpoint: str, ca_data: str, region: str) -> str:
    """A kubeconfig (JSON) that authenticates with ``aws eks get-token``."""
    user: dict[str, Any] = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": "aws",
            "args": ["eks", "get-token", "--cluster-name", cluster_name, "--region", region],
            "interactiveMode": "Never",
        }
    }
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": cluster_name,
                    "cluster": {"server": endpoint, "certificate-authority-data": ca_data},
                }
            ],
            "users": [{"name": cluster_name, "user": user}],
            "contexts": [
                {"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}
            ],
            "current-context": cluster_name,
        },
        sort_keys=True,
    )


def access_suffix(principal: str) -> str:
    """A stable logical-name suffix per principal (list order changes nothing)."""
    return hashlib.sha256(principal.encode()).hexdigest()[:8]


def admin_principals(args: ClusterArgs, invoke: pulumi.InvokeOptions) -> list[str]:
    """The cluster admins, each once: the listed ARNs and, with ``creator_admin``, the caller
    (unless EKS's bootstrap entry already makes the creator admin)."""
    with_caller = args.creator_admin and not args.bootstrap_creator_admin
    return deployers(args.admin_principal_arns, with_caller, invoke)


def _issuer(identities: Sequence[aws.eks.outputs.ClusterIdentity]) -> str:
    oidcs = identities[0].oidcs if identities else None
    return (oidcs[0].issuer or "") if oidcs else ""


class Cluster(pulumi.ComponentResource):
    """EKS with managed node groups, IRSA, access entries, core add-ons and a k8s provider."""

    cluster_name: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    oidc_issuer_url: pulumi.Output[str]
    node_security_group_id: pulumi.Output[str]
    node_role_arn: pulumi.Output[str]
    kms_key_arn: pulumi.Output[str]
    eks: aws.eks.Cluster
    node_groups: list[aws.eks.NodeGroup]
    addons: dict[str, aws.eks.Addon]
    provider: k8s.Provider
    ready: list[pulumi.Resource]

    def __init__(
        self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        args.validate()
        super().__init__("marketplace-kit:platform:Cluster", name, None, opts)
        invoke = pulumi.InvokeOptions(parent=self)
        partition = aws.get_partition(opts=invoke).partition
        region = aws.get_region(opts=invoke).region
        cluster_name = args.cluster_name or name
        tags = dict(args.tags)

        def child(*depends_on: pulumi.Resource) -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions(parent=self, depends_on=list(depends_on))

        role = aws.iam.Role(
            f"{name}-cluster",
            assume_role_policy=service_trust_policy("eks.amazonaws.com"),
            tags=tags,
            opts=child(),
        )
        role_policies = attach_policies(
            f"{name}-cluster", role, [managed_policy(partition, "AmazonEKSClusterPolicy")], self
        )
        account = aws.get_caller_identity(opts=invoke).account_id
        users = key_users(args.admin_principal_arns, invoke)
        key = aws.kms.Key(
            f"{name}-secrets",
            description=f"EKS {cluster_name}: envelope encryption of Kubernetes secrets",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=role.arn.apply(lambda arn: cluster_key_policy(partition, account, region,
                                                                 users, arn)),
            tags=tags,
            opts=child(),
        )
        self.kms_key_arn = key.arn
        public = bool(args.public_access_cidrs) or args.open_endpoint
        cidrs = ["0.0.0.0/0"] if args.open_endpoint else list(args.public_access_cidrs)
        self.eks = aws.eks.Cluster(
            f"{name}-eks",
            name=cluster_name,
            version=args.kubernetes_version,
            role_arn=role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=list(args.private_subnet_ids),
                endpoint_private_access=True,
                endpoint_public_access=public,
                public_access_cidrs=cidrs if public else None,
            ),
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=key.arn),
                resources=["secrets"],
            ),
            enabled_cluster_log_types=list(args.log_types),
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API",
                bootstrap_cluster_creator_admin_permissions=args.bootstrap_creator_admin,
            ),
            # vpc-cni, kube-proxy and coredns come as managed add-ons below, at pinned versions.
            bootstrap_self_managed_addons=False,
            # STANDARD: EKS upgrades the control plane when standard support ends instead of
            # billing extended support ($0.60 instead of $0.10 per hour).
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type=args.support_type),
            tags=tags,
            opts=child(*role_policies),
        )
        self.cluster_name = self.eks.name
        self.endpoint = self.eks.endpoint
        self.node_security_group_id = self.eks.vpc_config.apply(
            lambda c: c.cluster_security_group_id or ""
        )
        self.oidc_issuer_url = self.eks.identities.apply(_issuer)
        oidc = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc",
            url=self.oidc_issuer_url,
            client_id_lists=["sts.amazonaws.com"],
            tags=tags,
            opts=child(),
        )
        self.oidc_provider_arn = oidc.arn

        self.addons = {}
        for addon in BEFORE_NODES:
            self.addons[addon] = self._addon(name, addon, args, None, child())
        nodes_role = aws.iam.Role(
            f"{name}-nodes",
            assume_role_policy=service_trust_policy("ec2.amazonaws.com"),
            tags=tags,
            opts=child(),
        )
        self.node_role_arn = nodes_role.arn
        node_policies = attach_policies(
            f"{name}-nodes", nodes_role, [managed_policy(partition, p) for p in NODE_POLICIES], self
        )
        templates = {
            size: self._launch_template(name, size, tags)
            for size in sorted({g.disk_gib for g in args.node_groups})
        }
        self.node_groups = [
            aws.eks.NodeGroup(
                f"{name}-{group.name}",
                cluster_name=self.eks.name,
                node_group_name=group.name,
                node_role_arn=nodes_role.arn,
                subnet_ids=list(args.private_subnet_ids),
                capacity_type=group.capacity_type,
                instance_types=list(group.instance_types),
                ami_type=args.ami_type,
                version=group.kubernetes_version or args.kubernetes_version,
                release_version=args.group_ami_release(group),
                launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                    id=templates[group.disk_gib].id,
                    version=templates[group.disk_gib].latest_version.apply(str),
                ),
                scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                    min_size=group.min_size,
                    desired_size=group.desired_size,
                    max_size=group.max_size,
                ),
                update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable_percentage=33),
                labels={
                    CAPACITY_LABEL: group.capacity_type.lower().replace("_", "-"),
                    **group.labels,
                },
                tags=tags,
                # Nodes join only once their role can and the CNI is there to network them.
                opts=child(*node_policies, *(self.addons[a] for a in BEFORE_NODES),
                           *args.node_depends_on),
            )
            for group in args.node_groups
        ]

        ebs_role, ebs_policies = irsa_role(
            f"{name}-ebs-csi",
            oidc_provider_arn=oidc.arn,
            oidc_issuer_url=self.oidc_issuer_url,
            namespace=EBS_CSI_SERVICE_ACCOUNT[0],
            service_account=EBS_CSI_SERVICE_ACCOUNT[1],
            policy_arns=[managed_policy(partition, "service-role/AmazonEBSCSIDriverPolicy")],
            parent=self,
            tags=tags,
        )
        self.addons["coredns"] = self._addon(name, "coredns", args, None, child(*self.node_groups))
        self.addons["aws-ebs-csi-driver"] = self._addon(
            name, "aws-ebs-csi-driver", args, ebs_role.arn, child(*self.node_groups, *ebs_policies)
        )

        self.access: list[pulumi.Resource] = []
        for principal in admin_principals(args, invoke):
            suffix = access_suffix(principal)
            entry = aws.eks.AccessEntry(
                f"{name}-admin-{suffix}",
                cluster_name=self.eks.name,
                principal_arn=principal,
                type="STANDARD",
                tags=tags,
                opts=child(),
            )
            association = aws.eks.AccessPolicyAssociation(
                f"{name}-admin-{suffix}",
                cluster_name=self.eks.name,
                principal_arn=principal,
                policy_arn=ADMIN_POLICY,
                access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                opts=child(entry),
            )
            self.access += [entry, association]

        ca = self.eks.certificate_authority.apply(lambda c: c.data or "")
        self.kubeconfig = pulumi.Output.all(self.eks.name, self.eks.endpoint, ca).apply(
            lambda v: kubeconfig(v[0], v[1], v[2], region)
        )
        # Every Kubernetes call goes through this provider: it waits for the deployer's access.
        self.provider = k8s.Provider(
            f"{name}-k8s", kubeconfig=self.kubeconfig, opts=child(self.eks, *self.access)
        )
        self.ready = [*self.node_groups, self.addons["coredns"], self.addons["aws-ebs-csi-driver"]]
        if args.default_storage_class:
            self.ready.append(self._storage_class(name))

        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "endpoint": self.endpoint,
                "oidc_provider_arn": self.oidc_provider_arn,
                "oidc_issuer_url": self.oidc_issuer_url,
                "node_security_group_id": self.node_security_group_id,
                "kubeconfig": self.kubeconfig,
            }
        )

    def _addon(
        self,
        name: str,
        addon: str,
        args: ClusterArgs,
        role_arn: pulumi.Input[str] | None,
        opts: pulumi.ResourceOptions,
    ) -> aws.eks.Addon:
        return aws.eks.Addon(
            f"{name}-{addon}",
            cluster_name=self.eks.name,
            addon_name=addon,
            addon_version=args.addon_versions[addon],
            service_account_role_arn=role_arn,
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            tags=dict(args.tags),
            opts=opts,
        )

    def _launch_template(
        self, name: str, disk_gib: int, tags: Mapping[str, str]
    ) -> aws.ec2.LaunchTemplate:
        """Nodes: encrypted gp3 root volume of ``disk_gib``, IMDSv2 only with hop limit 1.

        Hop limit 1 keeps pods (one network hop further) away from the node role's credentials,
        the Terraform EKS module's v21 default; pods get AWS access through IRSA.
        """
        return aws.ec2.LaunchTemplate(
            f"{name}-nodes-{disk_gib}gib",
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name="/dev/xvda",
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        volume_size=disk_gib, volume_type="gp3", encrypted="true",
                        delete_on_termination="true",
                    ),
                )
            ],
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1
            ),
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(
                    resource_type="instance", tags={**tags, "Name": f"{name}-node"}
                )
            ],
            tags=dict(tags),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _storage_class(self, name: str) -> k8s.storage.v1.StorageClass:
        """The default StorageClass: encrypted gp3 through the EBS CSI driver."""
        return k8s.storage.v1.StorageClass(
            f"{name}-gp3",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name="gp3",
                labels=labels("gp3", "storage"),
                annotations={"storageclass.kubernetes.io/is-default-class": "true"},
            ),
            provisioner="ebs.csi.aws.com",
            parameters={"type": "gp3", "encrypted": "true", "fsType": "ext4"},
            reclaim_policy="Delete",
            volume_binding_mode="WaitForFirstConsumer",
            allow_volume_expansion=True,
            opts=pulumi.ResourceOptions(
                parent=self, provider=self.provider, depends_on=[self.addons["aws-ebs-csi-driver"]]
            ),
        )


@dataclass
class LocalClusterArgs:
    """An existing cluster reached through a kubeconfig context (kind, k3d, minikube).

    ``context`` None means the kubeconfig's current context; ``kubeconfig`` None means the
    default kubeconfig (``$KUBECONFIG`` or ``~/.kube/config``), read by the provider at deploy
    time, never by the kit.

    Attributes:
        context: kubeconfig context; None: the current context.
        kubeconfig: kubeconfig contents; None: ``$KUBECONFIG`` or ``~/.kube/config``.
    """

    context: str | None = None
    kubeconfig: pulumi.Input[str] | None = None


class LocalCluster(pulumi.ComponentResource):
    """A Kubernetes provider for an existing kubeconfig context."""

    cluster_name: str
    provider: k8s.Provider
    ready: list[pulumi.Resource]

    def __init__(
        self, name: str, args: LocalClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("marketplace-kit:platform:LocalCluster", name, None, opts)
        self.cluster_name = args.context or "current-context"
        self.provider = k8s.Provider(
            f"{name}-k8s",
            context=args.context,
            kubeconfig=args.kubeconfig,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.ready = []
        self.register_outputs({"cluster_name": self.cluster_name})

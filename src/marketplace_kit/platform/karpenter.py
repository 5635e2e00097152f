"""Karpenter: nodes for pods the node groups cannot place (spot first, then on-demand).

The managed node groups stay the floor (they run Karpenter itself); Karpenter adds nodes when
pods are Pending and removes them when they are empty or underused. Its controller assumes an
IRSA role; an SQS queue fed by EventBridge tells it about spot interruptions, rebalance
recommendations, instance state changes and AWS Health events so it drains nodes in time.
EKS only: a local cluster has no node autoscaling.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from marketplace_kit.core.addon import AddOn
from marketplace_kit.core.foundation import Foundation
from marketplace_kit.platform import iam, namespaces, versions
from marketplace_kit.platform.helm import helm_release
from marketplace_kit.platform.meta import CAPACITY_LABEL, metadata

ADDON = AddOn(
    name="karpenter", component="Karpenter",
    exports=("Karpenter", "KarpenterArgs", "NodePoolLimits"), group="cluster",
    needs=("provider", "ready", "cluster_name", "oidc_provider_arn", "oidc_issuer_url",
           "node_role_arn", "private_subnet_ids", "node_security_group_id"),
    provides=("release", "crds_ready", "node_pools", "queue"), targets=("aws",),
)

NAMESPACE = namespaces.KUBE_SYSTEM
SERVICE_ACCOUNT = "karpenter"
NODE_CLASS = "default"
# EventBridge events Karpenter acts on (its interruption handling, upstream getting-started).
INTERRUPTION_EVENTS: dict[str, dict[str, list[str]]] = {
    "health": {"source": ["aws.health"], "detail-type": ["AWS Health Event"]},
    "spot-interruption": {"source": ["aws.ec2"],
                          "detail-type": ["EC2 Spot Instance Interruption Warning"]},
    "rebalance": {"source": ["aws.ec2"], "detail-type": ["EC2 Instance Rebalance Recommendation"]},
    "state-change": {"source": ["aws.ec2"],
                     "detail-type": ["EC2 Instance State-change Notification"]},
}
# The controller's requests (the chart sets none by default; upstream's guide uses 1 CPU / 1Gi).
CONTROLLER_REQUESTS = {"cpu": "250m", "memory": "512Mi"}


@dataclass(frozen=True)
class NodePoolLimits:
    """How far Karpenter may grow the cluster, per capacity type.

    Attributes:
        spot_cpu: Total vCPUs of spot nodes Karpenter may run (0: no spot pool).
        on_demand_cpu: Total vCPUs of on-demand nodes (the fallback when spot is short).
    """

    spot_cpu: int = 16
    on_demand_cpu: int = 8


@dataclass
class KarpenterArgs:
    """Options of Karpenter.

    Attributes:
        foundation: The EKS cluster below: name, OIDC provider, node role, private subnets
            and node security group (nodes Karpenter launches join like managed nodes).
        limits: vCPU ceilings of the spot and on-demand NodePools.
        replicas: Controller replicas (the chart spreads them over nodes and adds a PDB).
        instance_categories: EC2 instance categories the NodePools may choose from.
        disk_gib: Root volume of each node Karpenter launches (GiB).
        ami_alias: The EC2NodeClass's AMI alias (the pinned release's; an upgrade holds the
            running one until its AMI step).
        values: Helm values merged over the defaults.
        tags: Tags on the AWS resources and on the instances Karpenter launches.
    """

    foundation: Foundation
    limits: NodePoolLimits = NodePoolLimits()
    replicas: int = 1
    instance_categories: tuple[str, ...] = ("c", "m", "r")
    disk_gib: int = 50
    ami_alias: str = versions.KARPENTER_AMI_ALIAS
    values: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


class Karpenter(pulumi.ComponentResource):
    """Node autoscaling on EKS: controller, interruption queue, EC2NodeClass and NodePools."""

    def __init__(
        self, name: str, args: KarpenterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("marketplace-kit:platform:Karpenter", name, None, opts)
        f = args.foundation
        if f.node_role_arn is None or f.oidc_provider_arn is None or f.oidc_issuer_url is None:
            raise ValueError("Karpenter needs an EKS foundation (node role and OIDC provider)")
        child = pulumi.ResourceOptions(parent=self)
        cluster = pulumi.Output.from_input(f.cluster_name)
        self.queue = aws.sqs.Queue(
            "karpenter-interruption",
            name=cluster.apply(lambda c: f"{c}-karpenter"),
            message_retention_seconds=300,
            sqs_managed_sse_enabled=True,
            tags=args.tags,
            opts=child,
        )
        aws.sqs.QueuePolicy(
            "karpenter-interruption",
            queue_url=self.queue.url,
            policy=self.queue.arn.apply(queue_policy),
            opts=child,
        )
        for event, pattern in INTERRUPTION_EVENTS.items():
            rule = aws.cloudwatch.EventRule(
                f"karpenter-{event}", event_pattern=json.dumps(pattern, sort_keys=True),
                tags=args.tags, opts=child,
            )
            aws.cloudwatch.EventTarget(
                f"karpenter-{event}", rule=rule.name, arn=self.queue.arn, opts=child,
            )
        self.role, _ = iam.irsa_role(
            "karpenter-controller", oidc_provider_arn=f.oidc_provider_arn,
            oidc_issuer_url=f.oidc_issuer_url, namespace=NAMESPACE,
            service_account=SERVICE_ACCOUNT, policy_arns=[], parent=self, tags=args.tags,
        )
        invoke = pulumi.InvokeOutputOptions(parent=self)
        caller = (aws.get_partition_output(opts=invoke).partition,
                  aws.get_region_output(opts=invoke).region,
                  aws.get_caller_identity_output(opts=invoke).account_id)
        self.policy = aws.iam.RolePolicy(
            "karpenter-controller",
            role=self.role.name,
            policy=pulumi.Output.all(self.queue.arn, f.node_role_arn, cluster, *caller).apply(
                lambda v: controller_policy(*v)
            ),
            opts=child,
        )
        # The CRDs first, as their own release (Helm upgrades a chart's templates, never its
        # crds/ folder): a version bump upgrades them before the controller that reads them.
        self.crds = helm_release(
            "karpenter-crd", versions.KARPENTER_CRD, namespace=NAMESPACE, parent=self,
            depends_on=list(f.ready), create_namespace=False,
        )
        self.release = helm_release(
            "karpenter", versions.KARPENTER, namespace=NAMESPACE, parent=self,
            defaults=controller_values(cluster, self.queue.name, self.role.arn, args.replicas),
            # the policy too: the controller keeps its rights while destroy drains its nodes
            values=args.values, depends_on=[*f.ready, self.crds, self.policy],
            create_namespace=False, skip_crds=True,
        )
        # NodePools and the EC2NodeClass wait for the CRDs and the controller (its webhooks).
        self.crds_ready: list[pulumi.Resource] = [self.crds, self.release]
        after_crds = pulumi.ResourceOptions(parent=self, depends_on=self.crds_ready)
        role_name = pulumi.Output.from_input(f.node_role_arn).apply(lambda a: a.rsplit("/", 1)[-1])
        self.node_class = k8s.apiextensions.CustomResource(
            "karpenter-node-class",
            api_version=versions.KARPENTER_NODE_CLASS_API,
            kind="EC2NodeClass",
            metadata=metadata(NODE_CLASS, None, "node-autoscaling"),
            spec=node_class_spec(role_name, list(f.private_subnet_ids),
                                 f.node_security_group_id, args.tags, args.disk_gib,
                                 args.ami_alias),
            opts=after_crds,
        )
        pools = {"spot": args.limits.spot_cpu, "on-demand": args.limits.on_demand_cpu}
        self.node_pools = {
            capacity: k8s.apiextensions.CustomResource(
                f"karpenter-pool-{capacity}",
                api_version=versions.KARPENTER_API,
                kind="NodePool",
                metadata=metadata(capacity, None, "node-autoscaling"),
                spec=node_pool_spec(capacity, cpu, args.instance_categories),
                opts=pulumi.ResourceOptions(parent=self,
                                            depends_on=[*self.crds_ready, self.node_class]),
            )
            for capacity, cpu in pools.items()
            if cpu > 0
        }
        self.register_outputs({"queue": self.queue.name, "pools": sorted(self.node_pools)})


def queue_policy(queue_arn: str) -> str:
    """EventBridge (and SQS itself) may send to the queue; nothing reaches it without TLS."""
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "EventBridge", "Effect": "Allow", "Action": "sqs:SendMessage",
             "Principal": {"Service": ["events.amazonaws.com", "sqs.amazonaws.com"]},
             "Resource": queue_arn},
            {"Sid": "DenyHTTP", "Effect": "Deny", "Action": "sqs:*", "Principal": "*",
             "Resource": queue_arn, "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        ],
    }, sort_keys=True)


def controller_policy(queue_arn: str, node_role_arn: str, cluster: str, partition: str,
                      region: str, account: str) -> str:
    """What the controller may do, scoped as upstream scopes it (Karpenter's getting-started
    CloudFormation, terraform-aws-eks ``modules/karpenter/policy.tf``): launch only with its
    cluster's tags on what it creates, tag and terminate only instances carrying its cluster's
    tag, manage only instance profiles tagged for its cluster and region, pass the node role to
    EC2 only; ARNs in the caller's partition."""
    arn = f"arn:{partition}"
    owned = {f"aws:ResourceTag/kubernetes.io/cluster/{cluster}": "owned"}
    tagged_request = {f"aws:RequestTag/kubernetes.io/cluster/{cluster}": "owned",
                      "aws:RequestTag/eks:eks-cluster-name": cluster}
    created = [f"{arn}:ec2:{region}:*:{kind}/*" for kind in (
        "fleet", "instance", "volume", "network-interface", "launch-template",
        "spot-instances-request")]
    profile = f"{arn}:iam::{account}:instance-profile/*"
    profile_tags = {f"aws:ResourceTag/kubernetes.io/cluster/{cluster}": "owned",
                    "aws:ResourceTag/topology.kubernetes.io/region": region}
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ScopedInstanceAccess", "Effect": "Allow",
             "Action": ["ec2:RunInstances", "ec2:CreateFleet"],
             "Resource": [f"{arn}:ec2:{region}::image/*", f"{arn}:ec2:{region}::snapshot/*",
                          f"{arn}:ec2:{region}:*:security-group/*",
                          f"{arn}:ec2:{region}:*:subnet/*",
                          f"{arn}:ec2:{region}:*:capacity-reservation/*"]},
            {"Sid": "ScopedLaunchTemplateAccess", "Effect": "Allow",
             "Action": ["ec2:RunInstances", "ec2:CreateFleet"],
             "Resource": f"{arn}:ec2:{region}:*:launch-template/*",
             "Condition": {"StringEquals": owned,
                           "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"}}},
            {"Sid": "ScopedInstanceActionsWithTags", "Effect": "Allow",
             "Action": ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
             "Resource": created,
             "Condition": {"StringEquals": tagged_request,
                           "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"}}},
            {"Sid": "ScopedResourceCreationTagging", "Effect": "Allow",
             "Action": "ec2:CreateTags", "Resource": created,
             "Condition": {"StringEquals": {**tagged_request, "ec2:CreateAction": [
                 "RunInstances", "CreateFleet", "CreateLaunchTemplate"]},
                 "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"}}},
            {"Sid": "ScopedResourceTagging", "Effect": "Allow", "Action": "ec2:CreateTags",
             "Resource": f"{arn}:ec2:{region}:*:instance/*",
             "Condition": {"StringEquals": owned,
                           "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
                           "ForAllValues:StringEquals": {"aws:TagKeys": [
                               "eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"]}}},
            {"Sid": "ScopedDeletion", "Effect": "Allow",
             "Action": ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
             "Resource": [f"{arn}:ec2:{region}:*:instance/*",
                          f"{arn}:ec2:{region}:*:launch-template/*"],
             "Condition": {"StringEquals": owned,
                           "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"}}},
            {"Sid": "RegionalRead", "Effect": "Allow", "Resource": "*",
             "Action": ["ec2:DescribeAvailabilityZones", "ec2:DescribeImages",
                        "ec2:DescribeInstances", "ec2:DescribeInstanceTypeOfferings",
                        "ec2:DescribeInstanceTypes", "ec2:DescribeLaunchTemplates",
                        "ec2:DescribeSecurityGroups", "ec2:DescribeSpotPriceHistory",
                        "ec2:DescribeSubnets", "ec2:DescribeCapacityReservations"],
             "Condition": {"StringEquals": {"aws:RequestedRegion": region}}},
            {"Sid": "AmiParameters", "Effect": "Allow", "Action": "ssm:GetParameter",
             "Resource": f"{arn}:ssm:{region}::parameter/aws/service/*"},
            {"Sid": "Pricing", "Effect": "Allow", "Action": "pricing:GetProducts",
             "Resource": "*"},
            {"Sid": "Interruptions", "Effect": "Allow", "Resource": queue_arn,
             "Action": ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"]},
            {"Sid": "PassNodeRole", "Effect": "Allow", "Action": "iam:PassRole",
             "Resource": node_role_arn,
             "Condition": {"StringEquals": {"iam:PassedToService": [
                 "ec2.amazonaws.com", "ec2.amazonaws.com.cn"]}}},
            {"Sid": "ScopedInstanceProfileCreation", "Effect": "Allow",
             "Action": "iam:CreateInstanceProfile", "Resource": profile,
             "Condition": {"StringEquals": {
                 f"aws:RequestTag/kubernetes.io/cluster/{cluster}": "owned",
                 "aws:RequestTag/eks:eks-cluster-name": cluster,
                 "aws:RequestTag/topology.kubernetes.io/region": region},
                 "StringLike": {"aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*"}}},
            {"Sid": "ScopedInstanceProfileTagging", "Effect": "Allow",
             "Action": "iam:TagInstanceProfile", "Resource": profile,
             "Condition": {"StringEquals": {
                 **profile_tags, f"aws:RequestTag/kubernetes.io/cluster/{cluster}": "owned",
                 "aws:RequestTag/eks:eks-cluster-name": cluster,
                 "aws:RequestTag/topology.kubernetes.io/region": region},
                 "StringLike": {"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*",
                                "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*"}}},
            {"Sid": "ScopedInstanceProfileActions", "Effect": "Allow",
             "Action": ["iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile",
                        "iam:DeleteInstanceProfile"], "Resource": profile,
             "Condition": {"StringEquals": profile_tags,
                           "StringLike": {"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*"}}},
            {"Sid": "InstanceProfileRead", "Effect": "Allow",
             "Action": ["iam:GetInstanceProfile", "iam:ListInstanceProfiles"],
             "Resource": profile},
            {"Sid": "Cluster", "Effect": "Allow", "Action": "eks:DescribeCluster",
             "Resource": f"{arn}:eks:{region}:{account}:cluster/{cluster}"},
        ],
    }, sort_keys=True)


def controller_values(
    cluster: pulumi.Input[str], queue: pulumi.Input[str], role_arn: pulumi.Input[str],
    replicas: int,
) -> dict[str, Any]:
    """Cluster, interruption queue, IRSA role, replicas and requests of the controller."""
    return {
        "replicas": replicas,
        "settings": {"clusterName": cluster, "interruptionQueue": queue},
        "serviceAccount": {"name": SERVICE_ACCOUNT,
                           "annotations": {"eks.amazonaws.com/role-arn": role_arn}},
        "controller": {"resources": {"requests": dict(CONTROLLER_REQUESTS)}},
    }


def node_class_spec(
    role: pulumi.Input[str], subnet_ids: list[pulumi.Input[str]],
    security_group: pulumi.Input[str] | None, tags: dict[str, str], disk_gib: int = 50,
    ami_alias: str = versions.KARPENTER_AMI_ALIAS,
) -> dict[str, Any]:
    """AL2023 nodes (``ami_alias``) in the private subnets with the node role and security
    group, IMDSv2 only (hop limit 1: pods cannot reach the node's credentials), encrypted gp3
    root volume of ``disk_gib``."""
    return {
        "role": role,
        "amiSelectorTerms": [{"alias": ami_alias}],
        "subnetSelectorTerms": [{"id": s} for s in subnet_ids],
        "securityGroupSelectorTerms": [{"id": security_group}] if security_group else [],
        "metadataOptions": {"httpEndpoint": "enabled", "httpTokens": "required",
                            "httpPutResponseHopLimit": 1},
        "blockDeviceMappings": [{"deviceName": "/dev/xvda",
                                 "ebs": {"volumeSize": f"{disk_gib}Gi", "volumeType": "gp3",
                                         "encrypted": True}}],
        "tags": dict(tags),
    }


def node_pool_spec(capacity: str, cpu: int, categories: tuple[str, ...]) -> dict[str, Any]:
    """A NodePool of one capacity type; spot weighs more so it is tried first. Its nodes carry
    the platform's capacity label (``CAPACITY_LABEL``), as the managed node groups' do, so the
    platform's "not on spot" affinities hold on Karpenter's nodes too."""
    return {
        "weight": 100 if capacity == "spot" else 10,
        "template": {
            "metadata": {"labels": {CAPACITY_LABEL: capacity}},
            "spec": {
                "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass",
                                 "name": NODE_CLASS},
                "requirements": [
                    {"key": "karpenter.sh/capacity-type", "operator": "In", "values": [capacity]},
                    {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]},
                    {"key": "karpenter.k8s.aws/instance-category", "operator": "In",
                     "values": list(categories)},
                    {"key": "karpenter.k8s.aws/instance-generation", "operator": "Gt",
                     "values": ["4"]},
                ],
                "expireAfter": "720h",
            }
        },
        "limits": {"cpu": str(cpu)},
        "disruption": {"consolidationPolicy": "WhenEmptyOrUnderutilized",
                       "consolidateAfter": "1m"},
    }

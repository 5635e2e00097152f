"""Cluster (EKS) and LocalCluster under the SDK mocks, through build_foundation."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from support.plans import FoundationPlan, foundation, plan_foundation, platform_from

from marketplace_kit.blueprints.deploy_inputs import PLAN_DEPLOYER_CIDR, PLAN_INPUTS, DeployInputs
from marketplace_kit.blueprints.program import platform_program
from marketplace_kit.errors import ConfigError
from marketplace_kit.plan import ResourceGraph, plan_program
from marketplace_kit.plan.fakes import fake_arn, fake_id
from marketplace_kit.platform import Cluster, ClusterArgs, NodeGroupArgs, versions
from marketplace_kit.platform.cluster import LOG_TYPES

EKS = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ADDON = "aws:eks/addon:Addon"
SUBNET = "aws:ec2/subnet:Subnet"
PROVIDER = "pulumi:providers:kubernetes"
PLANNER = "arn:aws:iam::123456789012:user/planner"  # the caller under the plan's fakes


@pytest.fixture(scope="module")
def dev() -> FoundationPlan:
    return foundation("dev")


@pytest.fixture(scope="module")
def graph(dev: FoundationPlan) -> ResourceGraph:
    return dev.graph


def _eks(graph: ResourceGraph) -> dict:
    (eks,) = graph.of_type(EKS)
    return eks.inputs


def test_pinned_version_and_name(graph: ResourceGraph) -> None:
    assert _eks(graph)["version"] == versions.KUBERNETES
    assert _eks(graph)["name"] == "marketplace-dev"


def test_nodes_only_in_private_subnets(graph: ResourceGraph) -> None:
    subnets = graph.of_type(SUBNET)
    private = {fake_id(SUBNET, s.name) for s in subnets if "-private-" in s.name}
    public_urns = {s.urn for s in subnets if "-public-" in s.name}
    assert len(private) == 2
    groups = graph.of_type(NODE_GROUP)
    assert {g.inputs["capacityType"] for g in groups} == {"ON_DEMAND", "SPOT"}
    for group in groups:
        assert set(group.inputs["subnetIds"]) == private
        assert not public_urns & set(group.dependencies)
    assert set(_eks(graph)["vpcConfig"]["subnetIds"]) == private


def test_node_group_sizes_come_from_the_blueprint(graph: ResourceGraph) -> None:
    spot = graph.named("marketplace-spot", NODE_GROUP).inputs
    assert spot["scalingConfig"] == {"minSize": 1, "desiredSize": 2, "maxSize": 4}
    assert spot["instanceTypes"] == ["t3.large", "t3a.large", "m5.large"]
    assert spot["amiType"] == versions.EKS_AMI_TYPE
    # the AMI release is pinned for the minor (moved by an upgrade step, never EKS's latest)
    assert spot["releaseVersion"] == versions.EKS_AMI_RELEASE_VERSIONS[versions.KUBERNETES]
    assert spot["version"] == versions.KUBERNETES
    production = foundation("production").graph
    on_demand = production.named("marketplace-on-demand", NODE_GROUP).inputs
    assert on_demand["scalingConfig"] == {"minSize": 3, "desiredSize": 3, "maxSize": 6}
    assert len(production.of_type("aws:ec2/natGateway:NatGateway")) == 3


def test_secrets_envelope_encryption_with_a_rotating_key(graph: ResourceGraph) -> None:
    (key,) = graph.of_type("aws:kms/key:Key")
    assert key.inputs["enableKeyRotation"] is True
    encryption = _eks(graph)["encryptionConfig"]
    assert encryption["resources"] == ["secrets"]
    assert encryption["provider"]["keyArn"] == fake_arn(key.type, key.name, "us-east-1")
    assert key.urn in graph.of_type(EKS)[0].dependencies


def test_endpoint_public_only_to_the_deployer_by_default(graph: ResourceGraph) -> None:
    """Reachable from the laptop or CI runner that runs `up`, not from the whole internet."""
    vpc_config = _eks(graph)["vpcConfig"]
    assert vpc_config["endpointPrivateAccess"] is True
    assert vpc_config["endpointPublicAccess"] is True
    assert vpc_config["publicAccessCidrs"] == [PLAN_DEPLOYER_CIDR]


def test_endpoint_deployer_plus_listed_cidrs_or_private_only() -> None:
    platform = platform_from({"cluster": {"public_access_cidrs": ["203.0.113.0/24"]}})
    vpc_config = _eks(plan_foundation(platform).graph)["vpcConfig"]
    assert vpc_config["endpointPublicAccess"] is True
    assert vpc_config["publicAccessCidrs"] == ["203.0.113.0/24", PLAN_DEPLOYER_CIDR]
    cidrs = platform_from({"cluster": {"endpoint_access": "cidrs",
                                       "public_access_cidrs": ["203.0.113.0/24"]}})
    assert _eks(plan_foundation(cidrs).graph)["vpcConfig"]["publicAccessCidrs"] == [
        "203.0.113.0/24"
    ]
    private = platform_from({"cluster": {"endpoint_access": "private"}})
    vpc_config = _eks(plan_foundation(private).graph)["vpcConfig"]
    assert vpc_config["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in vpc_config


def test_deployer_endpoint_without_a_known_address_is_refused() -> None:
    """Public with no CIDR would be AWS's default 0.0.0.0/0: never register that."""
    from marketplace_kit.blueprints.base import build_foundation

    platform = platform_from({})
    with pytest.raises(ConfigError, match="deployer's address is unknown"):
        plan_program(lambda: build_foundation(platform, DeployInputs()))


def test_cluster_name_is_unique_per_stack() -> None:
    from marketplace_kit.blueprints.base import build_foundation, resource_prefix

    platform = platform_from({})
    staging = plan_program(lambda: build_foundation(platform, PLAN_INPUTS), stack="staging",
                           project="marketplace")
    assert _eks(staging)["name"] == "marketplace-staging"
    assert resource_prefix("shop", "Team_A.prod") == "shop-team-a-prod"
    long = resource_prefix("a" * 39, "b" * 30)
    assert len(long) <= 40 and long != resource_prefix("a" * 39, "b" * 31)


def test_control_plane_logs_default_and_log_group_left_to_eks(graph: ResourceGraph) -> None:
    """A log group created here is re-created by EKS after a destroy: the next up would fail."""
    assert _eks(graph)["enabledClusterLogTypes"] == ["api", "audit", "authenticator"]
    assert not graph.of_type("aws:cloudwatch/logGroup:LogGroup")
    every = platform_from({"cluster": {"log_types": list(LOG_TYPES)}})
    assert _eks(plan_foundation(every).graph)["enabledClusterLogTypes"] == list(LOG_TYPES)


def _entries(graph: ResourceGraph) -> list[str]:
    return [e.inputs["principalArn"] for e in graph.of_type("aws:eks/accessEntry:AccessEntry")]


def test_api_authentication_and_admin_access_entries() -> None:
    admin = "arn:aws:iam::123456789012:role/platform-admins"
    graph = plan_foundation(platform_from({"cluster": {"admin_principal_arns": [admin]}})).graph
    access = _eks(graph)["accessConfig"]
    assert access["authenticationMode"] == "API"
    # The creator is an explicit entry (as in the Terraform EKS module), not EKS's bootstrap one.
    assert access["bootstrapClusterCreatorAdminPermissions"] is False
    # Configured admins are the admins: no entry for whoever ran `up` (switching keeps the
    # ForceNew bootstrap flag off, so it never replaces an existing cluster); without them, the
    # creator is the admin.
    assert _entries(graph) == [admin]
    assert _entries(plan_foundation(platform_from({})).graph) == [PLANNER]
    entry = next(e for e in graph.of_type("aws:eks/accessEntry:AccessEntry")
                 if e.inputs["principalArn"] == admin)
    association = next(
        a for a in graph.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
        if a.inputs["principalArn"] == admin
    )
    assert association.inputs["policyArn"].endswith("/AmazonEKSClusterAdminPolicy")
    assert association.inputs["accessScope"] == {"type": "cluster"}
    assert entry.urn in association.dependencies


def test_deployer_listed_as_admin_gets_one_entry_not_a_409() -> None:
    graph = plan_foundation(
        platform_from({"cluster": {"admin_principal_arns": [PLANNER, PLANNER]}})
    ).graph
    assert _entries(graph) == [PLANNER]


def test_assumed_role_session_maps_to_its_role() -> None:
    from marketplace_kit.platform.principals import iam_principal

    session = "arn:aws:sts::123456789012:assumed-role/Deployer/ci-run-42"
    assert iam_principal(session) == "arn:aws:iam::123456789012:role/Deployer"
    assert iam_principal(PLANNER) == PLANNER


def test_kubernetes_calls_wait_for_the_deployers_access(dev: FoundationPlan) -> None:
    (provider,) = dev.graph.of_type(PROVIDER)
    associations = dev.graph.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    assert associations and {a.urn for a in associations} <= set(provider.dependencies)


def test_oidc_provider_from_the_cluster_issuer(graph: ResourceGraph) -> None:
    (oidc,) = graph.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    (eks,) = graph.of_type(EKS)
    assert oidc.inputs["url"].startswith("https://oidc.eks.us-east-1.amazonaws.com/id/")
    assert oidc.inputs["clientIdLists"] == ["sts.amazonaws.com"]
    assert eks.urn in oidc.dependencies


def test_managed_addons_at_pinned_versions(graph: ResourceGraph) -> None:
    addons = {a.inputs["addonName"]: a for a in graph.of_type(ADDON)}
    assert set(addons) == {"vpc-cni", "coredns", "kube-proxy", "aws-ebs-csi-driver"}
    for name, addon in addons.items():
        assert addon.inputs["addonVersion"] == versions.EKS_ADDONS[name]
        assert addon.inputs["clusterName"] == "marketplace-dev"
    assert _eks(graph)["bootstrapSelfManagedAddons"] is False


def test_ebs_csi_driver_gets_an_irsa_role(graph: ResourceGraph) -> None:
    ebs = graph.named("marketplace-aws-ebs-csi-driver", ADDON)
    role = graph.named("marketplace-ebs-csi", "aws:iam/role:Role")
    assert ebs.inputs["serviceAccountRoleArn"] == fake_arn(role.type, role.name, "us-east-1")
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    (oidc,) = graph.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert trust["Principal"]["Federated"] == fake_arn(oidc.type, oidc.name, "us-east-1")
    issuer = oidc.inputs["url"].removeprefix("https://")
    assert trust["Condition"]["StringEquals"] == {
        f"{issuer}:sub": "system:serviceaccount:kube-system:ebs-csi-controller-sa",
        f"{issuer}:aud": "sts.amazonaws.com",
    }


def test_dependency_edges(graph: ResourceGraph) -> None:
    (eks,) = graph.of_type(EKS)
    groups = graph.of_type(NODE_GROUP)
    addon = {a.inputs["addonName"]: a for a in graph.of_type(ADDON)}
    node_policies = [
        r for r in graph.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if r.name.startswith("marketplace-nodes-")
    ]
    assert len(node_policies) == 4
    for group in groups:
        assert eks.urn in group.dependencies
        assert addon["vpc-cni"].urn in group.dependencies  # nodes need the CNI to get Ready
        assert addon["kube-proxy"].urn in group.dependencies
        assert {p.urn for p in node_policies} <= set(group.dependencies)
    for name in ("coredns", "aws-ebs-csi-driver"):  # their pods need nodes
        assert {g.urn for g in groups} <= set(addon[name].dependencies)
    for name in ("vpc-cni", "kube-proxy"):  # nothing serialised that could run in parallel
        assert not {g.urn for g in groups} & set(addon[name].dependencies)
    cluster_policy = graph.named("marketplace-cluster-AmazonEKSClusterPolicy")
    assert cluster_policy.urn in eks.dependencies


def test_kubernetes_provider_from_the_cluster_outputs(dev: FoundationPlan) -> None:
    graph = dev.graph
    (provider,) = graph.of_type(PROVIDER)
    (eks,) = graph.of_type(EKS)
    component = graph.named("marketplace", "marketplace-kit:platform:Cluster")
    assert provider.parent == component.urn
    assert eks.urn in provider.dependencies
    config = json.loads(provider.inputs["kubeconfig"])
    user = config["users"][0]["user"]["exec"]
    assert user["command"] == "aws"
    assert user["args"][:4] == ["eks", "get-token", "--cluster-name", "marketplace-dev"]
    assert config["clusters"][0]["cluster"]["server"].startswith("https://")
    storage = graph.named("marketplace-gp3")
    assert storage.provider == provider.urn
    assert graph.named("marketplace-aws-ebs-csi-driver", ADDON).urn in storage.dependencies
    assert storage.inputs["parameters"]["encrypted"] == "true"
    assert storage.inputs["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "marketplace-kit"


def test_foundation_contract(dev: FoundationPlan) -> None:
    found = dev.foundation
    assert found.target == "aws" and found.vpc_cidr == "10.0.0.0/16"
    assert len(found.private_subnet_ids) == 2
    assert found.oidc_provider_arn is not None and found.node_security_group_id is not None
    ready = {r._name for r in found.ready}  # the logical names
    assert {"marketplace-on-demand", "marketplace-spot", "marketplace-coredns"} <= ready


def test_nodes_use_imdsv2_hop_limit_1_and_encrypted_volumes(graph: ResourceGraph) -> None:
    (template,) = graph.of_type("aws:ec2/launchTemplate:LaunchTemplate")
    assert template.inputs["metadataOptions"]["httpTokens"] == "required"
    # 1: pods (one hop further) cannot reach the node role's credentials
    assert template.inputs["metadataOptions"]["httpPutResponseHopLimit"] == 1
    ebs = template.inputs["blockDeviceMappings"][0]["ebs"]
    assert ebs["encrypted"] == "true" and ebs["volumeType"] == "gp3"
    assert ebs["volumeSize"] == 50


def test_node_group_disk_size_from_config() -> None:
    platform = platform_from({"cluster": {"on_demand": {"disk_gib": 80}}})
    graph = plan_foundation(platform).graph
    templates = {t.urn: t for t in graph.of_type("aws:ec2/launchTemplate:LaunchTemplate")}
    sizes = {}
    for group in graph.of_type(NODE_GROUP):
        (template,) = [templates[d] for d in group.dependencies if d in templates]
        sizes[group.inputs["nodeGroupName"]] = (
            template.inputs["blockDeviceMappings"][0]["ebs"]["volumeSize"]
        )
    assert sizes == {"on-demand": 80, "spot": 50}


def test_children_parented_to_their_components(graph: ResourceGraph) -> None:
    assert all(r.parent is not None for r in graph if r.custom)


def test_local_cluster_is_only_a_provider() -> None:
    plan = plan_foundation(
        platform_from({"blueprint": "local", "cluster": {"kubeconfig_context": "kind-shop"}})
    )
    assert not [r for r in plan.graph if r.type.startswith("aws:")]
    (provider,) = plan.graph.of_type(PROVIDER)
    assert provider.inputs == {"context": "kind-shop"}
    assert provider.parent == plan.graph.named("marketplace").urn
    assert plan.foundation.target == "local" and plan.foundation.provider is not None


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"public_access_cidrs": ["0.0.0.0/0"]}, "opens the API"),
        ({"public_access_cidrs": ["nope"]}, "not an IPv4 CIDR"),
        ({"node_groups": [NodeGroupArgs("a"), NodeGroupArgs("a")]}, "unique names"),
        ({"node_groups": [NodeGroupArgs("a", min_size=3, desired_size=1)]}, "min <= desired"),
        ({"addon_versions": {"vpc-cni": "v1"}}, "no version for add-ons"),
        ({"private_subnet_ids": []}, "no private subnets"),
        ({"node_groups": [NodeGroupArgs("a", disk_gib=5)]}, "disk_gib 5"),
        ({"log_types": ["api", "kubelet"]}, "unknown log types"),
        ({"kubernetes_version": "1.31"}, "pins no node AMI release for Kubernetes 1.31"),
        ({"node_ami_release": "1.34.9-20260714"}, "not for Kubernetes"),
    ],
)
def test_bad_cluster_args_fail_with_one_line(change: dict, problem: str) -> None:
    args = {"vpc_id": "vpc-1", "private_subnet_ids": ["subnet-1", "subnet-2"], **change}
    with pytest.raises(ConfigError, match=problem) as failure:
        plan_program(lambda: Cluster("c", ClusterArgs(**args)))
    assert "\n" not in str(failure.value) and str(failure.value).startswith("cluster: ")



def test_a_given_node_ami_release_is_used() -> None:
    release = f"{versions.KUBERNETES}.1-20260101"
    graph = plan_program(lambda: Cluster("c", ClusterArgs(
        vpc_id="vpc-1", private_subnet_ids=["subnet-1"], node_ami_release=release)))
    assert {g.inputs["releaseVersion"] for g in graph.of_type(NODE_GROUP)} == {release}


def test_a_cluster_created_with_the_bootstrap_entry_keeps_it() -> None:
    """bootstrapClusterCreatorAdminPermissions is ForceNew: a cluster an earlier kit created with
    it (true) keeps true, and the caller gets no explicit entry (EKS's bootstrap entry is the
    creator's: a second one would fail with 409); new clusters keep the explicit entry."""
    platform = platform_from({})
    kept = plan_program(
        platform_program(platform, replace(PLAN_INPUTS, creator_bootstrap=True)),
        project=platform.config.name, stack="dev", region=platform.config.region,
    )
    assert _eks(kept)["accessConfig"]["bootstrapClusterCreatorAdminPermissions"] is True
    assert _entries(kept) == []
    fresh = plan_foundation(platform).graph
    assert _eks(fresh)["accessConfig"]["bootstrapClusterCreatorAdminPermissions"] is False
    assert _entries(fresh) == [PLANNER]

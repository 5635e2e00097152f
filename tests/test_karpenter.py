"""Karpenter: one add-on file, one blueprint line, this test (EKS only)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from support.iam_eval import evaluate
from support.plans import full_plan

from marketplace_kit.plan.graph import ResourceGraph
from marketplace_kit.platform import versions

RELEASE = "kubernetes:helm.sh/v3:Release"
NODE_POOL = f"kubernetes:{versions.KARPENTER_API}:NodePool"
NODE_CLASS = f"kubernetes:{versions.KARPENTER_NODE_CLASS_API}:EC2NodeClass"


@pytest.fixture(scope="module")
def dev() -> ResourceGraph:
    return full_plan("dev")


def test_controller_release_from_the_oci_chart_with_irsa_and_queue(dev: ResourceGraph) -> None:
    release = dev.named("karpenter", RELEASE)
    inputs = release.inputs
    assert inputs["chart"] == "oci://public.ecr.aws/karpenter/karpenter"
    assert inputs["version"] == versions.KARPENTER.version and "repositoryOpts" not in inputs
    values = inputs["values"]
    assert values["settings"]["clusterName"] == "marketplace-dev"
    assert values["settings"]["interruptionQueue"]  # the queue's name
    assert values["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"]
    assert values["controller"]["resources"]["requests"] == {"cpu": "250m", "memory": "512Mi"}
    groups = {g.urn for g in dev.of_type("aws:eks/nodeGroup:NodeGroup")}
    assert groups <= set(release.dependencies)  # runs on the managed nodes, after them
    role = dev.named("karpenter-controller", "aws:iam/role:Role")
    trust = json.loads(role.inputs["assumeRolePolicy"])
    condition = trust["Statement"][0]["Condition"]["StringEquals"]
    assert "system:serviceaccount:kube-system:karpenter" in condition.values()


def test_interruption_queue_gets_the_four_event_kinds(dev: ResourceGraph) -> None:
    (queue,) = dev.of_type("aws:sqs/queue:Queue")
    assert queue.inputs["messageRetentionSeconds"] == 300
    assert queue.inputs["sqsManagedSseEnabled"] is True
    kinds = {json.loads(r.inputs["eventPattern"])["detail-type"][0]
             for r in dev.of_type("aws:cloudwatch/eventRule:EventRule")}
    assert kinds == {"AWS Health Event", "EC2 Spot Instance Interruption Warning",
                     "EC2 Instance Rebalance Recommendation",
                     "EC2 Instance State-change Notification"}
    assert len(dev.of_type("aws:cloudwatch/eventTarget:EventTarget")) == 4
    policy = json.loads(dev.named("karpenter-controller", "aws:iam/rolePolicy:RolePolicy")
                        .inputs["policy"])
    sids = {s["Sid"]: s for s in policy["Statement"]}
    assert sids["ScopedDeletion"]["Condition"]  # only instances it launched
    assert sids["PassNodeRole"]["Condition"] == {"StringEquals": {"iam:PassedToService": [
        "ec2.amazonaws.com", "ec2.amazonaws.com.cn"]}}


def test_the_controller_may_terminate_only_its_cluster_s_instances(dev: ResourceGraph) -> None:
    """Evaluated by the kit's IAM evaluator: an instance without the cluster's tag (another
    cluster's, or anyone's) cannot be terminated, nor tagged into the cluster afterwards; the
    policy's ARNs carry the caller's partition, the policy is a dependency of the release."""
    resource = dev.named("karpenter-controller", "aws:iam/rolePolicy:RolePolicy")
    policy = json.loads(resource.inputs["policy"])
    instance = "arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0"
    own = {"aws:ResourceTag/kubernetes.io/cluster/marketplace-dev": "owned",
           "aws:ResourceTag/karpenter.sh/nodepool": "spot"}
    assert evaluate(policy, "ec2:TerminateInstances", instance, own) == "Allow"
    for context in ({}, {"aws:ResourceTag/karpenter.sh/nodepool": "spot"},
                    {"aws:ResourceTag/kubernetes.io/cluster/other": "owned",
                     "aws:ResourceTag/karpenter.sh/nodepool": "spot"},
                    {"aws:ResourceTag/kubernetes.io/cluster/marketplace-dev": "owned"}):
        assert evaluate(policy, "ec2:TerminateInstances", instance, context) == "ImplicitDeny"
    untagged_create = {"ec2:CreateAction": "RunInstances"}  # no cluster tag requested
    assert evaluate(policy, "ec2:CreateTags", instance, untagged_create) == "ImplicitDeny"
    profile = "arn:aws:iam::123456789012:instance-profile/anyone"
    assert evaluate(policy, "iam:DeleteInstanceProfile", profile) == "ImplicitDeny"
    arns = [r for s in policy["Statement"]
            for r in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])]
    assert all(a == "*" or a.startswith("arn:aws:") for a in arns)
    release = dev.named("karpenter", RELEASE)
    assert resource.urn in release.dependencies


def test_spot_and_on_demand_pools_on_one_node_class(dev: ResourceGraph) -> None:
    pools = {r.inputs["metadata"]["name"]: r for r in dev.of_type(NODE_POOL)}
    assert set(pools) == {"spot", "on-demand"}
    release = dev.named("karpenter", RELEASE)
    (node_class,) = dev.of_type(NODE_CLASS)
    for capacity, pool in pools.items():
        spec = pool.inputs["spec"]
        (req,) = [q for q in spec["template"]["spec"]["requirements"]
                  if q["key"] == "karpenter.sh/capacity-type"]
        assert req["values"] == [capacity]
        assert spec["template"]["spec"]["nodeClassRef"]["name"] == "default"
        assert {release.urn, node_class.urn} <= set(pool.dependencies)  # after the CRDs
    assert pools["spot"].inputs["spec"]["weight"] > pools["on-demand"].inputs["spec"]["weight"]
    assert pools["spot"].inputs["spec"]["limits"] == {"cpu": "16"}
    spec = node_class.inputs["spec"]
    assert spec["metadataOptions"]["httpTokens"] == "required"
    assert len(spec["subnetSelectorTerms"]) == 2 and spec["securityGroupSelectorTerms"]
    assert spec["role"]  # the managed node groups' role, by name
    # the AMI release the managed node groups run, not al2023@latest (no drift on each release)
    assert spec["amiSelectorTerms"] == [{"alias": f"al2023@{versions.EKS_AMI_RELEASE}"}]


def test_production_limits_and_local_has_none() -> None:
    prod = full_plan("production")
    pools = {r.inputs["metadata"]["name"]: r.inputs["spec"]["limits"]["cpu"]
             for r in prod.of_type(NODE_POOL)}
    assert pools == {"spot": "64", "on-demand": "32"}
    assert prod.named("karpenter", RELEASE).inputs["values"]["replicas"] == 2
    local = full_plan("local")
    assert not local.of_type(NODE_POOL) and not local.of_type("aws:sqs/queue:Queue")


def _node_labels(pool: dict[str, Any]) -> list[dict[str, str]]:
    """The label sets of the nodes a NodePool can make (Karpenter puts its template labels and,
    for an `In` requirement, one of its values under the requirement's key)."""
    spec = pool["spec"]["template"]
    base = dict(spec.get("metadata", {}).get("labels", {}))
    sets = [base]
    for requirement in spec["spec"]["requirements"]:
        if requirement["operator"] == "In":
            sets = [{**s, requirement["key"]: v} for s in sets for v in requirement["values"]]
    return sets


def _matches(term: dict[str, Any], labels: dict[str, str]) -> bool:
    """A nodeSelectorTerm against a node's labels (In, NotIn, Exists, DoesNotExist)."""
    for expression in term.get("matchExpressions", []):
        key, op, values = expression["key"], expression["operator"], expression.get("values", [])
        present = key in labels
        if (op == "In" and not (present and labels[key] in values)) or (
                op == "NotIn" and present and labels[key] in values) or (
                op == "Exists" and not present) or (op == "DoesNotExist" and present):
            return False
    return True


@pytest.mark.parametrize("blueprint", ["dev", "production"])
def test_brokers_affinity_excludes_every_spot_node_the_node_pools_can_make(
    blueprint: str,
) -> None:
    graph = full_plan(blueprint)
    brokers = [r.inputs for r in graph.of_type("kubernetes:kafka.strimzi.io/v1:KafkaNodePool")]
    assert brokers
    spot_nodes = [labels for r in graph.of_type(NODE_POOL)
                  for labels in _node_labels(r.inputs)
                  if labels.get("karpenter.sh/capacity-type") == "spot"]
    on_demand = [labels for r in graph.of_type(NODE_POOL) for labels in _node_labels(r.inputs)
                 if labels.get("karpenter.sh/capacity-type") == "on-demand"]
    assert spot_nodes and on_demand
    for pool in brokers:
        affinity = pool["spec"]["template"]["pod"]["affinity"]["nodeAffinity"]
        terms = affinity["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
        for labels in spot_nodes:
            assert not any(_matches(t, labels) for t in terms), labels
        assert all(any(_matches(t, labels) for t in terms) for labels in on_demand)


def test_karpenter_node_disk_comes_from_the_config() -> None:
    from dataclasses import replace

    from marketplace_kit.blueprints.program import plan_platform
    from marketplace_kit.config import default_platform

    platform = default_platform("dev")
    cluster = platform.config.cluster.model_copy(update={"on_demand": platform.config.cluster
                                                         .on_demand.model_copy(
                                                             update={"disk_gib": 120})})
    graph = plan_platform(replace(platform, config=platform.config.model_copy(
        update={"cluster": cluster})))
    (node_class,) = graph.of_type(NODE_CLASS)
    assert node_class.inputs["spec"]["blockDeviceMappings"][0]["ebs"]["volumeSize"] == "120Gi"

"""Karpenter: one add-on file, one blueprint line, this test (EKS only)."""

from __future__ import annotations

import json

import pytest
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
    assert sids["TerminateOwn"]["Condition"]  # only instances it launched
    assert sids["PassNodeRole"]["Resource"].endswith("-nodes") or sids["PassNodeRole"]["Resource"]


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


def test_production_limits_and_local_has_none() -> None:
    prod = full_plan("production")
    pools = {r.inputs["metadata"]["name"]: r.inputs["spec"]["limits"]["cpu"]
             for r in prod.of_type(NODE_POOL)}
    assert pools == {"spot": "64", "on-demand": "32"}
    assert prod.named("karpenter", RELEASE).inputs["values"]["replicas"] == 2
    local = full_plan("local")
    assert not local.of_type(NODE_POOL) and not local.of_type("aws:sqs/queue:Queue")

"""The `up` time estimate: critical path through dependencies, components and providers."""

from __future__ import annotations

import json

import pytest
from support.estimate_graphs import PLATFORMS, blueprint, res
from typer.testing import CliRunner

from marketplace_kit.cli.app import app
from marketplace_kit.estimate.data import duration_table
from marketplace_kit.estimate.timeline import critical_path
from marketplace_kit.plan.graph import ResourceGraph

T = duration_table()


def _secs(type_: str) -> float:
    return T.for_type(type_).seconds


def _graph() -> ResourceGraph:
    vpc = res("aws:ec2/vpc:Vpc", "vpc")
    subnet = res("aws:ec2/subnet:Subnet", "subnet", deps=(vpc.urn,))
    nat = res("aws:ec2/natGateway:NatGateway", "nat", deps=(subnet.urn,))
    cluster = res("test:index:Cluster", "cluster", custom=False)
    eks = res("aws:eks/cluster:Cluster", "eks", deps=(subnet.urn,), parent=cluster.urn)
    nodes = res("aws:eks/nodeGroup:NodeGroup", "nodes", deps=(eks.urn,), parent=cluster.urn)
    provider = res("pulumi:providers:kubernetes", "k8s", deps=(eks.urn,), parent=cluster.urn)
    # depends on the component: waits for the node group inside it; uses the provider
    ns = res("kubernetes:core/v1:Namespace", "ns", deps=(cluster.urn,), provider=provider.urn)
    kafka = res(
        "kubernetes:kafka.strimzi.io/v1:Kafka", "kafka",
        {"metadata": {"annotations": {"pulumi.com/waitFor": "condition=Ready"}}},
        deps=(ns.urn,), provider=provider.urn,
    )
    return ResourceGraph([vpc, subnet, nat, cluster, eks, nodes, provider, ns, kafka])


def test_critical_path_follows_dependencies_components_and_providers() -> None:
    timeline = critical_path(_graph())
    names = [s.resource.name for s in timeline.critical_path]
    assert names == ["vpc", "subnet", "eks", "nodes", "ns", "kafka"]
    expected = (
        _secs("aws:ec2/vpc:Vpc") + _secs("aws:ec2/subnet:Subnet")
        + _secs("aws:eks/cluster:Cluster") + _secs("aws:eks/nodeGroup:NodeGroup")
        + _secs("kubernetes:core/v1:Namespace") + T.awaited_custom_resource("Kafka").seconds
    )
    assert timeline.total == pytest.approx(expected)
    assert timeline.serial == pytest.approx(expected + _secs("aws:ec2/natGateway:NatGateway"))


def test_parallel_work_is_reported_beside_the_path() -> None:
    timeline = critical_path(_graph())
    eks_step = next(s for s in timeline.critical_path if s.resource.name == "eks")
    assert [s.resource.name for s in timeline.alongside(eks_step)] == ["nat"]
    data = timeline.to_dict()
    assert data["critical_path"][2]["alongside"] == ["nat"]
    assert all(r["source"] for r in data["resources"])


def test_an_unwaited_custom_resource_takes_seconds() -> None:
    kafka = res("kubernetes:kafka.strimzi.io/v1:Kafka", "kafka")
    assert critical_path(ResourceGraph([kafka])).total == _secs("kubernetes:any")


def test_every_duration_cites_a_source() -> None:
    for type_ in ("aws:eks/cluster:Cluster", "aws:rds/instance:Instance", "kubernetes:x:Y", "z:y"):
        duration = T.for_type(type_)
        assert duration.source and duration.basis in ("measured", "documented", "estimate")


@pytest.mark.parametrize("name", PLATFORMS)
def test_blueprint_path_runs_through_the_eks_cluster(name: str) -> None:
    timeline = critical_path(blueprint(name))
    types = [s.resource.type for s in timeline.critical_path]
    assert types[0] == "aws:ec2/vpc:Vpc"
    assert "aws:eks/cluster:Cluster" in types
    assert timeline.total < timeline.serial
    finishes = [s.finish for s in timeline.critical_path]
    assert finishes == sorted(finishes) and finishes[-1] == timeline.total


def test_cli_timeline_json() -> None:
    result = CliRunner().invoke(app, ["timeline", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["total_s"] > 900

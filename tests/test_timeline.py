"""The `up` time estimate: critical path through dependencies, components and providers."""

from __future__ import annotations

import json
from pathlib import Path

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


def test_the_scale_out_path_from_the_durations_table() -> None:
    path = critical_path(blueprint("dev")).scale_out
    assert path is not None and path.node_autoscaling
    warm = [s for s in T.scale_out if not s.new_node]
    assert [s.step for s in warm] == ["metrics", "hpa sync", "pod start"]
    assert path.on_free_capacity == sum(s.duration.seconds for s in warm) == 50
    assert path.with_new_node == 50 + 10 + 60 + 20
    assert all(s.duration.source and s.duration.basis in ("documented", "estimate", "measured")
               for s in T.scale_out)
    # Without metrics-server nothing feeds the HPAs: no scale-out path to show.
    assert critical_path(_graph()).scale_out is None


def test_timeline_shows_the_scale_out_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "services").mkdir()
    (tmp_path / "marketplace.yaml").write_text("name: shop\nblueprint: dev\n")
    runner = CliRunner()
    table = runner.invoke(app, ["timeline"], env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    assert "Scale-out once running: ≈ 50s on nodes with room" in table.output
    assert "≈ 2m20s when Karpenter must add a node" in table.output
    data = json.loads(runner.invoke(app, ["timeline", "--format", "json"]).output)
    assert data["scale_out"]["with_new_node_s"] == 140
    assert [s["step"] for s in data["scale_out"]["steps"]][:2] == ["metrics", "hpa sync"]
    local = tmp_path / "local"
    (local / "services").mkdir(parents=True)
    (local / "marketplace.yaml").write_text("name: shop\nblueprint: local\n")
    monkeypatch.chdir(local)
    text = runner.invoke(app, ["timeline"], env={"COLUMNS": "200"}).output
    assert "no node autoscaling here" in text

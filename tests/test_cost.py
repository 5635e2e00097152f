"""The monthly cost estimate: shipped prices, visible assumptions, unknowns listed."""

from __future__ import annotations

import json

import pytest
from support.estimate_graphs import PLATFORMS, blueprint, res, seed_design
from typer.testing import CliRunner

from marketplace_kit.cli.app import app
from marketplace_kit.errors import KitError
from marketplace_kit.estimate.cost import estimate
from marketplace_kit.estimate.data import price_table
from marketplace_kit.plan.graph import ResourceGraph

HOURS = 730


def test_seed_design_is_priced_line_by_line() -> None:
    report = estimate(seed_design(), "us-east-1")
    p = price_table("us-east-1")
    expected = (
        HOURS * p.price("eks_cluster_hour").usd
        + 3 * HOURS * p.item("ec2_instance_hour", "t3.medium").usd  # type: ignore[union-attr]
        + 3 * 20 * p.price("ebs_gp3_gb_month").usd
        + 3 * HOURS * p.item("msk_broker_hour", "kafka.m5.large").usd  # type: ignore[union-attr]
        + 3 * 100 * p.price("msk_storage_gb_month").usd
        + 3 * HOURS * (p.price("nat_gateway_hour").usd + p.price("public_ipv4_hour").usd)
        + p.assume("nat_data_gb_per_month") * p.price("nat_gateway_gb").usd
    )
    assert report.total == pytest.approx(expected, abs=0.01)
    assert report.unpriced == []
    assert report.free == 3  # the subnets


def test_unknown_types_and_items_are_listed_not_zero() -> None:
    graph = ResourceGraph([
        res("aws:kinesis/stream:Stream", "q"),
        res("aws:eks/nodeGroup:NodeGroup", "big", {"instanceTypes": ["x9.huge"],
                                                   "scalingConfig": {"desiredSize": 2}}),
        res("aws:iam/role:Role", "role"),
    ])
    report = estimate(graph, "us-east-1")
    assert report.total == 0
    why = {name: reason for name, _, reason in report.unpriced}
    assert why["q"] == "no price rule for this type"
    assert "x9.huge" in why["big"]
    assert report.free == 1


def test_spot_is_discounted_and_region_changes_prices() -> None:
    def group(capacity: str) -> ResourceGraph:
        return ResourceGraph([res("aws:eks/nodeGroup:NodeGroup", "g", {
            "instanceTypes": ["m5.large"], "capacityType": capacity,
            "scalingConfig": {"desiredSize": 1}, "diskSize": 1})])

    on_demand = estimate(group("ON_DEMAND"), "us-east-1").lines[0].monthly_usd
    spot = estimate(group("SPOT"), "us-east-1").lines[0].monthly_usd
    assert spot == pytest.approx(on_demand * (1 - price_table("us-east-1").assume("spot_savings")))
    assert estimate(group("ON_DEMAND"), "eu-west-1").lines[0].monthly_usd > on_demand
    with pytest.raises(KitError, match="no prices for region 'ap-south-9'"):
        estimate(group("SPOT"), "ap-south-9")


def test_volumes_and_the_gateway_load_balancer_are_priced() -> None:
    graph = ResourceGraph([
        res("kubernetes:kafka.strimzi.io/v1:KafkaNodePool", "brokers", {"spec": {
            "replicas": 3, "storage": {"type": "jbod", "volumes": [
                {"id": 0, "type": "persistent-claim", "size": "100Gi"}]}}}),
        res("kubernetes:core/v1:PersistentVolumeClaim", "data", {"spec": {
            "resources": {"requests": {"storage": "10Gi"}}}}),
        res("kubernetes:helm.sh/v3:Release", "gateway", {"chart": "gateway", "values": {
            "service": {"annotations": {
                "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
                "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing"}}}}),
        res("kubernetes:apps/v1:Deployment", "app", {"spec": {"replicas": 2}}),
    ])
    lines = {(x.resource, x.item): x.monthly_usd for x in estimate(graph, "us-east-1").lines}
    assert lines[("brokers", "broker volumes: 3 x 100 GiB gp3")] == pytest.approx(24.0)
    assert lines[("data", "volume: 1 x 10 GiB gp3")] == pytest.approx(0.8)
    assert lines[("gateway", "network load balancer hours")] == pytest.approx(0.0225 * HOURS)
    assert ("gateway", "load balancer public IPv4 x 1") in lines


def test_chart_volumes_from_recorded_facts_count_every_replica() -> None:
    from marketplace_kit.platform.observability import opensearch_values

    graph = ResourceGraph([
        res("kubernetes:helm.sh/v3:Release", "opensearch",
            {"chart": "opensearch", "values": opensearch_values(3)}),
        res("kubernetes:helm.sh/v3:Release", "defaults", {"chart": "opensearch", "values": {}}),
        res("kubernetes:helm.sh/v3:Release", "off", {"chart": "opensearch", "values": {
            "persistence": {"enabled": False}}}),
    ])
    lines = {(x.resource, x.item): x.monthly_usd for x in estimate(graph, "us-east-1").lines}
    assert lines == {
        ("opensearch", "opensearch-cluster-master volumes: 3 x 30 GiB gp3"): pytest.approx(7.2),
        ("defaults", "opensearch-cluster-master volumes: 3 x 8 GiB gp3"): pytest.approx(1.92),
    }


@pytest.mark.parametrize("name", PLATFORMS)
def test_blueprints_are_fully_priced(name: str) -> None:
    report = estimate(blueprint(name), "us-east-1")
    assert report.unpriced == []
    assert report.total > 0


def test_dev_blueprint_costs_at_most_half_the_seed_design() -> None:
    dev = estimate(blueprint("dev"), "us-east-1").total
    seed = estimate(seed_design(), "us-east-1").total
    assert dev <= seed / 2, (dev, seed)


def test_cli_json_shows_assumptions_and_sources() -> None:
    result = CliRunner().invoke(app, ["cost", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["assumptions"]["hours_per_month"]["value"] == 730
    assert all(line["source"].startswith("https://") for line in data["lines"])
    assert data["monthly_total_usd"] == pytest.approx(sum(x["monthly_usd"] for x in data["lines"]),
                                                      abs=0.05)

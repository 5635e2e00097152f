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
from marketplace_kit.platform.versions import ISTIO

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
        res("kubernetes:helm.sh/v3:Release", "gateway", {"chart": "gateway", "version": ISTIO,
                                                          "values": {
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


def test_chart_volumes_from_the_rendered_facts_count_every_replica() -> None:
    from support.plans import full_plan

    report = estimate(full_plan("production"), "us-east-1")
    items = {(x.resource, x.item) for x in report.lines}
    assert {("opensearch", "StatefulSet opensearch-cluster-master volumes: 3 x 30 GiB gp3"),
            ("kube-prometheus-stack",
             "Prometheus kube-prometheus-stack-prometheus volumes: 3 x 30 GiB gp3"),
            ("kube-prometheus-stack",
             "Alertmanager kube-prometheus-stack-alertmanager volumes: 3 x 2 GiB gp3"),
            ("kube-prometheus-stack", "claim kube-prometheus-stack-grafana: 1 x 5 GiB gp3"),
            } <= items
    dev = {(x.resource, x.item) for x in estimate(full_plan("dev"), "us-east-1").lines}
    assert ("loki", "StatefulSet loki volumes: 1 x 10 GiB gp3") in dev


def test_a_release_of_a_chart_without_facts_is_unpriced() -> None:
    graph = ResourceGraph([res("kubernetes:helm.sh/v3:Release", "mystery",
                               {"chart": "mystery", "version": "1.0.0", "values": {}})])
    report = estimate(graph, "us-east-1")
    assert [(name, why.split(";")[0]) for name, _, why in report.unpriced] == [
        ("mystery", "fit: no chart facts for mystery 1.0.0 (release mystery)")]


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


def test_minimum_and_maximum_cost_of_the_scaling_parts() -> None:
    from marketplace_kit.estimate.scale import scale_range

    graph = blueprint("dev")
    scale = scale_range(graph, "us-east-1")
    p = price_table("us-east-1")
    assert scale.minimum.total < scale.desired.total < scale.maximum.total
    assert scale.desired.total == estimate(graph, "us-east-1").total

    def lines(report: object, resource: str) -> dict[str, float]:
        return {x.item: x.monthly_usd for x in report.lines  # type: ignore[attr-defined]
                if x.resource == resource}

    groups = {r.name: r.inputs["scalingConfig"] for r in graph.of_type(
        "aws:eks/nodeGroup:NodeGroup")}
    on_demand = next(n for n in groups if n.endswith("on-demand"))
    size = groups[on_demand]
    t3 = p.item("ec2_instance_hour", "t3.medium").usd  # type: ignore[union-attr]
    assert lines(scale.minimum, on_demand)[f"{size['minSize']} x t3.medium on-demand"] == (
        pytest.approx(size["minSize"] * t3 * HOURS))
    assert lines(scale.maximum, on_demand)[f"{size['maxSize']} x t3.medium on-demand"] == (
        pytest.approx(size["maxSize"] * t3 * HOURS))
    # Karpenter costs nothing until it launches; at maximum its NodePools are full.
    vcpu = p.price("karpenter_vcpu_hour").usd
    assert lines(scale.minimum, "karpenter-pool-spot") == {}
    spot = lines(scale.maximum, "karpenter-pool-spot")
    assert spot["Karpenter at its limit: 16 vCPU spot"] == pytest.approx(
        16 * vcpu * (1 - p.assume("spot_savings")) * HOURS)
    assert spot["Karpenter node root volumes: 8 x 50 GiB gp3"] == pytest.approx(8 * 50 * 0.08)
    assert lines(scale.maximum, "karpenter-pool-on-demand")[
        "Karpenter at its limit: 8 vCPU on-demand"] == pytest.approx(8 * vcpu * HOURS)


def test_hpa_demand_at_max_replicas_counts_the_sidecar() -> None:
    from marketplace_kit.estimate.scale import hpa_demand

    graph = ResourceGraph([
        res("kubernetes:core/v1:Namespace", "apps", {"metadata": {
            "name": "apps", "labels": {"istio-injection": "enabled"}}}),
        res("kubernetes:apps/v1:Deployment", "orders", {
            "metadata": {"name": "orders", "namespace": "apps"},
            "spec": {"template": {"spec": {"containers": [
                {"resources": {"requests": {"cpu": "250m", "memory": "256Mi"}}}]}}}}),
        res("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "orders", {
            "metadata": {"name": "orders", "namespace": "apps"},
            "spec": {"scaleTargetRef": {"name": "orders"}, "minReplicas": 2,
                     "maxReplicas": 5}}),
    ])
    (demand,) = hpa_demand(graph)
    assert (demand.cpu_m, demand.memory_mib) == (350, 384)  # + the Istio sidecar's 100m/128Mi
    assert demand.extra_cpu_m == 3 * 350


def test_cost_cli_shows_the_range(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    from pathlib import Path

    root = Path(str(tmp_path))
    (root / "services").mkdir()
    (root / "marketplace.yaml").write_text("name: shop\nblueprint: dev\n")
    monkeypatch.chdir(root)
    runner = CliRunner()
    data = json.loads(runner.invoke(app, ["cost", "--format", "json"]).output)
    span = data["range"]
    assert span["minimum_usd"] < data["monthly_total_usd"] == span["desired_usd"]
    assert span["desired_usd"] < span["maximum_usd"]
    text = runner.invoke(app, ["cost"], env={"COLUMNS": "200"}).output
    assert f"maximum ${span['maximum_usd']:,.2f}" in text and "Karpenter NodePools" in text

"""The architecture diagram: layers as subgraphs, topics with publishers and consumers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from support.estimate_graphs import PLATFORMS, blueprint, res
from typer.testing import CliRunner

from marketplace_kit.cli.app import app
from marketplace_kit.config import ServiceSpec
from marketplace_kit.errors import KitError
from marketplace_kit.estimate.diagram import build, render
from marketplace_kit.plan.graph import ResourceGraph


def _acl(topic: str, *ops: str) -> dict[str, object]:
    return {"resource": {"type": "topic", "name": topic, "patternType": "literal"},
            "operations": list(ops)}


def _event_graph() -> ResourceGraph:
    bus = res("marketplace-kit:platform:EventBus", "eventbus", custom=False)
    orders = res("marketplace-kit:platform:MarketplaceService", "orders", custom=False)
    billing = res("marketplace-kit:platform:MarketplaceService", "billing", custom=False)
    return ResourceGraph([
        bus, orders, billing,
        res("kubernetes:kafka.strimzi.io/v1:KafkaTopic", "order-events",
            {"metadata": {"name": "order-events"}}, parent=bus.urn),
        res("kubernetes:kafka.strimzi.io/v1:KafkaUser", "orders-user", {"spec": {
            "authorization": {"type": "simple", "acls": [_acl("order-events", "Write")]}}},
            parent=orders.urn),
        res("kubernetes:kafka.strimzi.io/v1:KafkaUser", "billing-user", {"spec": {
            "authorization": {"type": "simple", "acls": [_acl("order-events", "Read")]}}},
            parent=billing.urn),
    ])


def test_topics_link_publishers_and_consumers_from_acls() -> None:
    text = build(_event_graph()).to_mermaid()
    assert 'topic_order_events["topic order-events"]' in text
    assert 'svc_orders -->|"publishes"| topic_order_events' in text
    assert 'topic_order_events -->|"consumes"| svc_billing' in text


def test_service_specs_fill_in_without_acls() -> None:
    specs = [ServiceSpec(name="catalog", publishes=["item-events"], datastore="none"),
             ServiceSpec(name="search", consumes=["item-events"], datastore="none")]
    text = build(ResourceGraph([]), specs).to_mermaid()
    assert 'svc_catalog -->|"publishes"| topic_item_events' in text
    assert 'topic_item_events -->|"consumes"| svc_search' in text


@pytest.mark.parametrize("name", PLATFORMS)
def test_blueprint_diagram_has_every_layer(name: str) -> None:
    diagram = build(blueprint(name))
    for group in ("network", "cluster", "mesh & gateway", "event bus", "data stores",
                  "observability"):
        assert diagram.groups.get(group), group
    text = diagram.to_mermaid()
    assert text.startswith("flowchart LR\n") and text.count("subgraph") == text.count("  end")
    assert '-->|"HTTPS"|' in text


def test_without_graphviz_svg_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda _: None)
    with pytest.raises(KitError, match="Graphviz `dot` is not installed; fix: "):
        render(build(_event_graph()), "svg")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed here")
def test_svg_through_graphviz() -> None:
    assert b"<svg" in render(build(blueprint("dev")), "svg")


def test_cli_writes_mermaid_file(tmp_path: object) -> None:
    from pathlib import Path

    out = Path(str(tmp_path)) / "arch.mmd"
    result = CliRunner().invoke(app, ["diagram", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("flowchart LR")


def test_addon_groups_are_kept_and_read_again_for_another_kit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from marketplace_kit.estimate import addon_groups

    declared = addon_groups.declared()
    assert declared.component_group["EventBus"] == "event bus"
    calls: list[int] = []

    def counted() -> addon_groups.AddOnGroups:
        calls.append(1)
        return declared

    monkeypatch.setattr(addon_groups, "declared", counted)
    cache = tmp_path / "addon-groups"
    assert addon_groups.groups(cache) == declared and len(calls) == 1  # declared, kept
    assert addon_groups.groups(cache) == declared and len(calls) == 1  # read back
    assert addon_groups.groups(None) == declared and len(calls) == 2  # no cache: declared
    monkeypatch.setattr(addon_groups, "kit_digest", lambda: "another kit source")
    assert addon_groups.groups(cache) == declared and len(calls) == 3  # another kit's key
    for entry in cache.glob("*.json"):
        entry.write_text(json.dumps({"format": 1, "key": entry.stem,
                                     "data": {"groups": [], "order": []}}))
    assert addon_groups.groups(cache) == declared and len(calls) == 4  # foreign shape: again


def test_a_diagram_from_kept_groups_is_the_declared_one(tmp_path: Path) -> None:
    from marketplace_kit.estimate.addon_groups import groups

    graph = blueprint("production")
    kept = groups(tmp_path / "addon-groups")
    assert build(graph, groups=groups(tmp_path / "addon-groups")).to_mermaid() \
        == build(graph).to_mermaid()
    assert kept.order[0] == "network"

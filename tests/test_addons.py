"""The add-on seam: every platform component is declared once, and the side lists follow."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil

import pulumi
import pytest

import marketplace_kit.platform as platform_pkg
from marketplace_kit.core.addon import AddOn
from marketplace_kit.core.foundation import Foundation
from marketplace_kit.estimate import cost, diagram
from marketplace_kit.platform import registry
from marketplace_kit.provision import starter


def _components() -> dict[str, str]:
    """Every ComponentResource class defined in a platform module -> its module."""
    found = {}
    for info in pkgutil.iter_modules(platform_pkg.__path__):
        module = importlib.import_module(f"marketplace_kit.platform.{info.name}")
        for name, obj in vars(module).items():
            if (inspect.isclass(obj) and issubclass(obj, pulumi.ComponentResource)
                    and obj.__module__ == module.__name__):
                found[name] = module.__name__
    return found


def test_every_component_is_registered() -> None:
    declared = {a.component for a in registry.addons().values()}
    missing = set(_components()) - declared
    assert not missing, f"declare ADDON = AddOn(...) beside: {sorted(missing)}"
    assert declared <= set(_components())


def test_a_component_without_declaration_fails_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    class Stray(pulumi.ComponentResource):
        pass

    Stray.__module__ = "marketplace_kit.platform.mesh"
    monkeypatch.setattr(importlib.import_module("marketplace_kit.platform.mesh"), "Stray", Stray,
                        raising=False)
    assert "Stray" in set(_components()) - {a.component for a in registry.addons().values()}


def test_exports_are_the_declared_names() -> None:
    names = {e for a in registry.addons().values() for e in a.exports}
    assert sorted(names) == platform_pkg.__all__
    for name in names:
        assert getattr(platform_pkg, name).__name__ == name
    with pytest.raises(AttributeError):
        platform_pkg.NotAComponent  # noqa: B018


def test_diagram_groups_and_init_notes_come_from_declarations() -> None:
    for addon in registry.addons().values():
        assert addon.group in registry.group_order()
    notes = starter.section_notes()
    from marketplace_kit.config import PlatformConfig

    sections = set(PlatformConfig.model_fields) - set(starter.TOP_KEYS)
    assert sections == set(notes), "every marketplace.yaml section needs a note"
    assert notes["mesh"].startswith("Istio")
    assert diagram.build  # the diagram reads registry.by_component for its groups


def test_priced_types_have_a_pricer() -> None:
    for addon in registry.addons().values():
        for type_ in addon.priced:
            assert type_ in cost.AWS_PRICERS, f"{addon.name}: no pricer for {type_}"


def test_needs_are_foundation_fields() -> None:
    fields = {f.name for f in dataclasses.fields(Foundation)}
    for addon in registry.addons().values():
        if addon.layer != "foundation":
            assert set(addon.needs) <= fields, addon.name


def test_order_follows_after_and_rejects_cycles(monkeypatch: pytest.MonkeyPatch) -> None:
    assert registry.ordered(["gateway", "mesh", "observability"]) == [
        "observability", "mesh", "gateway"
    ]
    assert registry.ordered(["datastores", "eventbus"]) == ["datastores", "eventbus"]
    loop = {
        "a": AddOn("a", "A", ("A",), "x", after=("b",)),
        "b": AddOn("b", "B", ("B",), "x", after=("a",)),
    }
    monkeypatch.setattr(registry, "addons", lambda: loop)
    with pytest.raises(ValueError, match="cycle"):
        registry.ordered(["a", "b"])


def test_an_addon_exports_its_component() -> None:
    with pytest.raises(ValueError, match="exports"):
        AddOn("x", "X", ("XArgs",), "cluster")


@pytest.mark.parametrize("target", ["aws", "local"])
def test_provided_handles_exist_on_the_built_addons(target: str) -> None:
    from support.incluster import fake_foundation, marketplace, plan

    from marketplace_kit.blueprints.in_cluster import InCluster, build_in_cluster

    built: list[InCluster] = []
    blueprint = "dev" if target == "aws" else "local"
    plan(lambda: built.append(build_in_cluster(marketplace(blueprint), fake_foundation(target))))
    (layers,) = built
    aws_only = ["karpenter"] if target == "aws" else []
    assert list(layers.addons) == ["observability", "mesh", "gateway", "eventbus", "datastores",
                                   "metrics-server", "monitoring", *aws_only]
    for name, component in layers.addons.items():
        for handle in registry.addons()[name].provides:
            assert hasattr(component, handle), f"{name} declares {handle} but has none"


@pytest.mark.parametrize(("model", "value_type"), [
    ("EventBusConfig", "KafkaSettings"), ("ObservabilityConfig", "TelemetrySettings"),
    ("PostgresConfig", "PostgresSettings"), ("DocumentDbConfig", "DocumentDbSettings"),
])
def test_every_config_field_reaches_the_args(model: str, value_type: str) -> None:
    """A new config field must be carried into the component's own settings (blueprints map it)."""
    from marketplace_kit import config

    settings_type = getattr(platform_pkg, value_type)
    assert set(getattr(config, model).model_fields) == {
        f.name for f in dataclasses.fields(settings_type)}


def test_service_spec_maps_onto_the_workload() -> None:
    from marketplace_kit.blueprints.settings import workload
    from marketplace_kit.config import ServiceSpec

    spec = ServiceSpec(name="order", version="2.0.0", port=8080, publishes=["a"], consumes=["b"],
                       replicas={"min": 3, "max": 5, "cpu_target": 60},
                       resources={"cpu": "200m"}, image="r/order:x", datastore="none")
    got = workload(spec)
    assert (got.name, got.version, got.port, got.datastore, got.image) == (
        "order", "2.0.0", 8080, "none", "r/order:x")
    assert (tuple(got.publishes), tuple(got.consumes)) == (("a",), ("b",))
    assert (got.replicas.min, got.replicas.max, got.replicas.cpu_target) == (3, 5, 60)
    assert got.resources.cpu == "200m" and got.resources.memory_limit == "512Mi"


def _documented(cls: type) -> set[str]:
    doc = inspect.getdoc(cls) or ""
    assert "Attributes:" in doc, f"{cls.__name__}: no Attributes: section"
    section = doc.split("Attributes:", 1)[1]
    return {line.strip().split(":", 1)[0] for line in section.splitlines()
            if line.startswith("    ") and not line.startswith("        ") and ":" in line}


def test_every_input_is_documented_at_the_code() -> None:
    """Each exported Args/value dataclass (and the Foundation) documents every field."""
    classes = [Foundation, AddOn] + [
        obj for name in platform_pkg.__all__
        if dataclasses.is_dataclass(obj := getattr(platform_pkg, name)) and isinstance(obj, type)
    ]
    assert len(classes) > 15
    for cls in classes:
        fields = {f.name for f in dataclasses.fields(cls)}
        assert _documented(cls) == fields, cls.__name__

"""render: manifests extracted from a plan, written atomically, valid against the schemas."""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pulumi
import pulumi_kubernetes as k8s
import pytest
import yaml
from kubernetes_validate.utils import SchemaNotFoundError
from support.plans import full_plan

from marketplace_kit.errors import KitError
from marketplace_kit.plan import ResourceGraph, plan_program
from marketplace_kit.platform import versions
from marketplace_kit.render import helm_releases, manifests, render_plan
from marketplace_kit.render.manifests import REDACTED_ANNOTATION
from marketplace_kit.render.writer import MANIFEST


def _program() -> None:
    provider = k8s.Provider("kind", context="kind-shop")
    opts = pulumi.ResourceOptions(provider=provider)
    k8s.core.v1.Namespace("shop", metadata={"name": "shop"}, opts=opts)
    k8s.core.v1.Secret(
        "db",
        metadata={"name": "db", "namespace": "shop"},
        string_data={"password": pulumi.Output.secret("hunter2")},
        opts=opts,
    )
    k8s.core.v1.ConfigMap("settings", metadata={"namespace": "shop"}, data={"a": "1"}, opts=opts)
    k8s.core.v1.ConfigMapPatch(
        "patch", metadata={"name": "aws-auth", "namespace": "kube-system"}, data={}, opts=opts
    )
    k8s.apiextensions.CustomResource(
        "orders",
        api_version="kafka.strimzi.io/v1",
        kind="KafkaTopic",
        metadata={"name": "orders", "namespace": "shop"},
        spec={"partitions": 3},
        opts=opts,
    )
    k8s.helm.v3.Release(
        "istiod",
        name="istiod",
        chart="istiod",
        version="1.0.0",
        namespace="istio-system",
        repository_opts={"repo": "https://charts.example"},
        values={"pilot": {"autoscaleMin": 2}},
        opts=opts,
    )


@pytest.fixture(scope="module")
def graph() -> ResourceGraph:
    return plan_program(_program)


def test_objects_are_kubernetes_kinds_only(graph: ResourceGraph) -> None:
    found = {(m.kind, m.name) for m in manifests(graph)}
    # The provider, the Helm release and the partial (Patch) object are not objects.
    assert found == {
        ("Namespace", "shop"), ("Secret", "db"), ("ConfigMap", "settings"), ("KafkaTopic", "orders")
    }


def test_secret_values_never_rendered(graph: ResourceGraph) -> None:
    (secret,) = [m for m in manifests(graph) if m.kind == "Secret"]
    assert "stringData" not in secret.object
    assert secret.object["metadata"]["annotations"][REDACTED_ANNOTATION] == "stringData"
    assert "hunter2" not in yaml.safe_dump([m.object for m in manifests(graph)])


def test_auto_named_objects_get_their_logical_name(graph: ResourceGraph) -> None:
    (config_map,) = [m for m in manifests(graph) if m.kind == "ConfigMap"]
    assert config_map.name == "settings" and config_map.namespace == "shop"
    assert list(config_map.object)[:3] == ["apiVersion", "kind", "metadata"]


def test_helm_release_fields(graph: ResourceGraph) -> None:
    (release,) = helm_releases(graph)
    assert release.to_dict() == {
        "release": "istiod",
        "namespace": "istio-system",
        "chart": "istiod",
        "repository": "https://charts.example",
        "version": "1.0.0",
        "values": {"pilot": {"autoscaleMin": 2}},
    }


def test_render_layout(graph: ResourceGraph, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = render_plan(graph, out, force=False)
    assert (result.manifests, result.releases) == (4, 1)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.yaml")) == [
        "_cluster/namespace-shop.yaml",
        "_helm/istio-system/istiod.yaml",
        "shop/configmap-settings.yaml",
        "shop/kafkatopic-orders.yaml",
        "shop/secret-db.yaml",
    ]
    topic = yaml.safe_load((out / "shop/kafkatopic-orders.yaml").read_text())
    assert topic["spec"] == {"partitions": 3} and topic["apiVersion"] == "kafka.strimzi.io/v1"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging left behind


def test_refuses_a_non_empty_directory_unless_forced(graph: ResourceGraph, tmp_path: Path) -> None:
    out = tmp_path / "out"
    render_plan(graph, out, force=False)
    with pytest.raises(KitError, match=r"is not empty.*--force"):
        render_plan(graph, out, force=False)
    # A file an earlier render wrote (listed in its manifest) and this render does not: replaced.
    (out / "shop/stale.yaml").write_text("old")
    with (out / MANIFEST).open("a") as manifest:
        manifest.write("shop/stale.yaml\n")
    render_plan(graph, out, force=True)
    assert not (out / "shop/stale.yaml").exists() and (out / "shop/secret-db.yaml").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_refuses_a_file_target(graph: ResourceGraph, tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(KitError, match="is a file"):
        render_plan(graph, target, force=True)


def test_a_failed_write_leaves_nothing_half_written(
    graph: ResourceGraph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    render_plan(graph, out, force=False)
    previous = sorted(p.relative_to(out) for p in out.rglob("*"))
    calls = []

    def failing_write(self: Path, text: str, encoding: str | None = None) -> int:
        calls.append(self)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return original(self, text, encoding=encoding)

    original = Path.write_text
    monkeypatch.setattr(Path, "write_text", failing_write)
    with pytest.raises(KitError, match="No space left on device"):
        render_plan(graph, out, force=True)
    monkeypatch.undo()
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == previous
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_two_renders_are_byte_identical(graph: ResourceGraph, tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    render_plan(graph, first, force=False)
    render_plan(plan_program(_program), second, force=False)
    files = sorted(p.relative_to(first) for p in first.rglob("*.yaml"))
    assert files == sorted(p.relative_to(second) for p in second.rglob("*.yaml"))
    assert all((first / f).read_bytes() == (second / f).read_bytes() for f in files)


@pytest.mark.parametrize("blueprint", ["dev", "production"])
def test_blueprint_manifests_validate_against_kubernetes_schemas(
    blueprint: str, tmp_path: Path
) -> None:
    graph = full_plan(blueprint)
    out = tmp_path / blueprint
    result = render_plan(graph, out, force=False)
    validated, custom = [], []
    for file in sorted(out.rglob("*.yaml")):
        if file.parent.parent.name == "_helm" or file.parent.name == "_helm":
            release = yaml.safe_load(file.read_text())
            assert release["chart"] and release["repository"] and release["version"], file
            continue
        obj = yaml.safe_load(file.read_text())
        try:
            kubernetes_validate.validate(obj, versions.KUBERNETES, strict=True)
        except SchemaNotFoundError:
            custom.append(obj["kind"])  # custom resources: validated against their own models
            continue
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{file.relative_to(out)}: {exc.message}")
        validated.append(obj["kind"])
    assert result.manifests == len(validated) + len(custom)
    assert "StorageClass" in validated


def test_strict_validation_rejects_unknown_fields() -> None:
    """The check above can fail: a misspelt field is an error in strict mode."""
    bad = {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": "x"},
        "provisioner": "ebs.csi.aws.com",
        "volumeBindingMod": "WaitForFirstConsumer",
    }
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, versions.KUBERNETES, strict=True)

"""examples/library-usage: a plain Pulumi program using the components, planned offline."""

from __future__ import annotations

import importlib.util
import runpy
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from marketplace_kit.plan import ResourceGraph, plan_program

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "library-usage"


def _load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("library_usage_main", EXAMPLE / "__main__.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # not __main__: nothing is registered on import
    return module


@pytest.fixture(scope="module")
def graph() -> ResourceGraph:
    example = _load_example()
    return plan_program(lambda: example.build("shop", ["198.51.100.0/24"]), project="library-usage")


def test_example_plans_network_cluster_and_workload(graph: ResourceGraph) -> None:
    types = graph.summary()["by_type"]
    assert types["marketplace-kit:platform:Network"] == 1
    assert types["marketplace-kit:platform:Cluster"] == 1
    assert types["aws:ec2/natGateway:NatGateway"] == 3
    assert types["aws:eks/nodeGroup:NodeGroup"] == 2
    namespace = graph.named("workload-namespace", "kubernetes:core/v1:Namespace")
    assert namespace.inputs["metadata"]["name"] == "apps"
    provider = graph.named("shop-k8s", "pulumi:providers:kubernetes")
    assert namespace.provider == provider.urn
    groups = {g.urn for g in graph.of_type("aws:eks/nodeGroup:NodeGroup")}
    assert groups <= set(namespace.dependencies)


def test_example_composes_every_layer_without_config(graph: ResourceGraph) -> None:
    """Every component of the kit, from typed Args alone (no marketplace.yaml, no config)."""
    from marketplace_kit.platform import registry

    types = graph.summary()["by_type"]
    for addon in registry.addons().values():
        if "aws" in addon.targets:
            assert types.get(f"marketplace-kit:platform:{addon.component}") == 1, addon.name
    deployment = graph.named("orders-deployment")
    assert deployment.provider == graph.named("shop-k8s", "pulumi:providers:kubernetes").urn
    env = {e["name"] for e in deployment.inputs["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert {"KAFKA_BOOTSTRAP_SERVERS", "OTEL_EXPORTER_OTLP_ENDPOINT"} <= env
    (rds,) = graph.of_type("aws:rds/instance:Instance")
    assert rds.inputs["instanceClass"] == "db.t4g.medium"
    assert graph.named("topic-order-events").inputs["spec"]["replicas"] == 3


def test_example_imports_no_config() -> None:
    source = (EXAMPLE / "__main__.py").read_text()
    assert "marketplace_kit.config" not in source and "marketplace_kit.blueprints" not in source


def test_example_passes_its_settings_through(graph: ResourceGraph) -> None:
    (eks,) = graph.of_type("aws:eks/cluster:Cluster")
    assert eks.inputs["name"] == "shop"
    assert eks.inputs["vpcConfig"]["publicAccessCidrs"] == ["198.51.100.0/24"]
    spot = graph.named("shop-spot", "aws:eks/nodeGroup:NodeGroup")
    assert spot.inputs["capacityType"] == "SPOT"


def test_example_runs_as_pulumi_runs_it() -> None:
    """`pulumi up` executes __main__.py as __main__ (config unset: the defaults)."""
    graph = plan_program(
        lambda: runpy.run_path(str(EXAMPLE / "__main__.py"), run_name="__main__"),
        project="library-usage",
    )
    assert graph.named("shop", "marketplace-kit:platform:Cluster")
    (eks,) = graph.of_type("aws:eks/cluster:Cluster")
    assert eks.inputs["vpcConfig"]["endpointPublicAccess"] is False


def test_example_files_are_complete() -> None:
    assert "runtime:" in (EXAMPLE / "Pulumi.yaml").read_text()
    assert (EXAMPLE / "requirements.txt").is_file() and (EXAMPLE / "README.md").is_file()
    assert 'if __name__ == "__main__":' in (EXAMPLE / "__main__.py").read_text()


CLI = [sys.executable, "-c", "from marketplace_kit.cli.app import main; main()"]


def test_plan_program_is_the_packages_public_api() -> None:
    import marketplace_kit

    assert marketplace_kit.plan_program is plan_program
    assert marketplace_kit.ResourceGraph is ResourceGraph
    assert {"plan_program", "ResourceGraph"} <= set(marketplace_kit.__all__)
    assert (Path(marketplace_kit.__file__).parent / "py.typed").is_file()


def test_plan_program_cli_plans_what_the_library_plans() -> None:
    """`plan --program DIR` runs the project's __main__.py as Pulumi does: the same graph."""
    done = subprocess.run([*CLI, "plan", "--program", str(EXAMPLE), "-f", "json"],
                          capture_output=True, text=True, timeout=600, check=True)
    library = plan_program(
        lambda: runpy.run_path(str(EXAMPLE / "__main__.py"), run_name="__main__"),
        project="library-usage",
    )
    assert done.stdout == library.to_json()


def test_the_documented_plan_offline_script_runs() -> None:
    done = subprocess.run([sys.executable, str(EXAMPLE / "plan_offline.py")],
                          capture_output=True, text=True, timeout=600, check=True)
    assert "resources" in done.stdout and "shop-spot: SPOT 0-6 nodes" in done.stdout


@pytest.mark.parametrize(("program", "error"), [
    ("import pulumi\n\nraise ValueError('no region')\n",
     "__main__.py:3: the program failed: ValueError: no region; fix: correct the program there"),
    (None, "no such program file"),
])
def test_a_bad_program_is_one_error_line(tmp_path: Path, program: str | None,
                                         error: str) -> None:
    if program is not None:
        (tmp_path / "__main__.py").write_text(program)
    done = subprocess.run([*CLI, "plan", "--program", str(tmp_path)], capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 2 and done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith("error: ") and error in line, line


def test_program_takes_no_config(tmp_path: Path) -> None:
    done = subprocess.run([*CLI, "plan", "--program", str(EXAMPLE), "-c", "x.yaml"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "takes no --config" in done.stderr

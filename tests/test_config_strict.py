"""One strict validation for the config (issue 13): what Kubernetes, AWS or Kafka would refuse
later is refused at load, by every command, as one line naming the file, the key and the fix.

Each case here was accepted and planned before. They run through ``plan`` (the real ``main()``);
the same loader serves every command, which tests/test_config_properties.py checks for many
more inputs with ``plan`` and ``render``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.cli import assert_one_error_line, run_cli, snapshot

PLATFORM = "name: shop\nblueprint: dev\n"


def platform_dir(tmp_path: Path, extra: str = "", services: dict[str, str] | None = None) -> Path:
    root = tmp_path / "shop"
    (root / "services").mkdir(parents=True)
    (root / "marketplace.yaml").write_text(PLATFORM + extra)
    for name, text in (services or {}).items():
        (root / "services" / name).mkdir()
        (root / "services" / name / "service.yaml").write_text(text)
    return root


def refused(root: Path, *fragments: str, config: str = "marketplace.yaml") -> None:
    before = snapshot(root)
    code, stdout, stderr = run_cli(["plan", "--config", str(root / config)], root)
    assert_one_error_line(code, stderr, *fragments)
    assert stdout == "" and snapshot(root) == before


PLATFORM_CASES = {
    "region": ("region: zz-nowhere-9\n", "region: 'zz-nowhere-9'"),
    "kubernetes-version": ("cluster: {kubernetes_version: banana}\n",
                           "cluster.kubernetes_version"),
    "old-kubernetes": ("cluster: {kubernetes_version: '1.21'}\n", "cluster.kubernetes_version"),
    "instance-type": ("cluster: {on_demand: {instance_types: [x9.huge]}}\n",
                      "cluster.on_demand.instance_types"),
    "spot-type": ("cluster: {spot: {instance_types: [t3.medium, nope.large]}}\n",
                  "cluster.spot.instance_types"),
    "rds-class": ("datastores: {postgres: {instance_class: db.x9.huge}}\n",
                  "datastores.postgres.instance_class"),
    "docdb-class": ("datastores: {documentdb: {instance_class: db.nope}}\n",
                    "datastores.documentdb.instance_class"),
    "retention": ("eventbus: {retention_hours: 1000000000000000000}\n", "eventbus.retention_hours"),
    "broker-volume": ("eventbus: {broker_storage_gib: 1000000000}\n",
                      "eventbus.broker_storage_gib"),
    "metrics-retention": ("observability: {metrics_retention_days: 100000}\n",
                          "observability.metrics_retention_days"),
    "node-count": ("cluster: {on_demand: {max: 100000}}\n", "cluster.on_demand.max"),
    "rate-limit": ("gateway: {rate_limit_per_second: 10000000000}\n",
                   "gateway.rate_limit_per_second"),
    "internet-in-halves": ("cluster: {public_access_cidrs: [0.0.0.0/1, 128.0.0.0/1]}\n",
                           "cluster.public_access_cidrs"),
    "internet-in-eighths": ("cluster: {public_access_cidrs: [" + ", ".join(
        f"{i * 32}.0.0.0/3" for i in range(8)) + "]}\n", "cluster.public_access_cidrs"),
    "duplicate-key": ("region: eu-west-1\nregion: us-east-1\n", "duplicate key 'region'"),
    "deep-yaml": ("x: " + "[" * 5000 + "]" * 5000 + "\n", "nested deeper"),
    "alias-bomb": ("x0: &x0 [a, a, a, a, a, a, a, a, a]\n" + "".join(
        f"x{i}: &x{i} [{', '.join([f'*x{i - 1}'] * 9)}]\n" for i in range(1, 10)),
        "more than 64 aliases"),
}


@pytest.mark.parametrize(("extra", "fragment"), PLATFORM_CASES.values(), ids=PLATFORM_CASES)
def test_invalid_platform_settings_are_refused(tmp_path: Path, extra: str, fragment: str) -> None:
    refused(platform_dir(tmp_path, extra), "marketplace.yaml", fragment)


def test_a_new_region_can_be_allowed(tmp_path: Path) -> None:
    root = platform_dir(tmp_path, "region: xx-future-1\nextra_regions: [xx-future-1]\n")
    code, _, stderr = run_cli(["plan", "--config", str(root / "marketplace.yaml"), "-f", "json"],
                              root)
    assert code == 0, stderr


def service(name: str, **keys: str) -> str:
    return f"name: {name}\n" + "".join(f"{key}: {value}\n" for key, value in keys.items())


SERVICE_CASES = {
    "cpu-lots": ({"a": service("a", resources="{cpu: lots}")}, "resources.cpu"),
    "negative-memory": ({"a": service("a", resources="{memory: -5Gi}")}, "resources.memory"),
    "milli-bytes": ({"a": service("a", resources="{memory: 500m}")}, "resources.memory"),
    "request-above-limit": ({"a": service("a", resources="{cpu: '2', cpu_limit: 500m}")},
                            "cpu '2' is above cpu_limit"),
    "memory-above-limit": ({"a": service("a", resources="{memory: 2Gi, memory_limit: 1Gi}")},
                           "memory '2Gi' is above memory_limit"),
    "topic-a..b": ({"a": service("a", publishes="[a..b]")}, "publishes", "'a..b'"),
    "topic-dot-dash": ({"a": service("a", publishes="[a.-b]")}, "publishes"),
    "long-consumed-topic": ({"a": service("a", publishes="[" + "t" * 61 + "]"),
                             "b": service("b", consumes="[" + "t" * 61 + "]")}, "consumes"),
    "json": ({"json": service("json")}, "name: name 'json' would shadow the Python module"),
    "replicas": ({"a": service("a", replicas="{max: 100000}")}, "replicas.max"),
    "same-port": ({"a": service("a", port="8001"), "b": service("b", port="8001")},
                  "port: 8001 is already used"),
    "same-path": ({"a": service("a", path="/shop", port="8001"),
                   "b": service("b", path="/shop", port="8002")}, "is already routed"),
    "overlapping-paths": ({"a": service("a", path="/order", port="8001"),
                           "b": service("b", path="/orders", port="8002")}, "overlaps '/order'"),
    "nested-paths": ({"a": service("a", path="/shop", port="8001"),
                      "b": service("b", path="/shop/cart", port="8002")}, "overlaps '/shop'"),
    "duplicate-key": ({"a": "name: a\nport: 8001\nport: 8002\n"}, "duplicate key 'port'"),
}


@pytest.mark.parametrize("case", SERVICE_CASES.values(), ids=SERVICE_CASES)
def test_invalid_services_are_refused(tmp_path: Path, case: tuple[dict[str, str], ...]) -> None:
    services, *fragments = case
    assert isinstance(services, dict)
    refused(platform_dir(tmp_path, services=services), "service.yaml", *map(str, fragments))


def test_new_service_and_plan_share_the_service_name_rule(tmp_path: Path) -> None:
    code, _, stderr = run_cli(["new-service", "json", "--dir", str(tmp_path / "s")], tmp_path)
    assert_one_error_line(code, stderr, "'json'")
    assert not (tmp_path / "s").exists()
    refused(platform_dir(tmp_path, services={"json": service("json")}), "'json'")


def test_a_fifo_as_config_is_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "marketplace.yaml"
    os.mkfifo(fifo)
    code = "from marketplace_kit.cli.app import main; main()"
    result = subprocess.run([sys.executable, "-c", code, "plan", "--config", str(fifo)],
                            capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert "not a regular file" in result.stderr and "fix:" in result.stderr


def test_the_reference_marketplace_still_loads() -> None:
    from marketplace_kit.config import load_platform

    root = Path(__file__).resolve().parents[1] / "examples" / "marketplace"
    assert len(load_platform(root / "marketplace.yaml").services) == 5


def test_new_service_refuses_what_plan_would_refuse_and_moves_a_taken_default_port(
    tmp_path: Path,
) -> None:
    root = platform_dir(tmp_path)
    services = root / "services"
    first = run_cli(["new-service", "order", "--dir", str(services), "--datastore", "none"], root)
    assert first[0] == 0, first[2]
    code, _, stderr = run_cli(["new-service", "payment", "--dir", str(services), "--datastore",
                               "none"], root)
    assert code == 0 and "port 8000 is used by" in stderr and "using 8001" in stderr, stderr
    code, _, stderr = run_cli(["plan", "--config", str(root / "marketplace.yaml"), "-f",
                                    "json"], root)
    assert code == 0, stderr
    before = snapshot(root)
    for args, fragment in ((["orders"], "overlaps '/order'"),
                           (["refund", "--path", "/payment/refunds"], "overlaps '/payment'"),
                           (["refund", "--port", "8001"], "port: 8001 is already used")):
        code, _, stderr = run_cli(["new-service", *args, "--dir", str(services), "--datastore",
                                   "none"], root)
        assert_one_error_line(code, stderr, fragment)
        assert snapshot(root) == before

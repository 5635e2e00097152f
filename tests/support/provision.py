"""Shared helpers of the provisioning tests: run the real console entry point in-process."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from marketplace_kit.cli.app import main
from marketplace_kit.plan.graph import PlannedResource, ResourceGraph
from marketplace_kit.provision.starter import write_starter
from marketplace_kit.scaffold import make_answers, render_service
from support.cli import run_cli

# What "the program" registers in these tests (the real program is tested through `plan`).
RESOURCES: list[dict[str, Any]] = [
    {"type": "aws:ec2/vpc:Vpc", "name": "vpc", "inputs": {"cidrBlock": "10.0.0.0/16"}},
    {"type": "aws:eks/cluster:Cluster", "name": "eks", "dependencies": ["vpc"]},
    {"type": "kubernetes:helm.sh/v3:Release", "name": "istio-ingressgateway",
     "inputs": {"chart": "gateway", "version": "1.27.1"}, "dependencies": ["eks"]},
    {"type": "kubernetes:helm.sh/v3:Release", "name": "strimzi",
     "inputs": {"chart": "strimzi-kafka-operator"}, "dependencies": ["eks"]},
    {"type": "kubernetes:kafka.strimzi.io/v1:Kafka", "name": "events",
     "dependencies": ["strimzi"]},
    {"type": "kubernetes:kafka.strimzi.io/v1:KafkaTopic", "name": "order-events",
     "dependencies": ["events"]},
    {"type": "kubernetes:core/v1:Service", "name": "admin-lb",
     "inputs": {"spec": {"type": "LoadBalancer"}}, "dependencies": ["eks"]},
    {"type": "kubernetes:core/v1:Service", "name": "catalog",
     "inputs": {"spec": {"type": "ClusterIP"}}, "dependencies": ["eks"]},
    {"type": "kubernetes:core/v1:PersistentVolumeClaim", "name": "grafana-data",
     "dependencies": ["eks"]},
    {"type": "kubernetes:apps/v1:Deployment", "name": "catalog-app",
     "dependencies": ["catalog", "order-events"]},
]
OUTPUTS = {"cluster_name": "marketplace-dev", "kubeconfig": "apiVersion: v1\nkind: Config\n"}


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def run_kit(
    args: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    stdin: str = "",
) -> Run:
    """``marketplace-kit ARGS`` through the console entry point (exit code, stdout, stderr)."""
    capsys.readouterr()
    monkeypatch.setattr(sys, "argv", ["marketplace-kit", *args])
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    with pytest.raises(SystemExit) as stopped:
        main()
    captured = capsys.readouterr()
    code = stopped.value.code
    return Run(code if isinstance(code, int) else (0 if code is None else 1), captured.out,
               captured.err)


def new_platform(directory: Path, blueprint: str = "dev") -> Path:
    """A marketplace.yaml written by `init`'s code; its path."""
    return write_starter(directory, "shop", blueprint, "eu-west-1")[0]


def platform_with_order(directory: Path, blueprint: str = "dev",
                        service_stacks: bool = True) -> Path:
    """A platform (``new_platform``) with ``service_stacks`` and one generated service,
    ``order`` (publishing ``order-events``); the config's path."""
    file = new_platform(directory, blueprint)
    data = yaml.safe_load(file.read_text())
    file.write_text(yaml.safe_dump({**data, "service_stacks": service_stacks}))
    render_service(make_answers(name="order", publishes=["order-events"]),
                   file.parent / "services" / "order")
    return file


def refused_before_the_engine(command: str, directory: Path, config: Path,
                              cwd: Path) -> tuple[int, str]:
    """``command DIR`` through the CLI on a file backend under ``cwd``: its exit code and
    stderr, checking no engine call made that backend."""
    code, _, stderr = run_cli([command, str(directory), "--config", str(config),
                               "--backend", f"file://{cwd / 'state'}", "--yes"], cwd)
    assert not (cwd / "state").exists()  # refused before any engine call
    return code, stderr


Kit = Callable[..., Run]


@pytest.fixture
def kit(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Kit:
    """``kit(args, stdin="")`` runs marketplace-kit in-process."""

    def run(args: list[str], stdin: str = "") -> Run:
        return run_kit(args, monkeypatch, capsys, stdin)

    return run


def fake_program(graph: ResourceGraph) -> list[dict[str, Any]]:
    """A plan's resources as the fake engine's program (same types and names, dependencies
    first, as an engine registers them)."""
    custom = {r.urn: r for r in graph if r.custom}
    ordered: list[PlannedResource] = []
    while len(ordered) < len(custom):
        ordered += [r for r in custom.values() if r not in ordered
                    and all(custom[d] in ordered for d in r.dependencies if d in custom)]
    return [{"type": r.type, "name": r.name, "inputs": {},
             "dependencies": [custom[d].name for d in r.dependencies if d in custom]}
            for r in ordered]

"""What a run adds to the program (the deployer's address) reaches every engine run of it.

AWS resources cannot run here (pulumi-aws cannot be built from the registries): the program
`preview` hands the engine runs under the SDK mocks, the way `plan` runs it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi import automation as auto
from support.provision import new_platform

from marketplace_kit.blueprints.deploy_inputs import CREATOR_BOOTSTRAP_KEY, DEPLOYER_CIDR_KEY
from marketplace_kit.blueprints.program import platform_program
from marketplace_kit.config import load_platform
from marketplace_kit.plan import plan_program
from marketplace_kit.plan.graph import ResourceGraph
from marketplace_kit.provision import operations
from marketplace_kit.provision.settings import resolve_settings

EKS = "aws:eks/cluster:Cluster"
ADDRESS = "203.0.113.44/32"


class Opened(Exception):
    """Raised by the stand-in open_stack once it has seen what the engine would get."""


def _admitted(graph: ResourceGraph) -> list[str]:
    (cluster,) = [r for r in graph if r.type == EKS]
    return list(cluster.inputs["vpcConfig"]["publicAccessCidrs"])


def _plan(program: Any) -> ResourceGraph:
    return plan_program(program, project="shop", stack="dev", region="eu-west-1")


def test_preview_runs_ups_program_with_this_machines_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default endpoint mode (deployer): preview used to fail with "the deployer's address
    is unknown" (it opened the stack without the run's inputs)."""
    monkeypatch.setenv("MARKETPLACE_KIT_DEPLOYER_CIDR", ADDRESS)
    platform = load_platform(new_platform(tmp_path / "shop"))
    assert platform.config.cluster.endpoint_access == "deployer"
    seen: dict[str, Any] = {}

    def open_stack(*args: Any, **kwargs: Any) -> None:
        seen.update(kwargs)
        raise Opened

    monkeypatch.setattr(operations, "open_stack", open_stack)
    session = operations.Session("preview", platform, resolve_settings(platform, "dev"),
                                 display=lambda p, t: pytest.fail("no engine run"),
                                 warn=lambda m: None)
    with pytest.raises(Opened):
        operations.preview(session)
    assert seen["record"] is None  # a preview records nothing in the stack's config
    assert ADDRESS in _admitted(_plan(seen["program"]))


def test_a_program_without_inputs_reads_what_up_recorded(tmp_path: Path) -> None:
    """refresh, destroy's targeted run, another machine: the address `up` recorded."""
    platform = load_platform(new_platform(tmp_path / "shop"))

    def with_recorded_config() -> None:  # the stack's config, as the engine hands it over
        pulumi.runtime.set_all_config({DEPLOYER_CIDR_KEY: "198.51.100.77/32"})
        platform_program(platform)()

    assert "198.51.100.77/32" in _admitted(_plan(with_recorded_config))


class _Workspace:
    program: Any = None


class _Exported:
    def __init__(self, deployment: dict[str, Any]) -> None:
        self.deployment = deployment


class _RecordedStack:
    """The stack as the engine holds it: its state records a cluster created with EKS's
    bootstrap creator entry (the first kit versions)."""

    def __init__(self, flag: bool | None) -> None:
        access = {} if flag is None else {"bootstrapClusterCreatorAdminPermissions": flag}
        cluster = {"urn": "urn:pulumi:dev::shop::aws:eks/cluster:Cluster::shop-eks",
                   "type": EKS, "inputs": {"accessConfig": access}}
        self.resources = [cluster] if flag is not None else []
        self.workspace = _Workspace()
        self.config: dict[str, str] = {}

    def export_stack(self) -> _Exported:
        return _Exported({"resources": self.resources})

    def set_all_config(self, values: dict[str, Any]) -> None:
        self.config.update({k: v.value for k, v in values.items()})

    def get_all_config(self) -> dict[str, Any]:
        return {k: auto.ConfigValue(value=v) for k, v in self.config.items()}


@pytest.mark.parametrize(("flag", "expected"), [(True, True), (False, False), (None, False)])
def test_up_keeps_the_creator_flag_the_cluster_was_created_with(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flag: bool | None, expected: bool
) -> None:
    """The flag is ForceNew: `up` reads it from the stack's state, runs the program with it and
    records it (refresh, destroy's targeted runs read it back); no cluster yet: the explicit
    entry (False)."""
    monkeypatch.setenv("MARKETPLACE_KIT_DEPLOYER_CIDR", ADDRESS)
    platform = load_platform(new_platform(tmp_path / "shop"))
    stack = _RecordedStack(flag)

    def open_stack(*args: Any, program: Any, **kwargs: Any) -> _RecordedStack:
        stack.workspace.program = program
        return stack

    monkeypatch.setattr(operations, "open_stack", open_stack)
    session = operations.Session("up", platform, resolve_settings(platform, "dev"),
                                 display=lambda p, t: pytest.fail("no engine run"),
                                 warn=lambda m: None)
    operations._open(session, create=True, inputs=operations.deploy_inputs(platform))
    (cluster,) = [r for r in _plan(stack.workspace.program) if r.type == EKS]
    assert cluster.inputs["accessConfig"]["bootstrapClusterCreatorAdminPermissions"] is expected
    if expected:
        assert stack.config[CREATOR_BOOTSTRAP_KEY] == "true"

"""The progress state machine and its rendering, fed the engine's own event types."""

from __future__ import annotations

from pulumi.automation import EngineEvent
from rich.console import Console

from marketplace_kit.provision.progress import Progress, format_duration, render

VPC = "urn:pulumi:dev::shop::marketplace:index:Network$aws:ec2/vpc:Vpc::vpc"
EKS = "urn:pulumi:dev::shop::aws:eks/cluster:Cluster::eks"


def _event(kind: str, **body: object) -> EngineEvent:
    return EngineEvent.from_json({"sequence": 0, "timestamp": 0, kind: body})


def _step(kind: str, op: str, urn: str, type_: str) -> EngineEvent:
    return _event(kind, metadata={"op": op, "urn": urn, "type": type_, "provider": ""})


def test_counts_in_flight_failures_and_summary() -> None:
    now = [100.0]
    progress = Progress("up", total=2, clock=lambda: now[0])
    progress.on_event(_step("resourcePreEvent", "same", "urn:x::y::pulumi:pulumi:Stack::s", "t"))
    progress.on_event(_step("resourcePreEvent", "create", VPC, "aws:ec2/vpc:Vpc"))
    progress.on_event(_step("resourcePreEvent", "create", EKS, "aws:eks/cluster:Cluster"))
    now[0] = 190.0
    progress.on_event(_step("resOutputsEvent", "create", VPC, "aws:ec2/vpc:Vpc"))
    done, flight, failures = progress.snapshot()
    assert done == 1 and flight == [("creating", "aws:eks/cluster:Cluster", "eks", 90.0)]
    progress.on_event(_event("diagnosticEvent", urn=EKS, message="AccessDenied:\n  no", color="",
                             severity="error"))
    progress.on_event(_step("resOpFailedEvent", "create", EKS, "aws:eks/cluster:Cluster"))
    progress.on_event(_event("summaryEvent", resourceChanges={"create": 1}))
    done, flight, failures = progress.snapshot()
    assert flight == [] and [(f.name, f.type, f.message) for f in failures] == [
        ("eks", "aws:eks/cluster:Cluster", "AccessDenied: no")
    ]
    assert progress.changes == {"create": 1} and progress.planned["create"] == [VPC, EKS]
    console = Console(record=True, width=120)
    console.print(render(progress, "up"))
    text = console.export_text()
    assert "up  1/2 resources  ·  1m30s elapsed" in text
    assert "failed eks (aws:eks/cluster:Cluster): AccessDenied: no" in text


def test_stack_level_errors_are_not_resource_failures() -> None:
    progress = Progress("up")
    progress.on_event(_event("diagnosticEvent", urn="urn:pulumi:dev::shop::pulumi:pulumi:Stack::s",
                             message="update failed", color="", severity="error"))
    progress.on_event(_event("diagnosticEvent", message="a warning", color="", severity="warning"))
    assert progress.failures == [] and progress.errors == ["update failed"]


def test_format_duration() -> None:
    assert [format_duration(s) for s in (5, 65, 3725)] == ["5s", "1m05s", "1h02m05s"]


PROVIDER = "urn:pulumi:dev::shop::pulumi:providers:aws::default_7_51_1"
DB = "urn:pulumi:dev::shop::aws:rds/instance:Instance::postgres"


def test_replacement_chain_is_listed_and_counted_once() -> None:
    """create-replacement, replace, delete-replaced on one URN (pkg/engine: only ``replace``
    is a logical step); the preview's listing must say it will be replaced."""
    progress = Progress("preview")
    for op in ("create-replacement", "replace", "delete-replaced"):
        progress.on_event(_step("resourcePreEvent", op, DB, "aws:rds/instance:Instance"))
        progress.on_event(_step("resOutputsEvent", op, DB, "aws:rds/instance:Instance"))
    assert progress.planned == {"replace": [DB]}
    done, flight, _ = progress.snapshot()
    assert done == 1 and flight == []


def test_refresh_steps_end_with_their_result_op() -> None:
    progress = Progress("refresh", total=1)
    progress.on_event(_step("resourcePreEvent", "refresh", VPC, "aws:ec2/vpc:Vpc"))
    progress.on_event(_step("resOutputsEvent", "same", VPC, "aws:ec2/vpc:Vpc"))
    assert progress.snapshot()[0] == 1  # 1/1, not 0/1


def test_default_providers_are_not_counted() -> None:
    progress = Progress("up")
    progress.on_event(_step("resourcePreEvent", "create", PROVIDER, "pulumi:providers:aws"))
    progress.on_event(_step("resOutputsEvent", "create", PROVIDER, "pulumi:providers:aws"))
    assert progress.snapshot()[0] == 0 and progress.planned == {}


def test_warnings_stderr_and_policy_findings_are_shown() -> None:
    progress = Progress("up")
    progress.on_event(_event("diagnosticEvent", urn=DB, message="engine_version is deprecated",
                             color="", severity="warning"))
    progress.on_event(_event("diagnosticEvent", message="Traceback: boom", color="",
                             severity="info#err"))
    progress.on_event(_event("policyEvent", resourceUrn=DB, message="not encrypted", color="",
                             policyName="rds-encrypted", policyPackName="kit",
                             policyPackVersion="1", enforcementLevel="mandatory"))
    assert progress.messages() == [
        "warning: postgres: engine_version is deprecated",
        "policy rds-encrypted (mandatory) on postgres: not encrypted",
        "program stderr: Traceback: boom",
    ]
    console = Console(record=True, width=120)
    console.print(render(progress, "up"))
    assert "policy rds-encrypted (mandatory)" in console.export_text()

"""Warnings, the program's stderr and policy findings the engine streams reach the user: in
``--json`` (diagnostics by severity, policy events) and in the human summary, for every engine
command. The fake engine sends them as apitype/events.go types them (DiagnosticEvent severity
info, info#err, warning, error, ephemeral; PolicyEvent enforcement level).

Stand-in (the fake `pulumi`): policy packs and a provider's error diagnostics on demand need
plugins that cannot be built here (a real engine warning reaching the summary:
tests/test_engine_lifecycle.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.fake_pulumi.harness import FakePulumi, install
from support.provision import OUTPUTS, RESOURCES, Kit, kit, new_platform

__all__ = ["kit"]

DIAGNOSTICS = [
    {"severity": "warning", "name": "istio-ingressgateway",
     "message": "Helm release has a deprecated value\n"},
    {"severity": "info#err", "message": "DeprecationWarning: datetime.utcnow()\n"},
    {"severity": "info", "name": "eks", "message": "cluster endpoint is public\n"},
    # the Kubernetes provider's await status lines: ephemeral, never kept
    {"severity": "info", "name": "catalog-app", "message": "[1/2] Waiting for app ReplicaSet",
     "ephemeral": True},
    {"severity": "debug", "message": "plugin loaded"},  # only under --debug: not for the user
]
POLICY = [{"policyName": "rds-encrypted", "enforcementLevel": "advisory", "name": "vpc",
           "message": "storage is not encrypted", "severity": "high"}]


@pytest.fixture
def deployed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kit: Kit) -> tuple[Path, FakePulumi]:
    fake = install(tmp_path, monkeypatch)
    fake.set_program(RESOURCES, OUTPUTS)
    config = new_platform(tmp_path / "shop")
    assert kit(["up", "-c", str(config), "-y"]).code == 0
    monkeypatch.setenv("FAKE_PULUMI_DIAGNOSTICS", json.dumps(DIAGNOSTICS))
    monkeypatch.setenv("FAKE_PULUMI_POLICY", json.dumps(POLICY))
    return config, fake


def _kept(found: dict[str, object]) -> list[tuple[str, str | None, str]]:
    diagnostics = found["diagnostics"]
    assert isinstance(diagnostics, list)
    return [(d["severity"], d["resource"], d["message"]) for d in diagnostics]


EXPECTED = [
    ("warning", "istio-ingressgateway", "Helm release has a deprecated value"),
    ("info#err", None, "DeprecationWarning: datetime.utcnow()"),
    ("info", "eks", "cluster endpoint is public"),
]


def test_json_carries_diagnostics_by_severity_and_policy_events(
    deployed: tuple[Path, FakePulumi], kit: Kit
) -> None:
    """preview, refresh, up (preview + update), destroy (what holds cloud resources first,
    then the rest: the second run no longer sees the gateway), each with --json."""
    config, fake = deployed
    policy = [("rds-encrypted", "kit", "advisory", "vpc", "storage is not encrypted")]
    for command, runs, analyzed in (("preview", 1, True), ("refresh", 1, False),
                                    ("up", 2, True), ("destroy", 2, False)):
        if command == "up":  # something to change: up previews, then updates
            fake.set_program([*RESOURCES, {"type": "aws:s3/bucket:Bucket", "name": "logs"}],
                             OUTPUTS)
        extra = [] if command == "preview" else ["--yes"]
        run = kit([command, "-c", str(config), "--json", *extra])
        assert run.code == 0, run.err
        found = run.json()
        expected = EXPECTED + EXPECTED[1:] if command == "destroy" else EXPECTED * runs
        assert _kept(found) == expected, command
        urns = {d["urn"] for d in found["diagnostics"]}
        assert all(u.startswith("urn:pulumi:dev::shop::") for u in urns)
        # policy packs analyze what a preview or an update registers, not a destroy or refresh
        assert [(p["policy"], p["pack"], p["level"], p["resource"], p["message"])
                for p in found["policy"]] == (policy * runs if analyzed else []), command


def test_human_summary_lists_warnings_policy_and_stderr(
    deployed: tuple[Path, FakePulumi], kit: Kit
) -> None:
    config, _ = deployed
    run = kit(["preview", "-c", str(config)])
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert "warning: istio-ingressgateway: Helm release has a deprecated value" in lines
    assert "policy rds-encrypted (advisory) on vpc: storage is not encrypted" in lines
    assert "program stderr: DeprecationWarning: datetime.utcnow()" in lines
    assert not any("Waiting for app ReplicaSet" in line for line in lines)
    # CI logs (no terminal): each message once, in the summary, not again in the run's line
    assert (run.out + run.err).count("Helm release has a deprecated value") == 1


def test_no_messages_no_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kit: Kit) -> None:
    fake = install(tmp_path, monkeypatch)
    fake.set_program(RESOURCES[:2], OUTPUTS)
    config = new_platform(tmp_path / "shop")
    run = kit(["up", "-c", str(config), "-y", "--json"])
    assert run.code == 0 and run.json()["diagnostics"] == [] and run.json()["policy"] == []
    human = kit(["preview", "-c", str(config)])
    assert not any(line.startswith(("warning", "policy", "program")) for line in
                   human.out.splitlines())

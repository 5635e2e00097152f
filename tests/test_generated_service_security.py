"""checkov and hadolint on a generated service's Dockerfile and CI workflow.

Skips are allowed only with a reason, in tests/security_skips.yaml (the one list).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from marketplace_kit.scaffold import make_answers, render_service

ROOT = Path(__file__).resolve().parents[1]
SKIPS = yaml.safe_load((Path(__file__).parent / "security_skips.yaml").read_text())["skips"]
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"


def skipped(tool: str, scope: str = "service") -> list[str]:
    """The checks of ``tool`` skipped in ``scope`` (``service`` or a blueprint name)."""
    for skip in SKIPS:
        assert skip.get("reason"), f"{skip}: every skip needs a reason"
    return [skip["id"] for skip in SKIPS
            if skip["tool"] == tool and scope in skip.get("scope", ["service"])]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("security") / "orders"
    answers = make_answers(name="orders", publishes=["order-events"], consumes=["payment-events"])
    render_service(answers, root)
    return root


def test_hadolint_passes_on_the_dockerfile(service: Path) -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or "hadolint"
    ignores = [arg for id_ in skipped("hadolint") for arg in ("--ignore", id_)]
    result = subprocess.run(
        [hadolint, "--failure-threshold", "style", "--format", "json", *ignores, "Dockerfile"],
        cwd=service, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout or "[]") == []


@pytest.mark.skipif(not CHECKOV.exists(), reason="checkov venv missing: .ci/run creates it")
def test_checkov_passes_on_the_dockerfile_and_workflow(service: Path) -> None:
    skips = ",".join(skipped("checkov"))
    result = subprocess.run(
        [str(CHECKOV), "--skip-download", "--quiet", "--compact", "-o", "json",
         "--framework", "dockerfile", "github_actions", "-d", str(service),
         *(["--skip-check", skips] if skips else [])],
        capture_output=True, text=True, timeout=300,
    )
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    kinds = {r["check_type"]: r["summary"] for r in reports}
    assert set(kinds) == {"dockerfile", "github_actions"}, result.stdout[:2000]
    for kind, summary in kinds.items():
        assert summary["failed"] == 0, (kind, result.stdout[:4000])
        assert summary["passed"] > 10, (kind, summary)
    assert result.returncode == 0

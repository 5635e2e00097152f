"""The kit as users get it: built as a wheel, installed without extras into a venv of its own.

The wheel is built from the files git tracks (or would: not ignored) in this checkout, so build
leftovers cannot hide a packaging gap, and installed into a venv that never saw the source tree.
The venv of the wheel's dependencies is reused between sessions while they are unchanged (keyed
by the wheel's Requires-Dist); the kit itself is reinstalled from the fresh wheel every session.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock

REPO = Path(__file__).resolve().parents[1]
MARKETPLACE = REPO / "examples" / "marketplace"
VENVS = REPO / ".venv-wheel"  # git-ignored, like .venv-checkov
BUILD_INPUTS = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "src")
SERVICE_ARGS = ("new-service", "reviews", "--publishes", "review-events",
                "--consumes", "order-events")


@dataclass(frozen=True)
class Installed:
    """A wheel and the venv it is installed in."""

    wheel: Path
    venv: Path

    @property
    def cli(self) -> Path:
        return self.venv / "bin" / "marketplace-kit"


def _clean_env() -> dict[str, str]:
    drop = {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"}
    return {k: v for k, v in os.environ.items() if k not in drop}


def _run(args: list[str | Path], cwd: Path, timeout: int = 600) -> str:
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=_clean_env(), text=True,
                            capture_output=True, timeout=timeout)
    assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


def _tracked(*paths: str) -> list[str]:
    """Files git tracks or would track (not ignored): what a checkout hands `pip install .`."""
    args = ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *paths]
    out = subprocess.run(args, cwd=REPO, check=True, capture_output=True).stdout.decode()
    return [p for p in out.split("\0") if p and (REPO / p).is_file()]


def _wheel_requirements(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        metadata = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        lines = archive.read(metadata).decode().splitlines()
    return sorted(line for line in lines if line.startswith("Requires-Dist:")
                  and "extra ==" not in line)


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The wheel of this checkout, installed without extras in a venv of its own."""
    source = tmp_path_factory.mktemp("wheel-source")
    for relative in _tracked(*BUILD_INPUTS):
        (source / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / relative, source / relative)
    dist = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
          "--quiet", "-w", dist, source], cwd=source)
    (wheel,) = dist.glob("marketplace_kit-*.whl")
    key = hashlib.sha256("\n".join(_wheel_requirements(wheel)).encode()).hexdigest()[:12]
    venv = VENVS / key
    VENVS.mkdir(exist_ok=True)
    with FileLock(str(VENVS / f"{key}.lock")):
        if not (venv / ".complete").is_file():
            shutil.rmtree(venv, ignore_errors=True)
            _run([sys.executable, "-m", "venv", venv], cwd=VENVS)
            _run([venv / "bin/python", "-m", "pip", "install", "--quiet",
                  "--disable-pip-version-check", wheel], cwd=VENVS, timeout=1200)
            (venv / ".complete").write_text(key)
        _run([venv / "bin/python", "-m", "pip", "install", "--quiet", "--no-deps",
              "--force-reinstall", "--disable-pip-version-check", wheel], cwd=VENVS)
        _run([venv / "bin/python", "-m", "pip", "check", "--disable-pip-version-check"],
             cwd=VENVS)
    return Installed(wheel, venv)


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_the_wheel_carries_every_tracked_file_under_src(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as archive:
        packed = set(archive.namelist())
    missing = sorted(p.removeprefix("src/") for p in _tracked("src")
                     if p.removeprefix("src/") not in packed)
    assert not missing, f"not in the wheel: {missing}"
    assert "marketplace_kit/services_template/.github/workflows/ci.yml.jinja" in packed
    assert "marketplace_kit/py.typed" in packed
    # Built from the pinned npm packages by setup.py, never committed (test_offline_assets.py).
    assert {f"marketplace_kit/assets/dist/{a}" for a in
            ("swagger-ui-bundle.js", "swagger-ui.css", "mermaid.min.js")} <= packed
    assert not [n for n in packed if "__pycache__" in n or n.endswith(".pyc")]


def test_the_installed_kit_is_the_wheel_not_the_source_tree(installed: Installed,
                                                            tmp_path: Path) -> None:
    where = _run([installed.venv / "bin/python", "-c",
                  "import marketplace_kit; print(marketplace_kit.__file__)"], cwd=tmp_path)
    assert Path(where.strip()).is_relative_to(installed.venv), where
    names = _run([installed.venv / "bin/python", "-c", "import importlib.metadata as m; "
                  "print(*sorted(d.metadata['Name'].lower().replace('_', '-') "
                  "for d in m.distributions()))"],
                 cwd=tmp_path).split()
    assert "marketplace-kit" in names and "pulumi-aws" in names
    assert not {"fastapi", "pytest", "aiokafka"} & set(names)  # no extras came along


def test_new_service_from_the_wheel_equals_the_source_tree(installed: Installed,
                                                           tmp_path: Path) -> None:
    (tmp_path / "wheel").mkdir()
    (tmp_path / "source").mkdir()
    output = _run([installed.cli, *SERVICE_ARGS, "--dir", "."], cwd=tmp_path / "wheel")
    _run([sys.executable, "-c", "from marketplace_kit.cli.app import main; main()",
          *SERVICE_ARGS, "--dir", "."], cwd=tmp_path / "source")
    from_wheel = _tree(tmp_path / "wheel" / "reviews")
    from_source = _tree(tmp_path / "source" / "reviews")
    assert ".github/workflows/ci.yml" in from_wheel
    # The API documents come from the service's own command, which needs the service's
    # dependencies: a plain install has none, and says what to run once they are installed.
    assert "run `python -m reviews documents` there" in output, output
    for written in ("openapi.json", "asyncapi.json"):
        assert written not in from_wheel and from_source.pop(written)
    assert sorted(from_wheel) == sorted(from_source)
    assert from_wheel == from_source


def test_update_service_all_from_the_wheel_changes_nothing(installed: Installed,
                                                           tmp_path: Path) -> None:
    shop = tmp_path / "marketplace"
    shutil.copytree(MARKETPLACE, shop, ignore=shutil.ignore_patterns(
        "__pycache__", ".marketplace-kit", ".pytest_cache", "*.egg-info"))
    before = _tree(shop)
    output = _run([installed.cli, "update-service", "--all"], cwd=shop)
    assert _tree(shop) == before, output
    assert output.count("up to date") == len(list((shop / "services").iterdir())), output


def test_plan_of_the_reference_marketplace_from_a_plain_install(installed: Installed,
                                                                  tmp_path: Path) -> None:
    """`marketplace-kit plan -c examples/marketplace/marketplace.yaml` as the README runs it after
    a plain `pip install .`: the API documents are the services' files, so none of the services'
    dependencies (asyncpg, FastAPI, ...) is needed."""
    shutil.copytree(MARKETPLACE, tmp_path / "examples" / "marketplace",
                    ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", "*.egg-info"))
    output = _run([installed.cli, "plan", "-c", "examples/marketplace/marketplace.yaml"],
                  cwd=tmp_path)
    assert "api-docs" in output and "catalog" in output, output[-3000:]


def test_up_confirmation_from_the_wheel_needs_no_click(
    installed: Installed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """typer >= 0.29 vendors click: a plain install has none, and `up`'s question still works."""
    from support.fake_pulumi.harness import install

    probe = subprocess.run([installed.venv / "bin/python", "-c", "import click"],
                           capture_output=True, text=True, env=_clean_env())
    assert probe.returncode != 0, "the wheel's venv has click: this test would prove nothing"
    # stand-in: the dev blueprint's AWS program needs pulumi-aws, which cannot be built here
    fake = install(tmp_path, monkeypatch)  # the fake `pulumi` first on PATH, fake AWS keys
    _run([installed.cli, "init", tmp_path / "shop", "--name", "shop"], cwd=tmp_path)
    result = subprocess.run([installed.cli, "up", "-c", tmp_path / "shop" / "marketplace.yaml"],
                            input="n\n", cwd=tmp_path, env=_clean_env(), text=True,
                            capture_output=True, timeout=600)
    assert result.returncode == 1, result.stderr
    assert "Proceed?" in result.stderr and "cancelled: nothing was changed" in result.stdout
    assert fake.engine_calls("preview") and not fake.engine_calls("up")


def test_up_and_destroy_from_the_wheel(
    installed: Installed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The provisioning commands as a plain install runs them: `doctor`, `up --yes --json`
    with an engine warning, and the two-phase `destroy` (load balancers, volumes, Kafka first)."""
    import json

    from support.fake_pulumi.harness import install
    from support.provision import OUTPUTS, RESOURCES

    # stand-in: the commands run the dev blueprint's AWS program (pulumi-aws cannot be built here)
    fake = install(tmp_path, monkeypatch)
    fake.set_program(RESOURCES, OUTPUTS)
    monkeypatch.setenv("FAKE_PULUMI_DIAGNOSTICS", json.dumps(
        [{"severity": "warning", "name": "eks", "message": "version nearing end of support"}]))
    _run([installed.cli, "init", tmp_path / "shop", "--name", "shop"], cwd=tmp_path)
    config = tmp_path / "shop" / "marketplace.yaml"
    def kit_json(*args: str | Path) -> object:
        done = subprocess.run([str(installed.cli), *map(str, args), "-c", str(config), "--json"],
                              cwd=tmp_path, env=_clean_env(), text=True, capture_output=True,
                              timeout=600)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    doctor = kit_json("doctor")
    assert isinstance(doctor, list)
    assert {c["name"]: c["status"] for c in doctor}["Pulumi CLI vs SDK"] == "ok"
    up = kit_json("up", "--yes")
    assert isinstance(up, dict)
    assert up["result"] == "succeeded" and up["changes"]["create"] == len(RESOURCES) + 1
    assert [(d["severity"], d["resource"]) for d in up["diagnostics"]] == [
        ("warning", "eks"), ("warning", "eks")]  # the preview's and the update's
    destroy = kit_json("destroy", "--yes")
    assert isinstance(destroy, dict)
    phases = destroy["phases"]
    assert [p["name"] for p in phases] == ["release", "destroy"]
    assert sum(p["changes"]["delete"] for p in phases) == len(RESOURCES) + 1


MYPY_CONFIG = """[mypy]
strict = True
# pulumi-aws and pulumi-kubernetes take minutes and GBs when followed (as in pyproject's config)
[mypy-pulumi_aws.*]
follow_imports = skip
[mypy-pulumi_kubernetes.*]
follow_imports = skip
"""
MISUSE = """from marketplace_kit import plan_program

graph = plan_program("not a function", project=1)
"""


def test_mypy_checks_library_code_against_the_installed_wheel(installed: Installed,
                                                              tmp_path: Path) -> None:
    """py.typed: code importing the installed kit is type-checked against it, the library
    example clean (strict), a misuse of plan_program caught."""
    example = REPO / "examples" / "library-usage"
    for name in ("__main__.py", "plan_offline.py"):
        shutil.copy2(example / name, tmp_path / name)
    (tmp_path / "misuse.py").write_text(MISUSE)
    (tmp_path / "mypy.ini").write_text(MYPY_CONFIG)

    def mypy(*files: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "mypy", "--config-file", "mypy.ini", "--python-executable",
             str(installed.venv / "bin" / "python"), "--cache-dir", str(tmp_path / "cache"),
             *files], cwd=tmp_path, env=_clean_env(), capture_output=True, text=True,
            timeout=900)

    clean = mypy("__main__.py", "plan_offline.py")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    misuse = mypy("misuse.py")
    assert misuse.returncode == 1, misuse.stdout
    assert 'misuse.py:3: error: Argument 1 to "plan_program" has incompatible type' \
        in misuse.stdout, misuse.stdout

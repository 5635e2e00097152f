"""The plan cache: `plan` then any view of the same inputs plans once; each input kind changed
re-plans; `--no-cache` re-plans; a corrupt entry is replaced without a traceback; two commands at
once both succeed. Plans are counted (the planner wrapped), never timed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from support.marketplace import MARKETPLACE
from typer.testing import CliRunner

from marketplace_kit import home
from marketplace_kit.blueprints import plan_cache, program
from marketplace_kit.config import Platform
from marketplace_kit.plan.graph import ResourceGraph

RUNNER = CliRunner()
CACHE_DIR = home.cache_dir  # the real one (conftest gives every test a cache of its own)
MAIN = "from marketplace_kit.cli.app import main; main()"


@pytest.fixture
def plans(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    """The cache in ``$XDG_CACHE_HOME`` (as users get it); every plan the planner runs, by name."""
    monkeypatch.setattr(home, "cache_dir", CACHE_DIR)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    planned: list[str] = []
    real = program.plan_platform

    def counted(platform: Platform) -> ResourceGraph:
        planned.append(platform.config.name)
        return real(platform)

    monkeypatch.setattr(program, "plan_platform", counted)
    return planned


@pytest.fixture
def marketplace(tmp_path: Path) -> Path:
    """A copy of the reference marketplace (five services) to change."""
    copy = tmp_path / "marketplace"
    shutil.copytree(MARKETPLACE, copy, ignore=shutil.ignore_patterns("tests", "__pycache__"))
    return copy


def _run(*args: str) -> str:
    from marketplace_kit.cli.app import app

    result = RUNNER.invoke(app, list(args))
    failed = result.exception is not None and not isinstance(result.exception, SystemExit)
    assert not failed and result.exit_code in (0, 1), (result.output, result.exception)
    return result.stdout


def _config(root: Path) -> str:
    return str(root / "marketplace.yaml")


def test_views_after_a_plan_reuse_it_and_match_a_fresh_plan(
        plans: list[str], marketplace: Path, tmp_path: Path) -> None:
    config = _config(marketplace)
    _run("plan", "--config", config)
    assert len(plans) == 1
    assert list((tmp_path / "xdg" / "marketplace-kit" / "plans").glob("*.json"))
    cached = {view: _run(view, "--config", config, "--format", "json")
              for view in ("cost", "timeline", "check")}
    cached["diagram"] = _run("diagram", "--config", config)
    _run("render", "--config", config, "--out", str(tmp_path / "out"))
    assert len(plans) == 1  # five views, no plan
    fresh = {view: _run(view, "--config", config, "--format", "json", "--no-cache")
             for view in ("cost", "timeline", "check")}
    fresh["diagram"] = _run("diagram", "--config", config, "--no-cache")
    assert len(plans) == 5  # --no-cache plans each time
    assert cached == fresh  # the cached graph answers exactly as a fresh one


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


def _touch_document(path: Path) -> None:
    document = json.loads(path.read_text())
    document["info"]["description"] = "changed"  # x-source-digest still matches the source
    path.write_text(json.dumps(document, indent=2) + "\n")


TAMPER: dict[str, Callable[[Path], None]] = {
    "config": lambda root: _append(root / "marketplace.yaml", "# changed\n"),
    "service.yaml": lambda root: _append(root / "services" / "order" / "service.yaml",
                                         "# changed\n"),
    "openapi.json": lambda root: _touch_document(root / "services" / "catalog" / "openapi.json"),
    "asyncapi.json": lambda root: _touch_document(
        root / "services" / "order" / "asyncapi.json"),
}


@pytest.mark.parametrize("kind", sorted(TAMPER))
def test_a_changed_input_file_replans(kind: str, plans: list[str], marketplace: Path) -> None:
    config = _config(marketplace)
    _run("plan", "--config", config)
    _run("timeline", "--config", config)
    assert len(plans) == 1
    TAMPER[kind](marketplace)
    _run("timeline", "--config", config)
    assert len(plans) == 2


def _kit_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plan_cache, "__version__", "0.0.0-other")


def _kit_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plan_cache, "kit_digest", lambda: "another kit source")


def _sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    versions = {**plan_cache.dependency_versions(), "pulumi-aws": "0.0.1"}
    monkeypatch.setattr(plan_cache, "dependency_versions", lambda: versions)


def _python(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "version", sys.version + " (another build)")


SETTING: dict[str, Callable[[pytest.MonkeyPatch], None]] = {
    "kit version": _kit_version, "kit source": _kit_source, "sdk version": _sdk,
    "python": _python,
}


@pytest.mark.parametrize("kind", sorted(SETTING))
def test_a_changed_kit_or_sdk_replans(kind: str, plans: list[str], tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no marketplace.yaml: the built-in dev blueprint
    _run("plan")
    _run("timeline")
    assert len(plans) == 1
    SETTING[kind](monkeypatch)
    _run("timeline")
    assert len(plans) == 2


def test_the_blueprint_is_part_of_the_key(plans: list[str], tmp_path: Path) -> None:
    (tmp_path / "services").mkdir()
    config = tmp_path / "marketplace.yaml"
    for blueprint in ("dev", "production", "dev", "production"):
        config.write_text(f"blueprint: {blueprint}\n")
        _run("timeline", "--config", str(config))
    assert len(plans) == 2  # each blueprint planned once, each kept


def test_a_stale_service_source_is_reported_not_hidden_by_the_cache(
        plans: list[str], marketplace: Path) -> None:
    from marketplace_kit.cli.app import app

    config = _config(marketplace)
    _run("plan", "--config", config)
    source = next((marketplace / "services" / "catalog" / "src").rglob("*.py"))
    _append(source, "# changed\n")
    result = RUNNER.invoke(app, ["timeline", "--config", config])
    assert result.exit_code != 0 and "stale" in str(result.exception), result.output


@pytest.mark.parametrize("content", [b"", b"{not json", b"[1, 2]", b"\xff\xfe",
                                     b'{"format": 2, "key": "x", "data": {}}'])
def test_a_corrupt_entry_is_replaced_without_a_traceback(content: bytes, tmp_path: Path) -> None:
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    cwd = tmp_path / "cwd"
    cwd.mkdir()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", MAIN, *args], cwd=cwd, env=env,
                              capture_output=True, text=True, timeout=300)

    first = run("plan", "--format", "json")
    assert first.returncode == 0, first.stderr
    [entry] = (tmp_path / "xdg" / "marketplace-kit" / "plans").glob("*.json")
    entry.write_bytes(content.replace(b'"x"', json.dumps(entry.stem).encode()))
    again = run("plan", "--format", "json")
    assert again.returncode == 0 and "Traceback" not in again.stderr, again.stderr
    assert again.stdout == first.stdout
    assert json.loads(entry.read_bytes())["key"] == entry.stem  # replaced by a whole entry


def test_two_commands_at_once_both_succeed(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    outputs = []
    running = [subprocess.Popen([sys.executable, "-c", MAIN, "plan", "--format", "json"],
                                cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for process in running:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        outputs.append(out)
    assert outputs[0] == outputs[1]
    entries = list((tmp_path / "xdg" / "marketplace-kit" / "plans").iterdir())
    assert [e.suffix for e in entries] == [".json"]  # one entry, no temporary file left
    warm = subprocess.run([sys.executable, "-c", MAIN, "plan", "--format", "json"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=300)
    assert warm.stdout == outputs[0]


def test_no_home_means_no_cache(monkeypatch: pytest.MonkeyPatch, plans: list[str],
                                tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(home, "cache_dir", lambda: None)
    _run("timeline")
    _run("timeline")
    assert len(plans) == 2
    assert not (tmp_path / "xdg").exists()


def test_cache_dir_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert CACHE_DIR() == tmp_path / "marketplace-kit"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert CACHE_DIR() == tmp_path / "home" / ".cache" / "marketplace-kit"


@pytest.mark.parametrize("view", ["timeline", "cost", "diagram", "check"])
def test_a_warm_view_loads_no_sdk(view: str, tmp_path: Path) -> None:
    """A view that reads the cached graph (and, run once before, its own cache: the add-on
    groups of diagram, the schema verdicts of check) imports neither the Pulumi SDK nor the
    engine."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    probe = (f"import sys; sys.argv = ['marketplace-kit', '{view}']\n"
             "from marketplace_kit.cli.app import main\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n"
             "sys.stderr.write(repr(sorted(m for m in sys.modules if m.split('.')[0] in "
             "('pulumi', 'pulumi_aws', 'pulumi_kubernetes', 'grpc'))))")
    for command in ("plan", view):
        done = subprocess.run([sys.executable, "-c", MAIN, command], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode in (0, 1), done.stderr
    warm = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert warm.stderr.rsplit("\n", 1)[-1] == "[]", warm.stderr

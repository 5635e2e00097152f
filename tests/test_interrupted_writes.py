"""Nothing lost when interrupted (issue 36): each multi-file command is killed (SIGKILL) or
interrupted (SIGINT, Ctrl-C) right before each of its file-system operations in turn (of the
many alike writes inside a staging folder, a spread of twelve: see ``steps_to_try``); after every
kill the next run of the same command leaves the complete new tree with the user's edit intact,
and a Ctrl-C leaves the old tree or the new one, never a mix, and says which."""

from __future__ import annotations

import shutil
import signal
from pathlib import Path

import pytest
from support.cli import snapshot
from support.interrupt import run_interrupted, steps_to_try
from support.templates import template_v2

from marketplace_kit.blueprints import program as program_module
from marketplace_kit.blueprints.program import plan_platform
from marketplace_kit.config import default_platform
from marketplace_kit.contract.service_documents import ASYNCAPI_FILE, OPENAPI_FILE
from marketplace_kit.plan.graph import ResourceGraph
from marketplace_kit.provision.starter import render_starter
from marketplace_kit.scaffold import documents as documents_module
from marketplace_kit.scaffold import make_answers, render_service, service_template
from marketplace_kit.scaffold import update as update_module

SIGNALS = [pytest.param(signal.SIGKILL, id="SIGKILL"), pytest.param(signal.SIGINT, id="SIGINT")]


def _restore(pristine: Path, target: Path) -> None:
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(pristine, target, symlinks=True)


DERIVED = (OPENAPI_FILE, ASYNCAPI_FILE)  # written from the code after a change, by the next run


def _assert_sigint(outcome_code: int | None, stderr: str, before: dict[str, str],
                   after: dict[str, str], now: dict[str, str]) -> None:
    assert outcome_code in (0, 130), stderr
    if outcome_code == 130:
        assert "interrupted" in stderr

        def source(tree: dict[str, str]) -> dict[str, str]:
            return {path: entry for path, entry in tree.items() if path not in DERIVED}

        if "complete" in stderr:
            assert source(now) == source(after), stderr
        elif "nothing was changed" in stderr:
            assert source(now) == source(before), stderr
        else:  # Ctrl-C outside the change (writing the documents after it): old or new, whole
            assert source(now) in (source(before), source(after)), stderr


def _fake_documents(directory: Path, package: str) -> None:
    for name in (OPENAPI_FILE, ASYNCAPI_FILE):
        (directory / name).write_text(f'{{"{package}": true}}\n')


@pytest.mark.parametrize("sig", SIGNALS)
def test_update_service_at_every_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sig: int
) -> None:
    # Stand-in: see the new-service test.
    monkeypatch.setattr(documents_module, "write_documents", _fake_documents)
    work = tmp_path / "work"
    service = work / "services" / "orders"
    render_service(make_answers(name="orders", publishes=["order-events"]), service)
    readme = service / "README.md"
    readme.write_text("Team note: ours\n\n" + readme.read_text())  # the user's edit
    original = (service_template().root / "README.md.jinja").read_text()
    template = template_v2(tmp_path / "t2", {
        "README.md.jinja": original + "\nA line the template adds.\n",
        "mkdocs.yml.jinja": None,
        "NOTICE.jinja": "{{ name }}: a new template file\n",
    })
    monkeypatch.setattr(update_module, "service_template", lambda: template)
    pristine = tmp_path / "pristine"
    shutil.copytree(service, pristine, symlinks=True)
    args = ["update-service", str(service), "--yes"]

    before = snapshot(service)
    clean = run_interrupted(args, work)
    assert clean.code == 0, clean.stderr
    after = snapshot(service)
    text = readme.read_text()
    assert "Team note: ours" in text and "A line the template adds." in text
    assert clean.steps > 10

    for at in range(1, clean.steps + 1):
        _restore(pristine, service)
        outcome = run_interrupted(args, work, at=at, sig=sig)
        if sig == signal.SIGKILL:
            assert outcome.signal == signal.SIGKILL, (at, outcome)
        else:
            _assert_sigint(outcome.code, outcome.stderr, before, after, snapshot(service))
        rerun = run_interrupted(args, work)
        assert rerun.code == 0, (at, rerun.stderr)
        assert snapshot(service) == after, f"step {at}: not the complete update"


@pytest.mark.parametrize("sig", SIGNALS)
def test_new_service_at_every_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sig: int
) -> None:
    # Stand-in: the service's own documents command (a Python subprocess, tested by each
    # service's tests/test_documents.py) costs seconds a run; only its place matters here.
    monkeypatch.setattr(documents_module, "write_documents", _fake_documents)
    work = tmp_path / "work"
    work.mkdir()
    args = ["new-service", "reviews", "--dir", str(work / "services"), "--publishes",
            "review-events"]
    clean = run_interrupted(args, work)
    assert clean.code == 0, clean.stderr
    made = snapshot(work)
    for at in steps_to_try(clean.operations, ".reviews.new-"):
        shutil.rmtree(work)
        work.mkdir()
        outcome = run_interrupted(args, work, at=at, sig=sig)
        if sig == signal.SIGINT and outcome.code == 130:
            assert snapshot(work) in (made, {"services": "dir"}, {}), at
        rerun = run_interrupted(args, work)
        done = (work / "services" / "reviews").is_dir()
        assert done, (at, rerun.stderr)
        assert rerun.code in (0, 2), (at, rerun.stderr)  # 2: already there, complete
        assert snapshot(work) == made, f"step {at}: not one complete service"


@pytest.fixture(scope="module")
def dev_plan() -> ResourceGraph:
    return plan_platform(default_platform("dev"))


@pytest.mark.parametrize("sig", SIGNALS)
def test_render_force_at_every_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dev_plan: ResourceGraph, sig: int
) -> None:
    # The plan is made once (it is not what this test is about): each run only writes.
    monkeypatch.setattr(program_module, "plan_platform", lambda platform: dev_plan)
    out = tmp_path / "rendered"
    args = ["render", "--out", str(out), "--force"]
    assert run_interrupted(args, tmp_path).code == 0
    (out / ".marketplace-kit-render").write_text(  # an older render: what --force replaces
        (out / ".marketplace-kit-render").read_text())
    first = snapshot(out)
    clean = run_interrupted(args, tmp_path)
    assert clean.code == 0, clean.stderr
    assert snapshot(out) == first
    siblings = sorted(p.name for p in tmp_path.iterdir())
    for at in steps_to_try(clean.operations, ".rendered.render-"):
        outcome = run_interrupted(args, tmp_path, at=at, sig=sig)
        assert out.is_dir(), f"step {at}: --out is gone"
        assert snapshot(out) == first, f"step {at}: --out is a mix"
        if sig == signal.SIGINT:
            assert outcome.code in (0, 130), outcome.stderr
        rerun = run_interrupted(args, tmp_path)
        assert rerun.code == 0, rerun.stderr
        assert sorted(p.name for p in tmp_path.iterdir()) == siblings, f"step {at}: leftovers"


@pytest.mark.parametrize("sig", SIGNALS)
def test_init_at_every_step(tmp_path: Path, sig: int) -> None:
    """``init`` writes marketplace.yaml and services/.gitkeep: after a kill before any of its
    operations the next init makes the whole starter, and no temporary file is left."""
    render_starter("marketplace", "dev", "us-east-1")  # its imports, once, for every fork
    work = tmp_path / "work"
    work.mkdir()
    args = ["init", "platform"]
    clean = run_interrupted(args, work)
    assert clean.code == 0, clean.stderr
    made = snapshot(work)
    assert sorted(made) == ["platform", "platform/marketplace.yaml", "platform/services",
                            "platform/services/.gitkeep"]
    assert clean.steps > 3
    for at in range(1, clean.steps + 1):
        shutil.rmtree(work)
        work.mkdir()
        outcome = run_interrupted(args, work, at=at, sig=sig)
        if sig == signal.SIGKILL:
            assert outcome.signal == signal.SIGKILL, (at, outcome)
        else:
            assert outcome.code in (0, 130), (at, outcome.stderr)
            if outcome.code == 130:
                assert "interrupted" in outcome.stderr
                if "nothing was written" in outcome.stderr:
                    assert snapshot(work) == {}, at
                elif "complete" in outcome.stderr:
                    assert snapshot(work) == made, at
                else:  # Ctrl-C after the change (releasing the lock): whole or nothing
                    assert snapshot(work) in (made, {}), at
        rerun = run_interrupted(args, work)
        assert rerun.code in (0, 2), (at, rerun.stderr)  # 2: already there, complete
        assert snapshot(work) == made, f"step {at}: not the whole starter"

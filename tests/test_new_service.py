"""``marketplace-kit new-service``: help, what it creates, and one-line errors that leave the disk
untouched."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from support.cli import run_cli

from marketplace_kit.config import load_service


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def run(*args: str, cwd: Path) -> Result:
    """Run the CLI's entry point in-process (argv, cwd and streams as a shell would give)."""
    return Result(*run_cli(list(args), cwd, env={"COLUMNS": "200", "NO_COLOR": "1"}))


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_help_explains_every_option(tmp_path: Path) -> None:
    result = run("new-service", "--help", cwd=tmp_path)
    assert result.returncode == 0
    for option in ("NAME", "--dir", "--datastore", "--publishes", "--consumes", "--entity",
                   "--field", "--port", "--path", "--owner", "decimal", "DNS-1123"):
        assert option in result.stdout, option


def test_creates_the_service_and_prints_next_steps(tmp_path: Path) -> None:
    result = run("new-service", "reviews", "--publishes", "review-events", "--entity", "review",
                 "--field", "rating:int", "--field", "body:str?", "--port", "8081",
                 "--path", "/api/reviews", "--owner", "team-trust", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    root = tmp_path / "services" / "reviews"
    assert "Created services/reviews" in result.stdout
    assert "Next steps" in result.stdout and "src/reviews/domain.py" in result.stdout
    spec = load_service(root / "service.yaml")
    assert (spec.port, spec.path, spec.publishes) == (8081, "/api/reviews", ["review-events"])
    migration = root / "src/reviews/migrations/0001_initial.sql"
    assert '"rating" BIGINT NOT NULL' in migration.read_text()


def test_dir_option(tmp_path: Path) -> None:
    result = run("new-service", "edge", "--dir", "svc", "--datastore", "none", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "svc" / "edge" / "service.yaml").is_file()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["Bad_Name"], "NAME"),
        (["9lives"], "NAME"),
        (["trailing-"], "NAME"),
        (["a" * 40], "NAME"),
        (["json"], "shadow"),
        (["ok", "--datastore", "mongo"], "--datastore"),
        (["ok", "--field", "price:money"], "unknown field type"),
        (["ok", "--field", "price"], "name:type"),
        (["ok", "--field", "id:int"], "reserved"),
        (["ok", "--field", "class:str"], "field name"),
        (["ok", "--field", "a:int", "--field", "a:str"], "twice"),
        (["ok", "--entity", "Bad-Entity"], "entity"),
        (["ok", "--datastore", "none", "--entity", "thing"], "needs a datastore"),
        (["ok", "--publishes", "Bad Topic"], "topic"),
        (["ok", "--consumes", "a", "--consumes", "a"], "twice"),
        (["ok", "--port", "80"], "--port"),
        (["ok", "--port", "http"], "--port"),
        (["ok", "--path", "no-slash"], "path"),
        (["ok", "--owner", "Team Name"], "owner"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    tmp_path: Path, args: list[str], needle: str
) -> None:
    (tmp_path / "services").mkdir()
    (tmp_path / "services" / "other.txt").write_text("keep")
    before = snapshot(tmp_path)
    result = run("new-service", *args, cwd=tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert needle in lines[0]
    assert snapshot(tmp_path) == before
    assert sorted(p.name for p in (tmp_path / "services").iterdir()) == ["other.txt"]


def test_an_existing_directory_is_refused_and_left_alone(tmp_path: Path) -> None:
    assert run("new-service", "reviews", cwd=tmp_path).returncode == 0
    service = tmp_path / "services" / "reviews"
    (service / "src/reviews/domain.py").write_text("# ours\n")
    before = snapshot(tmp_path)
    result = run("new-service", "reviews", "--publishes", "x", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: services/reviews already exists; fix: choose another name or --dir"
    ]
    assert snapshot(tmp_path) == before

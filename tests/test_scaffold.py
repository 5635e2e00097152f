"""The template engine: deterministic rendering, conditional files, the answers file,
regeneration that keeps team-owned files, atomic writes, and what the generated files promise."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest
import yaml

from marketplace_kit.config import ServiceSpec, load_service
from marketplace_kit.errors import KitError
from marketplace_kit.platform import versions
from marketplace_kit.scaffold import (
    ANSWERS_FILE,
    answers_from_file,
    load_template,
    make_answers,
    render_files,
    render_service,
    service_template,
)
from marketplace_kit.scaffold import write as write_module
from marketplace_kit.scaffold.base import with_base
from marketplace_kit.scaffold.render import plural

PUBLISHER = {"name": "reviews", "publishes": ["review-events"], "entity": "review",
             "fields": ["rating:int", "body:str", "price:decimal?"]}


def test_rendering_is_deterministic_and_reproducible_from_the_answers_file(tmp_path: Path) -> None:
    answers = make_answers(**PUBLISHER)
    first = render_files(answers)
    assert first == render_files(answers)
    render_service(answers, tmp_path / "reviews")
    again = answers_from_file(tmp_path / "reviews" / ANSWERS_FILE)
    assert again == answers.model_copy(update={"template_version": service_template().version})
    assert render_files(again) == first
    on_disk = {
        p.relative_to(tmp_path / "reviews").as_posix(): p.read_text()
        for p in (tmp_path / "reviews").rglob("*") if p.is_file()
    }
    assert on_disk == with_base(first)


def test_answers_file_records_version_and_answers() -> None:
    text = render_files(make_answers(**PUBLISHER))[ANSWERS_FILE]
    data = yaml.safe_load(text)
    assert data["template_version"] == service_template().version
    assert data["fields"] == ["rating:int", "body:str", "price:decimal?"]
    assert data["owner"] == "team-reviews"
    assert "202" not in text  # no timestamps: regeneration is byte for byte


@pytest.mark.parametrize(
    ("options", "present", "absent"),
    [
        (PUBLISHER, ["src/reviews/outbox.py", "src/reviews/api.py", "src/reviews/migrate.py",
                     "tests/test_integration_events.py"],
         ["src/reviews/consumer.py", "src/reviews/handlers.py", "src/reviews/publisher.py"]),
        ({"name": "notify", "consumes": ["order-events"]},
         ["src/notify/consumer.py", "src/notify/handlers.py", "src/notify/db.py",
          "tests/test_integration_consumer.py"],
         ["src/notify/outbox.py", "tests/test_integration_events.py"]),
        ({"name": "edge", "datastore": "none", "publishes": ["edge-events"]},
         ["src/edge/publisher.py", "src/edge/kafka.py"],
         ["src/edge/db.py", "src/edge/migrate.py", "src/edge/api.py", "src/edge/models.py",
          "src/edge/migrations/0001_initial.sql", "src/edge/consumer.py"]),
    ],
)
def test_files_follow_the_options(
    options: dict[str, object], present: list[str], absent: list[str]
) -> None:
    files = render_files(make_answers(**options))
    for path in present:
        assert path in files, path
    for path in absent:
        assert path not in files, path
    assert not any("{{" in path or "{%" in path for path in files)


def test_generated_manifests_keep_their_promises(tmp_path: Path) -> None:
    render_service(make_answers(**PUBLISHER, owner="team-trust"), tmp_path / "reviews")
    root = tmp_path / "reviews"
    spec = load_service(root / "service.yaml")
    assert (spec.name, spec.publishes, spec.datastore, spec.route_prefix) == (
        "reviews", ["review-events"], "postgres", "/reviews")
    catalog = list(yaml.safe_load_all((root / "catalog-info.yaml").read_text()))
    assert catalog[0]["kind"] == "Component"
    assert catalog[0]["spec"]["owner"] == "team-trust"
    assert catalog[0]["spec"]["lifecycle"]
    dockerfile = (root / "Dockerfile").read_text()
    assert dockerfile.count(f"FROM {versions.SERVICE_BASE_IMAGE}") == 2
    assert "USER 10001:10001" in dockerfile and "HEALTHCHECK" in dockerfile
    pyproject = (root / "pyproject.toml").read_text()
    for name, version in versions.SERVICE_DEPENDENCIES.items():
        assert f'"{name}=={version}"' in pyproject
    workflow = yaml.safe_load((root / ".github/workflows/ci.yml").read_text())
    steps = [s for job in workflow["jobs"].values() for s in job["steps"]]
    uses = {s["uses"] for s in steps if "uses" in s}
    assert uses == {f"{a}@{v}" for a, v in versions.GITHUB_ACTIONS.items()}
    oidc = [s for s in steps if "configure-aws-credentials" in s.get("uses", "")]
    assert oidc and all("role-to-assume" in s["with"] for s in oidc)
    assert workflow["jobs"]["image"]["permissions"]["id-token"] == "write"
    services = workflow["jobs"]["test"]["services"]
    assert services["postgres"]["image"] == versions.CI_POSTGRES_IMAGE
    assert services["kafka"]["image"] == versions.CI_KAFKA_IMAGE


def test_documentdb_is_refused_until_the_template_supports_it() -> None:
    with pytest.raises(KitError, match=r"^--datastore documentdb is not supported yet .*; fix: "):
        make_answers(name="docs", datastore="documentdb", fields=["title:str"])
    with pytest.raises(ValueError, match="documentdb is not supported yet"):
        ServiceSpec(name="docs", datastore="documentdb")


def test_regeneration_keeps_team_files_and_restores_template_files(tmp_path: Path) -> None:
    answers = make_answers(name="notify", consumes=["order-events"])
    root = tmp_path / "notify"
    render_service(answers, root)
    (root / "src/notify/handlers.py").write_text("# our handler\n")
    (root / "src/notify/app.py").write_text("# drifted\n")
    (root / "src/notify/migrations/0002_ours.sql").write_text("SELECT 1;\n")
    (root / "tests/test_domain.py").unlink()
    report = render_service(answers, root, regenerate=True)
    assert (root / "src/notify/handlers.py").read_text() == "# our handler\n"
    assert (root / "src/notify/migrations/0002_ours.sql").exists()
    assert report.updated == ["src/notify/app.py"]
    assert report.created == ["tests/test_domain.py"]
    assert "src/notify/handlers.py" in report.kept
    assert (root / "src/notify/app.py").read_text() == render_files(answers)["src/notify/app.py"]
    template = service_template()
    assert template.is_team_owned("src/notify/domain.py")
    assert not template.is_team_owned("src/notify/app.py")


def test_a_failed_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def half_then_fail(files: dict[str, str], staging: Path) -> None:
        (staging / "half-written").write_text("x")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(write_module, "_stage", half_then_fail)
    with pytest.raises(KitError, match="No space left on device; nothing was changed"):
        render_service(make_answers(name="reviews"), tmp_path / "reviews")
    assert list(tmp_path.iterdir()) == []


def test_an_existing_destination_is_refused_untouched(tmp_path: Path) -> None:
    dest = tmp_path / "reviews"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine")
    with pytest.raises(KitError, match="already exists"):
        render_service(make_answers(name="reviews"), dest)
    assert [p.name for p in dest.iterdir()] == ["keep.txt"]


def test_strict_undefined_fails_loudly(tmp_path: Path) -> None:
    (tmp_path / "_template.yaml").write_text('version: "x"\n')
    (tmp_path / "a.txt.jinja").write_text("{{ no_such_variable }}\n")
    with pytest.raises(jinja2.UndefinedError):
        render_files(make_answers(name="reviews"), load_template(tmp_path))


def test_plural() -> None:
    assert [plural(w) for w in ("item", "category", "box", "day", "match")] == [
        "items", "categories", "boxes", "days", "matches"]

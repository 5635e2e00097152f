"""Drift check: regenerating each reference service from its answers file reproduces every
template-owned file byte for byte (team-owned files are the team's and are not compared)."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketplace_kit.scaffold import ANSWERS_FILE, answers_from_file, render_files, service_template

SERVICES = Path(__file__).resolve().parent.parent / "examples" / "marketplace" / "services"
NAMES = ("catalog", "notification", "order", "payment", "user")


def test_the_five_services_are_there() -> None:
    assert sorted(p.name for p in SERVICES.iterdir() if (p / ANSWERS_FILE).is_file()) == list(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_template_owned_files_match_a_regeneration(name: str) -> None:
    directory = SERVICES / name
    template = service_template()
    rendered = render_files(answers_from_file(directory / ANSWERS_FILE), template)
    owned = {path: text for path, text in rendered.items() if not template.is_team_owned(path)}
    assert owned, "nothing template-owned was rendered"
    drifted = [p for p, text in owned.items()
               if not (directory / p).is_file() or (directory / p).read_bytes() != text.encode()]
    assert drifted == [], f"{name}: regenerate with `marketplace-kit update-service` ({drifted})"
    team = [p for p in rendered if template.is_team_owned(p)]
    assert all((directory / p).is_file() for p in team)

"""Each template option is declared once, on the answers model: CLI, help and template follow."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_new_service import run

from marketplace_kit.errors import KitError
from marketplace_kit.scaffold.answers import Answers, cli_options, make_answers
from marketplace_kit.scaffold.render import context
from marketplace_kit.scaffold.template import service_template


def test_every_answer_is_an_option_with_its_help(tmp_path: Path) -> None:
    options = cli_options()
    assert set(options) == set(Answers.model_fields) - {"template_version"}
    help_text = " ".join(run("new-service", "--help", cwd=tmp_path).stdout.split())
    for name, cli in options.items():
        assert cli["flag"] in help_text, name
        assert " ".join(cli["help"].split())[:40] in help_text.replace("│", " ").replace(
            "  ", " "), name


def test_every_answer_reaches_the_template() -> None:
    answers = make_answers(name="reviews", publishes=["review-events"], path="/r")
    variables = context(answers, service_template())
    for name in Answers.model_fields:
        assert name in variables, name
    assert variables["path"] == "/r" and variables["route_prefix"] == "/r"


def test_one_template_version() -> None:
    assert make_answers(name="reviews").template_version == service_template().version


def test_port_must_be_a_number() -> None:
    with pytest.raises(KitError, match=r"--port: 'http' is not a number"):
        make_answers(names={"port": "--port"}, name="ok", port="http")
    assert make_answers(name="ok", port="8081").port == 8081

"""Each template option is declared once (contract.answer_options): the answers model, the CLI's
options and help, and the template follow."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_new_service import run

from marketplace_kit.contract.answer_options import BY_NAME, DEFAULT_FIELDS
from marketplace_kit.errors import KitError
from marketplace_kit.scaffold.answers import FIELD_TYPES, Answers, make_answers
from marketplace_kit.scaffold.render import context
from marketplace_kit.scaffold.template import service_template


def test_every_answer_is_an_option_with_its_help(tmp_path: Path) -> None:
    assert set(BY_NAME) == set(Answers.model_fields) - {"template_version"}
    help_text = " ".join(run("new-service", "--help", cwd=tmp_path).stdout.split())
    for name, option in BY_NAME.items():
        assert option.cli_name in help_text, name
        assert " ".join(option.help.split())[:40] in help_text.replace("│", " ").replace(
            "  ", " "), name


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_the_model_agrees_with_the_declaration(name: str) -> None:
    """The pure-data declaration the CLI reads and the pydantic model say the same."""
    option, field = BY_NAME[name], Answers.model_fields[name]
    assert field.description == option.help
    assert field.is_required() == option.required
    assert (field.default_factory is list) == option.repeatable
    assert (field.annotation is bool) == option.is_flag
    if not option.required and not option.repeatable:
        assert field.default == option.default
    if option.repeatable:
        assert str(field.annotation).startswith("list[")


def test_the_field_help_names_every_field_type_and_the_default() -> None:
    help_text = BY_NAME["fields"].help
    assert all(kind in help_text for kind in FIELD_TYPES)
    assert all(f"Default: {default}" in help_text for default in DEFAULT_FIELDS)


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

"""Rendering: answers + pinned versions -> {relative path: text}, deterministically, in memory.

Jinja runs with StrictUndefined (a missing variable is a template bug, never an empty string).
Path segments are templates too; a segment that renders empty drops the file (conditional
files, cookiecutter/copier style).
"""

from __future__ import annotations

import json
import re
from typing import Any

import jinja2
import yaml

from marketplace_kit import __version__
from marketplace_kit.contract import ci, container, service_documents
from marketplace_kit.core import events
from marketplace_kit.monitoring import signals
from marketplace_kit.monitoring.slo import Objectives
from marketplace_kit.platform import versions
from marketplace_kit.scaffold.answers import ANSWERS_FILE, Answers
from marketplace_kit.scaffold.template import SUFFIX, Template, service_template


def plural(word: str) -> str:
    """A naive English plural for collection names (``category`` -> ``categories``)."""
    if re.search(r"(s|x|z|ch|sh)$", word):
        return word + "es"
    if re.search(r"[^aeiou]y$", word):
        return word[:-1] + "ies"
    return word + "s"


def camel(word: str) -> str:
    """``order_line`` -> ``OrderLine``."""
    return "".join(part.capitalize() for part in word.split("_"))


def github_expression(expression: str) -> str:
    """A GitHub Actions expression, ``${{ expression }}`` (Jinja would read it as its own)."""
    return "${{ " + expression + " }}"


def context(answers: Answers, template: Template) -> dict[str, Any]:
    """Every variable the template sees: each answer under its own name (declared once, on
    ``Answers``), then the values derived from them."""
    entity = answers.entity or ""
    return {
        **{name: getattr(answers, name) for name in Answers.model_fields},
        "answers": answers,
        "package": answers.name.replace("-", "_"),
        "title": " ".join(p.capitalize() for p in answers.name.split("-")),
        "has_db": answers.datastore != "none",
        "entity": entity,
        "entity_class": camel(entity),
        "collection": plural(entity) if entity else "",
        "events_topic": answers.publishes[0] if answers.publishes else "",
        "has_kafka": bool(answers.publishes or answers.consumes),
        "route_prefix": answers.spec().route_prefix,
        "template_version": template.version,
        "kit_version": __version__,
        "v": versions,
        "ci": ci,  # GitHub environments and repository variables: shared with deploy access
        "contract": container,  # env names, mounted files, probe paths: shared with the platform
        "documents": service_documents,  # the API document files the platform reads
        "events": events,  # the dead-letter topic suffix: shared with the event bus
        "signals": signals,
        "slo": Objectives(),
        "gh": github_expression,
    }


def yaml_scalar(value: str) -> str:
    """``value`` as a YAML scalar that reads back as that string: plain when YAML already reads
    it so (``order-events``), quoted when it would not (``0``, ``yes``, ``null``)."""
    try:
        plain = yaml.safe_load(f"k: {value}\n")
    except yaml.YAMLError:
        plain = None
    if isinstance(plain, dict) and plain.get("k") == value:
        return value
    return json.dumps(value)


def _environment(template: Template) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template.root)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters["yaml"] = yaml_scalar
    return env


def render_files(answers: Answers, template: Template | None = None) -> dict[str, str]:
    """Render every file of the template (plus the answers file) into memory, sorted by path."""
    template = template or service_template()
    env = _environment(template)
    variables = context(answers, template)
    out: dict[str, str] = {}
    for source in template.files:
        segments = [env.from_string(part).render(variables) for part in source.split("/")]
        if any(not segment.strip() for segment in segments):
            continue
        target = "/".join(segments)
        if target.endswith(SUFFIX):
            target = target.removesuffix(SUFFIX)
            text = env.get_template(source).render(variables)
        else:
            text = (template.root / source).read_text(encoding="utf-8")
        out[target] = text
    answers_with_version = answers.model_copy(update={"template_version": template.version})
    out[ANSWERS_FILE] = answers_with_version.to_yaml()
    return dict(sorted(out.items()))

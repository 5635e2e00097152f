"""The template engine behind ``new-service`` (and ``update-service``).

Python API::

    answers = make_answers(name="reviews", publishes=["review-events"])
    render_service(answers, Path("services/reviews"))      # a new service, atomically
    answers_from_file(Path("services/reviews/.marketplace-kit.yaml"))
    render_files(answers)                                   # {path: text}, in memory
    plan = plan_update(Path("services/reviews"))            # merge the installed template in
    print(plan.diff()); apply_update(plan)                  # (plan.conflicts: marked files)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from marketplace_kit.scaffold.answers import (
    ANSWERS_FILE,
    FIELD_TYPES,
    Answers,
    FieldSpec,
    answers_from_file,
    make_answers,
)
from marketplace_kit.scaffold.base import with_base
from marketplace_kit.scaffold.render import render_files
from marketplace_kit.scaffold.template import Template, load_template, service_template
from marketplace_kit.scaffold.update import UpdatePlan, apply_update, plan_update
from marketplace_kit.scaffold.write import WriteReport, write_new, write_over


def render_service(
    answers: Answers, dest: Path, *, regenerate: bool = False,
    finish: Callable[[Path], None] | None = None,
) -> WriteReport:
    """Render the service template into ``dest``.

    A new service (the default) refuses an existing ``dest``; ``finish`` runs on the complete
    staged tree before it is moved into place (the service's API documents are written there,
    so ``dest`` appears with them or not at all). ``regenerate=True`` rewrites the
    template-owned files of an existing service and keeps every team-owned file as it is.
    """
    template = service_template()
    files = with_base(render_files(answers, template))  # the merge base of update-service
    if regenerate:
        return write_over(files, dest, template)
    return write_new(files, dest, finish)


__all__ = [
    "ANSWERS_FILE",
    "FIELD_TYPES",
    "Answers",
    "FieldSpec",
    "Template",
    "UpdatePlan",
    "WriteReport",
    "answers_from_file",
    "apply_update",
    "load_template",
    "make_answers",
    "plan_update",
    "render_files",
    "render_service",
    "service_template",
]

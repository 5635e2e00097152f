"""A new service among the services already in its directory: the rules ``plan`` applies
across services (unique name and port, route prefixes that do not overlap) are checked before
anything is written, so ``new-service`` never generates what ``plan`` would refuse.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from marketplace_kit.config import SERVICE_FILE, ServiceSpec, check_placement, load_service
from marketplace_kit.errors import KitError
from marketplace_kit.scaffold.answers import Answers

DEFAULT_PORT = Answers.model_fields["port"].default


def sibling_services(parent: Path) -> list[tuple[ServiceSpec, Path]]:
    """The readable services in ``parent`` (a broken one is ``plan``'s to report)."""
    found: list[tuple[ServiceSpec, Path]] = []
    if not parent.is_dir():
        return found
    for file in sorted(parent.glob(f"*/{SERVICE_FILE}")):
        if file.parent.name.startswith("."):  # hidden, as plan skips it (a staging folder)
            continue
        try:
            found.append((load_service(file), file))
        except KitError:
            continue
    return found


def fit_among_siblings(
    answers: Answers, dest: Path, note: Callable[[str], None] = lambda _: None
) -> Answers:
    """``answers`` checked against the services beside ``dest``; the default port, when a
    sibling has it, moves to the next free one (``note`` says so)."""
    if dest.exists() or dest.is_symlink():
        return answers  # writing refuses it, with its own message
    siblings = sibling_services(dest.parent)
    used = {spec.port: file for spec, file in siblings}
    moved = ""
    if answers.port == DEFAULT_PORT and answers.port in used:
        free = answers.port
        while free in used:
            free += 1
        moved = f"port {answers.port} is used by {used[answers.port]}: using {free} (choose " \
                "with --port)"
        answers = answers.model_copy(update={"port": free})
    check_placement([*siblings, (answers.spec(), dest / SERVICE_FILE)])
    if moved:
        note(moved)
    published = {t for spec, _ in siblings for t in spec.publishes} | set(answers.publishes)
    for topic in answers.consumes:
        if topic not in published:
            note(f"no service in {dest.parent} publishes {topic!r} yet: plan refuses the "
                 "platform until one does")
    return answers

"""Updating a generated service to the installed template: a plan of per-file changes, a diff,
and applying it.

Three versions of every file meet: the base (what the kit last rendered, ``base.py``), yours (the
service as it is now) and the template's (the installed template rendered with the service's
answers, migrated to its answer schema). Team-owned files are never touched; files the team
added are not the template's business.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from marketplace_kit.changeset import Changeset, confined
from marketplace_kit.errors import KitError
from marketplace_kit.scaffold.answers import ANSWERS_FILE, answers_from_file
from marketplace_kit.scaffold.base import BASE_FILE, pack, read_base
from marketplace_kit.scaffold.merge import merge3, split_lines
from marketplace_kit.scaffold.migrations import migrate_answers, version_key
from marketplace_kit.scaffold.render import render_files
from marketplace_kit.scaffold.schema_delta import schema_delta
from marketplace_kit.scaffold.template import Template, service_template

Kind = Literal["create", "update", "delete", "conflict", "keep"]


@dataclass(frozen=True)
class Change:
    """What the update does to one file. ``after`` None: nothing is written (delete or keep)."""

    path: str
    kind: Kind
    before: str | None
    after: str | None
    note: str = ""


@dataclass(frozen=True)
class UpdatePlan:
    """Every change an update makes to one service, bookkeeping (answers, base) last."""

    service: Path
    old_version: str
    new_version: str
    changes: tuple[Change, ...]
    notes: tuple[str, ...] = ()

    @property
    def conflicts(self) -> list[Change]:
        """Changes the team must finish by hand."""
        return [c for c in self.changes if c.kind == "conflict"]

    def diff(self) -> str:
        """A unified diff of the update (the merge base file summarized in one line)."""
        out: list[str] = []
        for change in self.changes:
            if change.path == BASE_FILE:
                out.append(f"# {BASE_FILE}: merge base recorded for template v{self.new_version}\n")
            elif change.before != change.after and change.kind != "keep":
                out.extend(_unified(change, self.service))
        return "".join(out)


def _unified(change: Change, service: Path) -> list[str]:
    lines = difflib.unified_diff(
        split_lines(change.before or ""),
        split_lines(change.after or ""),
        fromfile="/dev/null" if change.before is None else f"a/{change.path}",
        tofile="/dev/null" if change.after is None else f"b/{change.path}",
    )
    return [line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
            for line in lines]


def _read(service: Path, relative: str) -> str | None:
    path = confined(service, relative)
    if path is None:
        raise KitError(f"{service / relative}: outside the service {service} (a '..', an "
                       "absolute path or a symlink out of it in the kit's metadata); refused; "
                       "fix: restore the service from version control")
    if not path.is_file():
        return None
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise KitError(f"{path}: not UTF-8 text; fix: restore the file or delete it") from None
    except OSError as exc:
        raise KitError(f"{path}: cannot be read ({exc.strerror}); fix: check it") from None


def _plan_file(path: str, base: str | None, ours: str | None, theirs: str | None) -> Change | None:
    """The change to one template-owned file (None: leave it as it is)."""
    if base is not None and theirs is None:  # the template removed it
        if ours is None:
            return None
        if ours == base:
            return Change(path, "delete", ours, None)
        return Change(path, "keep", ours, None, "the template removed it; kept (you changed it)")
    if theirs is None:
        return None
    if ours is None:
        if base is None:
            return Change(path, "create", None, theirs)
        if base == theirs:
            return None  # you deleted it and the template did not change it
        return Change(path, "conflict", None, theirs,
                      "you deleted it and the template changed it: restored the template's "
                      "version (delete it again to keep it deleted)")
    merged = merge3(base or "", ours, theirs)
    if merged.text == ours:
        return None
    if merged.conflicts:
        why = "you already have this file" if base is None else "you and the template changed it"
        return Change(path, "conflict", ours, merged.text,
                      f"{why}: {merged.conflicts} conflict(s) marked")
    return Change(path, "update", ours, merged.text)


def load_service(service: Path, template: Template) -> tuple[str, dict[str, str]]:
    """The recorded template version and the template's render for ``service``'s answers."""
    if not service.is_dir():
        raise KitError(f"{service}: no such directory; fix: give the directory of a service")
    answers_path = service / ANSWERS_FILE
    if not answers_path.is_file():
        raise KitError(f"{service}: no {ANSWERS_FILE}, so marketplace-kit did not generate it; "
                       "fix: give the directory of a generated service")
    answers = answers_from_file(answers_path, upgrade=lambda d: migrate_answers(d, template))
    recorded = answers.template_version
    if version_key(recorded) > version_key(template.version):
        raise KitError(f"{service}: generated by template v{recorded}, newer than the installed "
                       f"v{template.version}; fix: upgrade marketplace-kit")
    return recorded, render_files(answers, template)


def plan_update(service: Path, template: Template | None = None) -> UpdatePlan:
    """Plan the update of ``service`` to ``template`` (default: the kit's own). Reads only."""
    template = template or service_template()
    recorded, theirs = load_service(service, template)
    notes: list[str] = []
    base = read_base(service)
    if base is None:
        if recorded != template.version:
            raise KitError(f"{service}: no {BASE_FILE} (merge base) and template v{recorded} is "
                           "not the installed one; fix: update with the marketplace-kit "
                           "release that generated it first")
        base = {p: t for p, t in theirs.items() if p != ANSWERS_FILE}
        notes.append(f"no {BASE_FILE}: the installed template's render is taken as the base, "
                     "so your files win wherever they differ")
    changes: list[Change] = []
    for path in sorted((set(base) | set(theirs)) - {ANSWERS_FILE, BASE_FILE}):
        ours = _read(service, path)
        if template.is_team_owned(path):
            if ours is None and path in theirs and path not in base:
                changes.append(Change(path, "create", None, theirs[path]))
            continue
        if template.is_history(path) and (ours is not None or path in base):
            wanted = theirs.get(path)
            if ours is not None and wanted is not None and wanted not in (ours, base.get(path)):
                added = _next_migration(service, path, ours, wanted, changes, notes)
                changes += [added] if added is not None else []
            continue  # a migration the service has is never changed
        change = _plan_file(path, base.get(path), ours, theirs.get(path))
        if change is not None:
            changes.append(change)
    for path, text in ((ANSWERS_FILE, theirs[ANSWERS_FILE]), (BASE_FILE, pack(theirs))):
        before = _read(service, path)
        if before != text:
            changes.append(Change(path, "create" if before is None else "update", before, text))
    return UpdatePlan(service, recorded, template.version, tuple(changes), tuple(notes))


def _next_migration(service: Path, path: str, applied: str, wanted: str,
                    planned: list[Change], notes: list[str]) -> Change | None:
    """A new numbered migration beside ``path`` taking its schema from ``applied`` to ``wanted``
    (the template's new render of it; None if the schema is the same); destructive changes are
    left to the team (a note)."""
    folder, name = path.rsplit("/", 1)
    taken = [p.name for p in (service / folder).glob("[0-9][0-9][0-9][0-9]_*.sql")]
    taken += [c.path.rsplit("/", 1)[-1] for c in planned if c.path.startswith(folder + "/")]
    number = max((int(n[:4]) for n in taken if n[:4].isdigit()), default=0) + 1
    new_path = f"{folder}/{number:04d}_schema_update.sql"
    delta = schema_delta(applied, wanted)
    header = (f"The template's {name} changed after this service had it (applied migrations never "
              "change):\nupdate-service wrote this one instead. Yours from now on.")
    if delta.left:
        notes.append(f"{new_path}: not applied, it would lose data: {'; '.join(delta.left)}")
    text = delta.sql(header)
    if text is None:
        return None
    return Change(new_path, "create", None, text,
                  f"new migration: the template changed {name}, which the service keeps as it is")


def apply_update(plan: UpdatePlan, template: Template | None = None) -> None:
    """Carry out ``plan`` all or nothing: every new content is staged first, then swapped in
    (see ``changeset.py``); a failure at any point leaves the service as it was."""
    apply_updates([plan], template)


def apply_updates(plans: list[UpdatePlan], template: Template | None = None) -> None:
    """Carry out several plans (``update-service --all``) as one all-or-nothing change under
    the services' common directory: a failure in the last service leaves the first untouched."""
    if not plans:
        return
    template = template or service_template()
    services = [plan.service.absolute() for plan in plans]
    root = services[0] if len(services) == 1 else Path(os.path.commonpath(services))
    changes = Changeset(root)
    for plan, service in zip(plans, services, strict=True):
        prefix = service.relative_to(root).as_posix()
        for change in plan.changes:
            relative = change.path if prefix == "." else f"{prefix}/{change.path}"
            target = service / change.path
            if change.kind == "create" and template.is_team_owned(change.path) and target.exists():
                continue  # the team wrote it since the plan was made: theirs to keep
            if change.kind == "delete":
                changes.delete(relative)
            elif change.after is not None:
                changes.write(relative, change.after.encode("utf-8"))
    where = plans[0].service if len(plans) == 1 else f"{len(plans)} services under {root}"
    changes.commit(f"update-service {where}")

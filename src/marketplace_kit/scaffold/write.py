"""Writing a rendered service to disk atomically.

Everything is rendered in memory first, then written into a temporary directory beside the
destination, then moved into place (a regeneration swaps files through ``changeset.py``): bad
input, a failed render or a full disk never leaves half-written files.
Team-owned files that already exist are never overwritten.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from marketplace_kit.changeset import (
    Changeset,
    held_signals,
    make_dirs,
    os_error,
    remove_leftovers,
    remove_made,
    write_file,
)
from marketplace_kit.errors import Interrupted, KitError
from marketplace_kit.scaffold.template import Template


@dataclass
class WriteReport:
    """What a write did, as sorted relative paths."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # team-owned files left as the team has them


def _stage(files: dict[str, str], staging: Path) -> None:
    for relative, text in files.items():
        target = staging / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        write_file(target, text.encode("utf-8"))


def write_new(
    files: dict[str, str], dest: Path, finish: Callable[[Path], None] | None = None
) -> WriteReport:
    """Create ``dest`` with ``files`` (and what ``finish`` adds to the staged tree) in one
    rename; refuse (KitError, nothing written) if it exists."""
    if dest.exists() or dest.is_symlink():
        raise KitError(f"{dest} already exists; fix: choose another name or --dir")
    parent = dest.parent
    if parent.exists() and not parent.is_dir():
        raise KitError(f"{parent}: not a directory; fix: give a directory for --dir")
    made: list[Path] = []
    staging: Path | None = None
    prefix = f".{dest.name}.new-"
    try:
        made = make_dirs(parent)
        remove_leftovers(parent, prefix)
        staging = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
        _stage(files, staging)
        if finish is not None:
            finish(staging)
        staging.chmod(0o755)
        with held_signals():
            os.rename(staging, dest)
            staging = None
    except (OSError, KeyboardInterrupt) as exc:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
            remove_made(made)
        if isinstance(exc, OSError):
            raise os_error(f"new-service {dest}", exc) from None
        if staging is None:
            raise Interrupted(f"new-service {dest}: interrupted after the service was written; "
                              "it is complete") from None
        raise Interrupted(f"new-service {dest}: interrupted before the service was written; "
                          "nothing was written; fix: run it again") from None
    return WriteReport(created=sorted(files))


def write_over(files: dict[str, str], dest: Path, template: Template) -> WriteReport:
    """Regenerate into an existing ``dest``, all or nothing: template-owned files are replaced,
    team-owned files are created only when missing, other files are left alone."""
    report = WriteReport()
    changes = Changeset(dest)
    for relative, text in files.items():
        target = dest / relative
        if target.is_file():
            if template.is_team_owned(relative):
                report.kept.append(relative)
                continue
            if target.read_bytes() == text.encode("utf-8"):
                report.unchanged.append(relative)
                continue
            report.updated.append(relative)
        else:
            report.created.append(relative)
        changes.write(relative, text.encode("utf-8"))
    changes.commit(f"regenerate {dest}")
    return report

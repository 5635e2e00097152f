"""Writing a rendered service to disk atomically.

Everything is rendered in memory first, then written into a temporary directory beside the
destination, then moved into place: bad input or a failed render never leaves half-written files.
Team-owned files that already exist are never overwritten.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from marketplace_kit.errors import KitError
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
        target.write_bytes(text.encode("utf-8"))


def write_new(files: dict[str, str], dest: Path) -> WriteReport:
    """Create ``dest`` with ``files``; refuse (KitError, nothing written) if it exists."""
    if dest.exists() or dest.is_symlink():
        raise KitError(f"{dest} already exists; fix: choose another name or --dir")
    parent = dest.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise KitError(f"cannot create {parent}: {exc.strerror}") from None
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=parent))
    try:
        _stage(files, staging)
        staging.chmod(0o755)
        os.rename(staging, dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return WriteReport(created=sorted(files))


def write_over(files: dict[str, str], dest: Path, template: Template) -> WriteReport:
    """Regenerate into an existing ``dest``: template-owned files are replaced (each atomically),
    team-owned files are created only when missing, other files are left alone."""
    report = WriteReport()
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        _stage(files, staging)
        for relative, text in files.items():
            target = dest / relative
            if target.exists():
                if template.is_team_owned(relative):
                    report.kept.append(relative)
                    continue
                if target.read_bytes() == text.encode("utf-8"):
                    report.unchanged.append(relative)
                    continue
                report.updated.append(relative)
            else:
                report.created.append(relative)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / relative, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return report

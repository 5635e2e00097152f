"""The service template: where it lives, its manifest and its files.

The template is package data (``marketplace_kit/services_template``). Its manifest,
``_template.yaml``, names the template version, the team-owned paths (rendered-path globs):
files written once and never overwritten by a regeneration, and the history paths (migrations):
template-owned, but never changed once a service has them. Directories starting with ``_`` hold
Jinja macros and are not rendered as output. A file whose rendered name ends in ``.jinja`` is
rendered and loses the suffix; any other file is copied as is. A path segment that renders empty
(``{% if has_db %}db.py.jinja{% endif %}``) drops the file.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import yaml

MANIFEST = "_template.yaml"
SUFFIX = ".jinja"


@dataclass(frozen=True)
class Template:
    """A loaded template: its root, version, team-owned and history globs and source files."""

    root: Path
    version: str
    team_owned: tuple[str, ...]
    files: tuple[str, ...]  # posix paths relative to root, sorted
    history: tuple[str, ...] = ()

    def is_team_owned(self, rendered_path: str) -> bool:
        """Whether a rendered path belongs to the team (written once, never overwritten)."""
        return any(fnmatch.fnmatchcase(rendered_path, glob) for glob in self.team_owned)

    def is_history(self, rendered_path: str) -> bool:
        """Whether a rendered path is a migration (never changed once the service has it)."""
        return any(fnmatch.fnmatchcase(rendered_path, glob) for glob in self.history)


def _source_files(root: Path) -> tuple[str, ...]:
    found = []
    for path in root.rglob("*"):
        relative = path.relative_to(root).as_posix()
        if not path.is_file() or relative == MANIFEST or "__pycache__" in path.parts:
            continue
        if relative.split("/")[0].startswith("_") and not relative.startswith("__"):
            continue  # macro directories
        found.append(relative)
    return tuple(sorted(found))


def load_template(root: Path) -> Template:
    """Load a template directory (its manifest and file list)."""
    manifest = yaml.safe_load((root / MANIFEST).read_text(encoding="utf-8"))
    return Template(
        root=root,
        version=str(manifest["version"]),
        team_owned=tuple(manifest.get("team_owned", [])),
        files=_source_files(root),
        history=tuple(manifest.get("history", [])),
    )


@cache
def service_template() -> Template:
    """The kit's own service template."""
    root = Path(str(resources.files("marketplace_kit") / "services_template"))
    return load_template(root)

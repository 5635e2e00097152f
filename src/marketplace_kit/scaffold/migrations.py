"""Answer-schema migrations: how answers recorded by an older template version are read today.

A template's manifest (``_template.yaml``) lists them by the version that introduced them::

    migrations:
      - version: "2"
        rename: {topics: publishes}    # old answer name -> new answer name

Reading an answers file recorded with version N applies, in version order, every migration
newer than N and no newer than the template's own version.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from marketplace_kit.errors import KitError
from marketplace_kit.scaffold.template import MANIFEST, Template


@dataclass(frozen=True)
class Migration:
    """The answer renames a template version introduced."""

    version: str
    rename: dict[str, str]


def version_key(version: str) -> tuple[int, ...]:
    """Ordering of template versions (``"2"``, ``"2.1"``); anything else is a KitError."""
    parts = version.split(".")
    if not all(part.isdigit() for part in parts):
        raise KitError(f"template version {version!r} is not a number such as 2 or 2.1")
    return tuple(int(part) for part in parts)


def load_migrations(template: Template) -> list[Migration]:
    """The template's migrations, oldest first."""
    manifest = yaml.safe_load((template.root / MANIFEST).read_text(encoding="utf-8")) or {}
    found = []
    for entry in manifest.get("migrations") or []:
        rename = entry.get("rename") or {}
        found.append(Migration(str(entry["version"]), {str(k): str(v) for k, v in rename.items()}))
    return sorted(found, key=lambda m: version_key(m.version))


def migrate_answers(data: dict[str, Any], template: Template) -> dict[str, Any]:
    """``data`` (an answers mapping) brought up to ``template``'s answer schema."""
    recorded = version_key(str(data.get("template_version", "1")))
    current = version_key(template.version)
    migrated = dict(data)
    for migration in load_migrations(template):
        if not recorded < version_key(migration.version) <= current:
            continue
        for old, new in migration.rename.items():
            if old not in migrated:
                continue
            if new in migrated:
                raise KitError(
                    f"answers have both {old!r} and {new!r}, its name since template "
                    f"v{migration.version}; fix: keep only {new!r}"
                )
            migrated[new] = migrated.pop(old)
    return migrated

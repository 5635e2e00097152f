"""A changed copy of the kit's service template, for update-service tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from marketplace_kit.scaffold import load_template, service_template
from marketplace_kit.scaffold.template import MANIFEST, Template


def template_v2(root: Path, edits: dict[str, str | None]) -> Template:
    """A copy of the kit's template at version 2: ``edits`` sets (text) or removes (None) files."""
    shutil.copytree(service_template().root, root, ignore=shutil.ignore_patterns("__pycache__"))
    manifest = yaml.safe_load((root / MANIFEST).read_text())
    (root / MANIFEST).write_text(yaml.safe_dump({**manifest, "version": "2"}))
    for relative, text in edits.items():
        if text is None:
            (root / relative).unlink()
        else:
            (root / relative).parent.mkdir(parents=True, exist_ok=True)
            (root / relative).write_text(text)
    return load_template(root)

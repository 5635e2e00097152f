"""The body of ``tools/chart_facts.py``: check the inputs, generate, write atomically."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from marketplace_kit.chartfacts.generate import SourceError, dump, generate
from marketplace_kit.chartfacts.releases import BLUEPRINTS, Release
from marketplace_kit.chartfacts.render import RenderError


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def run(charts: Path, helm: Path, out: Path, plans: Callable[[str], Iterable[Release]],
        blueprints: list[str] | None = None) -> int:
    """Generate the facts into ``out`` (``plans(blueprint)``: its releases); 2 with one
    ``error:`` line when the inputs are wrong."""
    if not charts.is_dir():
        return _error(f"--charts {charts} is not a folder")
    if not (helm.is_file() and helm.stat().st_mode & 0o111):
        return _error(f"--helm {helm} is not an executable file")
    if not out.parent.is_dir():
        return _error(f"--out {out}: folder {out.parent} does not exist")
    unknown = sorted(set(blueprints or ()) - set(BLUEPRINTS))
    if unknown:
        return _error(f"unknown blueprint {unknown[0]} (known: {', '.join(BLUEPRINTS)})")
    from marketplace_kit.platform.versions import EKS_ADDONS

    try:
        facts = generate(charts, helm, plans, EKS_ADDONS,
                         blueprints or BLUEPRINTS)
    except (SourceError, RenderError) as exc:
        return _error(str(exc))
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(dump(facts), encoding="utf-8")
    tmp.replace(out)
    print(f"wrote {out}", file=sys.stderr)
    return 0

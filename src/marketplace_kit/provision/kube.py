"""The kubeconfig and context the local target deploys into (read offline)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import yaml

from marketplace_kit.home import home_dir


def kubeconfig_files(environ: Mapping[str, str] = os.environ) -> list[Path]:
    """The kubeconfig files kubectl would read (KUBECONFIG, else ~/.kube/config)."""
    if environ.get("KUBECONFIG"):
        return [Path(p) for p in environ["KUBECONFIG"].split(os.pathsep) if p]
    home = home_dir(environ)
    return [] if home is None else [home / ".kube" / "config"]


def find_context(
    wanted: str | None, environ: Mapping[str, str] = os.environ
) -> tuple[str | None, str]:
    """(the context that will be used, or None; the problem when None)."""
    files = [f for f in kubeconfig_files(environ) if f.is_file()]
    if not files:
        names = ", ".join(str(f) for f in kubeconfig_files(environ))
        return None, f"no kubeconfig at {names}"
    contexts: list[str] = []
    current: str | None = None
    for file in files:
        try:
            data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            return None, f"{file} is not a readable kubeconfig"
        if not isinstance(data, dict):
            return None, f"{file} is not a kubeconfig mapping"
        contexts += [str(c.get("name")) for c in data.get("contexts") or [] if isinstance(c, dict)]
        current = current or data.get("current-context") or None
    context = wanted or current
    if context is None:
        return None, f"no current-context in {files[0]} and cluster.kubeconfig_context is unset"
    if context not in contexts:
        known = ", ".join(sorted(c for c in contexts if c)) or "none"
        return None, f"context {context!r} is not in the kubeconfig (contexts: {known})"
    return context, ""

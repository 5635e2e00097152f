"""The user's home folder and the kit's cache folder in it, where they can be known (HOME
unset and no passwd entry, as for a container's UID: None, and the callers do without)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def home_dir(environ: Mapping[str, str] = os.environ) -> Path | None:
    """``$HOME``, else the passwd entry's home, else None."""
    if environ.get("HOME"):
        return Path(environ["HOME"])
    try:
        return Path.home()
    except (RuntimeError, KeyError):
        return None


def cache_dir(environ: Mapping[str, str] = os.environ) -> Path | None:
    """``${XDG_CACHE_HOME:-~/.cache}/marketplace-kit`` (not created here; the plans:
    ``plan_cache``); None when there is no home to put it in."""
    xdg = environ.get("XDG_CACHE_HOME", "")
    if xdg and Path(xdg).is_absolute():  # a relative XDG path is ignored (XDG base directory spec)
        return Path(xdg) / "marketplace-kit"
    home = home_dir(environ)
    return home / ".cache" / "marketplace-kit" if home is not None and home.is_absolute() else None

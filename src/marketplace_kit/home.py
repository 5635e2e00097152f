"""Where the kit caches what it computed on this machine (the plans: ``plan_cache``)."""

from __future__ import annotations

import os
from pathlib import Path


def home_dir() -> Path | None:
    """``${XDG_CACHE_HOME:-~/.cache}/marketplace-kit`` (not created here); None when there is no
    home to put it in."""
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if xdg and Path(xdg).is_absolute():  # a relative XDG path is ignored (XDG base directory spec)
        return Path(xdg) / "marketplace-kit"
    try:
        home = Path.home()
    except RuntimeError:  # no HOME and no passwd entry
        return None
    return home / ".cache" / "marketplace-kit" if home.is_absolute() else None

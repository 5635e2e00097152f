"""Pulumi ComponentResources for the marketplace platform, one add-on per module.

Imports are lazy: nothing is imported until a name is used. The exported names are those the
add-on declarations list (``ADDON.exports``, found by ``platform.registry``).
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any


def __getattr__(name: str) -> Any:
    if name.startswith("__") and name != "__all__":
        raise AttributeError(name)
    if importlib.util.find_spec(f"{__name__}.{name}") is not None:  # a submodule, not an export
        return importlib.import_module(f"{__name__}.{name}")
    from marketplace_kit.platform.registry import exports

    if name == "__all__":
        return sorted(exports())
    module = exports().get(name)
    if module is None:
        raise AttributeError(f"module 'marketplace_kit.platform' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    from marketplace_kit.platform.registry import exports

    return sorted({*globals(), *exports()})

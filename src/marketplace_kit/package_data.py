"""The kit's data files (``marketplace_kit/data/*.yaml``: prices, durations, instances, chart
facts), read with libyaml's safe loader where PyYAML has it (the same data, about 10x faster)."""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_mapping(name: str) -> dict[str, Any]:
    """The mapping in ``marketplace_kit/data/<name>``."""
    text = resources.files("marketplace_kit").joinpath("data", name).read_text(encoding="utf-8")
    data = yaml.load(text, Loader=_LOADER)
    if not isinstance(data, dict):  # pragma: no cover - a packaging error, not user input
        raise TypeError(f"marketplace_kit/data/{name}: not a mapping")
    return data

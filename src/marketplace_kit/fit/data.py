"""The node sizes the fit check reads (``marketplace_kit/data/instances.yaml``, EC2 facts)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml


@cache
def instances() -> dict[str, Any]:
    """vCPUs, memory and EKS max pods per instance type."""
    text = resources.files("marketplace_kit").joinpath("data", "instances.yaml").read_text(
        encoding="utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    found = data["instances"]
    assert isinstance(found, dict)
    return found

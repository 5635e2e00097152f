"""The node sizes the fit check reads (``marketplace_kit/data/instances.yaml``, EC2 facts)."""

from __future__ import annotations

from functools import cache
from typing import Any

from marketplace_kit.package_data import read_mapping


@cache
def instances() -> dict[str, Any]:
    """vCPUs, memory and EKS max pods per instance type."""
    found = read_mapping("instances.yaml")["instances"]
    assert isinstance(found, dict)
    return found

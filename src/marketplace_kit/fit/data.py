"""The recorded facts the fit check reads (``marketplace_kit/data/chart_pods.yaml``)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml


@cache
def facts() -> dict[str, Any]:
    """Chart pods per chart version, EKS system pods, instance sizes, the sidecar's requests."""
    text = resources.files("marketplace_kit").joinpath("data", "chart_pods.yaml").read_text(
        encoding="utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data

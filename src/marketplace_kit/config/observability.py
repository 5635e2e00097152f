"""marketplace.yaml ``observability``: metrics, logs, traces."""


from __future__ import annotations

from typing import Literal

from pydantic import (
    Field,
    field_validator,
)

# \Z, not $: "$" also matches before a trailing newline ("orders\n" would pass).
from marketplace_kit.config.base import ConfigModel
from marketplace_kit.validation.names import SERVICE_NAME as SERVICE_NAME
from marketplace_kit.validation.services_dir import SERVICE_FILE as SERVICE_FILE


class ObservabilityConfig(ConfigModel):
    """Metrics, logs and traces."""

    logs: Literal["opensearch", "loki", "none"] = "opensearch"
    traces: bool = True
    metrics_retention_days: int = Field(15, ge=1, le=365)

    @field_validator("logs", mode="before")
    @classmethod
    def _retired(cls, value: object) -> object:
        if value == "efk":
            raise ValueError("efk (Elasticsearch 8.5.1 + Kibana) was retired: Elastic archived "
                             "those charts; use opensearch (OpenSearch + Dashboards, same roles)")
        return value

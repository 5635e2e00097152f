"""marketplace.yaml ``eventbus``: Kafka."""


from __future__ import annotations

from pydantic import (
    Field,
)

# \Z, not $: "$" also matches before a trailing newline ("orders\n" would pass).
from marketplace_kit.config.base import ConfigModel
from marketplace_kit.validation.names import SERVICE_NAME as SERVICE_NAME
from marketplace_kit.validation.services_dir import SERVICE_FILE as SERVICE_FILE


class EventBusConfig(ConfigModel):
    """Strimzi Kafka."""

    brokers: int = Field(3, ge=1, le=9)
    broker_storage_gib: int = Field(100, ge=1, le=16_384)  # an EBS gp3 volume: at most 16 TiB
    partitions: int = Field(3, ge=1, le=100)
    retention_hours: int = Field(168, ge=1, le=87_600)  # at most ten years

"""Event-stream names shared by the config, the event bus and the generated services."""

from __future__ import annotations

DEAD_LETTER_SUFFIX = ".dlq"  # a consumer parks a poison message on <topic>.dlq


def dead_letter_topic(topic: str) -> str:
    """Where consumers of ``topic`` park messages they cannot process."""
    return f"{topic}{DEAD_LETTER_SUFFIX}"

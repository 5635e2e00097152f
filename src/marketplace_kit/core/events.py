"""Event-stream names shared by the config, the event bus and the generated services."""

from __future__ import annotations

DEAD_LETTER_SUFFIX = ".dlq"  # a consumer parks a poison message on <topic>.dlq


def dead_letter_topic(topic: str) -> str:
    """Where consumers of ``topic`` park messages they cannot process."""
    return f"{topic}{DEAD_LETTER_SUFFIX}"


def owned_topics(publishes: tuple[str, ...]) -> tuple[str, ...]:
    """The topics a service stack creates: what it publishes and their dead-letter topics.
    One owner per topic, the producer (two consumers of a topic share its DLQ: neither may own
    it; a consumer's ACLs do not need the DLQ to exist)."""
    return tuple(sorted({*publishes, *(dead_letter_topic(t) for t in publishes)}))


def is_dead_letter_topic(topic: str) -> bool:
    """Whether ``topic`` is named like a dead-letter topic (only consumers write there)."""
    return topic.endswith(DEAD_LETTER_SUFFIX)

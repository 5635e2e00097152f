"""Kafka clients (aiokafka) built from the settings, and one shared, self-healing producer."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from aiokafka.helpers import create_ssl_context

from notification.settings import Settings, read_secret_file

log = logging.getLogger(__name__)


def ssl_context(settings: Settings) -> ssl.SSLContext:
    """TLS that verifies the brokers against the mounted cluster CA (the system CAs if unset)."""
    cafile = settings.kafka_ssl_cafile
    return create_ssl_context(cafile=str(cafile) if cafile is not None else None)


def client_options(settings: Settings) -> dict[str, Any]:
    """Connection options every client shares (bootstrap servers, security)."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "security_protocol": settings.kafka_security_protocol,
        "request_timeout_ms": settings.kafka_request_timeout_ms,
    }
    if settings.kafka_security_protocol.upper() in ("SSL", "SASL_SSL"):
        options["ssl_context"] = ssl_context(settings)
    if settings.kafka_sasl_mechanism:
        options["sasl_mechanism"] = settings.kafka_sasl_mechanism
        options["sasl_plain_username"] = settings.kafka_sasl_username
        options["sasl_plain_password"] = sasl_password(settings)
    return options


def sasl_password(settings: Settings) -> str | None:
    """The KafkaUser's password, read afresh from its Secret file when one is mounted: a client
    built after a password rotation (the file changes under the running pod) logs in with the
    new one."""
    path = settings.kafka_sasl_password_file
    if path is not None:
        return read_secret_file(path)
    password = settings.kafka_sasl_password
    return password.get_secret_value() if password else None


def new_producer(settings: Settings) -> AIOKafkaProducer:
    """A durable producer: acks from all in-sync replicas, idempotent unless turned off."""
    return AIOKafkaProducer(
        **client_options(settings),
        acks="all",
        enable_idempotence=settings.kafka_enable_idempotence,
        linger_ms=5,
        client_id="notification",
    )


def new_consumer(settings: Settings, topics: Iterable[str], group_id: str) -> AIOKafkaConsumer:
    """A consumer-group member with manual commits, starting from the earliest offset."""
    return AIOKafkaConsumer(
        *topics,
        **client_options(settings),
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        client_id="notification",
    )


async def ensure_topics(settings: Settings, topics: Iterable[str], partitions: int = 1) -> None:
    """Create missing topics (local runs and tests; in a cluster the platform creates them)."""
    admin = AIOKafkaAdminClient(**client_options(settings))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [NewTopic(t, partitions, 1) for t in topics if t not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
    finally:
        await admin.close()


class SharedProducer:
    """One producer for the process, started on first use and rebuilt after a failure."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> AIOKafkaProducer:
        """The started producer (raises if the broker cannot be reached)."""
        async with self._lock:
            if self._producer is None:
                producer = new_producer(self.settings)
                try:
                    await producer.start()
                except BaseException:
                    await producer.stop()
                    raise
                self._producer = producer
            return self._producer

    async def reset(self) -> None:
        """Drop the producer after a failure; the next ``get`` builds a fresh one."""
        async with self._lock:
            producer, self._producer = self._producer, None
        if producer is not None:
            try:
                await asyncio.wait_for(producer.stop(), 5)
            except Exception:  # a broken producer may fail to stop cleanly
                log.warning("producer did not stop cleanly", exc_info=True)

    async def ready(self) -> bool:
        """Whether the broker answers a metadata request."""
        try:
            producer = await asyncio.wait_for(self.get(), 3)
            await asyncio.wait_for(producer.client.fetch_all_metadata(), 3)
        except Exception:  # any failure means not ready
            return False
        return True

    async def close(self) -> None:
        """Flush pending sends and stop."""
        await self.reset()

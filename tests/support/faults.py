"""Helpers of the failure tests: SQL, topics and metrics seen from the test process."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Coroutine, Iterable
from typing import Any, TypeVar

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from support.service_process import ServiceProcess

T = TypeVar("T")


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on a private loop (unlike asyncio.run, leaves the thread's loop alone)."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.close()


def query(url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    """Run one query against ``url`` from the test process."""

    async def run() -> list[asyncpg.Record]:
        conn = await asyncpg.connect(url)
        try:
            return list(await conn.fetch(sql, *args))
        finally:
            await conn.close()

    return run_sync(run())


def create_topics(bootstrap: str, topics: Iterable[str]) -> None:
    """One partition each (already there: fine); tansu would auto-create four."""

    async def run() -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics([NewTopic(t, 1, 1) for t in topics])
        finally:
            await admin.close()

    run_sync(run())


def read_topic(bootstrap: str, topic: str) -> list[tuple[bytes, dict[str, bytes]]]:
    """Every record now on ``topic`` (partition 0): (value, headers)."""

    async def run() -> list[tuple[bytes, dict[str, bytes]]]:
        reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                  auto_offset_reset="earliest")
        await reader.start()
        try:
            partition = TopicPartition(topic, 0)
            reader.assign([partition])
            await reader.seek_to_beginning(partition)
            end = (await reader.end_offsets([partition]))[partition]
            found: list[tuple[bytes, dict[str, bytes]]] = []
            while await reader.position(partition) < end:
                batch = await reader.getmany(partition, timeout_ms=1000)
                for record in batch.get(partition, []):
                    found.append((record.value or b"", dict(record.headers)))
            return found
        finally:
            await reader.stop()

    return run_sync(run())


def metric(service: ServiceProcess, name: str, **labels: str) -> float:
    """The value of one Prometheus sample on the service's /metrics (0 when absent)."""
    text = httpx.get(f"{service.base_url}/metrics", timeout=5).text
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        match = re.match(rf"^{name}(?:{{(.*)}})? (\S+)$", line)
        if match and ",".join(sorted((match.group(1) or "").split(","))) == wanted:
            return float(match.group(2))
    return 0.0

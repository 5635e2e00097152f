"""Helpers of the failure tests: SQL, topics and metrics seen from the test process."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from support.service_process import ServiceProcess, wait_until

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


def create_topics(bootstrap: str, topics: Iterable[str], **options: Any) -> None:
    """One partition each (already there: fine); tansu would auto-create four. ``options``:
    further aiokafka client options (security)."""

    async def run() -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **options)
        await admin.start()
        try:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics([NewTopic(t, 1, 1) for t in topics])
        finally:
            await admin.close()

    run_sync(run())


def read_topic(bootstrap: str, topic: str, **options: Any) -> list[tuple[bytes, dict[str, bytes]]]:
    """Every record now on ``topic`` (partition 0): (value, headers). ``options``: further
    aiokafka client options (security)."""

    async def run() -> list[tuple[bytes, dict[str, bytes]]]:
        reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                  auto_offset_reset="earliest", **options)
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


@dataclass
class Ledger:
    """What the clients were told: Idempotency-Key -> order id, when each was acknowledged
    (monotonic), every status seen, and the slowest create (first try to 201, retries included).
    """

    path: str  # the entity collection the orders are POSTed to
    acknowledged: dict[str, str] = field(default_factory=dict)
    acknowledged_at: dict[str, float] = field(default_factory=dict)  # order id -> when
    statuses: Counter[int] = field(default_factory=Counter)
    replayed: int = 0
    slowest: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def create(self, base_url: str, name: str, deadline: float = 60.0) -> str:
        """POST one order with a fresh key, retrying (same key) until 201."""
        key = uuid.uuid4().hex
        began = time.monotonic()
        give_up = began + deadline
        with httpx.Client(base_url=base_url, timeout=10) as http:
            while time.monotonic() < give_up:
                try:
                    response = http.post(
                        self.path, json={"name": name}, headers={"Idempotency-Key": key}
                    )
                except httpx.TransportError:  # the service is down or restarting
                    time.sleep(0.2)
                    continue
                with self.lock:
                    self.statuses[response.status_code] += 1
                if response.status_code == 201:
                    return self.acknowledge(key, response, began)
                assert response.status_code in (503, 504), response.text  # never 500
                assert response.headers["content-type"] == "application/problem+json"
                assert response.json()["status"] == response.status_code
                time.sleep(float(response.headers.get("retry-after", "0.2")) / 5)
        raise AssertionError(f"{name} was not acknowledged within {deadline}s")

    def acknowledge(self, key: str, response: httpx.Response,
                     began: float | None = None) -> str:
        """Record a 201 (``began``: when its first try was sent, for the slowest wait)."""
        order_id: str = response.json()["id"]
        now = time.monotonic()
        began = now if began is None else began
        with self.lock:
            if response.headers.get("idempotent-replayed") == "true":
                self.replayed += 1
            assert self.acknowledged.setdefault(key, order_id) == order_id
            self.acknowledged_at.setdefault(order_id, now)
            self.slowest = max(self.slowest, now - began)
        return order_id


class Writer(threading.Thread):
    """Writes orders one after another until ``finish``; failures are kept for the test."""

    def __init__(self, ledger: Ledger, base_url: str, prefix: str, pause: float = 0.0) -> None:
        super().__init__(daemon=True)
        self.ledger, self.base_url, self.prefix, self.pause = ledger, base_url, prefix, pause
        self.ids: list[str] = []
        self.error: BaseException | None = None
        self._halt = threading.Event()

    def run(self) -> None:
        try:
            while not self._halt.is_set():
                name = f"{self.prefix}-{len(self.ids)}"
                self.ids.append(self.ledger.create(self.base_url, name))
                self._halt.wait(self.pause)
        except BaseException as exc:  # reported by finish()
            self.error = exc

    def finish(self) -> list[str]:
        self._halt.set()
        self.join(60)
        if self.error is not None:
            raise self.error
        return self.ids


def check_published(ledger: Ledger, orders_db: str,
                    read: Callable[[], list[tuple[bytes, dict[str, bytes]]]],
                    timeout: float) -> tuple[set[str], list[str], Counter[str]]:
    """The ledger against the producer's database and topic (``read``): every acknowledged
    order stored once and nothing else, the outbox drained within ``timeout``, every stored
    order published and nothing else. Returns (acknowledged, stored ids, created events per
    order)."""
    acknowledged = set(ledger.acknowledged.values())
    stored = [row["id"] for row in query(orders_db, "SELECT id::text AS id FROM items")]
    assert len(stored) == len(set(stored))
    assert set(stored) == acknowledged  # every write acknowledged once, no orphan entity
    wait_until(lambda: query(orders_db,
                             "SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL")[0]["n"] == 0,
               timeout, "the outbox to drain")
    on_topic = [json.loads(value) for value, _ in read() if value.startswith(b"{")]
    created = Counter(e["subject"] for e in on_topic if e["type"].endswith(".created"))
    assert set(created) == acknowledged  # published: every stored order, nothing else
    return acknowledged, stored, created

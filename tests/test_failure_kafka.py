"""Faults a Kafka broker can have, on Apache Kafka itself (on-disk logs, the listener Strimzi
runs: TLS, SCRAM-SHA-512, each service's ACLs from the platform's ``KafkaUser`` spec).

Two generated services run as in production: ``kafka-orders`` (entity API, transactional outbox,
the idempotent producer with acks=all) and ``kafka-shipping`` (consumer; its handler records one
shipment row per order, in the same transaction as the idempotency record). A client writes
orders steadily, each retried with its ``Idempotency-Key`` until 201, while the broker:

- (a) single broker: is SIGKILLed and restarted on its logs;
- (b) three brokers, topics as the platform renders them (replication factor 3,
  ``min.insync.replicas`` 2): the partition leader is SIGKILLed;
- (c) single broker: the service's password is rotated (the broker holds the new one) and the
  Secret's file changes under the running services.

Each fault is counted with the same ledger: acknowledged = stored = published (duplicates
counted), handled exactly once, nothing on the dead-letter topic, every wait bounded, and the
time from the fault to the first order written after it being shipped. ``MK_RECORD_PROOF=1``
writes the figures into docs/proof.md.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka.admin import AdminClient
from support import kafka
from support.faults import Ledger, Writer, check_published, query, read_topic
from support.service_process import ServiceProcess, generate, wait_until

from marketplace_kit.contract import container as contract
from marketplace_kit.core.events import dead_letter_topic
from marketplace_kit.devenv import Postgres
from marketplace_kit.devenv.kafka import KafkaCluster
from marketplace_kit.platform.eventbus import KafkaClient, KafkaSettings, topic_spec, user_spec

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
PROOF = ROOT / "docs" / "proof.md"
TOPIC = "kafka-order-events"
DLQ = dead_letter_topic(TOPIC)
ORDERS = "/kafka-orders/items"
PRODUCER, CONSUMER = "kafka-orders", "kafka-shipping"
CLIENTS = (KafkaClient(PRODUCER, publishes=(TOPIC,)), KafkaClient(CONSUMER, consumes=(TOPIC,)))
STEADY_SECONDS = 4.0  # writes before and after each fault
RECOVERY_TIMEOUT = 120.0
FIGURES: dict[str, dict[str, object]] = {}

SHIPMENTS_MIGRATION = """
-- One row per handled order, deliberately without a unique key: a second handling would show.
CREATE TABLE shipments (event_id TEXT NOT NULL, order_id TEXT NOT NULL);
"""
SHIPPING_HANDLER = '''"""Handlers of consumed events: ship every order."""

from __future__ import annotations

from kafka_shipping.db import Tx
from kafka_shipping.events import Event


async def handle(event: Event, tx: Tx) -> None:
    """Record a shipment in the same transaction as the event's idempotency record."""
    if event.type.endswith(".created"):
        await tx.conn.execute(
            "INSERT INTO shipments (event_id, order_id) VALUES ($1, $2)", event.id, event.subject
        )
'''


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("kafka-faults")
    orders = generate(root, PRODUCER, publishes=[TOPIC], fields=["name:str"])
    shipping = generate(root, CONSUMER, consumes=[TOPIC])
    package = shipping / "src" / "kafka_shipping"
    (package / "handlers.py").write_text(SHIPPING_HANDLER)
    (package / "migrations" / "0002_shipments.sql").write_text(SHIPMENTS_MIGRATION)
    return orders, shipping


@dataclass
class Pipeline:
    cluster: KafkaCluster
    admin: AdminClient
    orders: ServiceProcess
    shipping: ServiceProcess
    orders_db: str
    shipping_db: str
    secrets: Path  # each service's password file: <name>.password
    ledger: Ledger

    def read(self, topic: str) -> list[tuple[bytes, dict[str, bytes]]]:
        tls = kafka.tls_of(self.cluster)
        options = kafka.client_options(self.cluster, tls.admin, tls.admin_password)
        return read_topic(str(options.pop("bootstrap_servers")), topic, **options)

    def shipped(self) -> Counter[str]:
        rows = query(self.shipping_db, "SELECT order_id FROM shipments")
        return Counter(row["order_id"] for row in rows)


def kafka_user(client: KafkaClient) -> dict[str, Any]:
    """The platform's KafkaUser for ``client`` (the resource the User Operator reconciles)."""
    return {"kind": "KafkaUser", "metadata": {"name": client.name}, "spec": user_spec(client)}


def start_pipeline(tmp: Path, postgres: Postgres, sources: tuple[Path, Path], nodes: int,
                   config: dict[str, object] | None = None) -> Iterator[Pipeline]:
    """A secure cluster of ``nodes``, the topics and users, both services serving."""
    settings = KafkaSettings(brokers=nodes, partitions=1)
    with kafka.secure_kafka(tmp / "kafka", nodes=nodes, config=config) as cluster:
        admin = kafka.admin_client(cluster)
        spec = topic_spec(settings)
        topic_config = {k: str(v) for k, v in spec["config"].items()}
        kafka.create_topics(admin, {t: (spec["partitions"], spec["replicas"], topic_config)
                                    for t in (TOPIC, DLQ)})
        folder = tmp / "secrets"
        folder.mkdir()
        for client in CLIENTS:
            password = secrets.token_urlsafe(18)
            (folder / f"{client.name}.password").write_text(password)
            kafka.apply_kafka_user(admin, kafka_user(client), password)
        tag = secrets.token_hex(3)
        orders_db = postgres.create_database(f"kafka_orders_{tag}")
        shipping_db = postgres.create_database(f"kafka_shipping_{tag}")

        def env(name: str, database: str) -> dict[str, str]:
            return {
                contract.KAFKA_BOOTSTRAP_SERVERS.name: cluster.bootstrap_servers,
                contract.KAFKA_SECURITY_PROTOCOL.name: contract.KAFKA_PROTOCOL,
                contract.KAFKA_SASL_MECHANISM.name: contract.KAFKA_MECHANISM,
                contract.KAFKA_SASL_USERNAME.name: name,
                contract.KAFKA_SASL_PASSWORD_FILE.name: str(folder / f"{name}.password"),
                contract.KAFKA_SSL_CAFILE.name: str(kafka.tls_of(cluster).ca),
                "DATABASE_URL": database, "RELAY_POLL_INTERVAL": "0.2",
                "CONSUMER_RETRY_BACKOFF": "0.1", "CONSUMER_MAX_BACKOFF": "1",
                "KAFKA_REQUEST_TIMEOUT_MS": "5000",
            }

        orders = ServiceProcess(sources[0], env(PRODUCER, orders_db), log_file=tmp / "orders.log")
        shipping = ServiceProcess(sources[1], env(CONSUMER, shipping_db),
                                  log_file=tmp / "shipping.log")
        try:
            orders.start(90)
            shipping.start(90)
            yield Pipeline(cluster, admin, orders, shipping, orders_db, shipping_db, folder,
                           Ledger(ORDERS))
        finally:
            orders.stop()
            shipping.stop()


class Deliveries(threading.Thread):
    """When each order was first seen shipped (polled every 0.2 s until ``halt``)."""

    def __init__(self, pipeline: Pipeline) -> None:
        super().__init__(daemon=True)
        self.pipeline = pipeline
        self.seen: dict[str, float] = {}
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.wait(0.2):
            now = time.monotonic()
            for order in self.pipeline.shipped():
                self.seen.setdefault(order, now)


def under_load(pipeline: Pipeline, fault: Callable[[], None],
               recover: Callable[[], None] = lambda: None) -> dict[str, object]:
    """Write steadily, inject ``fault`` then ``recover``, write on; then the ledger's figures,
    asserted: nothing lost, nothing handled twice, nothing dead-lettered. Recovery: from the
    fault until the last order it delayed was shipped (delayed: acknowledged to shipped took
    over 0.5 s longer than the slowest before the fault)."""
    ledger = pipeline.ledger
    first = ledger.create(pipeline.orders.base_url, "before")
    wait_until(lambda: first in pipeline.shipped(), RECOVERY_TIMEOUT, "the pipeline to flow")
    deliveries = Deliveries(pipeline)
    deliveries.start()
    writer = Writer(ledger, pipeline.orders.base_url, "steady", pause=0.05)
    writer.start()
    time.sleep(STEADY_SECONDS)
    faulted = time.monotonic()
    fault()
    recover()
    time.sleep(STEADY_SECONDS)
    writer.finish()
    try:
        figures = account(pipeline)
        wait_until(lambda: set(ledger.acknowledged_at) <= set(deliveries.seen), 10,
                   "every shipment to be seen")
    finally:
        deliveries.halt.set()
        deliveries.join(5)
    latency = {o: deliveries.seen[o] - at for o, at in ledger.acknowledged_at.items()}
    before = max(v for o, v in latency.items() if ledger.acknowledged_at[o] < faulted)
    stalled = [deliveries.seen[o] for o, v in latency.items()
               if ledger.acknowledged_at[o] >= faulted - before and v > before + 0.5]
    figures["recovery_s"] = round(max(stalled, default=faulted) - faulted, 1)
    figures["slowest_delivery_s"] = round(max(latency.values()), 1)
    print("\nFIGURES", json.dumps(figures))
    return figures


def account(pipeline: Pipeline) -> dict[str, object]:
    ledger = pipeline.ledger
    acknowledged, _, created = check_published(ledger, pipeline.orders_db,
                                               lambda: pipeline.read(TOPIC), RECOVERY_TIMEOUT)
    wait_until(lambda: set(pipeline.shipped()) == acknowledged, RECOVERY_TIMEOUT, "all shipped")
    counts = pipeline.shipped()
    assert set(counts.values()) == {1}, counts.most_common(3)  # handled once each
    parked = pipeline.read(DLQ)
    assert parked == []  # no valid event is dead-lettered
    assert ledger.slowest < 60  # every wait bounded (Ledger.create gives up at 60 s)
    return {
        "writes": len(acknowledged), "lost": len(acknowledged - set(created)),
        "duplicated_on_topic": sum(created.values()) - len(created),
        "handled_twice": sum(n - 1 for n in counts.values()), "dead_lettered": len(parked),
        "slowest_wait_s": round(ledger.slowest, 1),
        "statuses": dict(sorted(ledger.statuses.items())),
    }


@pytest.fixture
def single(tmp_path: Path, postgres: Postgres, sources: tuple[Path, Path]) -> Iterator[Pipeline]:
    yield from start_pipeline(tmp_path, postgres, sources, nodes=1)


@pytest.fixture
def reauthenticating(tmp_path: Path, postgres: Postgres,
                     sources: tuple[Path, Path]) -> Iterator[Pipeline]:
    """One broker that makes every connection log in again after 5 s (KIP-368; aiokafka cannot
    re-authenticate, so the broker closes it): a rotated password is met within seconds, not
    at the next broker restart."""
    config: dict[str, object] = {"connections.max.reauth.ms": 5000}
    yield from start_pipeline(tmp_path, postgres, sources, nodes=1, config=config)


@pytest.fixture
def three(tmp_path: Path, postgres: Postgres, sources: tuple[Path, Path]) -> Iterator[Pipeline]:
    yield from start_pipeline(tmp_path, postgres, sources, nodes=3)


def test_a_broker_sigkilled_and_restarted_on_its_logs(single: Pipeline) -> None:
    data = single.cluster.node_dir(0) / "data"
    FIGURES["broker_sigkill_restart"] = under_load(
        single, fault=lambda: single.cluster.kill(0), recover=lambda: single.cluster.start_node(0))
    assert (data / f"{TOPIC}-0").is_dir()  # the same log directory, recovered


def leader(pipeline: Pipeline) -> int:
    """The node index leading TOPIC's partition 0."""
    metadata = pipeline.admin.list_topics(TOPIC, timeout=30)
    return int(metadata.topics[TOPIC].partitions[0].leader) - 1


def test_a_three_broker_cluster_loses_the_partition_leader(three: Pipeline) -> None:
    spec = topic_spec(KafkaSettings(brokers=3))
    assert (spec["replicas"], spec["config"]["min.insync.replicas"]) == (3, 2)
    lost = leader(three)
    FIGURES["leader_lost_of_three"] = under_load(three, fault=lambda: three.cluster.kill(lost))
    assert leader(three) != lost


def test_a_rotated_password_is_picked_up_from_the_secret_file(
    reauthenticating: Pipeline,
) -> None:
    single = reauthenticating

    def rotate() -> None:
        for client in CLIENTS:  # the User Operator: new password in the broker and the Secret
            password = secrets.token_urlsafe(18)
            kafka.apply_kafka_user(single.admin, kafka_user(client), password)
            (single.secrets / f"{client.name}.password").write_text(password)

    FIGURES["password_rotated"] = under_load(single, fault=rotate)


@pytest.fixture(scope="module", autouse=True)
def record_figures() -> Iterator[None]:
    """``MK_RECORD_PROOF=1``: after the module, its figures go into docs/proof.md's table."""
    yield
    if not FIGURES or os.environ.get("MK_RECORD_PROOF") != "1":
        return
    rows = ["| fault | writes | lost | duplicated on the topic | handled twice | dead-lettered "
            "| slowest wait | recovery |", "|---|---|---|---|---|---|---|---|"]
    for name, f in FIGURES.items():
        rows.append(f"| {name} | {f['writes']} | {f['lost']} | {f['duplicated_on_topic']} | "
                    f"{f['handled_twice']} | {f['dead_lettered']} | {f['slowest_wait_s']} s | "
                    f"{f['recovery_s']} s |")
    table = "\n".join(rows)
    text = PROOF.read_text()
    marked = re.compile(r"(<!-- kafka-faults:begin -->\n)(?:.*?\n)?(<!-- kafka-faults:end -->)",
                        re.S)
    assert marked.search(text), "docs/proof.md has no kafka-faults markers"
    PROOF.write_text(marked.sub(lambda m: f"{m.group(1)}{table}\n{m.group(2)}", text))

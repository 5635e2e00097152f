"""Preferences (per user and event type) and exactly-once delivery per (event, channel, address).

The providers are covered against their stand-ins by the kit's tests/test_notification_channels.py;
here the channels are test channels that record calls and fail on demand.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field

import httpx
import pytest
from fastapi import FastAPI

from notification import dispatch
from notification.channel import Address, ChannelError, ChannelName, Message
from notification.channel_settings import ChannelSettings
from notification.preferences import (
    AUTH_PATTERN,
    P256DH_PATTERN,
    allowed_endpoint,
    endpoint_pattern,
    targets_for,
)
from notification.settings import Settings
from tests.conftest import bearer, integration

P256DH = ("BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcY"
          "P7DkM")
AUTH = "tBHItJI5svbpez7KI4CCXg"


@dataclass
class Recording:
    """A channel that records what it sent and fails the first ``failures`` calls."""

    name: ChannelName
    failures: int = 0
    sent: list[tuple[str, str]] = field(default_factory=list)

    async def send(self, address: Address, message: Message) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise ChannelError("provider answered 500")
        await asyncio.sleep(0.01)
        self.sent.append((address.value, message.event_id))


def message() -> Message:
    return Message(str(uuid.uuid4()), "order.order.paid", "Order paid", "PAID\n")


@integration
async def test_each_target_goes_out_once_across_retries(app: FastAPI) -> None:
    db = app.state.runtime.db
    email, sms = Recording("email"), Recording("sms", failures=1)
    targets = [(email, Address("b@x.io")), (sms, Address("+14155550100"))]
    note = message()
    with pytest.raises(dispatch.DeliveryFailed, match="sms"):
        await dispatch.deliver(db, targets, note)  # e-mail out, SMS failed: the event is retried
    assert await dispatch.deliver(db, targets, note) == 1  # only the SMS now
    assert await dispatch.deliver(db, targets, note) == 0  # a redelivery sends nothing
    assert email.sent == [("b@x.io", note.event_id)]
    assert sms.sent == [("+14155550100", note.event_id)]


@integration
async def test_two_consumers_of_one_event_send_once(app: FastAPI) -> None:
    db, push = app.state.runtime.db, Recording("push")
    targets = [(push, Address("https://fcm.googleapis.com/fcm/send/a"))]
    note = message()
    counts = await asyncio.gather(*(dispatch.deliver(db, targets, note) for _ in range(5)))
    assert sorted(counts) == [0, 0, 0, 0, 1] and len(push.sent) == 1


@integration
async def test_preferences_choose_the_channels_per_event_type(
    app: FastAPI, client: httpx.AsyncClient, auth_settings: Settings
) -> None:
    email = f"B-{uuid.uuid4().hex[:8]}@x.io"
    me = bearer(auth_settings, "u1", "buyer", email=email)
    assert (await client.get("/notification/me/preferences", headers=me)).json() == {
        "phone_number": None, "channels": {}}
    choice = {"phone_number": "+14155550100",
              "channels": {"order.order.paid": ["email", "sms", "push"], "*": ["push"]}}
    put = await client.put("/notification/me/preferences", json=choice, headers=me)
    assert put.status_code == 200, put.text
    assert (await client.get("/notification/me/preferences", headers=me)).json() == choice
    subscription = {"endpoint": "https://fcm.googleapis.com/fcm/send/abc",
                    "keys": {"p256dh": P256DH, "auth": AUTH}}
    added = await client.post("/notification/me/push-subscriptions", json=subscription,
                              headers=me)
    assert added.status_code == 201, added.text
    assert added.json()["endpoints"] == [subscription["endpoint"]]
    async with app.state.runtime.db.transaction() as tx:
        paid = await targets_for(tx.conn, email, "order.order.paid")
        shipped = await targets_for(tx.conn, email, "order.order.shipped")
        stranger = await targets_for(tx.conn, "nobody@x.io", "order.order.paid")
    assert {k: [a.value for a in v] for k, v in paid.by_channel.items()} == {
        "email": [email], "sms": ["+14155550100"], "push": [subscription["endpoint"]]}
    assert list(shipped.by_channel) == ["push"]
    assert {k: [a.value for a in v] for k, v in stranger.by_channel.items()} == {
        "email": ["nobody@x.io"]}  # no choice: e-mail only
    gone = await client.delete("/notification/me/push-subscriptions",
                               params={"endpoint": subscription["endpoint"]}, headers=me)
    assert gone.status_code == 204
    mine = await client.get("/notification/me/push-subscriptions", headers=me)
    assert mine.json()["endpoints"] == []


@integration
@pytest.mark.parametrize("body", [
    {"channels": {"order.order.paid": ["sms"]}},  # SMS without a phone number
    {"channels": {"order.order.lost": ["email"]}},  # no such event type
    {"channels": {"order.order.paid": ["fax"]}},
    {"phone_number": "0171 555", "channels": {}},  # not E.164
])
async def test_bad_preferences_are_refused(
    client: httpx.AsyncClient, auth_settings: Settings, body: dict[str, object]
) -> None:
    me = bearer(auth_settings, "u2", "buyer", email="c@x.io")
    answer = await client.put("/notification/me/preferences", json=body, headers=me)
    assert answer.status_code == 422, answer.text


@integration
@pytest.mark.parametrize("endpoint", [
    "http://fcm.googleapis.com/fcm/send/abc",  # not https
    "https://internal.example/steal",  # not a push service
    "https://fcm.googleapis.com.evil.example/x",
])
async def test_push_endpoints_must_be_push_services(
    client: httpx.AsyncClient, auth_settings: Settings, endpoint: str
) -> None:
    me = bearer(auth_settings, "u3", "buyer", email="d@x.io")
    body = {"endpoint": endpoint, "keys": {"p256dh": P256DH, "auth": AUTH}}
    answer = await client.post("/notification/me/push-subscriptions", json=body, headers=me)
    assert answer.status_code == 422, answer.text


@integration
async def test_a_failing_channel_retries_then_dead_letters_and_sends_nothing_twice(
    app: FastAPI, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aiokafka import AIOKafkaProducer

    from notification import handlers
    from notification.channel_settings import ChannelSettings
    from notification.channels import Configured
    from notification.consumer import EventConsumer, dead_letter_topic
    from notification.events import Event
    from notification.kafka import SharedProducer, client_options, ensure_topics
    from tests.test_integration_consumer import TOPIC, read_dead_letters

    await ensure_topics(settings, [TOPIC, dead_letter_topic(TOPIC)])
    runtime = app.state.runtime  # this test's consumer works alone (as the consumer tests do)
    runtime.consumer.stop()
    await asyncio.wait([t for t in runtime.tasks if t.get_name() == "consumer"])
    run, email = uuid.uuid4().hex[:8], f"r-{uuid.uuid4().hex[:8]}@x.io"
    mail, sms = Recording("email"), Recording("sms", failures=10**6)  # SNS keeps failing
    monkeypatch.setattr(handlers, "configured", lambda: Configured(
        {"email": mail, "sms": sms}, ChannelSettings(), None))
    async with runtime.db.transaction() as tx:
        await tx.conn.execute(
            "INSERT INTO notification_preferences (user_email, phone_number, channels)"
            " VALUES ($1, '+14155550199', $2)", email, {"order.order.paid": ["email", "sms"]})
    paid = Event(type="marketplace.order.order.paid", source="/tests", subject=f"paid-{run}",
                 data={"order_id": str(uuid.uuid4()), "buyer_email": email, "total": "1.00",
                       "currency": "EUR"})
    producer = AIOKafkaProducer(**client_options(settings))
    await producer.start()
    try:
        await producer.send_and_wait(TOPIC, paid.to_bytes(), key=run.encode())
    finally:
        await producer.stop()
    group = settings.model_copy(update={"kafka_group_id": f"{settings.kafka_group_id}-{run}"})
    shared = SharedProducer(group)
    consumer = EventConsumer(group, runtime.db, shared, handlers.handle, [TOPIC])
    task = asyncio.create_task(consumer.run())
    try:
        (parked,) = await read_dead_letters(settings, run, want=1, timeout=60)
    finally:
        consumer.stop()
        await asyncio.wait_for(task, 30)
        await shared.close()
    headers = dict(parked)
    assert headers["dlq.attempts"] == str(settings.consumer_max_attempts).encode()
    assert b"sms: ChannelError" in headers["dlq.error"]
    assert [a for a, _ in mail.sent if a == email] == [email]  # once, not once per attempt
    rows = await runtime.db.fetch(
        "SELECT channel, status, attempts FROM deliveries WHERE event_id = $1 ORDER BY channel",
        paid.id)
    assert [tuple(r) for r in rows] == [("email", "sent", 1),
                                        ("sms", "failed", settings.consumer_max_attempts)]


@pytest.mark.parametrize("hosts", [["fcm.googleapis.com", "push.apple.com"], ["127.0.0.1"], []])
def test_the_schema_states_what_the_validators_accept(hosts: list[str]) -> None:
    """The document's patterns (the fuzzer's positive data) hold for the keys and endpoints the
    service accepts, and refuse what it refuses."""
    import re

    assert re.fullmatch(P256DH_PATTERN, P256DH) and re.fullmatch(AUTH_PATTERN, AUTH)
    assert not re.fullmatch(AUTH_PATTERN, AUTH[:-1] + "h")  # 2 bits left over: not 16 bytes
    settings = ChannelSettings(push_endpoint_hosts=hosts)
    pattern = endpoint_pattern(hosts)
    for url in ["https://fcm.googleapis.com/fcm/send/abc:APA91b", "https://web.push.apple.com/Q",
                "http://127.0.0.1:8080/push/1", "https://127.0.0.1/x", "http://fcm.googleapis.com/x",
                "https://fcm.googleapis.com.evil.example/x", "https://internal.example/steal"]:
        assert bool(re.fullmatch(pattern, url)) == allowed_endpoint(url, settings), url

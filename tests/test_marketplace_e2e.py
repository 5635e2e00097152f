"""End to end: `marketplace-kit dev` runs the reference marketplace; a shopper's journey over HTTP.

Real PostgreSQL, tansu broker, SMTP sink and five uvicorn processes; nothing is mocked. Every call
goes through dev's one front door (the production gateway's route table); its merged API document
covers all five services and validates as OpenAPI. Users log
in through the user service (an ES256 token signed with the run's key) and call the others with
that token, which they verify against its JWKS. A seller lists a product, a buyer orders it and
pays: the order becomes PAID and the buyer's e-mail arrives at the sink; a declined card ends
CANCELLED with its e-mail. The buyer chose e-mail, SMS and push for both: each notice reaches the
SMTP, SMS (Amazon SNS API) and push (Web Push) sinks exactly once. The order's history is its
event stream, and `python -m order replay` rebuilds the order service's read model from the
store to the same rows.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import asyncpg
import httpx
import jwt
import pytest
from openapi_spec_validator import validate
from support.dev import REFERENCE_CONFIG, running_dev

from marketplace_kit.blueprints.api_documents import api_documents
from marketplace_kit.config import load_platform

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "examples" / "marketplace" / "marketplace.yaml"
# A consumer group joins in ~5 s on tansu (a re-join up to 18 s): events wait in their topics.
EVENT_TIMEOUT = 45.0
ORDER = ROOT / "examples" / "marketplace" / "services" / "order"
READ_MODEL = ("SELECT * FROM orders ORDER BY id",
              "SELECT * FROM order_lines ORDER BY order_id, product_id")
T = TypeVar("T")


@pytest.fixture(scope="module")
def marketplace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """`marketplace-kit dev` as a subprocess; yields its info file's content."""
    work = tmp_path_factory.mktemp("dev")
    with running_dev(REFERENCE_CONFIG, work, "--mail-dir", str(work / "mail")) as dev:
        yield dev.info
    output = dev.log.read_text()
    assert dev.process.returncode == 0, output[-4000:]
    assert "stopped; temporary files removed" in output


def eventually(probe: Callable[[], T | None], what: str, timeout: float = EVENT_TIMEOUT) -> T:
    """Poll ``probe`` until it returns something."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found is not None:
            return found
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def mails(mail_dir: Path, to: str) -> list[EmailMessage]:
    parser = BytesParser(policy=policy.default)
    found = [parser.parsebytes(p.read_bytes()) for p in sorted(mail_dir.glob("*.eml"))]
    return [m for m in found if isinstance(m, EmailMessage) and m["To"] == to]


def mail_with(mail_dir: Path, to: str, subject_part: str) -> EmailMessage:
    def probe() -> EmailMessage | None:
        return next((m for m in mails(mail_dir, to) if subject_part in m["Subject"]), None)

    return eventually(probe, f"an e-mail to {to} about {subject_part!r}")


def register(http: httpx.Client, user: str, role: str) -> tuple[str, dict[str, str]]:
    """A new account; returns its e-mail and an Authorization header."""
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    body = {"email": email, "password": "correct horse battery", "display_name": role.title(),
            "role": role}
    assert http.post(f"{user}/register", json=body).status_code == 201
    token = http.post(f"{user}/login", json=body).json()["access_token"]
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "ES256" and header["kid"]  # signed by the user service's own key
    return email, {"Authorization": f"Bearer {token}"}


def buy(http: httpx.Client, urls: dict[str, str], buyer: dict[str, str], product: str,
        card: str) -> dict[str, Any]:
    """Put the product in the cart (once the order service saw it) and check out."""
    item = f"{urls['order']}/me/cart/items/{product}"

    def added() -> bool | None:
        return http.put(item, json={"quantity": 2}, headers=buyer).status_code == 200 or None

    eventually(added, "the product to reach the order service (product-events)")
    placed = http.post(f"{urls['order']}/me/checkout", json={"card_number": card}, headers=buyer)
    assert placed.status_code == 201, placed.text
    return placed.json()


def final_status(http: httpx.Client, urls: dict[str, str], buyer: dict[str, str],
                 order_id: str) -> str:
    def settled() -> str | None:
        order = http.get(f"{urls['order']}/me/orders/{order_id}", headers=buyer).json()
        return order["status"] if order["status"] != "PENDING" else None

    return eventually(settled, f"order {order_id} to leave PENDING")


def through_gateway(marketplace: dict[str, Any]) -> dict[str, str]:
    """Each service's base URL behind the front door (its route prefix on the gateway)."""
    return {name: marketplace["gateway"] + urlsplit(url).path
            for name, url in marketplace["services"].items()}


def test_the_gateway_serves_one_valid_api_document(marketplace: dict[str, Any]) -> None:
    with httpx.Client(timeout=10) as http:
        answer = http.get(f"{marketplace['gateway']}/openapi.json")
        assert answer.status_code == 200, answer.text
        document = answer.json()
        assert http.get(f"{marketplace['gateway']}/docs").status_code == 200
    validate(document)
    prefixes = {urlsplit(url).path for url in marketplace["services"].values()}
    assert len(prefixes) == 5
    for prefix in prefixes:
        assert any(path.startswith(prefix + "/") for path in document["paths"]), prefix
    # the cluster's ApiDocs add-on serves the document built at plan time from the same code
    cluster = api_documents(load_platform(CONFIG))
    assert cluster is not None and cluster.openapi == document
    assert set(cluster.asyncapi) == {urlsplit(url).path.strip("/")
                                     for url in marketplace["services"].values()}


def test_dev_is_ready_once_every_consumer_joined_its_group(marketplace: dict[str, Any]) -> None:
    """dev announces itself only when each consuming service holds its partitions: an event
    published right after (the docs' walk creates a product, then puts it in a cart) is not
    left waiting seconds in its topic for a group join."""
    consumers = {"order", "payment", "notification"}
    with httpx.Client(timeout=10) as http:
        for name, url in marketplace["services"].items():
            parts = urlsplit(url)
            body = http.get(f"{parts.scheme}://{parts.netloc}/readyz").json()
            assert body["ready"] is True, (name, body)
            assert body.get("consuming") is (True if name in consumers else None), (name, body)


def test_a_buyer_orders_a_sellers_product(marketplace: dict[str, Any]) -> None:
    urls, mail_dir = through_gateway(marketplace), Path(marketplace["mail_dir"])
    with httpx.Client(timeout=10) as http:
        _, seller = register(http, urls["user"], "seller")
        buyer_email, buyer = register(http, urls["user"], "buyer")
        phone = choose_every_channel(http, urls, marketplace, buyer)
        listing = {"name": "Brass desk lamp", "description": "Warm light", "price": "49.90",
                   "currency": "EUR", "attributes": {"color": "brass"}}
        created = http.post(f"{urls['catalog']}/products", json=listing, headers=seller)
        assert created.status_code == 201, created.text
        product = created.json()["id"]
        found = http.get(f"{urls['catalog']}/products", params={"q": "brass lamp"}).json()
        assert product in [p["id"] for p in found["items"]]

        paid = buy(http, urls, buyer, product, "4242424242424242")
        assert (paid["status"], paid["total"]) == ("PENDING", "99.80")
        assert final_status(http, urls, buyer, paid["id"]) == "PAID"
        confirmed = mail_with(mail_dir, buyer_email, "confirmed")
        assert paid["id"] in confirmed.get_content()
        assert mail_with(mail_dir, buyer_email, "Welcome")

        declined = buy(http, urls, buyer, product, "4000000000000002")
        assert final_status(http, urls, buyer, declined["id"]) == "CANCELLED"
        cancelled = mail_with(mail_dir, buyer_email, "cancelled")
        assert "card_declined" in cancelled.get_content()
        each_notice_once_per_channel(marketplace, buyer_email, phone)
        history = http.get(f"{urls['order']}/me/orders/{paid['id']}/events", headers=buyer)
        assert history.status_code == 200, history.text
        assert [(e["type"], e["version"]) for e in history.json()] == [
            ("marketplace.order.order.placed", 1), ("marketplace.order.order.paid", 2)]
    replay_order_store(marketplace)


def choose_every_channel(http: httpx.Client, urls: dict[str, str],
                         marketplace: dict[str, Any], buyer: dict[str, str]) -> str:
    """The buyer wants paid and cancelled orders by e-mail, SMS and push (a browser subscribed
    at the push sink); returns the phone number."""
    phone = f"+1415555{uuid.uuid4().int % 10000:04d}"
    every = ["email", "sms", "push"]
    choice = {"phone_number": phone,
              "channels": {"order.order.paid": every, "order.order.cancelled": every}}
    put = http.put(f"{urls['notification']}/me/preferences", json=choice, headers=buyer)
    assert put.status_code == 200, put.text
    browser = http.post(f"{marketplace['push_sink']}/subscriptions")
    assert browser.status_code == 201, browser.text
    added = http.post(f"{urls['notification']}/me/push-subscriptions", json=browser.json(),
                      headers=buyer)
    assert added.status_code == 201, added.text
    assert added.json()["application_server_key"]  # the VAPID key dev made for this run
    return phone


def each_notice_once_per_channel(marketplace: dict[str, Any], email: str, phone: str) -> None:
    """The paid and the cancelled order each reached the buyer once by e-mail, SMS (the SNS
    sink checked the SigV4 signature) and push (the push sink checked VAPID and decrypted it)."""
    def both(records: Callable[[], list[str]]) -> list[str] | None:
        found = records()
        done = any("confirmed" in r for r in found) and any("cancelled" in r for r in found)
        return found if done else None

    def sms() -> list[str]:
        return [m["message"] for m in sink_records(marketplace["sms_dir"])
                if m["phone_number"] == phone]

    def pushes() -> list[str]:
        return [json.dumps(m["payload"]) for m in sink_records(marketplace["push_dir"])]

    texts = eventually(lambda: both(sms), f"both SMS to {phone}")
    payloads = eventually(lambda: both(pushes), "both push messages")
    time.sleep(2)  # a duplicate would arrive by now
    assert (len(sms()), len(pushes())) == (len(texts), len(payloads)) == (2, 2)
    subjects = [str(m["Subject"]) for m in mails(Path(marketplace["mail_dir"]), email)]
    assert sum("confirmed" in s for s in subjects) == sum("cancelled" in s for s in subjects) == 1
    assert len({json.loads(p)["event_id"] for p in payloads}) == 2


def sink_records(directory: str) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(Path(directory).glob("*.json"))]


def read_model(url: str, wipe: bool = False) -> list[list[dict[str, Any]]]:
    async def read() -> list[list[dict[str, Any]]]:
        conn = await asyncpg.connect(url)
        try:
            rows = [[dict(r) for r in await conn.fetch(query)] for query in READ_MODEL]
            if wipe:
                await conn.execute("TRUNCATE order_lines, orders")
            return rows
        finally:
            await conn.close()

    return asyncio.run(read())


def replay_order_store(marketplace: dict[str, Any]) -> None:
    """Wipe the order service's read model, ``python -m order replay``, compare every row."""
    url = marketplace["databases"]["order"]
    before = read_model(url, wipe=True)
    assert len(before[0]) >= 2 and read_model(url) == [[], []]
    env = {**os.environ, "DATABASE_URL": url, "KAFKA_BOOTSTRAP_SERVERS": marketplace["kafka"],
           "PYTHONPATH": str(ORDER / "src")}
    done = subprocess.run([sys.executable, "-m", "order", "replay"], env=env, cwd=ORDER,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert read_model(url) == before

"""Unit tests: no database or broker needed."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from catalog import asyncapi
from catalog.app import create_app
from catalog.events import Event, new_event
from catalog.logs import JsonFormatter
from catalog.migrate import migrations
from catalog.models import CategoryCreate, CategoryUpdate
from catalog.repository import InvalidCursor, decode_cursor, encode_cursor
from catalog.settings import Settings

SAMPLE = {
    "name": "name-1",
    "description": "description-1",
}


def unit_settings() -> Settings:
    return Settings(database_url="postgresql://unused@127.0.0.1:1/unused")


def test_event_envelope_round_trips() -> None:
    event = new_event("thing.happened", {"n": 1}, subject="42")
    parsed = Event.from_bytes(event.to_bytes())
    assert parsed == event
    assert parsed.specversion == "1.0"
    assert parsed.type == "marketplace.catalog.thing.happened"
    assert parsed.source == "/services/catalog"
    assert parsed.time.tzinfo is not None


def test_records_are_structured_cloudevents() -> None:
    event = new_event("thing.happened", {"n": 1})
    header = ("content-type", b"application/cloudevents+json; charset=UTF-8")
    assert Event.from_record(event.to_bytes(), [header]) == event
    assert Event.from_record(event.to_bytes(), []) == event  # no header: structured JSON
    with pytest.raises(ValueError, match="not a structured CloudEvent"):
        Event.from_record(b"\x00binary", [("content-type", b"application/avro")])


def test_asyncapi_describes_every_topic() -> None:
    spec = asyncapi.document("1")
    assert spec["asyncapi"] == "3.0.0"
    addresses = {c["address"] for c in spec["channels"].values()}
    assert addresses == set(["product-events"])
    for message in spec["components"]["messages"].values():
        assert message["contentType"].startswith("application/cloudevents+json")
    json.dumps(spec)  # serializable as served


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    monkeypatch.setenv("PORT", "9999")
    settings = unit_settings()
    assert settings.log_level == "DEBUG"
    assert settings.port == 9999
    assert settings.service_name == "catalog"


def test_secrets_are_read_from_mounted_files(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The platform mounts secrets as files and names them in *_FILE variables."""
    (tmp_path / "url").write_text("postgresql://svc:s3cret@db:5432/svc\n")
    monkeypatch.setenv("DATABASE_URL_FILE", str(tmp_path / "url"))
    (tmp_path / "password").write_text("kafka-s3cret")
    monkeypatch.setenv("KAFKA_SASL_PASSWORD_FILE", str(tmp_path / "password"))
    settings = Settings()  # type: ignore[call-arg]  # values come from the env
    assert settings.database_url == "postgresql://svc:s3cret@db:5432/svc"
    password = settings.kafka_sasl_password
    assert password is not None and password.get_secret_value() == "kafka-s3cret"


def test_logs_are_json_with_extra_fields() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("you",), None)
    record.order_id = "o-1"
    entry = json.loads(JsonFormatter("catalog").format(record))
    assert entry["message"] == "hello you"
    assert entry["level"] == "INFO"
    assert entry["service"] == "catalog"
    assert entry["order_id"] == "o-1"


async def test_health_metrics_and_openapi_without_dependencies() -> None:
    app = create_app(unit_settings())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        assert (await http.get("/healthz")).json() == {"status": "ok"}
        metrics = await http.get("/metrics")
        assert 'http_request_duration_seconds_count{method="GET",route="/healthz"' in metrics.text
        spec = (await http.get("/catalog/openapi.json")).json()
    assert spec["info"]["title"] == "Catalog"
    assert "/catalog/categories" in spec["paths"]
    assert "/catalog/categories/{id_}" in spec["paths"]


def test_openapi_declares_every_status_and_the_auth() -> None:
    collection = "/catalog/categories"
    off = create_app(unit_settings()).openapi()
    create = off["paths"][collection]["post"]
    assert {"201", "422", "503", "504"} <= set(create["responses"])
    assert "security" not in create  # auth off: the entity API is open
    problem = create["responses"]["503"]["content"]["application/problem+json"]
    assert problem["schema"] == {"$ref": "#/components/schemas/Problem"}
    one = off["paths"][collection + "/{id_}"]
    assert {"404", "412"} <= set(one["patch"]["responses"]) & set(one["delete"]["responses"])
    on_settings = unit_settings().model_copy(update={"auth_jwks_url": "http://127.0.0.1:1/jwks"})
    on = create_app(on_settings).openapi()
    secured = on["paths"][collection]["post"]
    assert secured["security"] == [{"HTTPBearer": []}]
    assert {"401", "403"} <= set(secured["responses"])
    assert on["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


def test_migrations_are_numbered_and_create_the_tables() -> None:
    found = migrations()
    assert [m.version for m in found] == sorted(m.version for m in found)
    assert found[0].name == "0001_initial.sql"
    assert 'CREATE TABLE "categories"' in found[0].sql
    assert "CREATE TABLE outbox" in found[0].sql


def test_entity_validation() -> None:
    assert CategoryCreate.model_validate(SAMPLE)
    with pytest.raises(ValidationError):
        CategoryCreate.model_validate({**SAMPLE, "unknown": 1})
    with pytest.raises(ValidationError):
        CategoryCreate.model_validate({k: v for k, v in SAMPLE.items() if k != "name"})
    with pytest.raises(ValidationError):
        CategoryUpdate.model_validate({"name": None})
    assert CategoryUpdate.model_validate({}).changes() == {}


def test_cursor_round_trips_and_rejects_garbage() -> None:
    from datetime import UTC, datetime
    from uuid import uuid4

    stamp, id_ = datetime.now(UTC), uuid4()
    assert decode_cursor(encode_cursor(stamp, id_)) == (stamp, id_)
    with pytest.raises(InvalidCursor):
        decode_cursor("not-a-cursor")


def test_trace_context_travels_in_record_headers() -> None:
    """A producer span's W3C context goes into the record headers; a consumer continues that
    trace as a child of the producer span (and reads an event's traceparent as a fallback)."""
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider

    from catalog.tracing import context_from, payload_traceparent, start_send

    provider = TracerProvider()
    trace.set_tracer_provider(provider)
    with provider.get_tracer("test").start_as_current_span("request") as request:
        span, headers = start_send("product-events")
    span.end()
    producer = span.get_span_context()
    assert producer.trace_id == request.get_span_context().trace_id
    assert dict(headers)["traceparent"].decode().split("-")[2] == format(producer.span_id, "016x")
    continued = trace.get_current_span(context_from(headers)).get_span_context()
    assert (continued.trace_id, continued.span_id) == (producer.trace_id, producer.span_id)
    event = new_event("thing.happened", {})
    assert payload_traceparent(event.to_bytes()) == event.traceparent
    assert payload_traceparent(b"not json") is None

"""The AsyncAPI 3.0 document of what this service publishes and consumes: one channel per
topic, each message a CloudEvent in structured mode (``content-type``
``application/cloudevents+json``) with the JSON Schema of its envelope and data. Served at
``<prefix>/asyncapi.json`` next to the OpenAPI document, referenced from catalog-info.yaml.
"""

from __future__ import annotations

from typing import Any

from notification.events import CONTENT_TYPE, Event

REF = "#/components/schemas/{model}"


def _schema(model: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(schema, the schemas it refers to) with references into components/schemas."""
    schema = model.model_json_schema(ref_template=REF)
    return schema, schema.pop("$defs", {})


def document(version: str) -> dict[str, Any]:
    """The AsyncAPI document."""
    envelope, schemas = _schema(Event)
    schemas["CloudEvent"] = envelope
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    topics: list[tuple[str, str]] = [
        ("order-events", "receive"),
        ("payment-events", "receive"),
        ("user-events", "receive"),
    ]
    for topic, action in topics:
        name = topic.replace("-", "_").replace(".", "_")
        payload: dict[str, Any] = {"$ref": REF.format(model="CloudEvent")}
        messages[name] = {"name": name, "contentType": CONTENT_TYPE, "payload": payload}
        channels[name] = {"address": topic,
                          "messages": {name: {"$ref": f"#/components/messages/{name}"}}}
        operations[f"{action}_{name}"] = {"action": action,
                                          "channel": {"$ref": f"#/channels/{name}"}}
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "Notification events", "version": version},
        "defaultContentType": CONTENT_TYPE,
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }

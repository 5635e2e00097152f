"""The reference marketplace (examples/marketplace) and copies of it the tests change."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

MARKETPLACE = Path(__file__).resolve().parents[2] / "examples" / "marketplace"
SCHEMA_CLASH_ERROR = "components.schemas.Product differs between catalog and notification"


def copy_with_schema_clash(tmp_path: Path) -> Path:
    """A copy of the marketplace (without the services' tests) in which notification documents a
    schema named like catalog's ``Product`` but different (in its openapi.json, the file the
    platform reads); returns the copy's directory."""
    copy = tmp_path / "marketplace"
    shutil.copytree(MARKETPLACE, copy, ignore=shutil.ignore_patterns("tests", "__pycache__"))
    file = copy / "services" / "notification" / "openapi.json"
    document = json.loads(file.read_text())
    clash = {"type": "object", "properties": {"clash": {"type": "integer"}}, "required": ["clash"]}
    document["components"]["schemas"]["Product"] = clash
    document["paths"]["/notification/clash"] = {"get": {"responses": {"200": {
        "description": "ok",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Product"}}}}}}}
    file.write_text(json.dumps(document, indent=2) + "\n")
    return copy

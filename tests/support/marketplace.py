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


def copy_marketplace(tmp_path: Path) -> Path:
    """A copy of the marketplace without the services' tests; returns its directory."""
    copy = tmp_path / "marketplace"
    shutil.copytree(MARKETPLACE, copy, ignore=shutil.ignore_patterns("tests", "__pycache__"))
    return copy


def copy_with_moved_prefix(tmp_path: Path) -> Path:
    """A copy in which catalog's route prefix no longer matches its code: its service.yaml says
    ``path: /shop``, its code (and document) still serve ``/catalog/...``."""
    copy = copy_marketplace(tmp_path)
    file = copy / "services" / "catalog" / "service.yaml"
    file.write_text(file.read_text().replace("path: /catalog\n", "path: /shop\n"))
    return copy


def copy_with_a_copied_service(tmp_path: Path) -> Path:
    """A copy with ``catalog-copy``: catalog's directory copied as a service of its own (own
    name, port and prefix, its package renamed), its document still catalog's paths."""
    copy = copy_marketplace(tmp_path)
    twin = copy / "services" / "catalog-copy"
    shutil.copytree(copy / "services" / "catalog", twin)
    (twin / "src" / "catalog").rename(twin / "src" / "catalog_copy")
    file = twin / "service.yaml"
    file.write_text(file.read_text().replace("name: catalog\n", "name: catalog-copy\n")
                    .replace("port: 8002\n", "port: 8012\n")
                    .replace("path: /catalog\n", "path: /copy\n"))
    return copy

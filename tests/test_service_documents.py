"""Every service describes itself in valid documents: its OpenAPI document (auth off and on)
passes openapi-spec-validator, its AsyncAPI document the official AsyncAPI JSON Schema (npm
``@asyncapi/specs``, pinned in versions.py). The documents come from the services' own code
(``create_app().openapi()``, ``asyncapi.document()``), for the reference services and for
generated ones of every shape. (The gateway's merged document: tests/test_api_doc.py.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError
from support.asyncapi_schema import asyncapi_schema

from marketplace_kit.config import SERVICE_FILE, load_service
from marketplace_kit.contract import container as c
from marketplace_kit.scaffold import make_answers, render_service
from marketplace_kit.signing import generate_private_pem, write_key_dir

SERVICES = Path(__file__).resolve().parent.parent / "examples" / "marketplace" / "services"
REFERENCE = ("catalog", "notification", "order", "payment", "user")
GENERATED: dict[str, dict[str, object]] = {
    "reviews": {"publishes": ["review-events"], "entity": "review",
                "fields": ["rating:int", "body:str", "price:decimal?", "seen_at:datetime?",
                           "day:date?", "ref:uuid?", "verified:bool?", "score:float?"]},
    "notifier": {"consumes": ["order-events"], "publishes": ["notification-events"]},
    "edge": {"datastore": "none", "publishes": ["edge-events"], "consumes": ["payment-events"]},
    "issuer": {"issues_tokens": True, "publishes": ["issuer-events"]},
}
SCRIPT = """
import json, os, sys
from {package} import __version__, asyncapi
from {package}.app import create_app
off = create_app().openapi()
os.environ[sys.argv[1]] = sys.argv[2]
on = create_app().openapi()
print(json.dumps({{"off": off, "on": on, "asyncapi": asyncapi.document(__version__)}}))
"""


def documents(directory: Path, keys: Path) -> dict[str, Any]:
    """The service's documents, built by its own code in a subprocess (auth off, then on)."""
    spec = load_service(directory / SERVICE_FILE)
    auth = ((c.AUTH_SIGNING_KEYS_DIR, str(keys)) if spec.issues_tokens
            else (c.AUTH_JWKS_URL, "http://127.0.0.1:1/.well-known/jwks.json"))
    env = {**os.environ, "PYTHONPATH": str(directory / "src"),
           c.DATABASE_URL.name: "postgresql://placeholder@127.0.0.1:1/placeholder",
           c.KAFKA_BOOTSTRAP_SERVERS.name: "127.0.0.1:1"}
    done = subprocess.run([sys.executable, "-c", SCRIPT.format(package=spec.package), *auth],
                          env=env, cwd=directory, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    found: dict[str, Any] = json.loads(done.stdout)
    return found


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The documents of the reference services and of generated services of every shape."""
    root = tmp_path_factory.mktemp("documents")
    keys = write_key_dir(root / "keys", {"20260101T000000Z": generate_private_pem()})
    directories = {name: SERVICES / name for name in REFERENCE}
    for name, options in GENERATED.items():
        render_service(make_answers(name=name, **options), root / name)
        directories[f"generated {name}"] = root / name
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = pool.map(lambda d: documents(d, keys), directories.values())
        return dict(zip(directories, results, strict=True))


@pytest.mark.parametrize("name", [*REFERENCE, *(f"generated {n}" for n in GENERATED)])
def test_openapi_documents_are_valid_with_auth_off_and_on(
    built: dict[str, dict[str, Any]], name: str
) -> None:
    off, on = built[name]["off"], built[name]["on"]
    validate(off)
    validate(on)
    protected = [op for path in on["paths"].values() for op in path.values()
                 if op.get("security")]
    unprotected = [op for path in off["paths"].values() for op in path.values()]
    if protected:  # a bearer scheme once auth is on, and what a missing token gets
        assert on["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
        assert all({"401", "403"} <= set(op["responses"]) for op in protected)
    assert all(op.get("responses") for op in unprotected)


@pytest.mark.parametrize("name", [*REFERENCE, *(f"generated {n}" for n in GENERATED)])
def test_asyncapi_documents_are_valid_under_the_official_schema(
    built: dict[str, dict[str, Any]], name: str
) -> None:
    document = built[name]["asyncapi"]
    validator = jsonschema.Draft7Validator(asyncapi_schema(document["asyncapi"]))
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
              for e in validator.iter_errors(document)]
    assert errors == [], errors[:5]
    assert document["channels"], "every service publishes or consumes a topic"


def test_the_validators_refuse_a_broken_document(built: dict[str, dict[str, Any]]) -> None:
    """Both validators do reject: a channel address that is not a string, a path item without
    responses."""
    document = json.loads(json.dumps(built["catalog"]["asyncapi"]))
    channel = next(iter(document["channels"].values()))
    channel["address"] = 5
    validator = jsonschema.Draft7Validator(asyncapi_schema(document["asyncapi"]))
    assert list(validator.iter_errors(document))
    openapi = json.loads(json.dumps(built["catalog"]["on"]))
    operation = next(iter(next(iter(openapi["paths"].values())).values()))
    operation["responses"] = {"200": {"content": {}}}  # no description: invalid
    with pytest.raises(OpenAPIValidationError):
        validate(openapi)

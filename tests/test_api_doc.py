"""`marketplace-kit api-doc`: the one API document, merged from the reference services' own code
before anything runs; a schema name two services define differently is a one-line error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openapi_spec_validator import validate
from support.cli import assert_one_error_line, run_cli
from support.marketplace import MARKETPLACE, SCHEMA_CLASH_ERROR, copy_with_schema_clash

pytestmark = pytest.mark.slow  # a Python process per service, importing its app
PREFIXES = ("/user/", "/catalog/", "/order/", "/payment/", "/notification/")


def test_the_reference_services_merge_into_one_valid_document(tmp_path: Path) -> None:
    out = tmp_path / "api.json"
    code, stdout, stderr = run_cli(
        ["api-doc", "--config", str(MARKETPLACE / "marketplace.yaml"), "--out", str(out)],
        tmp_path)
    assert code == 0, stderr
    assert "5 services" in stdout
    document = json.loads(out.read_text())
    validate(document)
    for prefix in PREFIXES:
        assert any(path.startswith(prefix) for path in document["paths"]), prefix
    assert "/healthz" not in document["paths"]  # probes are not routed by the gateway
    assert "Product" in document["components"]["schemas"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["api.json"]


def test_a_schema_name_clash_is_one_line_error(tmp_path: Path) -> None:
    copy = copy_with_schema_clash(tmp_path)
    out = tmp_path / "api.json"
    code, _, stderr = run_cli(
        ["api-doc", "--config", str(copy / "marketplace.yaml"), "--out", str(out)], tmp_path)
    assert_one_error_line(code, stderr, SCHEMA_CLASH_ERROR)
    assert not out.exists()

"""`marketplace-kit api-doc`: the one API document, merged from the reference services' own
document files (never their code); a schema name two services define differently, a path two
services declare, a path the gateway does not route to its service, or a missing or stale
document, is a one-line error."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from openapi_spec_validator import validate
from support.cli import assert_one_error_line, run_cli
from support.marketplace import (
    MARKETPLACE,
    SCHEMA_CLASH_ERROR,
    copy_with_a_copied_service,
    copy_with_moved_prefix,
    copy_with_schema_clash,
)

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


@pytest.mark.parametrize("damage", ["missing", "stale"])
def test_a_missing_or_stale_document_is_one_line_naming_its_command(
    tmp_path: Path, damage: str
) -> None:
    copy = tmp_path / "marketplace"
    shutil.copytree(MARKETPLACE, copy, ignore=shutil.ignore_patterns("tests", "__pycache__"))
    service = copy / "services" / "catalog"
    if damage == "missing":
        (service / "openapi.json").unlink()
    else:  # the code changed after the documents were written
        domain = service / "src" / "catalog" / "domain.py"
        domain.write_text(domain.read_text() + "\n# changed\n")
    out = tmp_path / "api.json"
    code, _, stderr = run_cli(
        ["api-doc", "--config", str(copy / "marketplace.yaml"), "--out", str(out)], tmp_path)
    assert_one_error_line(code, stderr, "`python -m catalog documents`")
    assert stderr.startswith("error: catalog: ")
    assert ("no openapi.json" if damage == "missing" else "is stale") in stderr
    assert not out.exists()


def test_a_prefix_that_no_longer_matches_the_code_is_one_line_error(tmp_path: Path) -> None:
    """Before: catalog's whole API silently left out of the gateway's document."""
    copy = copy_with_moved_prefix(tmp_path)
    out = tmp_path / "api.json"
    code, _, stderr = run_cli(
        ["api-doc", "--config", str(copy / "marketplace.yaml"), "--out", str(out)], tmp_path)
    assert_one_error_line(code, stderr, "catalog: its OpenAPI document declares /catalog/",
                          "route prefix is /shop", "path: in its service.yaml")
    assert not out.exists()


def test_a_copied_service_declaring_the_same_paths_is_one_line_error(tmp_path: Path) -> None:
    copy = copy_with_a_copied_service(tmp_path)
    code, stdout, stderr = run_cli(["api-doc", "--config", str(copy / "marketplace.yaml")],
                                   tmp_path)
    assert_one_error_line(code, stderr, "is served by both catalog and catalog-copy")
    assert stdout == ""

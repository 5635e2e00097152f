"""`marketplace-kit api-doc`: the one API document, merged from the reference services' own code
before anything runs; a schema name two services define differently is a one-line error."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from openapi_spec_validator import validate
from support.cli import assert_one_error_line, run_cli

ROOT = Path(__file__).resolve().parent.parent
MARKETPLACE = ROOT / "examples" / "marketplace"
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
    copy = tmp_path / "marketplace"
    shutil.copytree(MARKETPLACE, copy, ignore=shutil.ignore_patterns("tests", "__pycache__"))
    app = copy / "services" / "notification" / "src" / "notification" / "app.py"
    clash = ("    import pydantic as _pydantic\n"
             "    _clash = _pydantic.create_model('Product', clash=(int, ...))\n"
             "    app.get(f'{prefix}/clash', response_model=_clash)(lambda: None)\n"
             "    return app\n")
    app.write_text(app.read_text().replace("    return app\n", clash))
    out = tmp_path / "api.json"
    code, _, stderr = run_cli(
        ["api-doc", "--config", str(copy / "marketplace.yaml"), "--out", str(out)], tmp_path)
    assert_one_error_line(code, stderr, "components.schemas.Product differs between catalog and "
                          "notification")
    assert not out.exists()

"""The reference marketplace (examples/marketplace) and copies of it the tests change."""

from __future__ import annotations

import shutil
from pathlib import Path

MARKETPLACE = Path(__file__).resolve().parents[2] / "examples" / "marketplace"
# A notification endpoint whose response model is a second, different "Product" schema.
SCHEMA_CLASH = ("    import pydantic as _pydantic\n"
                "    _clash = _pydantic.create_model('Product', clash=(int, ...))\n"
                "    app.get(f'{prefix}/clash', response_model=_clash)(lambda: None)\n"
                "    return app\n")
SCHEMA_CLASH_ERROR = "components.schemas.Product differs between catalog and notification"


def copy_with_schema_clash(tmp_path: Path) -> Path:
    """A copy of the marketplace (without the services' tests) in which notification defines a
    schema named like catalog's ``Product`` but different; returns the copy's directory."""
    copy = tmp_path / "marketplace"
    shutil.copytree(MARKETPLACE, copy, ignore=shutil.ignore_patterns("tests", "__pycache__"))
    app = copy / "services" / "notification" / "src" / "notification" / "app.py"
    app.write_text(app.read_text().replace("    return app\n", SCHEMA_CLASH))
    return copy

"""The Swagger UI page of every ``/docs`` the kit serves, its files and its Content-Security-Policy.

The page loads Swagger UI from beside itself (``/docs/<file>``), never from a CDN: it works
offline, and its CSP forbids every other origin.
"""

from __future__ import annotations

import html
from importlib import resources

# The page's path is the API documents' contract (re-exported for the page's users).
from marketplace_kit.contract.api_docs_paths import DOCS_PATH as DOCS_PATH
from marketplace_kit.errors import KitError

INIT = "swagger-init.js"  # the kit's own start script; the other files come from npm


def docs_csp(assets_origin: str = "") -> str:
    """The page's Content-Security-Policy: its own origin only (plus ``assets_origin`` for the
    bundle and styles where a page names one). Swagger UI sets inline style attributes, and
    its CSS draws icons as data: URIs."""
    extra = f" {assets_origin}" if assets_origin else ""
    return (f"default-src 'none'; script-src 'self'{extra}; style-src 'self' 'unsafe-inline'"
            f"{extra}; img-src 'self' data:; connect-src 'self'; font-src 'self'; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


DOCS_CSP = docs_csp()
CONTENT_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
SWAGGER_FILES = ("swagger-ui-bundle.js", "swagger-ui.css", INIT)


def docs_page(openapi_url: str, title: str = "API", assets: str = DOCS_PATH) -> str:
    """Swagger UI over ``openapi_url``: the bundle and styles from ``assets`` (the kit's own
    copies beside the page unless a page names another base), the start script beside it."""
    name = html.escape(title or "API")
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{name}</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{DOCS_PATH}/{INIT}" data-openapi-url="{html.escape(openapi_url)}"></script>
</body>
</html>
"""


def asset(name: str) -> bytes:
    """A browser file the kit ships (``name`` as in ``assets/fetch.py``, or the init script)."""
    package = resources.files("marketplace_kit.assets")
    file = package / name if name == INIT else package / "dist" / name
    try:
        return file.read_bytes()
    except FileNotFoundError:
        raise KitError(f"{name} is missing from the installed kit (its build fetches it from "
                       "npm); fix: reinstall it with pip install, with access to the npm "
                       "registry") from None


def content_type(name: str) -> str:
    """The Content-Type of a shipped file."""
    return CONTENT_TYPES[name[name.rfind("."):]]

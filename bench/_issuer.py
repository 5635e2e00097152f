"""The token issuer of the service benches: one ES256 key, its JWK Set served over HTTP on
loopback (a thread of the bench process), and one admin token every request carries.

The apps under test get the AUTH_* environment the platform renders for a verifying service
(``platform.tokens.token_env``) and fetch the JWK Set from here, as a service fetches the user
service's; the key comes from ``marketplace_kit.signing``, as ``rotate-signing-key`` makes it.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import jwt

from marketplace_kit.contract import container as c
from marketplace_kit.platform.tokens import TokenAccess, token_env
from marketplace_kit.signing import ALGORITHM, generate_private_pem, new_kid, public_jwks

ISSUER, AUDIENCE = "bench-issuer", "bench"


class _Serve(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body: bytes = self.server.jwks  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Issuer:
    """``with Issuer() as issuer:`` serves the JWK Set; ``issuer.env`` turns auth on in an app,
    ``issuer.header`` is the Authorization header of every request (roles: admin)."""

    def __init__(self, ttl_seconds: int = 24 * 3600) -> None:
        self.kid = new_kid()
        pem = generate_private_pem()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Serve)
        self._server.jwks = public_jwks({self.kid: pem}).encode()  # type: ignore[attr-defined]
        url = f"http://127.0.0.1:{self._server.server_address[1]}{c.JWKS_PATH}"
        self.env = {e["name"]: str(e["value"])
                    for e in token_env(TokenAccess(ISSUER, AUDIENCE, jwks_url=url))}
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "bench-client", "roles": ["admin"],
                  "iat": now, "exp": now + ttl_seconds}
        token = jwt.encode(claims, pem, algorithm=ALGORITHM, headers={"kid": self.kid})
        self.header = ("Authorization", f"Bearer {token}")

    def __enter__(self) -> Issuer:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()

"""The API under a fuzzer: schemathesis with ``--checks all`` (no 5xx, every status and body as
the OpenAPI document states, schema-valid input accepted, invalid input refused, auth not
ignored) against this service running as in production (``python -m payment serve``, with
its real dependencies), auth off and on. Settings: schemathesis.toml and tests/fuzz_hooks.py;
FUZZ_EXAMPLES bounds the examples per operation (default 25), FUZZ_SEED picks the seed (1)."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from payment.settings import Settings
from tests.conftest import TEST_JWKS, integration, mint

pytestmark = integration
ROOT = Path(__file__).resolve().parents[1]
PREFIX = "/payment"
EXAMPLES = os.environ.get("FUZZ_EXAMPLES", "25")
SEED = os.environ.get("FUZZ_SEED", "1")
STARTUP_SECONDS = 60.0
FUZZ_SECONDS = 300.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def jwks_server() -> Iterator[str]:
    """The issuer's JWK Set (TEST_KEY's public key) at a local URL, as the issuer serves it."""
    body = json.dumps(TEST_JWKS).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    finally:
        server.shutdown()
        server.server_close()


@asynccontextmanager
async def serving(env: dict[str, str]) -> AsyncIterator[str]:
    """The service as a process on a free port; yields its base URL, stops it (SIGTERM)."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "payment", "serve",
        env={**os.environ, **env, "HOST": "127.0.0.1", "PORT": str(port), "LOG_LEVEL": "WARNING"},
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        async with httpx.AsyncClient(timeout=2) as http:
            while True:
                if process.returncode is not None:
                    error = await process.stderr.read() if process.stderr else b""
                    raise AssertionError(f"the service exited: {error.decode()[-3000:]}")
                try:
                    if (await http.get(f"{url}/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "the service did not become ready"
                await asyncio.sleep(0.2)
        yield url
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()


async def fuzz(url: str, token: str = "") -> str:
    """schemathesis run against ``url``; fails the test with its report on any failure. With
    ``token`` (auth on) every operation, the token for the bearer scheme; without (auth off) the
    operations that need no caller (the others answer 503 by design while auth is off)."""
    args = ["--config-file", "schemathesis.toml", "run", f"{url}{PREFIX}/openapi.json",
            "--checks", "all", "--max-examples", EXAMPLES, "--seed", SEED,
            "--generation-database", "none", "--no-color", "--request-timeout", "15"]
    if not token:
        args += ["--exclude-by", "/security/0/HTTPBearer == []"]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "schemathesis.cli", *args, cwd=ROOT,
        env={**os.environ, "FUZZ_BEARER_TOKEN": token},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), FUZZ_SECONDS)
    report = output.decode(errors="replace")
    assert process.returncode == 0, report[-12000:]
    return report


@pytest.mark.parametrize("auth", ["off", "on"])
async def test_the_api_holds_its_contract_under_a_fuzzer(
    app: FastAPI,  # the topics exist (its fixture creates them) and the database is migrated
    settings: Settings,
    auth: str,
) -> None:
    env = {
        "DATABASE_URL": settings.database_url,
        "KAFKA_GROUP_ID": f"payment-fuzz-{uuid.uuid4().hex[:8]}",
    }
    token = ""
    with jwks_server() as jwks_url:  # the issuer's public keys
        if auth == "on":
            env["AUTH_JWKS_URL"] = jwks_url
            # the claims the issuer (the user service) puts in every token, e-mail included
            token = mint(settings, {"sub": str(uuid.uuid4()), "roles": ["admin"],
                                    "email": "fuzz@example.com"})
        async with serving(env) as url:
            report = await fuzz(url, token)
    assert "failures" not in report.splitlines()[-1], report[-3000:]

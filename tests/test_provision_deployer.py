"""The deployer's public address, found at `up` time (AWS's checkip service, or an override)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest

from marketplace_kit.errors import KitError
from marketplace_kit.provision.deployer import CHECK_IP_VAR, OVERRIDE_VAR, deployer_cidr


@pytest.fixture
def checkip() -> Iterator[tuple[str, list[bytes]]]:
    """A checkip.amazonaws.com stand-in: answers the body it is given, with a newline."""
    answer = [b"198.51.100.23\n"]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # the http.server hook
            self.send_response(200)
            self.end_headers()
            self.wfile.write(answer[0])

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", answer
    server.shutdown()
    server.server_close()


def test_found_address_becomes_a_slash_32(checkip: tuple[str, list[bytes]]) -> None:
    url, _ = checkip
    assert deployer_cidr({CHECK_IP_VAR: url}) == "198.51.100.23/32"


@pytest.mark.parametrize("body", [b"<html>captive portal</html>", b"10.1.2.3\n", b"0.0.0.0/0"])
def test_no_private_or_world_or_garbage_address(
    checkip: tuple[str, list[bytes]], body: bytes
) -> None:
    url, answer = checkip
    answer[0] = body
    with pytest.raises(KitError, match=f"fix: export {OVERRIDE_VAR}"):
        deployer_cidr({CHECK_IP_VAR: url})


def test_override_and_unreachable_service() -> None:
    assert deployer_cidr({OVERRIDE_VAR: "203.0.113.0/28"}) == "203.0.113.0/28"
    with pytest.raises(KitError, match="cannot find this machine's public address") as failure:
        deployer_cidr({CHECK_IP_VAR: "http://127.0.0.1:9"}, timeout=2)
    assert "endpoint_access" in str(failure.value) and "\n" not in str(failure.value)

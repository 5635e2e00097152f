"""Free loopback ports and waiting for a port to answer."""

from __future__ import annotations

import socket
import time

from marketplace_kit.errors import KitError

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def port_open(port: int, host: str = LOOPBACK) -> bool:
    """Whether something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for_port(port: int, timeout: float = 20.0, host: str = LOOPBACK, what: str = "") -> None:
    """Block until host:port accepts connections, or raise a KitError after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(port, host):
            return
        time.sleep(0.05)
    raise KitError(f"{what or 'process'} did not listen on {host}:{port} within {timeout:.0f}s")

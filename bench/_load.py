"""The HTTP load generator of ``service_load.py``: keep-alive POSTs from N connections.

A minimal HTTP/1.1 client on asyncio streams: httpx tops out near 300 requests/s on the 2-core
development machine, which would measure the client instead of the servers.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

BODY = json.dumps({"name": "bench", "rating": 5}).encode()
Headers = tuple[tuple[str, str], ...]  # extra request headers (the bearer token with auth on)


@dataclass
class Result:
    """One round against one target."""

    name: str
    requests: int
    seconds: float
    latencies: list[float]
    errors: int

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        """The ``q`` quantile of the latencies, in milliseconds."""
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def _drive(name: str, url: str, total: int, concurrency: int, limit_s: float,
                 headers: Headers) -> Result:
    parts = urlsplit(url)
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers)
    request = (
        f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n{extra}"
        f"Content-Type: application/json\r\nContent-Length: {len(BODY)}\r\n\r\n"
    ).encode() + BODY
    latencies: list[float] = []
    errors = 0
    remaining = total
    deadline = time.perf_counter() + limit_s

    async def worker() -> None:
        nonlocal remaining, errors
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        try:
            while remaining > 0 and time.perf_counter() < deadline:
                remaining -= 1
                start = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - start)
                errors += not head.startswith(b"HTTP/1.1 201")
        finally:
            writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Result(name, len(latencies), time.perf_counter() - began, latencies, errors)


def drive(name: str, url: str, total: int, concurrency: int, limit_s: float,
          headers: Headers = ()) -> Result:
    """``total`` POSTs (with ``headers``) from ``concurrency`` keep-alive connections, stopping
    after ``limit_s``."""
    return asyncio.run(_drive(name, url, total, concurrency, limit_s, headers))

"""Load a generated service against a bare FastAPI + asyncpg baseline, side by side.

Both run under uvicorn (one process each, same venv, same PostgreSQL and tansu broker, loopback
only). The generated service's POST creates an entity AND writes its event to the outbox in one
transaction (its relay publishes to Kafka meanwhile); the baseline's POST is one INSERT. Each is
driven by 32 concurrent clients for a bounded number of requests and seconds, in alternating
rounds; the best round of each is reported.

    .venv/bin/python bench/service_load.py [--requests 3000] [--concurrency 32] [--rounds 2]

Goal: throughput ratio >= 0.7x and p99 <= 50 ms at 32 concurrent requests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from marketplace_kit.devenv import Broker, Postgres, free_port, wait_for_port
from marketplace_kit.devenv.venv import install_service, service_venv
from marketplace_kit.scaffold import make_answers, render_service

BASELINE = '''
import os
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from uuid import uuid4

import asyncpg
from fastapi import FastAPI
from pydantic import BaseModel

class ItemIn(BaseModel):
    name: str
    rating: int

@asynccontextmanager
async def lifespan(app):
    app.state.pool = await asyncpg.create_pool(os.environ["DATABASE_URL"], min_size=2, max_size=10)
    async with app.state.pool.acquire() as conn:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS items (id UUID PRIMARY KEY, name TEXT NOT NULL,"
            " rating BIGINT NOT NULL, created_at TIMESTAMPTZ NOT NULL)"
        )
    yield
    await app.state.pool.close()

app = FastAPI(lifespan=lifespan)

@app.post("/items", status_code=201)
async def create(item: ItemIn) -> dict:
    row = await app.state.pool.fetchrow(
        "INSERT INTO items (id, name, rating, created_at) VALUES ($1, $2, $3, $4) RETURNING *",
        uuid4(), item.name, item.rating, datetime.now(UTC))
    return dict(row)
'''


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    latencies: list[float]
    errors: int

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def drive(name: str, url: str, total: int, concurrency: int, limit_s: float) -> Result:
    """``total`` POSTs from ``concurrency`` keep-alive connections, stopping after ``limit_s``.

    A minimal HTTP/1.1 client on asyncio streams: httpx tops out near 300 requests/s on this
    machine, which would measure the client instead of the servers.
    """
    parts = urlsplit(url)
    body = json.dumps({"name": "bench", "rating": 5}).encode()
    request = (
        f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
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


def start(command: list[str], env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    wait_for_port(port, 60, what=command[-1])
    return process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--max-seconds", type=float, default=30.0)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="mk-bench-"))
    venv = service_venv()
    answers = make_answers(
        name="benchsvc", publishes=["bench-events"], fields=["name:str", "rating:int"]
    )
    render_service(answers, work / "benchsvc")
    install_service(venv, work / "benchsvc")
    (work / "baseline.py").write_text(BASELINE)
    python = str(venv / "bin" / "python")
    processes: list[subprocess.Popen[bytes]] = []
    with Postgres() as postgres, Broker() as broker:
        try:
            base_env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
            common = {**base_env, "LOG_LEVEL": "WARNING", "KAFKA_BOOTSTRAP_SERVERS":
                      broker.bootstrap_servers, "KAFKA_ENABLE_IDEMPOTENCE": "false"}
            service_port, baseline_port = free_port(), free_port()
            processes.append(start(
                [python, "-m", "benchsvc", "serve"],
                {**common, "DATABASE_URL": postgres.create_database("service"),
                 "PORT": str(service_port), "HOST": "127.0.0.1"},
                service_port, work / "service.log"))
            processes.append(start(
                [python, "-m", "uvicorn", "--app-dir", str(work), "--port", str(baseline_port),
                 "--host", "127.0.0.1", "--log-level", "warning", "--no-access-log",
                 "baseline:app"],
                {**common, "DATABASE_URL": postgres.create_database("baseline")},
                baseline_port, work / "baseline.log"))
            local = "http://127.0.0.1"
            targets = {
                "baseline (FastAPI + asyncpg INSERT)": f"{local}:{baseline_port}/items",
                "generated service (entity + outbox)": f"{local}:{service_port}/benchsvc/items",
            }
            for name, url in targets.items():  # warm-up: pools, caches, the relay's producer
                asyncio.run(drive(name, url, 300, args.concurrency, 10))
            best: dict[str, Result] = {}
            for _ in range(args.rounds):
                for name, url in targets.items():
                    result = asyncio.run(
                        drive(name, url, args.requests, args.concurrency, args.max_seconds)
                    )
                    if name not in best or result.throughput > best[name].throughput:
                        best[name] = result
            report(best, args.concurrency)
        finally:
            for process in processes:
                process.terminate()
                process.wait(30)


def report(best: dict[str, Result], concurrency: int) -> None:
    print(f"{'':40} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}  ({concurrency} conc.)")
    for result in best.values():
        print(f"{result.name:40} {result.throughput:8.0f} {result.percentile(0.5):8.1f} "
              f"{result.percentile(0.99):8.1f} {result.errors:7d}")
    baseline, service = best.values()
    ratio = service.throughput / baseline.throughput
    p99 = service.percentile(0.99)
    print(f"throughput ratio (service / baseline): {ratio:.2f}x (goal >= 0.7x); "
          f"service p99 {p99:.1f} ms (goal <= 50 ms)")
    if service.errors or baseline.errors:
        sys.exit("errors during the run")


if __name__ == "__main__":
    main()

"""Instructions per POST of a generated service against the same-work baseline (callgrind).

The CPU work per request, counted rather than timed: valgrind's callgrind counts the
instructions a process executes, the same for the same program and inputs whatever else the
machine is doing (``service_load.py``'s throughput moves with the load of a shared machine).
Each app runs in-process under ``_asgi_driver.py`` (the ASGI app called directly: the HTTP
server's share, the same for both, is left out) against one PostgreSQL and one broker, with its
relay publishing meanwhile. Per request = (I(2N) - I(N)) / N: start-up and imports cancel out.

    .venv/bin/python bench/service_instructions.py [--requests 300] [--markdown]

The ratio same-work / service is what the service's throughput would be, relative to the
baseline's, on cores with nothing else to do and no HTTP server; the goal is >= 0.8x.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from _common import markdown_table, text_table
from service_load import APPS, GOAL_RATIO, PACKAGE, installed_service

from marketplace_kit.devenv import Broker, Postgres

DRIVER = Path(__file__).resolve().parent / "_asgi_driver.py"
COLLECTED = re.compile(r"Collected : (\d+)")


@dataclass(frozen=True)
class App:
    """One measured app: its ASGI spec, the POST path, its extra environment."""

    name: str
    spec: str
    path: str
    env: dict[str, str]


def instructions(python: str, app: App, env: dict[str, str], requests: int, work: Path) -> int:
    """Instructions one driver process executes with ``requests`` measured requests."""
    out = work / f"callgrind.{app.name.replace(' ', '_')}.{requests}"
    command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", python,
               str(DRIVER), app.spec, app.path, "--requests", str(requests)]
    result = subprocess.run(command, env={**env, **app.env}, capture_output=True, text=True,
                            check=False)
    found = COLLECTED.search(result.stderr)
    if result.returncode != 0 or found is None:
        sys.exit(f"error: {app.name} under valgrind failed:\n{result.stderr[-3000:]}")
    out.unlink(missing_ok=True)
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="N (the runs do N and 2N)")
    parser.add_argument("--markdown", action="store_true", help="print the docs section")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("error: valgrind is not installed; fix: apt-get install valgrind")

    work = Path(tempfile.mkdtemp(prefix="mk-bench-"))
    python = installed_service(work)
    with Postgres() as postgres, Broker() as broker:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "PYTHONPATH"))}
        env = {**base, "LOG_LEVEL": "WARNING", "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
               "KAFKA_ENABLE_IDEMPOTENCE": "false"}
        apps = [
            App("generated service", f"{PACKAGE}.app:create_app()", f"/{PACKAGE}/items",
                {"DATABASE_URL": postgres.create_database("service_instructions")}),
            App("same-work baseline", "same_work:app", "/items",
                {"DATABASE_URL": postgres.create_database("same_work_instructions"),
                 "PYTHONPATH": str(APPS)}),
        ]
        per_request = {}
        for app in apps:
            once = instructions(python, app, env, args.requests, work)
            twice = instructions(python, app, env, 2 * args.requests, work)
            per_request[app.name] = (twice - once) / args.requests
    service, same = (per_request[a.name] for a in apps)
    table = markdown_table if args.markdown else text_table
    rows = [[name, f"{count / 1e6:.3f}", f"{count / service:.2f}"]
            for name, count in per_request.items()]
    print(table(["", "M instructions per POST", "x the service"], rows))
    line = (f"CPU work ratio same-work baseline / service: {same / service:.2f}x "
            f"(goal >= {GOAL_RATIO}x; {args.requests} and {2 * args.requests} requests from 8 "
            "tasks, in-process, callgrind)")
    print(f"\n- {line}" if args.markdown else line)


if __name__ == "__main__":
    main()

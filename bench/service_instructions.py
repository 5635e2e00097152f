"""Instructions per POST of a generated service against the same-work baseline (callgrind),
with auth off and on.

The CPU work per request, counted rather than timed: valgrind's callgrind counts the
instructions a process executes, the same for the same program and inputs whatever else the
machine is doing (``service_load.py``'s throughput moves with the load of a shared machine).
Each app runs in-process under ``_asgi_driver.py`` (the ASGI app called directly: the HTTP
server's share, the same for both, is left out) against one PostgreSQL and one broker, with its
relay publishing meanwhile. Per request = (I(2N) - I(N)) / N: start-up and imports cancel out.
With auth on every request carries the same ES256 admin token (``_issuer.py``: its JWK Set
fetched over HTTP, as from the user service); the baseline then verifies it with PyJWT on every
request, or caches verified tokens as the service does.

    .venv/bin/python bench/service_instructions.py [--requests 300] [--markdown]

A ratio baseline / service is what the service's throughput would be, relative to the
baseline's, on cores with nothing else to do and no HTTP server; the goals: >= 0.8x the
same-work baseline doing the same auth work, and auth on >= 0.9x the service's own auth off.
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
from _issuer import Issuer
from _load import Headers
from service_load import (
    APPS,
    GOAL_AUTH_RATIO,
    GOAL_RATIO,
    PACKAGE,
    installed_service,
    own_copy,
)

from marketplace_kit.devenv import Broker, Postgres

DRIVER = Path(__file__).resolve().parent / "_asgi_driver.py"
COLLECTED = re.compile(r"Collected : (\d+)")
NOT_WORD = re.compile(r"\W+")
# Under valgrind a process runs tens of times slower: the service's timeouts widened, so that a
# slow connect or a long wait for a connection is not taken for an outage (a 503).
UNDER_VALGRIND = {"DB_CONNECT_TIMEOUT": "300", "DB_ACQUIRE_TIMEOUT": "300",
                  "REQUEST_TIMEOUT": "300"}


@dataclass(frozen=True)
class App:
    """One measured app: its ASGI spec, the POST path, its extra environment and headers."""

    name: str
    spec: str
    path: str
    env: dict[str, str]
    headers: Headers = ()


def instructions(python: str, app: App, env: dict[str, str], requests: int, work: Path) -> int:
    """Instructions one driver process executes with ``requests`` measured requests."""
    out = work / f"callgrind.{NOT_WORD.sub('_', app.name)}.{requests}"
    command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", python,
               str(DRIVER), app.spec, app.path, "--requests", str(requests),
               *(f"--header={k}:{v}" for k, v in app.headers)]
    result = subprocess.run(command, env={**env, **app.env}, capture_output=True, text=True,
                            check=False)
    found = COLLECTED.search(result.stderr)
    if result.returncode != 0 or found is None:
        sys.exit(f"error: {app.name} under valgrind failed:\n{result.stderr[-3000:]}")
    out.unlink(missing_ok=True)
    return int(found.group(1))


SERVICE, SERVICE_AUTH = "generated service", "generated service, auth on"
SAME, SAME_EVERY, SAME_CACHED = ("same-work baseline", "same-work baseline, auth on (verifies "
                                 "every request)", "same-work baseline, auth on (caches)")


def apps(postgres: Postgres, issuer: Issuer, work: Path) -> list[App]:
    """The measured apps, each with its own database."""
    def db(name: str) -> dict[str, str]:
        return {"DATABASE_URL": postgres.create_database(name)}

    same = {"PYTHONPATH": str(APPS)}
    service = (f"{PACKAGE}.app:create_app()", f"/{PACKAGE}/items")
    return [
        App(SERVICE, *service, {**db("service_instructions"), **own_copy(work)}),
        App(SERVICE_AUTH, *service,
            {**db("service_auth_instructions"), **own_copy(work), **issuer.env},
            (issuer.header,)),
        App(SAME, "same_work:app", "/items", {**db("same_work_instructions"), **same}),
        App(SAME_EVERY, "same_work:app", "/items",
            {**db("same_every_instructions"), **same, **issuer.env, "SAME_WORK_AUTH": "every"},
            (issuer.header,)),
        App(SAME_CACHED, "same_work:app", "/items",
            {**db("same_cached_instructions"), **same, **issuer.env, "SAME_WORK_AUTH": "cached"},
            (issuer.header,)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="N (the runs do N and 2N)")
    parser.add_argument("--markdown", action="store_true", help="print the docs section")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("error: valgrind is not installed; fix: apt-get install valgrind")

    work = Path(tempfile.mkdtemp(prefix="mk-bench-"))
    python = installed_service(work)
    with Postgres() as postgres, Broker() as broker, Issuer() as issuer:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "PYTHONPATH"))}
        env = {**base, "LOG_LEVEL": "WARNING", "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
               "KAFKA_ENABLE_IDEMPOTENCE": "false", **UNDER_VALGRIND}
        per_request = {}
        for app in apps(postgres, issuer, work):
            once = instructions(python, app, env, args.requests, work)
            twice = instructions(python, app, env, 2 * args.requests, work)
            per_request[app.name] = (twice - once) / args.requests
    table = markdown_table if args.markdown else text_table
    rows = [[name, f"{count / 1e6:.3f}"] for name, count in per_request.items()]
    print(table(["", "M instructions per POST"], rows))
    n = per_request
    lines = [
        f"auth on / auth off, the service's CPU work: {n[SERVICE] / n[SERVICE_AUTH]:.2f}x "
        f"(goal >= {GOAL_AUTH_RATIO}x; {n[SERVICE_AUTH] - n[SERVICE]:,.0f} instructions of "
        "auth per POST)",
        f"same-work baseline / service, auth on, both caching: "
        f"{n[SAME_CACHED] / n[SERVICE_AUTH]:.2f}x (goal >= {GOAL_RATIO}x)",
        f"same-work baseline verifying every request / service, auth on: "
        f"{n[SAME_EVERY] / n[SERVICE_AUTH]:.2f}x (context: PyJWT as documented)",
        f"same-work baseline / service, auth off: {n[SAME] / n[SERVICE]:.2f}x (goal >= "
        f"{GOAL_RATIO}x)",
        f"{args.requests} and {2 * args.requests} requests from 8 tasks, in-process, callgrind",
    ]
    print("\n" + "\n".join(f"- {x}" for x in lines) if args.markdown else "\n".join(lines))


if __name__ == "__main__":
    main()

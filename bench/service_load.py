"""Load a generated service against bare FastAPI + asyncpg apps, side by side, auth off and on.

All run under uvicorn (one process each, same venv, same PostgreSQL server and tansu broker,
loopback only) and take the same POST from the same load generator with the same number of
keep-alive connections, in alternating rounds:

- the generated service: entity + its event in the outbox in one transaction, its relay
  publishing to Kafka meanwhile, with its logging, tracing, metrics, load shedding,
  idempotency support and problem details; once with auth off, once on (every request carries
  the same ES256 admin token, its JWK Set fetched from ``_issuer.py`` as from the user service);
- the same-work baseline (``apps/same_work.py``): the same two INSERTs in one transaction and a
  bare relay publishing to the same broker, none of the machinery; auth off, and on: verifying
  the token with PyJWT on every request, and caching verified tokens as the service does;
- the one-INSERT baseline (``apps/one_insert.py``): less work, kept as a line for context.

The ratios are per round (each target measured minutes apart at most), reported as the median
and range over the rounds. At the end the bench checks that each outbox app did the work: as
many outbox rows as entities, every one published. ``--profile`` then samples the service and
the same-work baseline, both with auth on, with py-spy during one more round each and reports
where the CPU goes.

    .venv/bin/python bench/service_load.py [--requests 3000] [--rounds 3] [--profile] [--markdown]

Goals: the service at >= 0.8x the same-work baseline's throughput (auth off, and auth on with
both caching), auth on at >= 0.9x the service's auth-off throughput, p99 <= 50 ms at 32
connections. A few 503s (pool acquire timeout, the service's load shedding) on an overloaded
machine are counted in ``errors``; more than 1% of the requests fails the run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
from _common import markdown_table, text_table
from _issuer import Issuer
from _load import Headers, Result, drive
from _profile import Profile, Profiler

from marketplace_kit.devenv import Broker, Postgres, free_port, wait_for_port
from marketplace_kit.devenv.venv import install_service, service_venv
from marketplace_kit.scaffold import make_answers, render_service

APPS = Path(__file__).resolve().parent / "apps"
PACKAGE = "benchsvc"
GOAL_RATIO, GOAL_AUTH_RATIO, GOAL_P99_MS = 0.8, 0.9, 50.0
SERVICE, SERVICE_AUTH = "generated service", "generated service, auth on"
SAME, SAME_EVERY, SAME_CACHED = ("same-work baseline", "same-work, auth on, verifies every request",
                                 "same-work, auth on, caches")
ONE_INSERT = "one-INSERT baseline"


@dataclass
class Target:
    """One server under load and its rounds."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    database: str | None = None  # an outbox app's DATABASE_URL (checked at the end)
    headers: Headers = ()  # of every request (the bearer token, auth on)
    rounds: list[Result] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # the server's CPU seconds per round

    def run(self, total: int, concurrency: int, limit_s: float) -> Result:
        """One round; records the server process's CPU time for it."""
        before = cpu_seconds(self.process.pid)
        result = drive(self.name, self.url, total, concurrency, limit_s, self.headers)
        self.cpu.append(cpu_seconds(self.process.pid) - before)
        self.rounds.append(result)
        return result

    def cpu_ms_per_request(self) -> float:
        return 1000 * sum(self.cpu) / sum(r.requests for r in self.rounds)

    def throughput(self) -> float:
        return statistics.median(r.throughput for r in self.rounds)

    def spread(self) -> str:
        values = [r.throughput for r in self.rounds]
        return f"{min(values):.0f}-{max(values):.0f}"

    def pooled(self) -> Result:
        """Every round's requests as one sample (for the percentiles)."""
        latencies = [x for r in self.rounds for x in r.latencies]
        return Result(self.name, len(latencies), sum(r.seconds for r in self.rounds), latencies,
                      sum(r.errors for r in self.rounds))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_copy(work: Path) -> dict[str, str]:
    """The environment that runs this run's render of the service, not another run's install
    in the shared services' venv."""
    return {"PYTHONPATH": str(work / PACKAGE / "src")}


def installed_service(work: Path) -> str:
    """Render the benchmarked service (an entity with two fields, publishing through the
    outbox) into ``work`` and install it in the services' venv; returns that venv's python."""
    venv = service_venv()
    answers = make_answers(name=PACKAGE, publishes=["bench-events"],
                           fields=["name:str", "rating:int"])
    render_service(answers, work / PACKAGE)
    install_service(venv, work / PACKAGE)
    return str(venv / "bin" / "python")


def start(command: list[str], env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    wait_for_port(port, 60, what=command[-1])
    return process


def uvicorn(python: str, app: str, port: int) -> list[str]:
    return [python, "-m", "uvicorn", "--app-dir", str(APPS), "--port", str(port), "--host",
            "127.0.0.1", "--log-level", "warning", "--no-access-log", app]


TO_SLUG = str.maketrans({c: "_" for c in " ,()-"})  # a target's name as a database name


async def outbox_counts(url: str, table: str) -> tuple[int, int, int]:
    """(entities, outbox rows, published outbox rows) in one database."""
    conn = await asyncpg.connect(url)
    try:
        row = await conn.fetchrow(
            f"SELECT (SELECT count(*) FROM {table}) AS entities, count(*) AS events,"
            " count(sent_at) AS sent FROM outbox")
        return row["entities"], row["events"], row["sent"]
    finally:
        await conn.close()


def check_work(targets: list[Target], wait_s: float = 30.0) -> str:
    """One line per outbox app: entities, events, published; exits if any event is missing."""
    lines = []
    for target in (t for t in targets if t.database):
        deadline = time.monotonic() + wait_s
        while True:
            entities, events, sent = asyncio.run(outbox_counts(target.database or "", "items"))
            if sent == events or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        lines.append(f"{target.name}: {entities} entities, {events} outbox events, "
                     f"{sent} published")
        if not entities == events == sent:
            sys.exit(f"error: {lines[-1]}: the outbox did not keep up with the entities")
    return "; ".join(lines)


def round_ratios(service: Target, other: Target) -> list[float]:
    return [s.throughput / o.throughput for s, o in zip(service.rounds, other.rounds, strict=True)]


def ratio_line(label: str, ratios: list[float], goal: str) -> str:
    return (f"throughput ratio {label}: {statistics.median(ratios):.2f}x "
            f"(median of {len(ratios)} rounds, {min(ratios):.2f}-{max(ratios):.2f}x){goal}")


def report(targets: dict[str, Target], concurrency: int, work: str, markdown: bool) -> str:
    header = ["", "req/s (median)", "rounds' range", "p50 ms", "p99 ms", "errors",
              "server CPU ms/req"]
    rows = []
    for t in targets.values():
        pooled = t.pooled()
        rows.append([t.name, f"{t.throughput():.0f}", t.spread(), f"{pooled.percentile(0.5):.1f}",
                     f"{pooled.percentile(0.99):.1f}", str(pooled.errors),
                     f"{t.cpu_ms_per_request():.2f}"])
    service, on = targets[SERVICE], targets[SERVICE_AUTH]

    def cpu(over: str, under: str) -> str:
        ratio = targets[under].cpu_ms_per_request() / targets[over].cpu_ms_per_request()
        return f"{ratio:.2f}x"

    p99 = service.pooled().percentile(0.99)
    lines = [
        ratio_line("auth on / auth off, the service", round_ratios(on, service),
                   f" (goal >= {GOAL_AUTH_RATIO}x)"),
        ratio_line("service / same-work baseline, auth on, both caching",
                   round_ratios(on, targets[SAME_CACHED]), f" (goal >= {GOAL_RATIO}x)"),
        ratio_line("service / same-work baseline verifying every request, auth on",
                   round_ratios(on, targets[SAME_EVERY]), " (context: PyJWT as documented)"),
        ratio_line("service / same-work baseline, auth off", round_ratios(service, targets[SAME]),
                   f" (goal >= {GOAL_RATIO}x)"),
        ratio_line("service / one-INSERT baseline, auth off",
                   round_ratios(service, targets[ONE_INSERT]), " (context)"),
        f"server CPU per request, auth off / on (the service): {cpu(SERVICE_AUTH, SERVICE)}; "
        f"same-work baseline / service, auth on, both caching: {cpu(SERVICE_AUTH, SAME_CACHED)}; "
        f"auth off: {cpu(SERVICE, SAME)} (what the throughput ratios tend to when the cores are "
        "saturated)",
        f"service p99 {p99:.1f} ms at {concurrency} connections, auth off (goal <= "
        f"{GOAL_P99_MS:.0f} ms), {on.pooled().percentile(0.99):.1f} ms auth on; p50/p99 over "
        "every round's requests",
        f"same work done: {work}",
    ]
    if markdown:
        return "\n".join([markdown_table(header, rows), "", *(f"- {x}" for x in lines)])
    return "\n".join([text_table(header, rows), *lines])


# Where the service's own features show up on the stack (inclusive samples): its code, and
# the FastAPI work its route declares (dependencies, header parameters, body, serialization).
FASTAPI_WORK = ("solve_dependencies", "request_params_to_args", "request_body_to_args",
                "serialize_response", "Request.json")


def profile_section(profiles: dict[str, Profile], markdown: bool) -> str:
    """Shares of the CPU samples by area for each profiled app, and the service's own costs.

    Shares, not sampled milliseconds: on a loaded machine a sample also counts the time a
    runnable process waits for a core, which moves between runs far more than the shares do.
    """
    table = markdown_table if markdown else text_table
    names = list(profiles)
    counts = {name: p.by_area() for name, p in profiles.items()}
    areas = sorted(set().union(*counts.values()), key=lambda a: -counts[names[0]][a])
    rows = [[a, *(f"{counts[n][a] / profiles[n].total:.0%}" for n in names)] for a in areas]
    service = profiles[names[0]]
    # Frames that wrap every request (middleware, the route gate): inclusive, they are ~all of it.
    wraps_all = ("Middleware.__call__ (", "RequestBudget.__call__ (", ".<locals>.guarded (",
                 "__main__.py)")
    own = service.inclusive(lambda f: (f"({service.package}/" in f
                                       and not any(w in f for w in wraps_all))
                            or f.startswith(FASTAPI_WORK))
    own_rows = [[f, f"{n / service.total:.0%}"] for f, n in own.most_common(14)]
    head = (f"Where the CPU goes: py-spy at {service.rate} Hz during one more round each ("
            + ", ".join(f"{n}: {p.total} samples" for n, p in profiles.items()) + ")")
    return "\n".join([
        head, "",
        table(["area (innermost non-stdlib frame)", *names], rows), "",
        table([f"{names[0]}: its own code and route work (inclusive)", "share"], own_rows)])


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="per target and round")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--max-seconds", type=float, default=30.0)
    parser.add_argument("--profile", action="store_true",
                        help="then profile the service and the same-work baseline (py-spy)")
    parser.add_argument("--markdown", action="store_true", help="print the docs section")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="mk-bench-"))
    python = installed_service(work)
    targets: dict[str, Target] = {}
    with Postgres() as postgres, Broker() as broker, Issuer() as issuer:
        try:
            base_env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
            common = {**base_env, "LOG_LEVEL": "WARNING", "KAFKA_BOOTSTRAP_SERVERS":
                      broker.bootstrap_servers, "KAFKA_ENABLE_IDEMPOTENCE": "false"}

            def add(name: str, app: str | None, env: dict[str, str], outbox: bool = True,
                    auth: bool = False) -> None:
                """Start a target: the service (``app`` None) or a bare app of APPS."""
                port, slug = free_port(), name.translate(TO_SLUG)
                db = postgres.create_database(slug)
                env = {**common, **env, "DATABASE_URL": db, "PORT": str(port),
                       "HOST": "127.0.0.1", **(issuer.env if auth else {})}
                if not app:
                    env.update(own_copy(work))
                command = uvicorn(python, app, port) if app else [python, "-m", PACKAGE, "serve"]
                path = "/items" if app else f"/{PACKAGE}/items"
                targets[name] = Target(name, f"http://127.0.0.1:{port}{path}",
                                       start(command, env, port, work / f"{slug}.log"),
                                       db if outbox else None, (issuer.header,) if auth else ())

            add(SERVICE, None, {})
            add(SERVICE_AUTH, None, {}, auth=True)
            add(SAME, "same_work:app", {})
            add(SAME_EVERY, "same_work:app", {"SAME_WORK_AUTH": "every"}, auth=True)
            add(SAME_CACHED, "same_work:app", {"SAME_WORK_AUTH": "cached"}, auth=True)
            add(ONE_INSERT, "one_insert:app", {}, outbox=False)
            order = list(targets.values())
            for t in order:  # warm-up: pools, statement caches, the relays' producers, the keys
                drive(t.name, t.url, 300, args.concurrency, 10, t.headers)
            for i in range(args.rounds):
                for t in order[i % len(order):] + order[: i % len(order)]:  # rotate who's first
                    t.run(args.requests, args.concurrency, args.max_seconds)
            profiles: dict[str, Profile] = {}
            for t in (targets[SERVICE_AUTH], targets[SAME_CACHED]) if args.profile else ():
                raw = work / f"{t.name.translate(TO_SLUG)}.profile.txt"
                with Profiler(t.process.pid, raw):
                    served = drive(t.name, t.url, args.requests, args.concurrency,
                                   args.max_seconds, t.headers)
                profiles[t.name] = Profile.read(raw, PACKAGE)
                profiles[t.name].requests = served.requests
            done = check_work(list(targets.values()))
            print(report(targets, args.concurrency, done, args.markdown))
            if profiles:
                print("\n" + profile_section(profiles, args.markdown))
                print(f"raw py-spy stacks: {work}/*.profile.txt", file=sys.stderr)
            errors = sum(t.pooled().errors for t in targets.values())
            if errors > 0.01 * sum(t.pooled().requests for t in targets.values()):
                sys.exit(f"error: {errors} requests failed (more than 1%); see {work}/*.log")
        finally:
            for t in targets.values():
                t.process.terminate()
                t.process.wait(30)


if __name__ == "__main__":
    main()

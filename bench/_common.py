"""What every plan benchmark shares: the floor programs, timing, and the markdown output.

The floor is the cheapest program the Pulumi SDK can run under its mocks with a given number of
resources (plain custom resources, no components, no invokes, no recording); the "typed floor"
registers as many flat ``aws.ec2.Subnet`` (an ordinary typed pulumi-aws resource) without the kit.
Both run under the SDK's own public ``Mocks`` in a fresh context, beside the measured plan.
"""

from __future__ import annotations

import contextvars
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import MockCallArgs, MockResourceArgs, Mocks, set_mocks


class BareMocks(Mocks):
    """Echo the inputs as outputs; no invokes."""

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


def _run_under_mocks(program: Callable[[], None], stack: str) -> None:
    def run() -> None:
        set_mocks(BareMocks(), project="bench", stack=stack, preview=False)
        pulumi.runtime.test(program)()

    contextvars.Context().run(run)


def floor(count: int) -> None:
    """Register ``count`` plain resources under the SDK's own mocks (public API only)."""

    def program() -> None:
        for i in range(count):
            pulumi.CustomResource(
                "bench:index:Thing", f"thing-{i}", {"index": str(i), "tags": {"bench": "floor"}}
            )

    _run_under_mocks(program, "floor")


def typed_floor(count: int) -> None:
    """Register ``count`` flat ``aws.ec2.Subnet`` resources under the SDK's own mocks."""
    import pulumi_aws as aws

    def program() -> None:
        for i in range(count):
            aws.ec2.Subnet(f"subnet-{i}", vpc_id="vpc-1", cidr_block="10.0.0.0/24")

    _run_under_mocks(program, "typed")


def generated_service(index: int) -> dict[str, Any]:
    """The ``service.yaml`` of the generated platforms' ``index``-th service: it publishes its own
    topic and consumes the previous one's; every fourth has no datastore."""
    name = f"svc-{index:03d}"
    return {"name": name, "port": 8000 + index,
            "datastore": "none" if index % 4 == 3 else "postgres",
            "publishes": [f"{name}-events"],
            "consumes": [f"svc-{index - 1:03d}-events"] if index else []}


MAIN = "from marketplace_kit.cli.app import main; main()"


def kit_env(cache: Path) -> dict[str, str]:
    """The environment of a command timed as a whole process: the kit's cache in ``cache``, and
    bytecode written and reused as an installed kit has it (``pip install`` compiles it; a
    ``PYTHONDONTWRITEBYTECODE`` in the caller's environment would recompile the kit each run)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "XDG_CACHE_HOME": str(cache)}


def kit_times(args: Sequence[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall-clock and CPU (user + system) seconds of one ``marketplace-kit`` command as a fresh
    process (``check`` exits 1 on findings: not a failure). CPU time moves less than wall-clock
    time with the load of a shared machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", MAIN, *args], env=env, capture_output=True,
                          timeout=900, check=False)
    took = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(args)}: {done.stderr.decode()[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return took, cpu


def kit_seconds(args: Sequence[str], env: dict[str, str]) -> float:
    """Wall-clock seconds of one ``marketplace-kit`` command as a fresh process."""
    return kit_times(args, env)[0]


def typed_class(token: str) -> type | None:
    """The SDK class of a plan's resource type token (None: a component of the kit's own).

    ``aws:ec2/subnet:Subnet`` -> ``pulumi_aws.ec2.Subnet``; ``kubernetes:apps/v1:Deployment`` ->
    ``pulumi_kubernetes.apps.v1.Deployment``; a custom resource's kind (a group with a dot that
    is not ``*.k8s.io`` or ``helm.sh``) -> ``apiextensions.CustomResource``."""
    import importlib

    package, module, name = token.split(":")
    if package == "pulumi" and module == "providers":
        return importlib.import_module(f"pulumi_{name}").Provider  # type: ignore[no-any-return]
    if package not in ("aws", "kubernetes", "random", "tls"):
        return None
    group = module.split("/")[0]
    if package == "kubernetes":
        version = module.split("/")[1]
        if "." in group and not group.endswith(".k8s.io") and group != "helm.sh":
            return importlib.import_module(  # type: ignore[no-any-return]
                "pulumi_kubernetes.apiextensions").CustomResource
        path = f"pulumi_kubernetes.{group.split('.')[0]}.{version}"
    else:
        path = f"pulumi_{package}" + ("" if group == "index" else f".{group}")
    return getattr(importlib.import_module(path), name)  # type: ignore[no-any-return]


def linear_fit(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float, float]:
    """Least squares of ``ys`` over ``xs``: (slope, intercept, R^2)."""
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx
    intercept = mean_y - slope * mean_x
    total = sum((y - mean_y) ** 2 for y in ys)
    residual = sum((y - (intercept + slope * x)) ** 2 for x, y in zip(xs, ys, strict=True))
    return slope, intercept, 1 - residual / total if total else 1.0


def median_seconds(work: Callable[[], object], repeat: int) -> float:
    """Median wall-clock seconds of ``repeat`` runs of ``work``."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub markdown table (first column left-aligned, the others right-aligned)."""
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join([":---"] + ["---:"] * (len(header) - 1)) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def text_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain aligned table for the terminal."""
    cells = [list(map(str, header)), *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = []
    for row in cells:
        padded = [c.rjust(w) for c, w in zip(row, widths, strict=True)]
        padded[0] = row[0].ljust(widths[0])
        lines.append("  ".join(padded))
    return "\n".join(lines)


def machine() -> str:
    """A one-line description of where the numbers were measured."""
    load = os.getloadavg()[0]
    return (
        f"{os.cpu_count()} cores, Python {platform.python_version()}, pulumi {version('pulumi')}, "
        f"pulumi-aws {version('pulumi-aws')}, load average {load:.1f} at the start"
    )

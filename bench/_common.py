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
import statistics
import time
from collections.abc import Callable, Sequence
from importlib.metadata import version
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

"""Plan time of a blueprint against the floor: the bare SDK mocks registering as many resources.

The floor is the cheapest program the Pulumi SDK can run under its mocks with the same number of
resources (plain custom resources, no components, no invokes, no recording), measured in the same
process right beside the plan. Goal: plan <= 1.5x floor.

A second reference, the "typed floor", registers as many ``aws.ec2.Subnet`` (one ordinary typed
pulumi-aws resource) flat, without the kit and without recording: it shows what the typed SDK
classes alone cost (each creates an Output per declared output property), which the plain floor
does not pay and no program using pulumi-aws can avoid.

    .venv/bin/python bench/plan_vs_floor.py [--blueprint dev --blueprint production] [--repeat 5]
"""

from __future__ import annotations

import argparse
import contextvars
import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import pulumi
from pulumi.runtime import MockCallArgs, MockResourceArgs, Mocks, set_mocks

from marketplace_kit.blueprints.program import plan_platform
from marketplace_kit.config import default_platform


class _BareMocks(Mocks):
    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


def floor(count: int) -> None:
    """Register ``count`` plain resources under the SDK's own mocks (public API only)."""

    def program() -> None:
        for i in range(count):
            pulumi.CustomResource(
                "bench:index:Thing", f"thing-{i}", {"index": str(i), "tags": {"bench": "floor"}}
            )

    def run() -> None:
        set_mocks(_BareMocks(), project="bench", stack="floor", preview=False)
        pulumi.runtime.test(program)()

    contextvars.Context().run(run)


def typed_floor(count: int) -> None:
    """Register ``count`` flat ``aws.ec2.Subnet`` resources under the SDK's own mocks."""
    import pulumi_aws as aws

    def program() -> None:
        for i in range(count):
            aws.ec2.Subnet(f"subnet-{i}", vpc_id="vpc-1", cidr_block="10.0.0.0/24")

    def run() -> None:
        set_mocks(_BareMocks(), project="bench", stack="typed", preview=False)
        pulumi.runtime.test(program)()

    contextvars.Context().run(run)


def _median_seconds(work: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blueprint", action="append", choices=["dev", "production", "local"])
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (median)")
    options = parser.parse_args()
    blueprints = options.blueprint or ["dev"]

    print(
        f"{'blueprint':<11}{'resources':>10}{'plan s':>9}{'floor s':>9}{'ratio':>8}"
        f"{'res/s':>8}{'typed floor s':>15}{'ratio':>8}"
    )
    for blueprint in blueprints:
        platform = default_platform(blueprint)
        count = len(plan_platform(platform))  # warm-up: imports, caches
        floor(count)
        typed_floor(count)
        planned = _median_seconds(partial(plan_platform, platform), options.repeat)
        bare = _median_seconds(partial(floor, count), options.repeat)
        typed = _median_seconds(partial(typed_floor, count), options.repeat)
        print(
            f"{blueprint:<11}{count:>10}{planned:>9.3f}{bare:>9.3f}"
            f"{planned / bare:>7.2f}x{count / planned:>8.0f}{typed:>15.3f}{planned / typed:>7.2f}x"
        )


if __name__ == "__main__":
    main()

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
from functools import partial

from _common import floor, machine, markdown_table, median_seconds, text_table, typed_floor

from marketplace_kit.blueprints.program import plan_platform
from marketplace_kit.config import default_platform

HEADER = ["blueprint", "resources", "plan s", "floor s", "ratio", "res/s", "typed floor s", "ratio"]


def measure(blueprint: str, repeat: int) -> list[object]:
    """One row: the blueprint's plan beside both floors with its resource count."""
    platform = default_platform(blueprint)
    count = len(plan_platform(platform))  # warm-up: imports, caches
    floor(count)
    typed_floor(count)
    planned = median_seconds(partial(plan_platform, platform), repeat)
    bare = median_seconds(partial(floor, count), repeat)
    typed = median_seconds(partial(typed_floor, count), repeat)
    return [blueprint, count, f"{planned:.3f}", f"{bare:.3f}", f"{planned / bare:.2f}x",
            f"{count / planned:.0f}", f"{typed:.3f}", f"{planned / typed:.2f}x"]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--blueprint", action="append", choices=["dev", "production", "local"])
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (median)")
    parser.add_argument("--markdown", action="store_true", help="print the README section")
    options = parser.parse_args()
    where = machine()
    rows = [measure(blueprint, options.repeat) for blueprint in options.blueprint or ["dev"]]
    if options.markdown:
        print(
            "Built-in blueprints against the plain floor and the typed floor (as many flat "
            f"`aws.ec2.Subnet`; median of {options.repeat}), `bench/plan_vs_floor.py`:\n"
        )
        print(markdown_table(HEADER, rows))
        return
    print(where)
    print(text_table(HEADER, rows))


if __name__ == "__main__":
    main()

"""Plan time of a blueprint against the floor: the bare SDK mocks registering as many resources.

The floor is the cheapest program the Pulumi SDK can run under its mocks with the same number of
resources (plain custom resources, no components, no invokes, no recording), measured in the same
process right beside the plan. Goal: plan <= 1.5x floor.

A second reference, the "typed floor", registers as many ``aws.ec2.Subnet`` (one ordinary typed
pulumi-aws resource) flat, without the kit and without recording: it shows what the typed SDK
classes alone cost (each creates an Output per declared output property), which the plain floor
does not pay and no program using pulumi-aws can avoid.

Then the commands as users run them, each a whole process (interpreter start-up included), for
the reference marketplace: each view cold (``--no-cache``: it plans) and warm (after a ``plan`` of
the same inputs: it reads the plan cache), side by side with their ratio, beside the bare
interpreter's start-up. Goal: warm views <= 1.0 s.

    .venv/bin/python bench/plan_vs_floor.py [--blueprint dev --blueprint production] [--repeat 5]
        [--view-repeat 3] [--no-views]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from functools import partial
from pathlib import Path

from _common import floor, machine, markdown_table, median_seconds, text_table, typed_floor

from marketplace_kit.blueprints.program import plan_platform
from marketplace_kit.config import default_platform

HEADER = ["blueprint", "resources", "plan s", "floor s", "ratio", "res/s", "typed floor s", "ratio"]
VIEW_HEADER = ["command", "cold s (--no-cache)", "warm s (after plan)", "warm/cold",
               "warm/start-up"]
VIEWS = ("plan", "cost", "timeline", "diagram", "check")
MARKETPLACE = Path(__file__).resolve().parents[1] / "examples" / "marketplace" / "marketplace.yaml"
MAIN = "from marketplace_kit.cli.app import main; main()"


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


def _process_seconds(args: list[str], env: dict[str, str], repeat: int) -> float:
    """Median wall-clock seconds of a whole process (check exits 1 on findings: not a failure)."""

    def run() -> None:
        done = subprocess.run(args, env=env, capture_output=True, timeout=600)
        if done.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(args[3:])}: {done.stderr.decode()}")

    return median_seconds(run, repeat)


def measure_views(repeat: int) -> list[list[object]]:
    """Rows: each view of the reference marketplace, cold and warm, in fresh processes."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "XDG_CACHE_HOME": cache}
        command = [sys.executable, "-c", MAIN]
        startup = _process_seconds([sys.executable, "-c", "pass"], env, repeat)
        subprocess.run([*command, "plan", "--config", str(MARKETPLACE)], env=env, check=True,
                       capture_output=True, timeout=600)  # fills the cache (and warms the disk)
        rows: list[list[object]] = []
        for view in VIEWS:
            args = [*command, view, "--config", str(MARKETPLACE)]
            cold = _process_seconds([*args, "--no-cache"], env, repeat)
            warm = _process_seconds(args, env, repeat)
            rows.append([view, f"{cold:.2f}", f"{warm:.2f}", f"{warm / cold:.2f}x",
                         f"{warm / startup:.1f}x"])
        rows.append(["python -c pass (start-up)", "", f"{startup:.2f}", "", "1.0x"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--blueprint", action="append", choices=["dev", "production", "local"])
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (median)")
    parser.add_argument("--view-repeat", type=int, default=3,
                        help="whole-process runs per view measurement (median)")
    parser.add_argument("--no-views", action="store_true", help="skip the commands' table")
    parser.add_argument("--markdown", action="store_true", help="print the README section")
    options = parser.parse_args()
    where = machine()
    rows = [measure(blueprint, options.repeat) for blueprint in options.blueprint or ["dev"]]
    views = [] if options.no_views else measure_views(options.view_repeat)
    if options.markdown:
        print(
            "Built-in blueprints against the plain floor and the typed floor (as many flat "
            f"`aws.ec2.Subnet`; median of {options.repeat}), `bench/plan_vs_floor.py`:\n"
        )
        print(markdown_table(HEADER, rows))
        if views:
            print("\nThe reference marketplace's commands, whole processes, cold (`--no-cache`) "
                  f"and warm (after `plan`; median of {options.view_repeat}):\n")
            print(markdown_table(VIEW_HEADER, views))
        return
    print(where)
    print(text_table(HEADER, rows))
    if views:
        print(text_table(VIEW_HEADER, views))


if __name__ == "__main__":
    main()

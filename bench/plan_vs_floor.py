"""Plan time of a blueprint against the floor: the bare SDK mocks registering as many resources.

The floor is the cheapest program the Pulumi SDK can run under its mocks with the same number of
resources (plain custom resources, no components, no invokes, no recording), measured in the same
process right beside the plan. Goal: plan <= 1.5x floor.

A second reference, the "typed floor", registers as many ``aws.ec2.Subnet`` (one ordinary typed
pulumi-aws resource) flat, without the kit and without recording: it shows what the typed SDK
classes alone cost (each creates an Output per declared output property), which the plain floor
does not pay and no program using pulumi-aws can avoid.

The reference marketplace (``examples/marketplace``) is measured the same way, in process.

Then the cold ``plan`` of the reference marketplace as users run it, a whole process
(``plan --no-cache``: interpreter start-up, imports, config, plan, table), against whole
processes of the typed floor with the same resource count: flat ``aws.ec2.Subnet`` only, and
the same after loading the SDK class of every resource type the plan registers (what any
program registering those types imports); alternating order in each round. Goal: <= 1.5x.

Then the commands as users run them, each a whole process, for the reference marketplace: each
view cold (``--no-cache``: it plans) and warm (after a ``plan`` of the same inputs: it reads the
plan cache), side by side with their ratio, beside the bare interpreter's start-up. Goal: warm
views <= 1.0 s. Every process writes and reuses its bytecode, as an installed kit does
(``_common.kit_env``).

    .venv/bin/python bench/plan_vs_floor.py [--blueprint dev --blueprint production] [--repeat 5]
        [--process-repeat 5] [--view-repeat 3] [--no-views]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

from _common import (
    floor,
    kit_env,
    kit_seconds,
    kit_times,
    machine,
    markdown_table,
    median_seconds,
    text_table,
    typed_floor,
)

from marketplace_kit.blueprints.program import plan_platform
from marketplace_kit.config import Platform, default_platform, load_platform

HEADER = ["blueprint", "resources", "plan s", "floor s", "ratio", "res/s", "typed floor s", "ratio"]
VIEW_HEADER = ["command", "cold s (--no-cache)", "warm s (after plan)", "warm/cold",
               "warm/start-up", "cold CPU s", "warm CPU s"]
VIEWS = ("plan", "cost", "timeline", "diagram", "check")
MARKETPLACE = Path(__file__).resolve().parents[1] / "examples" / "marketplace" / "marketplace.yaml"
PROCESS_HEADER = ["process (reference marketplace, fresh)", "median s", "plan / it"]
BENCH = Path(__file__).resolve().parent
FLOOR_PROCESS = ("import json, sys; sys.path.insert(0, sys.argv[3]); "
                 "from _common import typed_class, typed_floor; "
                 "[typed_class(t) for t in json.loads(sys.argv[1])]; typed_floor(int(sys.argv[2]))")


def measure(label: str, platform: Platform, repeat: int) -> list[object]:
    """One row: the platform's plan beside both floors with its resource count."""
    count = len(plan_platform(platform))  # warm-up: imports, caches
    floor(count)
    typed_floor(count)
    planned = median_seconds(partial(plan_platform, platform), repeat)
    bare = median_seconds(partial(floor, count), repeat)
    typed = median_seconds(partial(typed_floor, count), repeat)
    return [label, count, f"{planned:.3f}", f"{bare:.3f}", f"{planned / bare:.2f}x",
            f"{count / planned:.0f}", f"{typed:.3f}", f"{planned / typed:.2f}x"]


def _seconds(args: list[str], env: dict[str, str]) -> float:
    """Wall-clock seconds of one fresh process (it must succeed)."""
    start = time.perf_counter()
    subprocess.run(args, env=env, capture_output=True, timeout=900, check=True)
    return time.perf_counter() - start


def measure_processes(repeat: int) -> list[list[object]]:
    """Rows: the cold plan of the reference marketplace and the typed floors, fresh processes,
    in alternating order each round."""
    graph = plan_platform(load_platform(MARKETPLACE))
    types = json.dumps(sorted({r.type for r in graph}))
    with tempfile.TemporaryDirectory() as cache:
        env = kit_env(Path(cache))
        floor_with = [sys.executable, "-c", FLOOR_PROCESS, types, str(len(graph)), str(BENCH)]
        runs = {
            "plan --no-cache": partial(kit_seconds,
                                       ["plan", "--no-cache", "--config", str(MARKETPLACE)], env),
            f"typed floor: {len(graph)} aws.ec2.Subnet": partial(
                _seconds, [*floor_with[:3], "[]", *floor_with[4:]], env),
            "typed floor + the plan's resource classes loaded": partial(_seconds, floor_with, env),
            "python -c pass": partial(_seconds, [sys.executable, "-c", "pass"], env),
        }
        for run in runs.values():
            run()  # warm-up: bytecode written, files in the page cache
        times: dict[str, list[float]] = {label: [] for label in runs}
        for round_ in range(repeat):
            order = list(runs) if round_ % 2 == 0 else list(reversed(runs))
            for label in order:
                times[label].append(runs[label]())
    medians = {label: statistics.median(found) for label, found in times.items()}
    planned = medians["plan --no-cache"]
    return [[label, f"{seconds:.2f}", f"{planned / seconds:.2f}x"]
            for label, seconds in medians.items()]


def measure_views(repeat: int) -> list[list[object]]:
    """Rows: each view of the reference marketplace, cold and warm, in fresh processes; rounds
    alternate the order of the views and of cold/warm, so a load burst hits both alike."""
    with tempfile.TemporaryDirectory() as cache:
        env = kit_env(Path(cache))
        kit_seconds(["plan", "--config", str(MARKETPLACE)], env)  # fills the cache
        for view in VIEWS:  # a view's own cache (check: schema verdicts; diagram: groups)
            kit_seconds([view, "--config", str(MARKETPLACE)], env)
        samples: dict[tuple[str, str], list[tuple[float, float]]] = {}
        starts: list[float] = []
        for round_ in range(repeat):
            starts.append(_seconds([sys.executable, "-c", "pass"], env))
            for view in VIEWS if round_ % 2 == 0 else tuple(reversed(VIEWS)):
                kinds = ("cold", "warm") if round_ % 2 == 0 else ("warm", "cold")
                for kind in kinds:
                    args = [view, "--config", str(MARKETPLACE)]
                    args += ["--no-cache"] if kind == "cold" else []
                    samples.setdefault((view, kind), []).append(kit_times(args, env))
    startup = statistics.median(starts)

    def median(view: str, kind: str, index: int) -> float:
        return statistics.median(s[index] for s in samples[(view, kind)])

    rows: list[list[object]] = []
    for view in VIEWS:
        cold, warm = median(view, "cold", 0), median(view, "warm", 0)
        rows.append([view, f"{cold:.2f}", f"{warm:.2f}", f"{warm / cold:.2f}x",
                     f"{warm / startup:.1f}x", f"{median(view, 'cold', 1):.2f}",
                     f"{median(view, 'warm', 1):.2f}"])
    rows.append(["python -c pass (start-up)", "", f"{startup:.2f}", "", "1.0x", "", ""])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--blueprint", action="append", choices=["dev", "production", "local"])
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (median)")
    parser.add_argument("--process-repeat", type=int, default=5,
                        help="alternating rounds of the whole-process cold plan (median)")
    parser.add_argument("--view-repeat", type=int, default=3,
                        help="whole-process runs per view measurement (median)")
    parser.add_argument("--no-views", action="store_true", help="skip the commands' table")
    parser.add_argument("--markdown", action="store_true", help="print the README section")
    options = parser.parse_args()
    where = machine()
    rows = [measure(blueprint, default_platform(blueprint), options.repeat)
            for blueprint in options.blueprint or ["dev"]]
    rows.append(measure("reference marketplace", load_platform(MARKETPLACE), options.repeat))
    processes = measure_processes(options.process_repeat)
    views = [] if options.no_views else measure_views(options.view_repeat)
    if options.markdown:
        print(
            "Built-in blueprints against the plain floor and the typed floor (as many flat "
            f"`aws.ec2.Subnet`; median of {options.repeat}), `bench/plan_vs_floor.py`:\n"
        )
        print(markdown_table(HEADER, rows))
        print("\nThe cold `plan` as a whole process against whole processes of the typed floor "
              f"(median of {options.process_repeat} alternating rounds):\n")
        print(markdown_table(PROCESS_HEADER, processes))
        if views:
            print("\nThe reference marketplace's commands, whole processes, cold (`--no-cache`) "
                  f"and warm (after `plan`; median of {options.view_repeat} rounds alternating "
                  "the order of the views and of cold/warm; CPU: the process's user + system "
                  "time):\n")
            print(markdown_table(VIEW_HEADER, views))
        return
    print(where)
    print(text_table(HEADER, rows))
    print(text_table(PROCESS_HEADER, processes))
    if views:
        print(text_table(VIEW_HEADER, views))


if __name__ == "__main__":
    main()

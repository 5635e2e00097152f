"""Growth from 10 to 100 services with the plan cache off and on, each command a whole process.

Each size is a platform written to a temporary directory as a user has it: ``marketplace.yaml``
(dev blueprint) and ``services/svc-NNN/service.yaml`` (``_common.generated_service``: each
service publishes its own topic and consumes the previous one's; every fourth has no datastore).
Per size, side by side in the same rounds:

- cache off: ``plan --no-cache`` and ``check --no-cache`` (plan, and validate every object);
- cache on: ``plan`` and ``check`` after a ``plan`` of the same inputs (read the cached plan and
  the cached schema verdicts).

Rounds alternate the order of the sizes (ascending, then descending) and of off/on, so a load
drift on a shared machine hits every column alike; each cell is the median over the rounds.
Growth is judged per column: the 10 -> 100 time ratio beside the resource ratio (linear growth
with a fixed start-up gives a time ratio at or under the resource ratio), and a least-squares
line of seconds over resources (its slope, the fixed part, and R^2: near 1 is linear).

    .venv/bin/python bench/cache_growth.py [--sizes 10 25 50 100] [--rounds 3] [--markdown]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml
from _common import (
    MAIN,
    generated_service,
    kit_env,
    kit_seconds,
    linear_fit,
    machine,
    markdown_table,
    text_table,
)

SIZES = (10, 25, 50, 100)
COMMANDS = ("plan", "check")
HEADER = ["services", "resources", "plan off s", "plan on s", "on/off", "check off s",
          "check on s", "on/off", "off ms/res"]


def write_platform(root: Path, services: int) -> Path:
    """A platform of ``services`` generated services under ``root``; its marketplace.yaml."""
    config = root / "marketplace.yaml"
    root.mkdir(parents=True)
    config.write_text(yaml.safe_dump({"name": "generated", "blueprint": "dev",
                                      "region": "us-east-1", "services_dir": "services"}))
    for index in range(services):
        spec = generated_service(index)
        directory = root / "services" / spec["name"]
        directory.mkdir(parents=True)
        (directory / "service.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return config


def resources(config: Path, env: dict[str, str]) -> int:
    """The plan's resource count (this also fills the cache for the cache-on runs)."""
    done = subprocess.run([sys.executable, "-c", MAIN, "plan", "--config", str(config),
                           "--format", "json"], env=env, capture_output=True, text=True,
                          timeout=900, check=True)
    return int(json.loads(done.stdout)["summary"]["resources"])


def one_size(config: Path, env: dict[str, str], cache_first: bool) -> dict[str, float]:
    """One round of one size: each command cache off and cache on (in the given order)."""
    times: dict[str, float] = {}
    for on in (cache_first, not cache_first):
        for command in COMMANDS:
            args = [command, "--config", str(config)] + ([] if on else ["--no-cache"])
            times[f"{command} {'on' if on else 'off'}"] = kit_seconds(args, env)
    return times


@dataclass(frozen=True)
class Row:
    """One size: its resource count and the median seconds of each command, cache off and on."""

    services: int
    resources: int
    seconds: dict[str, float]  # "plan off", "plan on", "check off", "check on"

    def ratio(self, command: str) -> float:
        """Cache on over cache off for one command."""
        return self.seconds[f"{command} on"] / self.seconds[f"{command} off"]

    def cells(self) -> list[str]:
        """The row formatted for the tables."""
        t = self.seconds
        return [str(self.services), str(self.resources), f"{t['plan off']:.2f}",
                f"{t['plan on']:.2f}", f"{self.ratio('plan'):.2f}x", f"{t['check off']:.2f}",
                f"{t['check on']:.2f}", f"{self.ratio('check'):.2f}x",
                f"{1000 * t['plan off'] / self.resources:.1f}"]


def measure(sizes: list[int], rounds: int) -> list[Row]:
    """Per size, the median of each command over the rounds."""
    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary)
        env = kit_env(root / "cache")
        configs = {n: write_platform(root / f"platform-{n}", n) for n in sizes}
        counts = {n: resources(configs[n], env) for n in sizes}  # fills each size's cache
        check = [sys.executable, "-c", MAIN, "check", "--config"]
        for n in sizes:  # the schema verdicts too, and bytecode of every module involved
            subprocess.run([*check, str(configs[n])], env=env, capture_output=True, timeout=900,
                           check=False)
        samples: dict[int, list[dict[str, float]]] = {n: [] for n in sizes}
        for round_ in range(rounds):
            order = sizes if round_ % 2 == 0 else list(reversed(sizes))
            for n in order:
                samples[n].append(one_size(configs[n], env, cache_first=round_ % 2 == 1))
    return [Row(n, counts[n], {key: statistics.median(s[key] for s in samples[n])
                               for key in samples[n][0]}) for n in sizes]


def growth(rows: list[Row]) -> list[str]:
    """The growth lines: first to last size, per column, beside the resource ratio."""
    first, last = rows[0], rows[-1]
    lines = [f"{first.services} -> {last.services} services: resources "
             f"x{last.resources / first.resources:.2f}"]
    for key in ("plan off", "plan on", "check off", "check on"):
        before, after = first.seconds[key], last.seconds[key]
        slope, intercept, r2 = linear_fit([float(r.resources) for r in rows],
                                          [r.seconds[key] for r in rows])
        lines.append(f"  {key.replace(' ', ', cache ')}: time x{after / before:.2f} "
                     f"({before:.2f} -> {after:.2f} s); least-squares fit "
                     f"{slope * 1000:.2f} ms/resource {intercept:+.2f} s, R^2 = {r2:.3f}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (median)")
    parser.add_argument("--markdown", action="store_true", help="print the docs' section")
    options = parser.parse_args()
    if len(options.sizes) < 2:
        parser.error("give at least two --sizes to judge growth")
    where = machine()
    rows = measure(sorted(options.sizes), options.rounds)
    table = [row.cells() for row in rows]
    if options.markdown:
        print("Whole processes on generated platforms written to a temporary directory, cache "
              f"off (`--no-cache`) and on (after a `plan`); median of {options.rounds} "
              "alternating rounds, `bench/cache_growth.py`:\n")
        print(markdown_table(HEADER, table))
        print("\n" + "\n".join(f"- {line.strip()}" for line in growth(rows)))
        return
    print(where)
    print(text_table(HEADER, table))
    print("\n".join(growth(rows)))


if __name__ == "__main__":
    main()

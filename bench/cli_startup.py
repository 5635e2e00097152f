"""CLI start-up: `marketplace-kit --help` wall time beside `python -c "import typer"`, one run.

Each variant is a fresh process, run in alternating rounds (median of ``--repeat``), so the
ratios hold on a loaded machine. A two-command typer app's `--help` is the floor of any
typer CLI's help (typer renders it with rich). The *eager* variant is `--help` after importing
the template engine and the config models first: what the CLI cost when `new-service`
imported them at module level.

    .venv/bin/python bench/cli_startup.py [--repeat 15] [--markdown]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import machine, markdown_table, text_table

CLI = "from marketplace_kit.cli.app import main; main()"
EAGER = "import marketplace_kit.scaffold, marketplace_kit.config; " + CLI
HELLO = ("import typer; app = typer.Typer(add_completion=False); "
         "app.command()(lambda name='x': None); app.command('other')(lambda: None); app()")


def variants() -> dict[str, list[str]]:
    """Name -> the command line of one start-up (the installed console script when present)."""
    script = Path(sys.executable).with_name("marketplace-kit")
    kit = [str(script), "--help"] if script.is_file() else [sys.executable, "-c", CLI, "--help"]
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        'python -c "import typer" (baseline)': [sys.executable, "-c", "import typer"],
        "a two-command typer app --help": [sys.executable, "-c", HELLO, "--help"],
        "marketplace-kit --help": kit,
        "marketplace-kit --help, eager imports": [sys.executable, "-c", EAGER, "--help"],
    }


def once(command: list[str]) -> float:
    """Wall-clock seconds of one run (it must succeed)."""
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def measure(repeat: int) -> dict[str, float]:
    """Median seconds per variant, after one warm-up round (alternating rounds)."""
    commands = variants()
    for command in commands.values():
        once(command)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, command in commands.items():
            times[name].append(once(command))
    return {name: statistics.median(found) for name, found in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="rounds (median)")
    parser.add_argument("--markdown", action="store_true", help="print a markdown section")
    options = parser.parse_args()
    medians = measure(options.repeat)
    baseline = medians['python -c "import typer" (baseline)']
    header = ("start-up", "median ms", "x typer import")
    rows = [(name, f"{seconds * 1000:.0f}", f"{seconds / baseline:.2f}")
            for name, seconds in medians.items()]
    if options.markdown:
        print(f"`bench/cli_startup.py`, median of {options.repeat} alternating rounds "
              f"(fresh processes):\n")
        print(markdown_table(header, rows))
    else:
        print(f"{machine()}; median of {options.repeat} rounds")
        print(text_table(header, rows))


if __name__ == "__main__":
    main()

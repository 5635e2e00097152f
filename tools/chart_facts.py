"""Generate ``src/marketplace_kit/data/chart_facts.yaml``: what the real Helm charts do with the
kit's values (workloads, requests, volumes, Prometheus selectors, Secret/ConfigMap keys read,
images, CRDs), rendered with ``helm template`` from the chart sources at the pinned tags.

    python tools/chart_facts.py --charts DIR --helm PATH \
        --out src/marketplace_kit/data/chart_facts.yaml

DIR holds one folder per chart and ``sources.yaml`` (see marketplace_kit.chartfacts.generate);
the chart code is read from upstream snapshots and never committed. PATH: a helm binary
(``.ci/real-parts helm`` prints one). Bad input: one ``error:`` line, exit 2, nothing written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def blueprint_releases(blueprint: str) -> list:  # list[Release]
    """The releases of a built-in blueprint, planned offline under the Pulumi SDK mocks."""
    from marketplace_kit.blueprints.program import plan_platform
    from marketplace_kit.chartfacts.releases import releases_of
    from marketplace_kit.config import default_platform

    return releases_of(plan_platform(default_platform(blueprint)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--charts", type=Path, required=True, help="chart sources folder")
    parser.add_argument("--helm", type=Path, required=True, help="helm binary")
    parser.add_argument("--out", type=Path, required=True, help="facts file to write")
    parser.add_argument("--blueprint", action="append", help="only these blueprints (repeat)")
    args = parser.parse_args(argv)
    from marketplace_kit.chartfacts.cli import run

    return run(args.charts, args.helm, args.out, blueprint_releases, args.blueprint)


if __name__ == "__main__":
    sys.exit(main())

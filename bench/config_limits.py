"""Plan time of the largest input the config accepts (``config/limits.py``): as many services as
allowed, the platform's topic limit spread over them, and each service at its limits of consumed
topics, callees and public routes; against the reference marketplace in the same run.

    .venv/bin/python bench/config_limits.py [--services N] [--repeat 1]
"""

from __future__ import annotations

import argparse
import resource
from functools import partial
from pathlib import Path

from _common import machine, median_seconds, text_table

from marketplace_kit.blueprints.program import plan_platform
from marketplace_kit.config import (
    Platform,
    ServiceSpec,
    check_services,
    limits,
    load_platform,
    parse_platform,
)

REFERENCE = Path(__file__).resolve().parent.parent / "examples" / "marketplace" / "marketplace.yaml"


def largest_platform(services: int = limits.SERVICES) -> Platform:
    """``services`` services at every per-service limit, publishing ``limits.TOPICS`` topics."""
    per = max(1, min(limits.PUBLISHES, limits.TOPICS // services))
    names = [f"svc-{i:03d}" for i in range(services)]
    topics = [[f"{n}-t{j}" for j in range(per)] for n in names]
    flat = [t for group in topics for t in group]
    specs = []
    for i, name in enumerate(names):
        others = [n for n in names if n != name]
        specs.append(ServiceSpec(
            name=name, port=8000 + i, datastore="none" if i % 4 == 3 else "postgres",
            publishes=topics[i],
            consumes=[t for t in flat if t not in topics[i]][: limits.CONSUMES],
            calls=others[: limits.CALLS],
            public_routes=[f"GET /{name}/r{j}" for j in range(limits.PUBLIC_ROUTES)],
        ))
    check_services([(spec, Path(f"<generated>/{spec.name}/service.yaml")) for spec in specs])
    config = parse_platform({"name": "largest", "blueprint": "dev"}, Path("<generated>"))
    return Platform(config=config, services=tuple(specs))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--services", type=int, default=limits.SERVICES)
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement (median)")
    options = parser.parse_args()
    print(machine())
    rows = []
    for label, platform in (("reference marketplace", load_platform(REFERENCE)),
                            (f"largest accepted ({options.services} services)",
                             largest_platform(options.services))):
        count = len(plan_platform(platform))
        seconds = median_seconds(partial(plan_platform, platform), options.repeat)
        rows.append([label, len(platform.services), len(platform.topics), count,
                     f"{seconds:.1f}"])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(text_table(["platform", "services", "topics", "resources", "plan s"], rows))
    print(f"peak RSS of the whole run: {peak:.0f} MiB")


if __name__ == "__main__":
    main()

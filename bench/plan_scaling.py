"""Plan time as the platform grows: the reference marketplace and generated platforms of 10, 25,
50 and 100 services, each against the bare SDK mocks registering as many resources in the same
run (ratio, resources/second), and whether the growth from 10 to 100 services is linear.

Linearity is judged on the time per resource at each size (max/min ratio; 1.0 is perfectly
linear) and on the R^2 of a least-squares line of plan seconds over resource count.

    .venv/bin/python bench/plan_scaling.py [--sizes 10 25 50 100] [--repeat 3] [--markdown]
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from _common import (
    floor,
    generated_service,
    linear_fit,
    machine,
    markdown_table,
    median_seconds,
    text_table,
)

from marketplace_kit.blueprints.program import plan_platform
from marketplace_kit.config import (
    Platform,
    ServiceSpec,
    check_services,
    load_platform,
    parse_platform,
)

REFERENCE = Path(__file__).resolve().parent.parent / "examples" / "marketplace" / "marketplace.yaml"
SIZES = (10, 25, 50, 100)


def generated_platform(services: int, blueprint: str = "dev") -> Platform:
    """A platform of ``services`` generated services (``generated_service``), in memory."""
    specs = [ServiceSpec(**generated_service(i)) for i in range(services)]
    check_services([(spec, Path(f"<generated>/{spec.name}/service.yaml")) for spec in specs])
    config = parse_platform({"name": "generated", "blueprint": blueprint}, Path("<generated>"))
    return Platform(config=config, services=tuple(specs))


@dataclass(frozen=True)
class Row:
    """One measured platform."""

    label: str
    services: int
    resources: int
    plan: float
    floor: float

    @property
    def ratio(self) -> float:
        return self.plan / self.floor

    @property
    def per_second(self) -> float:
        return self.resources / self.plan

    @property
    def ms_per_resource(self) -> float:
        return 1000 * self.plan / self.resources

    def cells(self) -> list[object]:
        return [self.label, self.services, self.resources, f"{self.plan:.2f}", f"{self.floor:.3f}",
                f"{self.ratio:.1f}x", f"{self.per_second:.0f}", f"{self.ms_per_resource:.2f}"]


HEADER = ["platform", "services", "resources", "plan s", "floor s", "ratio", "res/s", "ms/res"]


def measure(label: str, platform: Platform, repeat: int) -> Row:
    """Median plan time and median floor time with the same resource count, side by side."""
    count = len(plan_platform(platform))  # also warms this platform's code paths
    planned = median_seconds(partial(plan_platform, platform), repeat)
    bare = median_seconds(partial(floor, count), repeat)
    return Row(label, len(platform.services), count, planned, bare)


def verdict(rows: list[Row]) -> str:
    """The linearity summary line."""
    per_resource = [r.ms_per_resource for r in rows]
    slope, intercept, r2 = linear_fit([float(r.resources) for r in rows], [r.plan for r in rows])
    spread = max(per_resource) / min(per_resource)
    return (
        f"{rows[0].services} -> {rows[-1].services} services: time per resource "
        f"{min(per_resource):.2f}-{max(per_resource):.2f} ms (max/min {spread:.2f}); "
        f"least-squares fit {slope * 1000:.2f} ms/resource {intercept:+.2f} s, R^2 = {r2:.4f}"
    )


def run(sizes: list[int], repeat: int) -> tuple[list[Row], list[Row]]:
    """(reference rows, generated rows)."""
    plan_platform(generated_platform(sizes[0]))  # warm-up: imports, caches
    reference = []
    if REFERENCE.is_file():
        reference.append(measure("reference marketplace", load_platform(REFERENCE), repeat))
    generated = [measure(f"generated {n}", generated_platform(n), repeat) for n in sizes]
    return reference, generated


def markdown(reference: list[Row], generated: list[Row], repeat: int) -> str:
    """The README's section for this benchmark."""
    missing = [] if reference else ["(examples/marketplace/marketplace.yaml was not present.)"]
    return "\n".join([
        "Plan time against the floor (bare SDK mocks registering as many plain resources, "
        f"measured in the same run; median of {repeat}), `bench/plan_scaling.py`:",
        "",
        markdown_table(HEADER, [r.cells() for r in reference + generated]),
        "",
        *missing,
        f"Growth: {verdict(generated)}.",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--markdown", action="store_true", help="print the README section")
    options = parser.parse_args()
    if len(options.sizes) < 2:
        parser.error("give at least two --sizes to judge growth")
    where = machine()
    reference, generated = run(sorted(options.sizes), options.repeat)
    if options.markdown:
        print(markdown(reference, generated, options.repeat))
        return
    print(where)
    print(text_table(HEADER, [r.cells() for r in reference + generated]))
    if not reference:
        print(f"(no reference marketplace at {REFERENCE})")
    print(verdict(generated))


if __name__ == "__main__":
    main()

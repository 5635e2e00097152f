"""Human-readable renderings of the estimates (rich tables and one-line summaries)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from marketplace_kit.estimate.cost import CostReport
from marketplace_kit.estimate.scale import ScaleRange
from marketplace_kit.estimate.timeline import ScaleOut, Timeline
from marketplace_kit.plan.graph import ResourceGraph


def minutes(seconds: float) -> str:
    """``1242`` -> ``20m42s``."""
    whole = round(seconds)
    return f"{whole // 60}m{whole % 60:02d}s" if whole >= 60 else f"{whole}s"


def print_cost(report: CostReport, console: Console) -> None:
    """Cost lines, the total, what could not be priced, and the assumptions."""
    table = Table(title=f"Monthly cost estimate ({report.region}, USD)")
    table.add_column("resource", overflow="fold")
    table.add_column("type", overflow="fold")
    table.add_column("item", overflow="fold")
    table.add_column("$/month", justify="right", no_wrap=True)
    for line in sorted(report.lines, key=lambda x: (-x.monthly_usd, x.resource, x.item)):
        table.add_row(line.resource, _short(line.type), line.item, f"{line.monthly_usd:,.2f}")
    table.add_section()
    table.add_row("total", "", "", f"{report.total:,.2f}")
    console.print(table)
    console.print(f"{report.free} resources have no charge of their own.")
    if report.unpriced:
        console.print(f"[bold]Not priced ({len(report.unpriced)}), not included in the total:[/]")
        for name, type_, why in report.unpriced:
            console.print(f"  {name} ({type_}): {why}")
    console.print("Assumptions:")
    for a in report.assumptions:
        if a.name in report.used_assumptions:
            console.print(f"  {a.name} = {a.value:g}: {a.note}")
    console.print(
        f"On-demand list prices checked {report.checked}; sources per line in --format json."
    )


def print_scale_range(scale: ScaleRange, console: Console) -> None:
    """Minimum, desired and maximum monthly cost, and what the HPAs ask for at max replicas."""
    console.print(
        f"Scale range: minimum ${scale.minimum.total:,.2f}/month (node groups at min size, "
        f"every HPA at min replicas, Karpenter idle); as planned ${scale.desired.total:,.2f}; "
        f"maximum ${scale.maximum.total:,.2f} (node groups at max size, Karpenter NodePools "
        "at their CPU limits)."
    )
    if scale.hpas:
        console.print(
            f"At max replicas the {len(scale.hpas)} HPAs ask for "
            f"{scale.extra_cpu_m / 1000:g} vCPU more than at minimum (sidecars included)."
        )


def print_timeline(timeline: Timeline, console: Console) -> None:
    """The critical path, step by step, with what runs alongside each step."""
    table = Table(title="Estimated `up` time: critical path")
    # Names fold instead of squeezing the last column to nothing: at 80 columns every column
    # keeps room (tests/test_cli_feedback.py).
    table.add_column("finishes at", justify="right", no_wrap=True)
    table.add_column("resource", overflow="fold", ratio=1)
    table.add_column("type", overflow="fold")
    table.add_column("takes", justify="right", no_wrap=True)
    table.add_column("in parallel (count: longest)", overflow="fold", ratio=2, min_width=16)
    for step in timeline.critical_path:
        beside = timeline.alongside(step)
        longest = ", ".join(f"{s.resource.name} {minutes(s.duration.seconds)}" for s in beside[:2])
        table.add_row(
            minutes(step.finish), step.resource.name, _short(step.resource.type),
            minutes(step.duration.seconds), f"{len(beside)}: {longest}" if beside else "",
        )
    console.print(table)
    console.print(timeline_summary(timeline))
    if timeline.scale_out is not None:
        console.print(scale_out_summary(timeline.scale_out))
    console.print("Durations per type and their sources: --format json, or data/durations.yaml.")


def scale_out_summary(path: ScaleOut) -> str:
    """The scale-out path in one or two lines."""
    warm = " + ".join(f"{s.step} {minutes(s.duration.seconds)}" for s in path.steps
                      if not s.new_node)
    text = f"Scale-out once running: ≈ {minutes(path.on_free_capacity)} on nodes with room ({warm})"
    if path.with_new_node is None:
        return text + "; no node autoscaling here: beyond the nodes there are, pods stay Pending."
    added = " + ".join(f"{s.step} {minutes(s.duration.seconds)}" for s in path.steps
                       if s.new_node)
    return (f"{text}; ≈ {minutes(path.with_new_node)} when Karpenter must add a node "
            f"(+ {added}).")


def timeline_summary(timeline: Timeline) -> str:
    """One line: total, serial time, and how many resources."""
    return (
        f"Estimated `up`: {minutes(timeline.total)} on the critical path of "
        f"{len(timeline.critical_path)} steps ({len(timeline.steps)} resources; "
        f"{minutes(timeline.serial)} if created one by one)."
    )


def summary_line(report: CostReport, timeline: Timeline) -> str:
    """The one-line cost + time summary ``plan`` prints."""
    unpriced = f", {len(report.unpriced)} unpriced" if report.unpriced else ""
    return (
        f"Estimated cost: ${report.total:,.2f}/month in {report.region}{unpriced} "
        f"(marketplace-kit cost); `up` ≈ {minutes(timeline.total)} "
        f"(marketplace-kit timeline)."
    )


def _short(type_: str) -> str:
    """``aws:eks/nodeGroup:NodeGroup`` -> ``aws:NodeGroup``."""
    provider, _, rest = type_.partition(":")
    return f"{provider}:{rest.rsplit(':', 1)[-1]}"


def plan_summary(graph: ResourceGraph, region: str) -> str:
    """``summary_line`` for a plan; names the gap instead of failing when a region is unpriced."""
    from marketplace_kit.errors import KitError
    from marketplace_kit.estimate.cost import estimate
    from marketplace_kit.estimate.timeline import critical_path

    timeline = critical_path(graph)
    try:
        report = estimate(graph, region)
    except KitError as exc:
        return f"Estimated cost: unavailable ({exc}); `up` ≈ {minutes(timeline.total)}."
    return summary_line(report, timeline)

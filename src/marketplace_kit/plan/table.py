"""Human-readable rendering of a plan."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from marketplace_kit.plan.graph import ResourceGraph


def print_table(graph: ResourceGraph, *, title: str, console: Console | None = None) -> None:
    """Print each resource as a tree under its component, then the totals."""
    console = console or Console()
    table = Table(title=title, show_lines=False)
    table.add_column("resource")
    table.add_column("type")
    table.add_column("depends on", justify="right")

    def add(urn: str | None, depth: int) -> None:
        for r in graph.resources:
            if r.parent == urn:
                table.add_row("  " * depth + r.name, r.type, str(len(r.dependencies)))
                add(r.urn, depth + 1)

    add(None, 0)
    console.print(table)
    summary = graph.summary()
    console.print(
        f"{summary['resources']} resources: {summary['custom']} to create, "
        f"{summary['components']} components"
    )

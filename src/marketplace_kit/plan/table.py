"""Human-readable rendering of a plan."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from marketplace_kit.plan.graph import ResourceGraph


def print_table(graph: ResourceGraph, *, title: str, console: Console | None = None) -> None:
    """Print each resource as a tree under its component, then the totals."""
    console = console or Console()
    table = Table(title=title, show_lines=False)
    # Long names and types fold onto the next line rather than being cut: at 80 columns a type
    # such as marketplace-kit:platform:ApiGateway stays whole (tests/test_cli_feedback.py).
    table.add_column("resource", overflow="fold", ratio=1)
    table.add_column("type", overflow="fold", ratio=1)
    table.add_column("depends on", justify="right", no_wrap=True)

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

"""Plan this Pulumi program offline, from Python: ``python plan_offline.py``.

``marketplace_kit.plan_program`` runs a program function under the Pulumi SDK mocks (no cloud
account, no Pulumi CLI) and returns the :class:`marketplace_kit.ResourceGraph` of every resource
it registers, with inputs, parents, dependencies and providers: assert on it in your own tests.
``marketplace-kit plan --program .`` prints the same graph as a table.
"""

from __future__ import annotations

import runpy
from pathlib import Path

from marketplace_kit import ResourceGraph, plan_program

PROGRAM = Path(__file__).resolve().parent / "__main__.py"


def plan() -> ResourceGraph:
    """The graph ``pulumi up`` would create from ``__main__.py`` (run as Pulumi runs it)."""
    return plan_program(lambda: runpy.run_path(str(PROGRAM), run_name="__main__"),
                        project="library-usage")


if __name__ == "__main__":
    graph = plan()
    summary = graph.summary()
    print(f"{summary['resources']} resources, {summary['custom']} to create")
    for group in graph.of_type("aws:eks/nodeGroup:NodeGroup"):
        scaling = group.inputs["scalingConfig"]
        print(f"{group.name}: {group.inputs.get('capacityType', 'ON_DEMAND')} "
              f"{scaling['minSize']}-{scaling['maxSize']} nodes")

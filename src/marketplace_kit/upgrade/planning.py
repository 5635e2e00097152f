"""The upgrade plan from what runs: the add-on builds of each minor on the way (AWS's or the
recorded table), the kit's pins as targets, the ordered steps, and the Pins that deploy what
runs. No engine and no Pulumi import: ``upgrade --plan --state FILE`` reads a file only.
"""

from __future__ import annotations

from dataclasses import dataclass

from marketplace_kit.config import Platform
from marketplace_kit.estimate.data import duration_table
from marketplace_kit.platform.pins import Pins
from marketplace_kit.upgrade.addon_catalog import addon_catalog
from marketplace_kit.upgrade.pinning import running_pins
from marketplace_kit.upgrade.rules import plan_upgrade
from marketplace_kit.upgrade.running import Running
from marketplace_kit.upgrade.steps import UpgradePlan
from marketplace_kit.upgrade.targets import kit_targets, path_minors


@dataclass(frozen=True)
class StackPlan:
    """A plan from the stack's own state, and the Pins that deploy what runs."""

    plan: UpgradePlan
    running: Pins


def plan_from(running: Running, platform: Platform, source: str,
              offline: bool = False) -> StackPlan:
    """The upgrade plan from ``running`` to the kit's pins for ``platform`` (the add-on builds
    of each minor from AWS when credentials exist, else or ``offline`` the recorded table)."""
    target = platform.config.cluster.kubernetes_version
    catalog = addon_catalog(platform.config.region, sorted(running.addons),
                            path_minors(running.kubernetes, target), offline=offline)
    targets = kit_targets(target, catalog)
    plan = plan_upgrade(running, targets, duration_table(), source)
    return StackPlan(plan, running_pins(running, targets))

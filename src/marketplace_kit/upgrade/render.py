"""An upgrade plan as text: numbered steps, each with its changes, replacements, time, rollback."""

from __future__ import annotations

from marketplace_kit.upgrade.steps import UpgradePlan


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 90 else f"{seconds:.0f} s"


def plan_lines(plan: UpgradePlan) -> list[str]:
    """The plan, one line each."""
    lines = [f"upgrade plan: {plan.source}: Kubernetes {plan.running_kubernetes or 'none'} -> "
             f"the kit's pins (Kubernetes {plan.target_kubernetes})",
             f"add-on builds: {plan.addon_source}"]
    if not plan.steps:
        lines.append("no steps: what runs is at the kit's pins")
    for number, step in enumerate(plan.steps, 1):
        lines.append(f"{number:2}. {step.title}  [{step.id}]")
        lines += [f"    changes: {change}" for change in step.changes]
        stateful = "nothing stateful"
        replaced = ", ".join(step.replaces)
        lines.append(f"    replaces: {replaced + '; ' + stateful if replaced else 'nothing'}")
        lines.append(f"    duration: ~{_minutes(step.duration.seconds)} "
                     f"({step.duration.basis}; {step.duration.source})")
        lines.append(f"    rollback: {step.rollback}")
        if step.made_by:
            lines.append(f"    made by: {step.made_by} (not by up)")
    if plan.steps:
        lines.append(f"{len(plan.steps)} steps, ~{_minutes(plan.seconds)} one after another")
    lines += [f"note: {note}" for note in plan.notes]
    return lines

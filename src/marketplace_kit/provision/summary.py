"""Human summaries of an ``Outcome`` (the JSON form is ``Outcome.to_json``)."""

from __future__ import annotations

import json
from typing import Any

from marketplace_kit.provision.operations import SECRET, Outcome
from marketplace_kit.provision.progress import format_duration, message_lines

PAST = {
    "create": "created",
    "update": "updated",
    "delete": "deleted",
    "replace": "replaced",
    "same": "unchanged",
    "read": "read",
    "import": "imported",
}
FUTURE = {"same": "unchanged"}
PHASE_NOTES = {
    "foundation": "first the network and cluster, then a check of the cluster's API",
    "release": "first what holds load balancers, volumes or Kafka (and what depended on it)",
    "unprotect": "deletion protection lifted (confirmed) on",
}


def describe_counts(changes: dict[str, int], *, done: bool) -> str:
    """``3 created, 1 updated`` (done) or ``3 to create, 1 to update`` (planned)."""
    parts = []
    for op, n in sorted(changes.items()):
        if not n:
            continue
        if done:
            parts.append(f"{n} {PAST.get(op, op)}")
        else:
            parts.append(f"{n} {FUTURE.get(op, 'to ' + op)}")
    return ", ".join(parts) or "nothing"


def _value(value: Any, secret: bool, show_secrets: bool) -> str:
    if secret and not show_secrets:
        return SECRET
    return value if isinstance(value, str) else json.dumps(value)


def summary_lines(outcome: Outcome, show_secrets: bool = False) -> list[str]:
    """What to print once a command is over: its result, then every warning, policy finding
    and line of the program's stderr the engine runs reported."""
    return _result_lines(outcome, show_secrets) + message_lines(outcome.diagnostics,
                                                                outcome.policy)


def _result_lines(outcome: Outcome, show_secrets: bool) -> list[str]:
    settings, took = outcome.settings, format_duration(outcome.seconds)
    where = f"stack {settings.stack!r} ({settings.backend_url})"
    if outcome.result == "cancelled":
        return ["cancelled: nothing was changed"]
    if outcome.result == "no-changes":
        nothing = "nothing to destroy" if outcome.command == "destroy" else "no changes"
        return [f"{nothing}: {where} is up to date"]
    if outcome.command == "preview":
        counts = describe_counts(outcome.changes, done=False)
        return [f"preview of {where}: {counts}", "apply it with: marketplace-kit up"]
    if outcome.command == "outputs":
        if not outcome.outputs:
            return [f"{where} has no outputs"]
        width = max(len(name) for name in outcome.outputs)
        return [
            f"{name.ljust(width)}  {_value(value, secret, show_secrets)}"
            for name, (value, secret) in sorted(outcome.outputs.items())
        ]
    lines = [
        f"✓ {outcome.command} of {where} in {took}: {describe_counts(outcome.changes, done=True)}"
    ]
    for phase in outcome.phases[:-1]:
        lines.append(f"  {PHASE_NOTES.get(phase.name, phase.name)}: "
                     f"{describe_counts(phase.changes, done=True)}")
    if outcome.outputs:
        lines.append("outputs (marketplace-kit outputs --show-secrets shows secrets):")
        lines += [
            f"  {name}: {_value(value, secret, False)}"
            for name, (value, secret) in sorted(outcome.outputs.items())
        ]
    return lines

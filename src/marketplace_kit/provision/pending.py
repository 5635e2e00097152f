"""What an interrupted engine run leaves: the one line said at the stop, and the clean-up after.

The engine writes an operation it started but did not see end into the state's
``pending_operations``. Any later run drops the pending updates, deletes and reads (the engine
reads those resources again), but keeps pending *creates*: the resource may exist without the
state knowing its ID. ``pulumi refresh --clear-pending-creates`` is the engine's own way to
drop them (the kit's next ``up`` or ``destroy`` runs it, then goes on with a refreshed state).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marketplace_kit.errors import KitError
from marketplace_kit.provision.progress import Progress, resource_name

LISTED = 5
CREATING = "creating"


class Interrupted(KitError):
    """Ctrl-C stopped an engine run (the shell's exit code for SIGINT)."""

    exit_code = 130


def pending_operations(deployment: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """(operation, urn) of each operation an exported deployment records as pending."""
    found = (deployment or {}).get("pending_operations") or []
    return [(str(op.get("type", "")), str(op["resource"]["urn"])) for op in found]


def pending_creates(deployment: Mapping[str, Any] | None) -> list[str]:
    """URNs of the pending creates (the ones a later run keeps)."""
    return [urn for op, urn in pending_operations(deployment) if op == CREATING]


def _names(items: list[str]) -> str:
    more = f" and {len(items) - LISTED} more" if len(items) > LISTED else ""
    return ", ".join(items[:LISTED]) + more


def interrupted(
    command: str, title: str, progress: Progress, forced: bool, pending: list[tuple[str, str]]
) -> Interrupted:
    """The one line said when Ctrl-C stopped ``title`` (a run of ``command``)."""
    done, flight, _ = progress.snapshot()
    total = f" of {progress.total}" if progress.total is not None else ""
    how = ("at once (a second Ctrl-C)" if forced
           else "cleanly (what was in flight finished or was cancelled by its provider)")
    text = f"{title} interrupted (Ctrl-C): the engine stopped {how}; {done}{total} changes made"
    if flight:
        text += f"; cut off: {_names([f'{verb} {name}' for verb, _, name, _ in flight])}"
    if pending:
        text += "; pending in the state: " + _names(
            [f"{op} {resource_name(urn)}" for op, urn in pending])
    return Interrupted(
        f"{text}; fix: run `marketplace-kit {command}` again to finish (it clears what was left "
        "pending, refreshes, and goes on)"
    )


def cleared_warning(urns: list[str]) -> str:
    """What the next run says when it drops an interrupted run's pending creates."""
    names = _names([resource_name(u) for u in urns])
    return (
        f"an interrupted run left {len(urns)} create(s) pending ({names}): "
        "dropped from the state (`pulumi refresh --clear-pending-creates`) and refreshed; if the "
        "next step says one already exists, it was created outside the state: import or delete it"
    )

"""Engine events -> progress: resources done / total, what is in flight, failures, elapsed.

``Progress`` is pure state fed by the Automation API's ``on_event`` callback (it may be called
from the event-stream thread, so it locks); ``render`` draws it for a rich ``Live`` display.

What the engine sends (pulumi/pulumi ``sdk/go/common/apitype/events.go`` and
``pkg/engine/update.go``, ``pkg/backend/display/display.go``, read at v3.259.0):
- a replacement is three steps on one URN: ``create-replacement``, ``replace`` (the one the
  summary counts), ``delete-replaced`` (``delete-replaced`` first with deleteBeforeReplace);
- a refresh step's pre-event says ``refresh`` and its outputs event the result (``same``,
  ``update``, ``delete``);
- the event log carries the default providers' steps (``pulumi:providers:aws::default_7_51_1``)
  which the summary does not count (the engine marks them internal);
- diagnostics come with a severity (``info``, ``info#err`` for the program's stderr, ``warning``,
  ``error``; ``debug`` only under --debug) and ``ephemeral`` for progress-only lines (the
  Kubernetes provider's await status), which the engine's own display does not keep; policy
  violations come as ``policyEvent`` with an enforcement level.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pulumi.automation import EngineEvent
    from rich.console import RenderableType

# Operations that leave a resource as it was: not counted as work.
IDLE_OPS = frozenset({"same", "read", "discard"})
# Steps of a replacement that the summary does not count (the ``replace`` step is counted).
REPLACEMENT_PARTS = frozenset({
    "create-replacement", "delete-replaced", "read-replacement", "discard-replaced",
    "import-replacement", "remove-pending-replace",
})
STARTS_REPLACEMENT = frozenset({"create-replacement", "read-replacement", "import-replacement"})
SHOWN_MESSAGES = 5
VERBS = {
    "create": "creating",
    "update": "updating",
    "delete": "deleting",
    "replace": "replacing",
    "create-replacement": "creating replacement",
    "delete-replaced": "deleting replaced",
    "refresh": "refreshing",
    "import": "importing",
}
SHOWN_IN_FLIGHT = 6
STACK_TYPE = "pulumi:pulumi:Stack"


def normalize_changes(changes: Mapping[Any, int] | None) -> dict[str, int]:
    """An engine change summary keyed by plain op names (``OpType`` or str keys)."""
    return {str(getattr(op, "value", op)): int(n) for op, n in (changes or {}).items()}


def count_changes(changes: Mapping[str, int]) -> int:
    """How many resource operations a change summary will perform (unchanged ones excluded)."""
    return sum(n for op, n in changes.items() if op not in IDLE_OPS)


def resource_name(urn: str) -> str:
    """The logical name at the end of a URN."""
    return urn.rsplit("::", 1)[-1]


def resource_type(urn: str) -> str:
    """The resource type in a URN (``urn:pulumi:stack::project::parent$type::name``)."""
    parts = urn.split("::")
    return parts[2].split("$")[-1] if len(parts) >= 4 else ""


@dataclass
class Failure:
    """A resource operation that failed, with the provider's message."""

    urn: str
    type: str
    message: str

    @property
    def name(self) -> str:
        return resource_name(self.urn)


def is_default_provider(urn: str) -> bool:
    """A provider the engine made for resources without an explicit one (not counted)."""
    return resource_type(urn).startswith("pulumi:providers:") and resource_name(urn).startswith(
        "default"
    )


def subject(urn: str | None) -> str | None:
    """The name of the resource a message is about; None for the stack itself (or none)."""
    return resource_name(urn) if urn and resource_type(urn) != STACK_TYPE else None


# Diagnostics kept for the user: not the errors (they fail the run), not ``debug`` (--debug only).
KEPT_SEVERITIES = ("warning", "info#err", "info")


@dataclass(frozen=True)
class Diagnostic:
    """A message the engine, a provider or the program sent (not an error, not ephemeral)."""

    severity: str  # warning, info#err (the program's stderr), info
    urn: str
    message: str

    def to_json(self) -> dict[str, str | None]:
        return {"severity": self.severity, "resource": subject(self.urn),
                "urn": self.urn or None, "message": self.message}


@dataclass(frozen=True)
class PolicyViolation:
    """A policy pack's finding on a resource."""

    policy: str
    level: str  # advisory/warning, mandatory, remediate, disabled/none
    urn: str
    message: str
    pack: str = ""

    def to_json(self) -> dict[str, str | None]:
        return {"policy": self.policy, "pack": self.pack, "level": self.level,
                "resource": subject(self.urn), "urn": self.urn or None,
                "message": self.message}


@dataclass
class Progress:
    """What the engine has done so far in one operation."""

    action: str
    total: int | None = None
    clock: Callable[[], float] = time.monotonic
    started: float = field(default=0.0)
    # urn -> (op, type, since)
    in_flight: dict[str, tuple[str, str, float]] = field(default_factory=dict)
    done: set[str] = field(default_factory=set)
    failures: list[Failure] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # error diagnostics without a resource
    changes: dict[str, int] = field(default_factory=dict)  # the engine's summary
    planned: dict[str, list[str]] = field(default_factory=dict)  # op -> urns, in event order
    diagnostics: list[Diagnostic] = field(default_factory=list)  # warnings, stderr, info
    policy: list[PolicyViolation] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.started = self.clock()

    @property
    def elapsed(self) -> float:
        return self.clock() - self.started

    def on_event(self, event: EngineEvent) -> None:
        """The Automation API ``on_event`` callback."""
        with self._lock:
            self._apply(event)

    def _apply(self, event: EngineEvent) -> None:
        if event.resource_pre_event is not None:
            meta = event.resource_pre_event.metadata
            op = str(meta.op.value)
            if op in IDLE_OPS or is_default_provider(meta.urn):
                return
            if op not in REPLACEMENT_PARTS:
                self.planned.setdefault(op, []).append(meta.urn)
            since = self.in_flight.get(meta.urn, (op, meta.type, self.clock()))[2]
            self.in_flight[meta.urn] = (op, meta.type, since)
        elif event.res_outputs_event is not None:
            meta = event.res_outputs_event.metadata
            self._finished(str(meta.op.value), meta.urn)
        elif event.res_op_failed_event is not None:
            self.in_flight.pop(event.res_op_failed_event.metadata.urn, None)
        elif event.diagnostic_event is not None:
            found = event.diagnostic_event
            if not found.ephemeral:
                self._diagnostic(found.severity, found.urn, found.message)
        elif event.policy_event is not None:
            policy = event.policy_event
            self.policy.append(PolicyViolation(
                policy.policy_name, policy.enforcement_level, policy.resource_urn or "",
                " ".join(policy.message.split()), policy.policy_pack_name,
            ))
        elif event.summary_event is not None:
            self.changes = normalize_changes(event.summary_event.resource_changes)

    def _finished(self, op: str, urn: str) -> None:
        if op in STARTS_REPLACEMENT:  # the replacement exists; the ``replace`` step follows
            return
        flying = self.in_flight.get(urn)
        if op in REPLACEMENT_PARTS:  # deleting the replaced one: not a step of its own
            if flying is not None and flying[0] == op:
                self.in_flight.pop(urn)
            return
        # A refresh step ends with its result op (``same`` too): done when it was in flight.
        if flying is not None or (op not in IDLE_OPS and not is_default_provider(urn)):
            self.in_flight.pop(urn, None)
            self.done.add(urn)

    def _diagnostic(self, severity: str, urn: str | None, message: str) -> None:
        text = " ".join(message.split())
        if not text:
            return
        if severity == "error":
            self._record_error(urn, message)
        elif severity in KEPT_SEVERITIES:
            self.diagnostics.append(Diagnostic(severity, urn or "", text))

    def _record_error(self, urn: str | None, message: str) -> None:
        text = " ".join(message.split())
        kind = resource_type(urn) if urn else ""
        if urn and kind and kind != STACK_TYPE:
            if not any(f.urn == urn for f in self.failures):
                self.failures.append(Failure(urn=urn, type=kind, message=text))
            return
        self.errors.append(text)

    def messages(self) -> list[str]:
        """Warnings, policy findings and the program's stderr, one line each, for the user."""
        with self._lock:
            return message_lines(self.diagnostics, self.policy)

    def snapshot(self) -> tuple[int, list[tuple[str, str, str, float]], list[Failure]]:
        """(done count, in-flight (verb, type, name, seconds) oldest first, failures)."""
        with self._lock:
            now = self.clock()
            flight = sorted(self.in_flight.items(), key=lambda item: item[1][2])
            rows = [
                (VERBS.get(op, op), kind, resource_name(urn), now - since)
                for urn, (op, kind, since) in flight
            ]
            return len(self.done), rows, list(self.failures)


def _on(urn: str) -> str:
    """``name: `` of the resource a message is about; nothing for the stack itself."""
    name = subject(urn)
    return f"{name}: " if name else ""


def message_lines(diagnostics: list[Diagnostic], policy: list[PolicyViolation]) -> list[str]:
    """Warnings, then policy findings, then the program's stderr (info lines stay in JSON)."""
    lines = [f"warning: {_on(d.urn)}{d.message}" for d in diagnostics if d.severity == "warning"]
    lines += [
        f"policy {v.policy} ({v.level}) on {resource_name(v.urn) or 'the stack'}: {v.message}"
        for v in policy
    ]
    lines += [f"program stderr: {d.message}" for d in diagnostics if d.severity == "info#err"]
    return lines


def format_duration(seconds: float) -> str:
    """``1h02m03s`` / ``4m05s`` / ``12s``."""
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def render(progress: Progress, title: str, messages: bool = True) -> RenderableType:
    """The live display: a header with counts and elapsed time, then what is in flight, then
    (``messages``) the first warnings and policy findings so far."""
    from rich.console import Group
    from rich.text import Text

    done, flight, failures = progress.snapshot()
    count = f"{done} resources" if progress.total is None else f"{done}/{progress.total} resources"
    lines = [
        Text.assemble(
            (f"{title}  ", "bold"),
            (count, "cyan"),
            f"  ·  {format_duration(progress.elapsed)} elapsed",
        )
    ]
    for verb, kind, name, seconds in flight[:SHOWN_IN_FLIGHT]:
        lines.append(Text(f"  {verb} {name} ({kind}) {format_duration(seconds)}", style="dim"))
    if len(flight) > SHOWN_IN_FLIGHT:
        lines.append(Text(f"  … and {len(flight) - SHOWN_IN_FLIGHT} more", style="dim"))
    lines += [Text(f"  failed {f.name} ({f.type}): {f.message}", style="red") for f in failures]
    shown = progress.messages() if messages else []
    lines += [Text(f"  {m}", style="yellow") for m in shown[:SHOWN_MESSAGES]]
    if len(shown) > SHOWN_MESSAGES:
        lines.append(Text(f"  … and {len(shown) - SHOWN_MESSAGES} more messages", style="dim"))
    return Group(*lines)

"""preview / up / destroy / refresh / outputs of a platform's stack, each one engine run or more.

The CLI passes a ``Session``: how to show progress, how to ask for confirmation (``None`` with
``--yes``) and how to warn. Results come back as an ``Outcome`` the CLI prints or dumps as JSON.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypeVar

from marketplace_kit.blueprints.deploy_inputs import UPGRADE_PINS_KEY, DeployInputs, HeldPins
from marketplace_kit.config import Platform
from marketplace_kit.errors import KitError
from marketplace_kit.provision import delete_guard
from marketplace_kit.provision.api_check import (
    ClusterApi,
    cluster_api,
    require_aws_cli,
    set_log_retention,
    wait_for_api,
    wait_seconds_from_env,
)
from marketplace_kit.provision.deployer import deployer_cidr, needs_deployer_address
from marketplace_kit.provision.failures import translated
from marketplace_kit.provision.pending import (
    Interrupted,
    cleared_warning,
    interrupted,
    pending_creates,
    pending_operations,
)
from marketplace_kit.provision.progress import (
    Diagnostic,
    PolicyViolation,
    Progress,
    count_changes,
    normalize_changes,
    resource_name,
)
from marketplace_kit.provision.pulumi_binary import find_cli
from marketplace_kit.provision.recorded_cluster import recorded_creator_bootstrap
from marketplace_kit.provision.service_stacks import (
    live_service_stacks,
    service_settings,
)
from marketplace_kit.provision.service_stacks import refuse as refuse_services
from marketplace_kit.provision.settings import StackSettings
from marketplace_kit.provision.stages import foundation_targets, touched
from marketplace_kit.provision.teardown import (
    blockers,
    counted_resources,
    protected_stores,
    state_resources,
)
from marketplace_kit.provision.volume_wait import gave_up_line, wait_for_volumes
from marketplace_kit.provision.volume_wait import wait_seconds_from_env as volume_wait_seconds
from marketplace_kit.provision.workspace import open_stack, require_aws_credentials

if TYPE_CHECKING:
    from pulumi import automation as auto

T = TypeVar("T")
Display = Callable[[Progress, str], AbstractContextManager[object]]
Confirm = Callable[[str], bool]
SECRET = "[secret]"
LISTED = 10


@dataclass
class Session:
    """One command's context: the platform, where its stack lives, and how to talk to the user."""

    command: str
    platform: Platform
    settings: StackSettings
    display: Display
    warn: Callable[[str], None]
    confirm: Confirm | None = None  # None: --yes
    allow_delete: bool = False  # up: may delete services, databases, topics, the cluster
    remove: bool = False  # destroy: remove the emptied stack too
    lift_protection: bool = False  # destroy: lift databases' deletion protection (confirmed)
    with_services: bool = False  # destroy: destroy the service stacks on the platform first
    program: Callable[[], None] | None = None  # None: the platform's own program
    # up in stages (foundation, API check, the rest)? None: when the platform's target is aws
    staged: bool | None = None
    plugins: Mapping[str, str] | None = None  # provider plugins to install; None: the target's
    announce_hold: bool = True  # say in one line that the stack is in the middle of an upgrade
    runs: list[Progress] = field(default_factory=list)  # every engine run so far, in order
    opened: auto.Stack | None = field(default=None, repr=False)  # the stack, once opened


@dataclass
class Phase:
    """One engine run of a command (destroy has two)."""

    name: str
    changes: dict[str, int]
    targets: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    """What a command did."""

    command: str
    settings: StackSettings
    result: str  # succeeded | no-changes | cancelled
    seconds: float = 0.0
    changes: dict[str, int] = field(default_factory=dict)
    outputs: dict[str, tuple[Any, bool]] = field(default_factory=dict)  # name -> (value, secret)
    phases: list[Phase] = field(default_factory=list)
    # What the engine runs reported besides changes: warnings, program stderr, info; policy.
    diagnostics: list[Diagnostic] = field(default_factory=list)
    policy: list[PolicyViolation] = field(default_factory=list)

    def to_json(self, show_secrets: bool = False) -> dict[str, Any]:
        """The outcome for scripts (secret outputs masked unless ``show_secrets``)."""
        return {
            "command": self.command,
            "project": self.settings.project,
            "stack": self.settings.stack,
            "backend": self.settings.backend_url,
            "result": self.result,
            "duration_seconds": round(self.seconds, 1),
            "changes": self.changes,
            "outputs": {
                k: (v if show_secrets or not secret else SECRET)
                for k, (v, secret) in self.outputs.items()
            },
            "phases": [
                {"name": p.name, "changes": p.changes, "targets": p.targets} for p in self.phases
            ],
            "diagnostics": [d.to_json() for d in self.diagnostics],
            "policy": [v.to_json() for v in self.policy],
        }


def _merge(changes: Iterable[Mapping[str, int]]) -> dict[str, int]:
    merged: dict[str, int] = {}
    for change in changes:
        for op, n in change.items():
            merged[op] = merged.get(op, 0) + n
    return merged


def _engine(
    session: Session, title: str, total: int | None, call: Callable[[Progress], T]
) -> tuple[T, Progress]:
    """Run one engine operation under the live display, failures mapped to one line; Ctrl-C
    stops the engine cleanly (``engine_command``) and says what was done and what is pending."""
    from marketplace_kit.provision.engine_command import EngineInterrupted

    progress = Progress(title, total=total)
    session.runs.append(progress)
    try:
        with translated(session.settings, session.command, progress), session.display(
            progress, title
        ):
            return call(progress), progress
    except EngineInterrupted as stop:
        raise _interrupted(session, title, progress, stop.forced) from None


def _interrupted(session: Session, title: str, progress: Progress, forced: bool) -> Interrupted:
    """The one line for a run Ctrl-C stopped, with what the state now records as pending."""
    from pulumi import automation as auto

    from marketplace_kit.provision.engine_command import EngineInterrupted

    pending: list[tuple[str, str]] = []
    # the state cannot always be read then (or a further Ctrl-C stops the reading): the line
    # says what is known
    with suppress(auto.CommandError, EngineInterrupted):
        if session.opened is not None:
            pending = pending_operations(session.opened.export_stack().deployment)
    return interrupted(session.command, title, progress, forced, pending)


def _clear_pending(session: Session, stack: auto.Stack) -> None:
    """Before a run: drop the creates an interrupted run left pending (the engine's own
    ``refresh --clear-pending-creates``, which also refreshes the state), and say so."""
    with translated(session.settings, session.command):
        creates = pending_creates(stack.export_stack().deployment)
    if not creates:
        return
    _engine(
        session, "refresh (clearing what an interrupted run left pending)", None,
        lambda p: stack.refresh(clear_pending_creates=True, on_event=p.on_event),
    )
    session.warn(cleared_warning(creates))


def _open(
    session: Session,
    *,
    create: bool,
    engine: bool = True,
    inputs: DeployInputs | None = None,
    record: bool = True,
) -> auto.Stack:
    """The session's stack with its program (given ``inputs``: recorded in the stack's config
    unless not ``record``; without: the program reads those ``up`` recorded)."""
    from marketplace_kit.blueprints.program import platform_program

    program = (session.program or platform_program(session.platform, inputs)) if engine else None
    recording = inputs.to_config() if inputs is not None and record else None
    with translated(session.settings, session.command):
        session.opened = open_stack(
            session.platform, session.settings, create=create, program=program,
            warn=session.warn, record=recording, plugins=session.plugins,
        )
    if inputs is not None and engine and session.program is None:
        _keep_recorded(session, session.opened, inputs, record)
    return session.opened


def _keep_recorded(
    session: Session, stack: auto.Stack, inputs: DeployInputs, record: bool
) -> None:
    """The program keeps what the existing cluster was created with (its ForceNew creator-admin
    flag, read from the stack's state): a kit upgrade never replaces the cluster. And a stack in
    the middle of ``upgrade --apply`` keeps the versions it holds (its config; said in one
    line)."""
    from marketplace_kit.blueprints.program import platform_program

    with translated(session.settings, session.command):
        kept = recorded_creator_bootstrap(state_resources(stack.export_stack().deployment))
    held = held_pins(session)
    if held is not None and session.announce_hold:
        session.warn(held.line(session.settings.stack))
    if kept == inputs.creator_bootstrap and held == inputs.held:
        return
    inputs = replace(inputs, creator_bootstrap=kept, held=held)
    stack.workspace.program = platform_program(session.platform, inputs)
    if record:
        with translated(session.settings, session.command):
            stack.set_all_config({k: auto_config(v) for k, v in inputs.to_config().items()})


def deploy_inputs(platform: Platform) -> DeployInputs:
    """What this run adds to the program: the deployer's public address when the API needs it."""
    return DeployInputs(deployer_cidr=deployer_cidr() if needs_deployer_address(platform) else None)


def _where(settings: StackSettings) -> str:
    return f"stack {settings.stack!r} of {settings.project!r} ({settings.backend_url})"


def _listing(label: str, urns: list[str]) -> str:
    names = ", ".join(resource_name(u) for u in urns[:LISTED])
    more = f" and {len(urns) - LISTED} more" if len(urns) > LISTED else ""
    return f"\n  {label}: {names}{more}"


def describe_changes(
    settings: StackSettings, changes: Mapping[str, int], planned: Mapping[str, list[str]]
) -> str:
    """The confirmation text for ``up``: counts per operation, and what will be deleted/replaced."""
    counts = ", ".join(f"{n} to {op}" for op, n in sorted(changes.items()) if op != "same" and n)
    text = f"{_where(settings)}: {counts}"
    for op in ("delete", "replace"):
        if planned.get(op):
            text += _listing(f"will {op}", planned[op])
    return text


def _reporting(operation: Callable[[Session], Outcome]) -> Callable[[Session], Outcome]:
    """The command's outcome with what its engine runs reported besides changes."""

    @functools.wraps(operation)
    def run(session: Session) -> Outcome:
        outcome = operation(session)
        for progress in session.runs:
            outcome.diagnostics += progress.diagnostics
            outcome.policy += progress.policy
        return outcome

    return run


def estimate_line(platform: Platform) -> str:
    """Monthly cost and `up` time of the platform, from its offline plan (same program as `up`)."""
    from marketplace_kit.blueprints.program import plan_platform
    from marketplace_kit.estimate.views import plan_summary

    return plan_summary(plan_platform(platform), platform.config.region)


@_reporting
def preview(session: Session) -> Outcome:
    """What ``up`` would change (no confirmation: nothing is changed): the same program as
    ``up``'s, with what this run finds (the deployer's address), not recorded."""
    started = time.monotonic()
    inputs = deploy_inputs(session.platform) if session.program is None else None
    stack = _open(session, create=True, inputs=inputs, record=False)
    result, _ = _engine(session, "preview", None, lambda p: stack.preview(on_event=p.on_event))
    changes = normalize_changes(result.change_summary)
    return Outcome("preview", session.settings, "succeeded", time.monotonic() - started, changes)


def _outputs(raw: Mapping[str, Any]) -> dict[str, tuple[Any, bool]]:
    return {name: (out.value, bool(out.secret)) for name, out in raw.items()}


@_reporting
def up(session: Session) -> Outcome:
    """Preview, confirm (unless --yes), then create or update the platform.

    On AWS in stages: the network and cluster first (when the preview changes them), a check
    that this machine can use the cluster's API, then everything (the in-cluster layers).
    """
    started = time.monotonic()
    with translated(session.settings, session.command):
        find_cli()  # what is missing on this machine first, before looking outwards
        if session.program is None:
            require_aws_credentials(session.platform)
            if session.platform.config.target == "aws":
                require_aws_cli()
    platform_run = session.program is None  # not e.g. the state backend's bootstrap program
    inputs = deploy_inputs(session.platform) if platform_run else None
    stack = _open(session, create=True, inputs=inputs)
    _clear_pending(session, stack)
    planned, plan_progress = _engine(
        session, "preview", None, lambda p: stack.preview(on_event=p.on_event)
    )
    changes = normalize_changes(planned.change_summary)
    settings = session.settings
    if count_changes(changes) == 0:
        return Outcome("up", settings, "no-changes", time.monotonic() - started, changes)
    doomed = delete_guard.check(session.allow_delete, session.confirm is None,
                                plan_progress.planned, settings.stack, session.warn)
    estimate = "" if session.program else "\n" + estimate_line(session.platform)
    if session.confirm and not session.confirm(
        describe_changes(settings, changes, plan_progress.planned)
        + delete_guard.prompt_text(doomed)
        + estimate
    ):
        return Outcome("up", settings, "cancelled", time.monotonic() - started, changes)
    phases: list[Phase] = []
    staged = session.staged
    if staged is None:
        staged = platform_run and session.platform.config.target == "aws"
    if staged:
        phases += _foundation_stage(session, stack, plan_progress.planned)
        _check_cluster_api(session, stack)
    total = count_changes(changes) - sum(count_changes(p.changes) for p in phases)
    done, _ = _engine(session, "up", max(total, 0), lambda p: stack.up(on_event=p.on_event))
    phases.append(Phase("up", normalize_changes(done.summary.resource_changes)))
    return Outcome(
        "up",
        settings,
        "succeeded",
        time.monotonic() - started,
        _merge(p.changes for p in phases),
        _outputs(done.outputs),
        phases=phases,
    )


def _foundation_stage(
    session: Session, stack: auto.Stack, planned: Mapping[str, list[str]]
) -> list[Phase]:
    """Stage one: a targeted up of the network and cluster, when this run's preview (``planned``,
    from its events) changes them."""
    targets = foundation_targets(planned)
    changing = touched(planned, targets)
    if not changing:
        return []
    result, _ = _engine(
        session, "up (network and cluster)", len(set(changing)),
        lambda p: stack.up(target=targets, on_event=p.on_event),
    )
    return [Phase("foundation", normalize_changes(result.summary.resource_changes), targets)]


def _check_cluster_api(session: Session, stack: auto.Stack) -> None:
    """Between the stages: this machine can call the API (else one line and the fix)."""
    config = session.platform.config
    with translated(session.settings, session.command):
        api = cluster_api(state_resources(stack.export_stack().deployment), config.region)
    if api is None:
        return
    wait_for_api(api, config.cluster.endpoint_access, wait_seconds=wait_seconds_from_env())
    problem = set_log_retention(api, config.cluster.log_retention_days)
    if problem:
        session.warn(f"{problem} (the next up tries again)")


def dependents(resources: list[Mapping[str, Any]], roots: Iterable[str]) -> list[str]:
    """``roots`` and every state resource depending on them (dependency, parent or provider)."""
    closed = set(roots)
    changed = True
    while changed:
        changed = False
        for resource in resources:
            urn = str(resource["urn"])
            if urn in closed:
                continue
            provider = str(resource.get("provider") or "").split("::")
            refs = {*(resource.get("dependencies") or []), resource.get("parent")}
            refs.add("::".join(provider[:-1]))
            if refs & closed:
                closed.add(urn)
                changed = True
    return [str(r["urn"]) for r in resources if r["urn"] in closed]


def describe_destroy(settings: StackSettings, count: int, first: list[tuple[str, str]]) -> str:
    """The confirmation text for ``destroy``."""
    text = f"{_where(settings)}: {count} resources to delete"
    if first:
        text += _listing(
            "deleted first (they hold cloud resources Kubernetes made)", [urn for urn, _ in first]
        )
    return text


def _reach_cluster(session: Session, stack: auto.Stack, command: str) -> ClusterApi | None:
    """Before ``destroy``/``refresh`` of the platform touch the cluster: with ``endpoint_access:
    deployer``, admit this machine's address first (a targeted update of the cluster alone),
    then call the API as the kubeconfig will (``provision/api_reach.py``). The API reached
    (None: no EKS cluster to reach)."""
    from marketplace_kit.blueprints.program import platform_program
    from marketplace_kit.provision.api_check import EKS_CLUSTER
    from marketplace_kit.provision.api_reach import address_to_admit, check_platform_api

    platform = session.platform
    if session.program is not None or platform.config.target != "aws":
        return None
    with translated(session.settings, command):
        resources = state_resources(stack.export_stack().deployment)
    api = cluster_api(resources, platform.config.region)
    if api is None:
        return None  # no cluster: nothing in it to reach
    cidr = address_to_admit(platform, api)
    if cidr is not None:
        with translated(session.settings, command):
            recorded = {k: v.value for k, v in stack.get_all_config().items()}
            inputs = replace(DeployInputs.from_config(recorded), deployer_cidr=cidr,
                             creator_bootstrap=recorded_creator_bootstrap(resources))
            stack.set_all_config({k: auto_config(v) for k, v in inputs.to_config().items()})
        eks = [str(r["urn"]) for r in resources if r.get("type") == EKS_CLUSTER]
        program = platform_program(platform, inputs)
        _engine(session, f"{command} (admitting {cidr} to the cluster API)", len(eks),
                lambda p: stack.up(target=eks, program=program, on_event=p.on_event))
        with translated(session.settings, command):
            api = cluster_api(state_resources(stack.export_stack().deployment),
                              platform.config.region) or api
    check_platform_api(platform, api, command)
    return api


def _lift_protection(
    session: Session, stack: auto.Stack, protected: list[str]
) -> Phase:
    """A targeted up of the protected databases with deletion protection off (recorded)."""
    from marketplace_kit.blueprints.program import platform_program

    with translated(session.settings, "destroy"):
        recorded = {k: v.value for k, v in stack.get_all_config().items()}
    inputs = replace(DeployInputs.from_config(recorded), lift_deletion_protection=True)
    with translated(session.settings, "destroy"):
        stack.set_all_config({k: auto_config(v) for k, v in inputs.to_config().items()})
    program = platform_program(session.platform, inputs)
    result, _ = _engine(
        session, "destroy (lifting deletion protection)", len(protected),
        lambda p: stack.up(target=protected, program=program, on_event=p.on_event),
    )
    return Phase("unprotect", normalize_changes(result.summary.resource_changes), protected)


def auto_config(value: str) -> Any:
    """An Automation API ConfigValue (imported here: the SDK loads only for engine runs)."""
    from pulumi import automation as auto

    return auto.ConfigValue(value=value)


@_reporting
def destroy(session: Session) -> Outcome:
    """Delete what blocks teardown first (load balancers, volumes, Kafka), then everything.

    Databases under deletion protection are deleted only when the user confirmed it
    (``--lift-deletion-protection`` or the second question): a targeted up turns protection
    off first, and their final snapshots (named per deployment) are kept. ``--remove`` then
    removes the emptied stack.
    """
    started = time.monotonic()
    stack = _open(session, create=False)
    settings = session.settings
    _clear_pending(session, stack)
    services = _live_services(session, stack)
    with translated(settings, "destroy"):
        resources = state_resources(stack.export_stack().deployment)
    shown = counted_resources(resources)
    if not shown and not services:
        if session.remove:
            _remove_stack(session, stack)
        return Outcome("destroy", settings, "no-changes", time.monotonic() - started)
    first = blockers(resources)
    protected = protected_stores(resources)
    question = describe_destroy(settings, len(shown), first)
    if services:
        question += f"\n  first the service stacks: {', '.join(services)}"
    if session.confirm and not session.confirm(question):
        return Outcome("destroy", settings, "cancelled", time.monotonic() - started)
    phases = _destroy_services(session, services)
    api = _reach_cluster(session, stack, "destroy")
    if protected:
        names = ", ".join(resource_name(u) for u in protected)
        question = (
            f"{names} have deletion protection: lift it and delete them? Their final snapshots "
            "are kept (named per deployment)"
        )
        if not session.lift_protection and (session.confirm is None
                                            or not session.confirm(question)):
            raise KitError(
                f"{names} have deletion protection (production data); fix: confirm when asked, "
                "or pass --lift-deletion-protection with --yes (final snapshots are kept)"
            )
        phases.append(_lift_protection(session, stack, protected))
    if first:
        targets = [urn for urn, _ in first]
        released = len(counted_resources([r for r in resources
                                          if r["urn"] in set(dependents(resources, targets))]))
        result, _ = _engine(
            session,
            "destroy (load balancers, volumes, Kafka first)",
            released,
            lambda p: stack.destroy(target=targets, target_dependents=True, on_event=p.on_event),
        )
        phases.append(Phase("release", normalize_changes(result.summary.resource_changes), targets))
    if api is not None:
        _wait_for_volumes(session, api)
    remaining = len(shown) - sum(p.changes.get("delete", 0) for p in phases if p.name == "release")
    result, _ = _engine(
        session, "destroy", remaining,
        lambda p: stack.destroy(on_event=p.on_event, remove=session.remove or None),
    )
    phases.append(Phase("destroy", normalize_changes(result.summary.resource_changes)))
    changes = _merge(p.changes for p in phases if p.name != "unprotect")
    # a targeted phase's untouched resources ("same" there) are deleted by the last phase: not
    # counted twice (found by the real engine, tests/test_engine_platform.py)
    changes.pop("same", None)
    return Outcome(
        "destroy", settings, "succeeded", time.monotonic() - started, changes, phases=phases
    )


def _live_services(session: Session, stack: auto.Stack) -> list[str]:
    """The platform's destroy: the service stacks running on it (refused unless
    ``with_services``: then they are destroyed first)."""
    settings = session.settings
    if settings.project != session.platform.config.name:  # a service's or bootstrap's own stack
        return []
    with translated(settings, "destroy"):
        projects = live_service_stacks(stack, settings)
    if projects and not session.with_services:
        raise refuse_services(projects, settings)
    return projects


def _destroy_services(session: Session, projects: list[str]) -> list[Phase]:
    """Destroy each service stack (a phase ``service <project>`` each)."""
    phases = []
    for project in projects:
        where = service_settings(session.settings, project)
        with translated(where, "destroy"):
            service = open_stack(session.platform, where, create=False, program=None,
                                 warn=session.warn)
        result, _ = _engine(session, f"destroy ({project})", None,
                            functools.partial(_destroy_all, service))
        phases.append(Phase(f"service {project}",
                            normalize_changes(result.summary.resource_changes)))
    return phases


def _wait_for_volumes(session: Session, api: ClusterApi) -> None:
    """After the claims went: their EBS volumes deleted before the CSI driver goes (bounded;
    one warning line when it gives up)."""
    seconds = volume_wait_seconds()
    title = "destroy (waiting for the EBS volumes to be deleted)"
    with session.display(Progress(title), title):
        left = wait_for_volumes(api, wait_seconds=seconds)
    if left != []:
        session.warn(gave_up_line(left, seconds))


def _destroy_all(stack: auto.Stack, progress: Progress) -> auto.DestroyResult:
    return stack.destroy(on_event=progress.on_event)


def _remove_stack(session: Session, stack: auto.Stack) -> None:
    with translated(session.settings, "destroy"):
        stack.workspace.remove_stack(session.settings.stack)


@_reporting
def refresh(session: Session) -> Outcome:
    """Read every resource back from the cloud and update the state to match."""
    started = time.monotonic()
    stack = _open(session, create=False)
    with translated(session.settings, "refresh"):
        deployment = stack.export_stack().deployment
    total = len(counted_resources(state_resources(deployment)))
    creates = pending_creates(deployment)  # an interrupted run's: dropped, as `up` would
    _reach_cluster(session, stack, "refresh")
    result, _ = _engine(session, "refresh", total, lambda p: stack.refresh(
        clear_pending_creates=bool(creates) or None, on_event=p.on_event))
    if creates:
        session.warn(cleared_warning(creates))
    changes = normalize_changes(result.summary.resource_changes)
    return Outcome("refresh", session.settings, "succeeded", time.monotonic() - started, changes)


def outputs(session: Session) -> Outcome:
    """The stack's outputs (no engine run, no cloud credentials needed)."""
    started = time.monotonic()
    stack = _open(session, create=False, engine=False)
    with translated(session.settings, "outputs"):
        values = _outputs(stack.outputs())
    return Outcome(
        "outputs", session.settings, "succeeded", time.monotonic() - started, outputs=values
    )


def held_pins(session: Session) -> HeldPins | None:
    """The versions the session's stack holds in the middle of an upgrade (its config; no
    engine run), None when it holds none."""
    stack = session.opened or _open(session, create=False, engine=False)
    with translated(session.settings, session.command):
        value = stack.get_all_config().get(UPGRADE_PINS_KEY)
    return HeldPins.from_value(value.value) if value is not None and value.value else None


def hold_pins(session: Session, held: HeldPins | None) -> None:
    """Record in the stack's config the versions its ``up`` keeps (None: remove them, the
    stack is at the kit's pins)."""
    stack = _open(session, create=False, engine=False)
    with translated(session.settings, session.command):
        if held is not None:
            stack.set_all_config({UPGRADE_PINS_KEY: auto_config(held.to_value())})
        elif UPGRADE_PINS_KEY in stack.get_all_config():
            stack.remove_config(UPGRADE_PINS_KEY)


def exported_state(session: Session) -> dict[str, Any]:
    """The stack's recorded state (``stack export``'s deployment; no engine run, no cloud)."""
    stack = _open(session, create=False, engine=False)
    with translated(session.settings, session.command):
        return dict(stack.export_stack().deployment or {})

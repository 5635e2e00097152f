"""The only module that touches Pulumi SDK internals (``pulumi.runtime.mocks`` and ``rpc``).

Written against pulumi 3.2xx (pyproject pins ``pulumi>=3.200,<3.300``): ``MockMonitor``
receives each ``RegisterResourceRequest`` with its parent, dependencies and provider, which the
public ``Mocks`` interface does not expose. Keep every use of SDK internals here.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable
from typing import Any

from google.protobuf import json_format
from pulumi import Output
from pulumi.runtime import mocks as sdk_mocks
from pulumi.runtime import rpc
from pulumi.runtime.settings import SETTINGS, get_root_resource
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from marketplace_kit.plan.graph import PlannedResource
from marketplace_kit.plan.values import SECRET_MASK, UNKNOWN_VALUE


def _mask_secret(value: Any) -> Any:
    """A secret's value masked; a mapping (a Secret's data) keeps its key names, which are
    not secret and are what the charts read (``secretKeyRef.key``)."""
    if isinstance(value, dict) and value and all(isinstance(k, str) for k in value):
        return {k: SECRET_MASK for k in value if k != rpc._special_sig_key}
    return SECRET_MASK


def _masked(value: Any) -> Any:
    """Turn a wire-format property value into plain JSON, secrets masked, references as URNs."""
    if isinstance(value, dict):
        sig = value.get(rpc._special_sig_key)
        if sig == rpc._special_secret_sig:
            return _mask_secret(value.get("value"))
        if sig == rpc._special_resource_sig:
            return engine_urn(value.get("urn", ""))
        if sig in (rpc._special_asset_sig, rpc._special_archive_sig):
            return {k: _masked(v) for k, v in value.items() if k != rpc._special_sig_key}
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    if value == rpc.UNKNOWN:
        return UNKNOWN_VALUE
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def engine_urn(urn: str) -> str:
    """The URN the engine gives what the SDK mocks named: the mocks put the root stack's type
    in the type chain of its children (``::pulumi:pulumi:Stack$TYPE::``), the engine does not
    (``::TYPE::``; found by the real engine, tests/test_engine_platform.py)."""
    return urn.replace("::pulumi:pulumi:Stack$", "::", 1)


def _component_parent(parent: str) -> str | None:
    """The parent URN, or None for top-level resources (whose parent is the stack)."""
    return None if not parent or "::pulumi:pulumi:Stack::" in parent else engine_urn(parent)


def _provider_urn(reference: str) -> str | None:
    """A provider reference is ``URN::ID``; keep the URN."""
    return engine_urn(reference.rsplit("::", 1)[0]) if reference else None


def _timeouts(request: Any) -> dict[str, str]:
    """The request's customTimeouts, the ones it sets."""
    if not request.HasField("customTimeouts"):
        return {}
    given = request.customTimeouts
    return {k: v for k in ("create", "update", "delete") if (v := getattr(given, k))}


class RecordingMonitor(sdk_mocks.MockMonitor):
    """A MockMonitor that keeps every registration request."""

    def __init__(self, mocks: sdk_mocks.Mocks) -> None:
        super().__init__(mocks)
        self.registrations: list[PlannedResource] = []

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            raw = json_format.MessageToDict(request.object)
            self.registrations.append(
                PlannedResource(
                    urn=engine_urn(response.urn),
                    type=request.type,
                    name=request.name,
                    parent=_component_parent(request.parent),
                    dependencies=tuple(sorted({engine_urn(d) for d in request.dependencies})),
                    provider=_provider_urn(request.provider),
                    custom=bool(request.custom),
                    inputs=_masked(raw),
                    timeouts=_timeouts(request),
                    retain_on_delete=bool(getattr(request, "retainOnDelete", False)),
                )
            )
        return response


class ResourceMocks(sdk_mocks.Mocks):
    """Adapts plain callables to the SDK's Mocks interface."""

    def __init__(
        self,
        new_resource: Callable[[str, str, dict[str, Any], str], tuple[str, dict[str, Any]]],
        call: Callable[[str, dict[str, Any]], dict[str, Any]],
    ) -> None:
        self._new_resource = new_resource
        self._call = call

    def new_resource(self, args: sdk_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return self._new_resource(args.typ, args.name, dict(args.inputs), args.resource_id or "")

    def call(self, args: sdk_mocks.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        return self._call(args.token, dict(args.args))


def _ensure_event_loop() -> None:
    """The SDK awaits on this thread's current event loop; a caller's ``asyncio.run()`` leaves
    none set (it sets it to None on exit), so give the thread a fresh one in that case."""
    try:
        usable = not asyncio.get_event_loop_policy().get_event_loop().is_closed()
    except RuntimeError:
        usable = False
    if not usable:
        asyncio.set_event_loop(asyncio.new_event_loop())


async def _resolved(value: Any) -> Any:
    """A stack output as plain JSON, secrets masked."""
    output = Output.from_input(value)
    if await output.is_secret():
        return SECRET_MASK
    return _masked(await output.future())


def run_under_mocks(
    program: Callable[[], Awaitable[None] | None],
    mocks: sdk_mocks.Mocks,
    *,
    project: str,
    stack: str,
    outputs: dict[str, Any] | None = None,
) -> list[PlannedResource]:
    """Run ``program`` against the mock engine in an isolated context; return its registrations.

    ``outputs``, when given, receives the stack outputs the program exported (``pulumi.export``
    lands on the root Stack the SDK's ``set_mocks`` makes, which never sends them to a monitor).
    """
    monitor = RecordingMonitor(mocks)

    def run() -> None:
        _ensure_event_loop()
        sdk_mocks.set_mocks(mocks, project=project, stack=stack, preview=False, monitor=monitor)
        # The SDK's set of outstanding outputs outlives a fresh context and set_mocks: an engine
        # run that failed in this process (``upgrade --apply``'s step, a test) leaves its tasks
        # there, on its closed event loop, and awaiting them fails this run.
        SETTINGS.outputs = set()
        _sync_await(run_pulumi_func(program))
        root = get_root_resource()
        if outputs is not None and root is not None:
            exported = getattr(root, "outputs", {})
            for name in sorted(exported):
                outputs[name] = _sync_await(_resolved(exported[name]))

    contextvars.Context().run(run)
    return monitor.registrations

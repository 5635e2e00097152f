"""A fake `pulumi` CLI for the provisioning tests (run by the wrapper harness.py installs).

It stands in for the engine at the kit's boundary: it records every call (argv, cwd and the
Pulumi environment) to FAKE_PULUMI_LOG as JSON lines, keeps stack state where the real DIY
backend would (``<file backend>/.pulumi/stacks/<project>/<stack>.json``), and replays engine
events to the ``--event-log`` the Automation API passes (a file, or ``tcp://`` for the gRPC event
stream of newer CLIs).

What it does NOT do: connect to the Automation API's language-runtime server (``--client``) to
run the inline program. The resources "the program registers" come from FAKE_PULUMI_PROGRAM, a
JSON file ``{"resources": [{"type", "name", "parent"?, "inputs"?, "dependencies"?}],
"outputs": {...}, "secret_outputs": [...]}``. The program itself is tested through `plan`.

Other knobs: FAKE_PULUMI_VERSION (default 3.272.0), FAKE_PULUMI_FAIL (``resource:<name>`` fails
that resource during up; ``credentials`` fails the AWS provider), FAKE_PULUMI_DELAY (seconds
between events), FAKE_PULUMI_STATE (state root for non-file backends). A lock file under
``.pulumi/locks/`` makes engine operations fail the way a locked DIY stack does.

Engine semantics it reproduces, read in pulumi/pulumi at v3.259.0 (the newest tag in the mirror;
the SDK pinned here is 3.272.0): the event schema of ``sdk/go/common/apitype/events.go``; the
event log receives every engine event, internal ones included (``pkg/backend/display/
display.go`` startEventLogger runs before the internal filter), so default providers'
(``default_<version>``) steps are in the log but not in the summary (``pkg/engine/update.go``
isInternalStep); a replacement is create-replacement, replace, delete-replaced and only
``replace`` is counted (``Logical()``); a refresh step's outputs event carries its result op
(update.go: ``s.ResultOp()``); an untargeted create is a skipped create, reported as ``same``
(``pkg/resource/deploy/step_generator.go``); providers and the root stack are implicitly
targeted; target globs: ``*`` is ``[^:]*``, ``**`` is ``.*`` (``deploy/deployment.go``
UrnTargets); ``stack select`` only checks that the stack exists; the secrets manager comes from
``Pulumi.<stack>.yaml`` and, when that is missing, from the state only with
PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER (``pkg/cmd/pulumi/stack/secrets.go``), else a new
passphrase manager (a new salt: "incorrect passphrase"); an empty PULUMI_CONFIG_PASSPHRASE is a
passphrase (``pkg/secrets/passphrase/manager.go`` uses LookupEnv).

More knobs: FAKE_PULUMI_DIAGNOSTICS (JSON list of {severity, message, name?, ephemeral?}; sent
by every engine operation: ``DiagnosticEvent``, severity ``debug``/``info``/``info#err``/
``warning``/``error``, ``ephemeral`` for progress-only lines such as the Kubernetes provider's
await status), FAKE_PULUMI_POLICY (JSON list of {policyName, enforcementLevel, message, name?,
severity?}; ``PolicyEvent`` with enforcement level ``advisory``/``warning``/``mandatory``/
``remediate``/``none`` and the optional severity of events.go at v3.259.0; sent by preview and
up only: policy packs analyze what a program registers, not a destroy or refresh), a resource's
``replace_keys`` (inputs whose change replaces it), ``urn`` items (a real plan's resources).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

RECORDED_ENV = (
    "PULUMI_BACKEND_URL",
    "PULUMI_CONFIG_PASSPHRASE",
    "PULUMI_CONFIG_PASSPHRASE_FILE",
    "PULUMI_HOME",
    "PULUMI_AUTOMATION_API",
    "PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER",
)
STACK_TYPE = "pulumi:pulumi:Stack"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
LOCKED = (
    "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) "
    "to end or delete the lock file with `pulumi cancel`."
)
AWS_CREDENTIALS = (
    "unable to validate AWS credentials.\nDetails: No valid credential sources found.\n"
    "Please see https://www.pulumi.com/registry/packages/aws/installation-configuration/ "
    "for more information about providing credentials."
)
PROTECTED = (
    "deleting RDS DB Instance: operation error RDS: DeleteDBInstance, https response error "
    "StatusCode: 400, api error InvalidParameterCombination: Cannot delete protected DB "
    "Instance, please disable deletion protection and try again."
)
VPC_LIMIT = (
    "creating EC2 VPC: operation error EC2: CreateVpc, https response error StatusCode: 400, "
    "RequestID: 0f5c, api error VpcLimitExceeded: The maximum number of VPCs has been reached."
)


class Fail(Exception):
    """Exit non-zero with a message on stderr."""


# --- arguments ---------------------------------------------------------------------------


class Args:
    """argv split into positionals and flags (``--flag value``, ``--flag=value``, booleans)."""

    BOOLEAN = frozenset({
        "--yes", "--skip-preview", "--json", "--show-secrets", "--target-dependents",
        "--path", "--non-interactive", "--diff", "--remove", "--force", "--preserve-config",
    })

    def __init__(self, argv: list[str]) -> None:
        self.positional: list[str] = []
        self.flags: dict[str, list[str]] = {}
        i = 0
        while i < len(argv):
            arg = argv[i]
            if arg.startswith("--") and "=" in arg:
                key, value = arg.split("=", 1)
                self.flags.setdefault(key, []).append(value)
            elif arg.startswith("--") and arg not in self.BOOLEAN and i + 1 < len(argv):
                self.flags.setdefault(arg, []).append(argv[i + 1])
                i += 1
            elif arg.startswith("--"):
                self.flags.setdefault(arg, []).append("true")
            else:
                self.positional.append(arg)
            i += 1

    def get(self, flag: str) -> str | None:
        values = self.flags.get(flag)
        return values[-1] if values else None

    def all(self, flag: str) -> list[str]:
        return self.flags.get(flag, [])


# --- backend and state -------------------------------------------------------------------


def project_name() -> str:
    pulumi_yaml = Path.cwd() / "Pulumi.yaml"
    if not pulumi_yaml.is_file():
        raise Fail("error: no Pulumi.yaml project file found (searching upwards from cwd)")
    for line in pulumi_yaml.read_text().splitlines():
        if line.startswith("name:"):
            return line.split(":", 1)[1].strip()
    raise Fail("error: Pulumi.yaml has no name")


def backend_root() -> Path:
    url = os.environ.get("PULUMI_BACKEND_URL")
    if not url:
        raise Fail("error: PULUMI_BACKEND_URL is not set and the fake cannot log in")
    parsed = urlparse(url)
    if parsed.scheme == "file":
        root = Path(parsed.path)
        if not root.is_dir():
            raise Fail(f"error: could not log in: {root} does not exist")
        return root
    return Path(os.environ["FAKE_PULUMI_STATE"]) / quote(url, safe="")


def stack_file(stack: str) -> Path:
    return backend_root() / ".pulumi" / "stacks" / project_name() / f"{stack}.json"


def check_lock(stack: str) -> None:
    locks = backend_root() / ".pulumi" / "locks" / "organization" / project_name() / stack
    if locks.is_dir() and any(locks.iterdir()):
        raise Fail(f"{LOCKED}\n  {os.environ['PULUMI_BACKEND_URL']}: locked by a previous run")


def passphrase() -> str | None:
    if "PULUMI_CONFIG_PASSPHRASE" in os.environ:  # LookupEnv: set but empty is a passphrase
        return os.environ["PULUMI_CONFIG_PASSPHRASE"]
    file = os.environ.get("PULUMI_CONFIG_PASSPHRASE_FILE")
    if file:
        try:
            return Path(file).read_text().strip()
        except OSError:
            raise Fail(f"error: unable to read PULUMI_CONFIG_PASSPHRASE_FILE {file}") from None
    return None


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def stack_settings_file(stack: str) -> Path:
    """``Pulumi.<stack>.yaml`` next to Pulumi.yaml: the stack's secrets manager settings."""
    return Path.cwd() / f"Pulumi.{stack}.yaml"


def write_stack_settings(stack: str, state: dict[str, Any]) -> None:
    if state["secrets_provider"] == "passphrase":
        text = f"encryptionsalt: v1:{state['salt']}\n"
    else:
        text = f"secretsprovider: {state['secrets_provider']}\nencryptedkey: ZmFrZQ==\n"
    stack_settings_file(stack).write_text(text)


def secrets_manager(state: dict[str, Any]) -> tuple[str, str | None]:
    """(provider, salt) the CLI would use: Pulumi.<stack>.yaml, else the state with the
    fallback variable, else a brand-new passphrase manager (a new salt)."""
    settings = stack_settings_file(state["stack"])
    if settings.is_file():
        text = settings.read_text()
        for line in text.splitlines():
            if line.startswith("secretsprovider:"):
                return line.split(":", 1)[1].strip(), None
            if line.startswith("encryptionsalt:"):
                return "passphrase", line.split(":", 2)[2].strip()
    if os.environ.get("PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER", "").lower() in ("1", "true"):
        write_stack_settings(state["stack"], state)  # the CLI saves what it fell back to
        return state["secrets_provider"], state.get("salt")
    return "passphrase", "new-salt"


def load(stack: str | None, secrets: bool = True) -> dict[str, Any]:
    if not stack:
        raise Fail("error: no stack selected; please use `pulumi stack select`")
    path = stack_file(stack)
    if not path.is_file():
        raise Fail(f"error: no stack named '{stack}' found")
    state: dict[str, Any] = json.loads(path.read_text())
    if not secrets:
        return state
    provider, salt = secrets_manager(state)
    if provider == "passphrase":
        given = passphrase()
        if given is None:
            raise Fail(
                "error: passphrase must be set with PULUMI_CONFIG_PASSPHRASE or "
                "PULUMI_CONFIG_PASSPHRASE_FILE environment variables"
            )
        if (state["secrets_provider"] != "passphrase" or salt != state.get("salt")
                or digest(given) != state["passphrase_sha256"]):
            raise Fail("error: failed to decrypt: incorrect passphrase, please set "
                       "PULUMI_CONFIG_PASSPHRASE to the correct passphrase or set "
                       "PULUMI_CONFIG_PASSPHRASE_FILE to a file containing the passphrase")
    return state


def save(state: dict[str, Any]) -> None:
    path = stack_file(state["stack"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(state, indent=1))


# --- the "program" -----------------------------------------------------------------------


def urn(stack: str, project: str, type_chain: str, name: str) -> str:
    return f"urn:pulumi:{stack}::{project}::{type_chain}::{name}"


DEFAULT_PROVIDERS = {"aws": "7_51_1", "kubernetes": "4_34_2", "random": "4_21_4",
                     "tls": "5_3_0"}


def desired(
    stack: str, project: str, config: dict[str, str] | None = None
) -> tuple[list[dict[str, Any]], dict[str, Any], list[str]]:
    """The resources, outputs and secret output names the program would register.

    An item's ``inputs_when`` ({"key=value": {input overrides}}) stands for a program that
    reads its stack config (the kit's ``marketplace-kit:*`` keys). A spec ``{"command": argv}``
    is a program run for each engine operation: the command gets the stack config as JSON in
    FAKE_PULUMI_CONFIG (and FAKE_PULUMI_STACK, FAKE_PULUMI_PROJECT) and prints the spec.
    """
    program_file = os.environ.get("FAKE_PULUMI_PROGRAM")
    spec = json.loads(Path(program_file).read_text()) if program_file else {}
    if "command" in spec:
        import subprocess

        env = {**os.environ, "FAKE_PULUMI_CONFIG": json.dumps(config or {}),
               "FAKE_PULUMI_STACK": stack, "FAKE_PULUMI_PROJECT": project}
        ran = subprocess.run(spec["command"], env=env, capture_output=True, text=True,
                             check=False)
        if ran.returncode != 0:
            raise Fail(f"error: the program failed:\n{ran.stderr}")
        spec = json.loads(ran.stdout)
    root = urn(stack, project, STACK_TYPE, f"{project}-{stack}")
    resources = [{"urn": root, "type": STACK_TYPE, "custom": False, "inputs": {},
                  "dependencies": []}]
    chains = {None: STACK_TYPE}
    urns = {None: root}
    providers: dict[str, str] = {}
    for item in spec.get("resources", []):
        if "urn" in item:  # a real plan's resource: URNs given
            this, parent_urn = item["urn"], item.get("parent") or root
            deps = list(item.get("dependencies", []))
        else:
            parent = item.get("parent")
            chain = f"{chains[parent]}${item['type']}" if parent else item["type"]
            chains[item["name"]] = chain
            this = urns[item["name"]] = urn(stack, project, chain, item["name"])
            parent_urn, deps = urns[parent], [urns[d] for d in item.get("dependencies", [])]
        custom = item.get("custom", True)
        package = item["type"].split(":")[0]
        provider = item.get("provider") or ""
        if custom and not provider and package in DEFAULT_PROVIDERS:
            if package not in providers:
                name = f"default_{DEFAULT_PROVIDERS[package]}"
                providers[package] = urn(stack, project, f"pulumi:providers:{package}", name)
                resources.append({"urn": providers[package], "type": f"pulumi:providers:{package}",
                                  "custom": True, "parent": None, "inputs": {}, "outputs": {},
                                  "dependencies": [], "internal": True})
            provider = f"{providers[package]}::fake-id"
        resources.append({
            "urn": this,
            "type": item["type"],
            "custom": custom,
            "parent": parent_urn,
            "provider": provider,
            "inputs": {**item.get("inputs", {}), **{
                k: v for cond, over in item.get("inputs_when", {}).items()
                if (config or {}).get(cond.split("=", 1)[0]) == cond.split("=", 1)[1]
                for k, v in over.items()}},
            "outputs": item.get("outputs", item.get("inputs", {})),
            "dependencies": deps,
            "replace_keys": item.get("replace_keys", []),
        })
    return resources, spec.get("outputs", {}), spec.get("secret_outputs", [])


def target_matcher(patterns: list[str]) -> Any:
    """The engine's UrnTargets: a literal URN, or a glob (``*`` within a segment, ``**`` any)."""
    import re

    literal = {p for p in patterns if "*" not in p}
    globs = [
        re.compile("^" + ".*".join("[^:]*".join(re.escape(x) for x in seg.split("*"))
                                   for seg in p.split("**")) + "$")
        for p in patterns if "*" in p
    ]

    def contains(urn_: str) -> bool:
        return not patterns or urn_ in literal or any(g.match(urn_) for g in globs)

    return contains


# --- engine events -----------------------------------------------------------------------


def event_request(event: str) -> bytes:
    """A pulumirpc.EventRequest ``{string event = 1}`` in protobuf wire format."""
    data = event.encode()
    if not data:
        return b""  # proto3 leaves out a field at its default
    size, length = len(data), bytearray()
    while True:
        byte, size = size & 0x7F, size >> 7
        length.append(byte | (0x80 if size else 0))
        if not size:
            return bytes([0x0A]) + bytes(length) + data


class Events:
    """Collects engine events, then delivers them to the --event-log target."""

    def __init__(self, target: str | None) -> None:
        self.target = target
        self.events: list[dict[str, Any]] = []

    def add(self, **event: Any) -> None:
        self.events.append({"sequence": len(self.events), "timestamp": int(time.time()), **event})

    def step(self, op: str, resource: dict[str, Any], planning: bool, done: bool = True,
             result: str | None = None) -> None:
        """A step's pre-event and (``done``) its outputs event, ``result`` op for refreshes."""
        meta = {"op": op, "urn": resource["urn"], "type": resource["type"],
                "provider": resource.get("provider", ""), "old": None, "new": None,
                "detailedDiff": None}
        self.add(resourcePreEvent={"metadata": meta, "planning": planning})
        if done:
            self.add(resOutputsEvent={"metadata": {**meta, "op": result or op},
                                      "planning": planning})

    def diagnostic(self, urn_: str, message: str, severity: str = "error",
                   ephemeral: bool = False) -> None:
        """A DiagnosticEvent (omitempty fields left out as the engine's JSON does)."""
        prefix = {"error": "error: ", "warning": "warning: "}.get(severity, "")
        event: dict[str, Any] = {"message": message, "color": "raw", "severity": severity}
        if urn_:
            event["urn"] = urn_
        if prefix:
            event["prefix"] = prefix
        if ephemeral:
            event["ephemeral"] = True
        self.add(diagnosticEvent=event)

    def extras(self, resources: list[dict[str, Any]], policy: bool = True) -> None:
        """The diagnostics and (``policy``) policy findings FAKE_PULUMI_DIAGNOSTICS/_POLICY ask
        for; program stderr (``info#err``) comes on the root stack, as the engine sends it."""
        by_name = {r["urn"].rsplit("::", 1)[-1]: r["urn"] for r in resources}
        stack = next((r["urn"] for r in resources if r["type"] == STACK_TYPE), "")
        for item in json.loads(os.environ.get("FAKE_PULUMI_DIAGNOSTICS") or "[]"):
            if "name" in item and item["name"] not in by_name:
                continue  # about a resource this run does not touch (deleted already)
            self.diagnostic(by_name.get(item.get("name", ""), stack), item["message"],
                            item["severity"], bool(item.get("ephemeral")))
        for item in json.loads(os.environ.get("FAKE_PULUMI_POLICY") or "[]") if policy else []:
            event = {
                "message": item["message"], "color": "raw", "policyName": item["policyName"],
                "policyPackName": "kit", "policyPackVersion": "1", "policyPackVersionTag": "1",
                "enforcementLevel": item["enforcementLevel"],
            }
            if item.get("name"):
                event["resourceUrn"] = by_name.get(item["name"], "")
            if item.get("severity"):
                event["severity"] = item["severity"]
            self.add(policyEvent=event)

    def finish(self, changes: dict[str, int], seconds: int = 1) -> None:
        self.add(summaryEvent={"maybeCorrupt": False, "durationSeconds": seconds,
                               "resourceChanges": changes, "PolicyPacks": {}})
        self.add(cancelEvent={})

    def _paced(self) -> Iterator[str]:
        delay = float(os.environ.get("FAKE_PULUMI_DELAY", "0"))
        for event in self.events:
            if delay:
                time.sleep(delay)
            yield json.dumps(event)

    def deliver(self) -> None:
        if not self.target:
            return
        if self.target.startswith("tcp://"):
            import grpc  # not pulumi's generated stubs: importing pulumi costs 0.2 s per call

            with grpc.insecure_channel(self.target.removeprefix("tcp://")) as channel:
                stream = channel.stream_unary(
                    "/pulumirpc.Events/StreamEvents",
                    request_serializer=event_request,
                    response_deserializer=bytes,  # google.protobuf.Empty: ignored
                )
                stream(self._paced())
            return
        with open(self.target, "a", encoding="utf-8") as log:
            for line in self._paced():
                log.write(line + "\n")
                log.flush()


def count(ops: list[str]) -> dict[str, int]:
    changes: dict[str, int] = {}
    for op in ops:
        changes[op] = changes.get(op, 0) + 1
    return changes


def record_history(state: dict[str, Any], kind: str, result: str, changes: dict[str, int]) -> None:
    now = datetime.now(UTC).strftime(TIME_FORMAT)
    state.setdefault("history", []).insert(0, {
        "kind": kind, "startTime": now, "endTime": now, "message": "", "environment": {},
        "config": {}, "result": result, "resourceChanges": changes,
        "version": len(state.get("history", [])) + 1,
    })


def fail_spec() -> tuple[str, str]:
    kind, _, name = os.environ.get("FAKE_PULUMI_FAIL", "").partition(":")
    return kind, name


def credentials_failure(events: Events, state: dict[str, Any]) -> None:
    if fail_spec()[0] == "credentials":
        provider = urn(state["stack"], state["project"], "pulumi:providers:aws", "default_7_51_1")
        events.diagnostic(provider, AWS_CREDENTIALS)
        events.finish({})
        events.deliver()
        raise Fail("error: preview failed" if events.target else "error: failed")


def plan_steps(state: dict[str, Any]) -> tuple[list[tuple[str, dict[str, Any]]], dict, list]:
    want, outputs, secret = desired(state["stack"], state["project"], state["config"])
    have = {r["urn"]: r for r in state["resources"]}
    steps = []
    for resource in want:
        old = have.get(resource["urn"])
        if old is None:
            op = "create"
        elif old["inputs"] == resource["inputs"]:
            op = "same"
        else:
            changed = {k for k in {*old["inputs"], *resource["inputs"]}
                       if old["inputs"].get(k) != resource["inputs"].get(k)}
            op = "replace" if changed & set(resource.get("replace_keys", [])) else "update"
        steps.append((op, resource))
    wanted = {r["urn"] for r in want}
    steps += [("delete", r) for r in reversed(state["resources"]) if r["urn"] not in wanted]
    return steps, outputs, secret


def emit(events: Events, op: str, resource: dict[str, Any], planning: bool) -> None:
    """One logical step as the engine reports it (a replacement is three steps)."""
    if op == "replace":
        events.step("create-replacement", resource, planning)
        events.step("replace", resource, planning)
        events.step("delete-replaced", resource, planning)
    else:
        events.step(op, resource, planning)


def counted(steps: list[tuple[str, dict[str, Any]]]) -> dict[str, int]:
    """The summary's resourceChanges: internal (default provider) steps are not counted."""
    return count([op for op, r in steps if not r.get("internal")])


def targeted(args: Args, steps: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict]]:
    """Untargeted steps become ``same`` (a skipped create, or the old state kept)."""
    contains = target_matcher(args.all("--target"))
    implicit = (STACK_TYPE, "pulumi:providers:")
    return [(op if r["type"].startswith(implicit) or contains(r["urn"]) else "same", r)
            for op, r in steps]


def engine_preview(args: Args, state: dict[str, Any]) -> None:
    events = Events(args.get("--event-log"))
    events.add(preludeEvent={"config": state["config"]})
    credentials_failure(events, state)
    steps, _, _ = plan_steps(state)
    steps = targeted(args, steps)
    for op, resource in steps:
        emit(events, op, resource, planning=True)
    events.extras([r for _, r in steps])
    events.finish(counted(steps))
    events.deliver()
    print(f"Previewing update ({state['stack']}):")


def engine_up(args: Args, state: dict[str, Any]) -> None:
    events = Events(args.get("--event-log"))
    events.add(preludeEvent={"config": state["config"]})
    credentials_failure(events, state)
    steps, outputs, secret = plan_steps(state)
    steps = targeted(args, steps)
    kind, failing = fail_spec()
    done: list[tuple[str, dict[str, Any]]] = []
    kept = {r["urn"]: r for r in state["resources"]}
    for op, resource in steps:
        if kind == "resource" and resource["urn"].endswith(f"::{failing}"):
            events.step(op, resource, planning=False, done=False)
            events.diagnostic(resource["urn"], VPC_LIMIT)
            meta = {"op": op, "urn": resource["urn"], "type": resource["type"], "provider": ""}
            events.add(resOpFailedEvent={"metadata": meta, "status": 1, "steps": 0})
            events.diagnostic(steps[0][1]["urn"], "update failed")
            changes = counted(done)
            events.finish(changes)
            events.deliver()
            state["resources"] = list(kept.values())
            record_history(state, "update", "failed", changes)
            save(state)
            raise Fail("error: update failed")
        emit(events, op, resource, planning=False)
        done.append((op, resource))
        if op == "delete":
            kept.pop(resource["urn"], None)
        elif op != "same" or resource["urn"] in kept:  # a skipped create is not saved
            kept[resource["urn"]] = resource if op != "same" else kept[resource["urn"]]
    events.extras([r for _, r in steps])
    events.finish(counted(done))
    events.deliver()
    state["resources"] = list(kept.values())
    if not args.all("--target"):
        state["outputs"], state["secret_outputs"] = outputs, secret
    record_history(state, "update", "succeeded", counted(done))
    save(state)
    print(f"Updating ({state['stack']}):")


def depends_on(resource: dict[str, Any], urns: set[str]) -> bool:
    return bool({*resource.get("dependencies", []), resource.get("parent")} & urns)


def engine_destroy(args: Args, state: dict[str, Any]) -> None:
    events = Events(args.get("--event-log"))
    targets = set(args.all("--target"))
    doomed = {r["urn"] for r in state["resources"]} if not targets else set(targets)
    grown = True
    while targets and grown:
        grown = False
        for resource in state["resources"]:
            if resource["urn"] not in doomed and depends_on(resource, doomed):
                if not args.get("--target-dependents"):
                    raise Fail(
                        f"error: {resource['urn']} depends on a targeted resource; "
                        "use --target-dependents"
                    )
                doomed.add(resource["urn"])
                grown = True
    order = [r for r in reversed(state["resources"]) if r["urn"] in doomed]
    deleted: list[tuple[str, dict[str, Any]]] = []
    for resource in order:
        if resource["inputs"].get("deletionProtection") is True:  # RDS, DocumentDB
            events.step("delete", resource, planning=False, done=False)
            events.diagnostic(resource["urn"], PROTECTED)
            changes = counted(deleted)
            events.finish(changes)
            events.deliver()
            gone = {r["urn"] for _, r in deleted}
            state["resources"] = [r for r in state["resources"] if r["urn"] not in gone]
            record_history(state, "destroy", "failed", changes)
            save(state)
            raise Fail("error: destroy failed")
        events.step("delete", resource, planning=False)
        deleted.append(("delete", resource))
    events.extras(state["resources"], policy=False)
    changes = counted(deleted)
    events.finish(changes)
    events.deliver()
    state["resources"] = [r for r in state["resources"] if r["urn"] not in doomed]
    if not state["resources"]:
        state["outputs"], state["secret_outputs"] = {}, []
    record_history(state, "destroy", "succeeded", changes)
    save(state)
    if args.get("--remove") and not state["resources"]:
        stack_file(state["stack"]).unlink()
    print(f"Destroying ({state['stack']}):")


def engine_refresh(args: Args, state: dict[str, Any]) -> None:
    """Each resource: ``refresh`` pre-event, outputs with the result op (internal ones too)."""
    events = Events(args.get("--event-log"))
    drifted = set(json.loads(os.environ.get("FAKE_PULUMI_DRIFT") or "[]"))
    steps = []
    for resource in state["resources"]:
        result = "update" if resource["urn"].rsplit("::", 1)[-1] in drifted else "same"
        events.step("refresh", resource, planning=False, result=result)
        steps.append((result, resource))
    events.extras(state["resources"], policy=False)
    changes = counted(steps)
    events.finish(changes)
    events.deliver()
    record_history(state, "refresh", "succeeded", changes)
    save(state)
    print(f"Refreshing ({state['stack']}):")


ENGINE = {"preview": engine_preview, "up": engine_up, "destroy": engine_destroy,
          "refresh": engine_refresh}


# --- commands ----------------------------------------------------------------------------


def stack_command(args: Args) -> None:
    sub = args.positional[1] if len(args.positional) > 1 else ""
    stack = args.get("--stack")
    if sub == "select":  # only that the stack exists: no secrets manager involved
        load(stack, secrets=False)
    elif sub == "init":
        name = args.positional[2]
        if stack_file(name).exists():
            raise Fail(f"error: stack '{name}' already exists")
        provider = args.get("--secrets-provider") or "passphrase"
        if provider == "default":  # a DIY backend's default: a passphrase
            provider = "passphrase"
        given = passphrase()
        if provider == "passphrase" and given is None:
            raise Fail(
                "error: passphrase must be set with PULUMI_CONFIG_PASSPHRASE or "
                "PULUMI_CONFIG_PASSPHRASE_FILE environment variables"
            )
        state = {"project": project_name(), "stack": name, "secrets_provider": provider,
                 "passphrase_sha256": digest(given) if given is not None else None,
                 "salt": digest(name + str(time.time()))[:16], "config": {}, "resources": [],
                 "outputs": {}, "secret_outputs": [], "history": []}
        save(state)
        write_stack_settings(name, state)
        print(f"Created stack '{name}'")
    elif sub == "rm":  # `stack rm --yes [--force] NAME`: refuses while resources remain
        name = args.positional[2]
        state = load(name, secrets=False)
        if state["resources"] and not args.get("--force"):
            raise Fail(f"error: '{name}' still has resources; removal rejected")
        stack_file(name).unlink()
        if not args.get("--preserve-config"):
            stack_settings_file(name).unlink(missing_ok=True)
        print(f"Stack '{name}' has been removed!")
    elif sub == "output":
        state = load(stack)
        shown = args.get("--show-secrets")
        print(json.dumps({k: (v if shown or k not in state["secret_outputs"] else "[secret]")
                          for k, v in state["outputs"].items()}))
    elif sub == "history":
        print(json.dumps(load(stack)["history"][: int(args.get("--page-size") or 10)]))
    elif sub == "ls":  # `stack ls --json --all`: every project's stacks in the backend
        stacks = backend_root() / ".pulumi" / "stacks"
        found = sorted(stacks.glob("*/*.json")) if stacks.is_dir() else []
        print(json.dumps([{"name": f"organization/{f.parent.name}/{f.stem}", "current": False,
                           "resourceCount": len(json.loads(f.read_text())["resources"])}
                          for f in found]))
    elif sub == "export":
        resources = [{k: v for k, v in r.items()} for r in load(stack, secrets=False)["resources"]]
        print(json.dumps({"version": 3, "deployment": {"resources": resources}}))
    else:
        raise Fail(f"error: fake pulumi: unsupported `stack {sub}`")


def config_command(args: Args) -> None:
    if args.positional[1:] == [] and args.get("--json"):  # `config --json`: every value
        state = load(args.get("--stack"))
        print(json.dumps({k: {"value": v, "secret": False} for k, v in state["config"].items()}))
        return
    if args.positional[1:2] == ["rm"]:  # `config rm KEY --stack S`: absent keys are no error
        state = load(args.get("--stack"))
        state["config"].pop(args.positional[2], None)
        save(state)
        return
    if args.positional[1:2] != ["set-all"]:
        raise Fail("error: fake pulumi: unsupported config command")
    state = load(args.get("--stack"))
    for item in args.all("--plaintext") + args.all("--secret"):
        key, _, value = item.partition("=")
        state["config"][key] = value
    save(state)


def plugin_dir() -> Path:
    return Path(os.environ.get("PULUMI_HOME") or Path.home() / ".pulumi") / "plugins"


def plugin_command(args: Args) -> None:
    if args.positional[1:2] == ["ls"]:  # `plugin ls --json`: what `plugin install` put there
        dirs = sorted(plugin_dir().glob("resource-*-v*")) if plugin_dir().is_dir() else []
        found = [{"name": d.name.split("-")[1], "kind": "resource",
                  "version": d.name.rsplit("-v", 1)[1]} for d in dirs]
        print(json.dumps(found))
        return
    if args.positional[1:3] != ["install", "resource"] or len(args.positional) != 5:
        raise Fail("error: fake pulumi: expected `plugin install resource NAME VERSION`")
    version = args.positional[4].lstrip("v")
    if len(version.split(".")) != 3:
        raise Fail(f"error: invalid plugin version {args.positional[4]}")
    (plugin_dir() / f"resource-{args.positional[3]}-v{version}").mkdir(parents=True,
                                                                      exist_ok=True)
    print(f"[resource plugin {args.positional[3]}-{version}] installing")


def run(argv: list[str]) -> None:
    args = Args(argv)
    command = args.positional[0] if args.positional else ""
    if command == "version":
        print("v" + os.environ.get("FAKE_PULUMI_VERSION", "3.272.0"))
    elif command == "whoami":
        url = os.environ.get("PULUMI_BACKEND_URL", "")
        if os.environ.get("FAKE_PULUMI_BACKEND_DOWN"):
            raise Fail(f"error: failed to log into {url!r}: NoSuchBucket: The specified bucket "
                       "does not exist")
        print("fake")
    elif command == "stack":
        stack_command(args)
    elif command == "config":
        config_command(args)
    elif command == "plugin":
        plugin_command(args)
    elif command in ENGINE:
        stack = args.get("--stack")
        state = load(stack)
        check_lock(state["stack"])
        ENGINE[command](args, state)
    else:
        raise Fail(f"error: fake pulumi: unsupported command {argv}")


def main() -> int:
    argv = sys.argv[1:]
    log = os.environ.get("FAKE_PULUMI_LOG")
    if log:
        entry = {"argv": argv, "cwd": os.getcwd(), "time": time.time(),
                 "env": {k: os.environ[k] for k in RECORDED_ENV if k in os.environ}}
        with open(log, "a", encoding="utf-8") as out:
            out.write(json.dumps(entry) + "\n")
    try:
        run(argv)
    except Fail as exc:
        print(str(exc), file=sys.stderr)
        return 255
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A fake `pulumi` CLI for the provisioning tests (run by tests/fake_pulumi/install.py's wrapper).

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
        "--path", "--non-interactive", "--diff",
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
    if os.environ.get("PULUMI_CONFIG_PASSPHRASE"):
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


def load(stack: str | None) -> dict[str, Any]:
    if not stack:
        raise Fail("error: no stack selected; please use `pulumi stack select`")
    path = stack_file(stack)
    if not path.is_file():
        raise Fail(f"error: no stack named '{stack}' found")
    state: dict[str, Any] = json.loads(path.read_text())
    if state["secrets_provider"] == "passphrase":
        given = passphrase()
        if given is None:
            raise Fail(
                "error: passphrase must be set with PULUMI_CONFIG_PASSPHRASE or "
                "PULUMI_CONFIG_PASSPHRASE_FILE environment variables"
            )
        if digest(given) != state["passphrase_sha256"]:
            raise Fail("error: incorrect passphrase")
    return state


def save(state: dict[str, Any]) -> None:
    path = stack_file(state["stack"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(state, indent=1))


# --- the "program" -----------------------------------------------------------------------


def urn(stack: str, project: str, type_chain: str, name: str) -> str:
    return f"urn:pulumi:{stack}::{project}::{type_chain}::{name}"


def desired(stack: str, project: str) -> tuple[list[dict[str, Any]], dict[str, Any], list[str]]:
    """The resources, outputs and secret output names the program would register."""
    program_file = os.environ.get("FAKE_PULUMI_PROGRAM")
    spec = json.loads(Path(program_file).read_text()) if program_file else {}
    root = urn(stack, project, STACK_TYPE, f"{project}-{stack}")
    resources = [{"urn": root, "type": STACK_TYPE, "custom": False, "inputs": {},
                  "dependencies": []}]
    chains = {None: STACK_TYPE}
    urns = {None: root}
    for item in spec.get("resources", []):
        parent = item.get("parent")
        chain = f"{chains[parent]}${item['type']}" if parent else item["type"]
        chains[item["name"]] = chain
        urns[item["name"]] = urn(stack, project, chain, item["name"])
        resources.append({
            "urn": urns[item["name"]],
            "type": item["type"],
            "custom": item.get("custom", True),
            "parent": urns[parent],
            "inputs": item.get("inputs", {}),
            "outputs": item.get("outputs", item.get("inputs", {})),
            "dependencies": [urns[d] for d in item.get("dependencies", [])],
        })
    return resources, spec.get("outputs", {}), spec.get("secret_outputs", [])


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

    def step(self, op: str, resource: dict[str, Any], planning: bool, done: bool = True) -> None:
        meta = {"op": op, "urn": resource["urn"], "type": resource["type"], "provider": ""}
        self.add(resourcePreEvent={"metadata": meta, "planning": planning})
        if done:
            self.add(resOutputsEvent={"metadata": meta, "planning": planning})

    def diagnostic(self, urn_: str, message: str) -> None:
        self.add(diagnosticEvent={"urn": urn_, "prefix": "error: ", "message": message,
                                  "color": "raw", "severity": "error"})

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
    want, outputs, secret = desired(state["stack"], state["project"])
    have = {r["urn"]: r for r in state["resources"]}
    steps = []
    for resource in want:
        old = have.get(resource["urn"])
        op = "create" if old is None else ("same" if old["inputs"] == resource["inputs"]
                                           else "update")
        steps.append((op, resource))
    wanted = {r["urn"] for r in want}
    steps += [("delete", r) for r in reversed(state["resources"]) if r["urn"] not in wanted]
    return steps, outputs, secret


def engine_preview(args: Args, state: dict[str, Any]) -> None:
    events = Events(args.get("--event-log"))
    events.add(preludeEvent={"config": state["config"]})
    credentials_failure(events, state)
    steps, _, _ = plan_steps(state)
    for op, resource in steps:
        events.step(op, resource, planning=True)
    events.finish(count([op for op, _ in steps]))
    events.deliver()
    print(f"Previewing update ({state['stack']}):")


def engine_up(args: Args, state: dict[str, Any]) -> None:
    events = Events(args.get("--event-log"))
    events.add(preludeEvent={"config": state["config"]})
    credentials_failure(events, state)
    steps, outputs, secret = plan_steps(state)
    kind, failing = fail_spec()
    done: list[str] = []
    kept = {r["urn"]: r for r in state["resources"]}
    for op, resource in steps:
        if kind == "resource" and resource["urn"].endswith(f"::{failing}"):
            events.step(op, resource, planning=False, done=False)
            events.diagnostic(resource["urn"], VPC_LIMIT)
            meta = {"op": op, "urn": resource["urn"], "type": resource["type"], "provider": ""}
            events.add(resOpFailedEvent={"metadata": meta, "status": 1, "steps": 0})
            events.diagnostic(steps[0][1]["urn"], "update failed")
            changes = count(done)
            events.finish(changes)
            events.deliver()
            state["resources"] = list(kept.values())
            record_history(state, "update", "failed", changes)
            save(state)
            raise Fail("error: update failed")
        events.step(op, resource, planning=False)
        done.append(op)
        if op == "delete":
            kept.pop(resource["urn"], None)
        else:
            kept[resource["urn"]] = resource
    events.finish(count(done))
    events.deliver()
    state["resources"] = list(kept.values())
    state["outputs"], state["secret_outputs"] = outputs, secret
    record_history(state, "update", "succeeded", count(done))
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
    for resource in order:
        events.step("delete", resource, planning=False)
    changes = {"delete": len(order)} if order else {}
    events.finish(changes)
    events.deliver()
    state["resources"] = [r for r in state["resources"] if r["urn"] not in doomed]
    if not state["resources"]:
        state["outputs"], state["secret_outputs"] = {}, []
    record_history(state, "destroy", "succeeded", changes)
    save(state)
    print(f"Destroying ({state['stack']}):")


def engine_refresh(args: Args, state: dict[str, Any]) -> None:
    events = Events(args.get("--event-log"))
    for resource in state["resources"]:
        events.step("refresh", resource, planning=False)
    changes = {"same": len(state["resources"])}
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
    if sub == "select":
        load(stack)
    elif sub == "init":
        name = args.positional[2]
        if stack_file(name).exists():
            raise Fail(f"error: stack '{name}' already exists")
        provider = args.get("--secrets-provider") or "passphrase"
        given = passphrase()
        if provider == "passphrase" and given is None:
            raise Fail(
                "error: passphrase must be set with PULUMI_CONFIG_PASSPHRASE or "
                "PULUMI_CONFIG_PASSPHRASE_FILE environment variables"
            )
        save({"project": project_name(), "stack": name, "secrets_provider": provider,
              "passphrase_sha256": digest(given) if given else None, "config": {},
              "resources": [], "outputs": {}, "secret_outputs": [], "history": []})
        print(f"Created stack '{name}'")
    elif sub == "output":
        state = load(stack)
        shown = args.get("--show-secrets")
        print(json.dumps({k: (v if shown or k not in state["secret_outputs"] else "[secret]")
                          for k, v in state["outputs"].items()}))
    elif sub == "history":
        print(json.dumps(load(stack)["history"][: int(args.get("--page-size") or 10)]))
    elif sub == "export":
        resources = [{k: v for k, v in r.items()} for r in load(stack)["resources"]]
        print(json.dumps({"version": 3, "deployment": {"resources": resources}}))
    else:
        raise Fail(f"error: fake pulumi: unsupported `stack {sub}`")


def config_command(args: Args) -> None:
    if args.positional[1:2] != ["set-all"]:
        raise Fail("error: fake pulumi: unsupported config command")
    state = load(args.get("--stack"))
    for item in args.all("--plaintext") + args.all("--secret"):
        key, _, value = item.partition("=")
        state["config"][key] = value
    save(state)


def plugin_command(args: Args) -> None:
    if args.positional[1:3] != ["install", "resource"] or len(args.positional) != 5:
        raise Fail("error: fake pulumi: expected `plugin install resource NAME VERSION`")
    version = args.positional[4].lstrip("v")
    if len(version.split(".")) != 3:
        raise Fail(f"error: invalid plugin version {args.positional[4]}")
    print(f"[resource plugin {args.positional[3]}-{version}] installing")


def run(argv: list[str]) -> None:
    args = Args(argv)
    command = args.positional[0] if args.positional else ""
    if command == "version":
        print("v" + os.environ.get("FAKE_PULUMI_VERSION", "3.272.0"))
    elif command == "whoami":
        print(json.dumps({"user": "fake", "url": os.environ.get("PULUMI_BACKEND_URL", "")}))
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

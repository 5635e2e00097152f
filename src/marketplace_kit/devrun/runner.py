"""Start, watch and stop the local marketplace (``marketplace-kit dev``)."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from marketplace_kit.blueprints.routes import RouteTable
from marketplace_kit.contract import container as contract
from marketplace_kit.devenv import Broker, Postgres
from marketplace_kit.devenv.ports import LOOPBACK, free_port, port_open
from marketplace_kit.devrun.channels import ChannelFiles
from marketplace_kit.devrun.gateway import Gateway, RunningGateway
from marketplace_kit.devrun.http_sink import running
from marketplace_kit.devrun.logs import Prefixer
from marketplace_kit.devrun.preflight import check_options
from marketplace_kit.devrun.private_file import write_private
from marketplace_kit.devrun.push_sink import PushSink
from marketplace_kit.devrun.reaper import open_registry
from marketplace_kit.devrun.services import LocalService, topics_to_create
from marketplace_kit.devrun.sms_sink import SmsSink
from marketplace_kit.devrun.smtp import running_sink
from marketplace_kit.devrun.tokens import run_tokens
from marketplace_kit.errors import KitError

STOP_TIMEOUT = 15.0
GATEWAY_PORT = 8080
GATEWAY = "gateway"  # its key among the ports and in the info file
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@dataclass(frozen=True)
class DevOptions:
    """How to run: ports, where mail goes, how long to wait for readiness."""

    free_ports: bool = False  # every service on a free port instead of its service.yaml port
    gateway_port: int = GATEWAY_PORT  # the front door (a free port with free_ports)
    mail_dir: Path | None = None  # default: a temporary directory removed on exit; the SMS and
    # push sinks record into its sms/ and push/ subdirectories
    info_file: Path | None = None  # JSON with URLs, mail dir and secrets, written once ready
    # (default: in the run's temporary directory); secret values are never printed
    ready_timeout: float = 90.0


@dataclass
class Child:
    """A running service process."""

    service: LocalService
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        """Its base URL."""
        return f"http://{LOOPBACK}:{self.port}"


@dataclass
class DevRun:
    """The whole local run; ``run`` blocks until Ctrl-C/SIGTERM or a service dies."""

    services: list[LocalService]
    table: RouteTable
    options: DevOptions = field(default_factory=DevOptions)
    children: list[Child] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def ports(self) -> dict[str, int]:
        """The port of each service (checked free unless chosen at random)."""
        chosen: dict[str, int] = {}
        for s in self.services:
            port = free_port() if self.options.free_ports else s.spec.port
            if not self.options.free_ports and (port_open(port) or port in chosen.values()):
                raise KitError(f"port {port} of {s.name} is in use; fix: stop what uses it or "
                               "run with --free-ports")
            chosen[s.name] = port
        gateway = free_port() if self.options.free_ports else self.options.gateway_port
        if not self.options.free_ports and (port_open(gateway) or gateway in chosen.values()):
            raise KitError(f"port {gateway} of the gateway is in use; fix: stop what uses it, "
                           "choose --gateway-port or run with --free-ports")
        chosen[GATEWAY] = gateway
        return chosen

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        """Signal handler: stop everything."""
        self._stop.set()

    def run(self) -> int:
        """Start everything, wait, stop everything; returns the exit code. SIGINT, SIGTERM and
        SIGHUP (the terminal closed) stop it cleanly; a run killed outright is reaped by the next
        one (``reaper.py``)."""
        check_options(self.options.info_file, self.options.mail_dir)
        ports = self.ports()
        prefix = Prefixer(["dev", *(s.name for s in self.services)])
        handlers = {sig: signal.signal(sig, self.request_stop) for sig in STOP_SIGNALS}
        try:
            return self._run(ports, prefix)
        finally:
            for sig, handler in handlers.items():
                signal.signal(sig, handler)

    def _run(self, ports: dict[str, int], prefix: Prefixer) -> int:
        started = time.monotonic()
        with ExitStack() as stack:
            registry = open_registry(lambda text: prefix.line("dev", text))
            stack.callback(registry.close)  # last: once everything below is stopped
            state = Path(tempfile.mkdtemp(prefix="mk-dev-"))
            registry.add_dir(state)
            stack.callback(shutil.rmtree, state, True)
            mail_dir = self.options.mail_dir or state / "mail"
            prefix.line("dev", "starting PostgreSQL, the Kafka broker (tansu) and the SMTP, SMS "
                        "and push sinks")
            postgres = Postgres()
            registry.add_dir(postgres.root)
            stack.enter_context(postgres)
            registry.add_process(postgres.server_pid(), signal.SIGINT)  # fast shutdown
            broker = stack.enter_context(Broker(log_dir=state / "broker"))
            if broker.pid is not None:
                registry.add_process(broker.pid, group=True)
            sink = stack.enter_context(running_sink(mail_dir))
            sms = stack.enter_context(running(SmsSink(mail_dir / "sms")))
            push = stack.enter_context(running(PushSink(mail_dir / "push")))
            channels = ChannelFiles(state, sms, push)
            topics = topics_to_create(self.services)
            asyncio.run(create_topics(broker.bootstrap_servers, topics))
            prefix.line("dev", f"topics: {', '.join(topics)}")
            shared = {
                "HOST": LOOPBACK,
                contract.KAFKA_BOOTSTRAP_SERVERS.name: broker.bootstrap_servers,
                contract.KAFKA_SECURITY_PROTOCOL.name: "PLAINTEXT",  # tansu has no TLS
                # tansu answers InitProducerId with an error: no idempotent producer locally.
                "KAFKA_ENABLE_IDEMPOTENCE": "false",
                "SMTP_HOST": LOOPBACK,
                "SMTP_PORT": str(sink.port),
                "WEBHOOK_SECRET": secrets.token_urlsafe(24),
                "RELAY_POLL_INTERVAL": "0.2",
                "PYTHONUNBUFFERED": "1",
            }
            tokens = run_tokens(self.services, ports, state)
            stack.callback(self.stop_children, prefix)
            for service in self.services:
                values = {**shared, **tokens.env.get(service.name, {}),
                          **channels.env(service.spec.sends),
                          contract.PORT.name: str(ports[service.name]),
                          contract.SERVICE_NAME.name: service.name}
                if service.needs_database:
                    values[contract.DATABASE_URL.name] = postgres.create_database(
                        service.database_name)
                child = self.spawn(service, ports[service.name], values, prefix)
                self.children.append(child)
                registry.add_process(child.process.pid, group=True)
            if not self.wait_ready(prefix):
                return 1
            upstreams = {c.service.name: c.url for c in self.children}
            front = stack.enter_context(
                RunningGateway(Gateway(self.table, upstreams), LOOPBACK, ports[GATEWAY]))
            info = {
                "gateway": front.url,
                "services": {c.service.name: c.url + c.service.spec.route_prefix
                             for c in self.children},
                "postgres": postgres.url(),
                "databases": {c.service.name: postgres.url(c.service.database_name)
                              for c in self.children if c.service.needs_database},
                "kafka": broker.bootstrap_servers,
                "smtp": f"{LOOPBACK}:{sink.port}",
                "mail_dir": str(mail_dir),
                "sms_sink": sms.url,  # Amazon SNS stand-in: each Publish in sms_dir/*.json
                "sms_dir": str(sms.recorder.directory),
                "push_sink": push.url,  # Web Push service: POST /subscriptions subscribes
                "push_dir": str(push.recorder.directory),
                "secrets": {k: shared[k] for k in ("WEBHOOK_SECRET",)},
                # The issuer's private key for this run (a 0600 file in the run's directory).
                "token_issuer": tokens.issuer,
                "signing_keys_dir": str(tokens.keys_dir) if tokens.keys_dir else None,
            }
            info_file = self.options.info_file or state / "info.json"
            self.announce(prefix, info, time.monotonic() - started, info_file)
            code = self.watch(prefix)
        prefix.line("dev", "stopped; temporary files removed")
        return code

    def spawn(
        self, service: LocalService, port: int, values: dict[str, str], prefix: Prefixer
    ) -> Child:
        """Start one service process; its output goes through ``prefix``."""
        process = subprocess.Popen(
            service.command(),
            cwd=service.directory,
            env=service.environment(dict(os.environ), values),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches us; we stop the children in order
        )
        assert process.stdout is not None
        prefix.pump(service.name, process.stdout)
        return Child(service, port, process)

    def wait_ready(self, prefix: Prefixer) -> bool:
        """Poll every /readyz until all answer 200 and every consumer has joined its group (an
        event published before the join waits in its topic for seconds: a shop walked right
        after `ready` would miss it); False if one dies or time runs out."""
        deadline = time.monotonic() + self.options.ready_timeout
        waiting = {c.service.name: c for c in self.children}
        while waiting and not self._stop.is_set():
            for name, child in list(waiting.items()):
                if child.process.poll() is not None:
                    prefix.line("dev", f"{name} exited with {child.process.returncode}")
                    return False
                if ready(child.url):
                    del waiting[name]
            if time.monotonic() > deadline:
                prefix.line("dev", f"not ready after {self.options.ready_timeout:.0f}s: "
                            f"{', '.join(sorted(waiting))}")
                return False
            self._stop.wait(0.25)
        return not self._stop.is_set()

    def announce(
        self, prefix: Prefixer, info: dict[str, Any], seconds: float, info_file: Path
    ) -> None:
        """Print where everything is (secrets by name only); write the info file (mode 0600)."""
        prefix.line("dev", f"{len(self.children)} services ready in {seconds:.1f}s")
        prefix.line("dev", f"  Gateway        {info['gateway']} (every route; API: "
                    f"{info['gateway']}/docs)")
        for name, url in info["services"].items():
            prefix.line("dev", f"  {name:<14} {url}/docs")
        prefix.line("dev", f"  PostgreSQL     {info['postgres']} (a database per service)")
        prefix.line("dev", f"  Kafka          {info['kafka']}")
        prefix.line("dev", f"  SMTP sink      {info['smtp']} -> {info['mail_dir']}/*.eml")
        prefix.line("dev", f"  SMS sink       {info['sms_sink']} (Amazon SNS API) -> "
                    f"{info['sms_dir']}/*.json")
        prefix.line("dev", f"  Push sink      {info['push_sink']} (Web Push; POST /subscriptions) "
                    f"-> {info['push_dir']}/*.json")
        names = ", ".join(info["secrets"])
        prefix.line("dev", f"  Secrets        {names}: generated for this run, in {info_file}")
        if info["token_issuer"]:
            prefix.line("dev", f"  Tokens         issued by {info['token_issuer']} with a key made "
                        f"for this run ({info['signing_keys_dir']})")
        else:
            prefix.line("dev", "  Tokens         no service issues tokens: auth is off")
        prefix.line("dev", "Ctrl-C stops everything")
        write_private(info_file, json.dumps(info, indent=2) + "\n")

    def watch(self, prefix: Prefixer) -> int:
        """Wait for a stop request (0) or a service that exits on its own (1)."""
        while not self._stop.wait(0.5):
            for child in self.children:
                if child.process.poll() is not None:
                    prefix.line("dev", f"{child.service.name} exited with "
                                f"{child.process.returncode}; stopping")
                    return 1
        return 0

    def stop_children(self, prefix: Prefixer) -> None:
        """SIGTERM every service (they drain), then SIGKILL what is left after the timeout."""
        prefix.line("dev", "stopping")
        for child in self.children:
            if child.process.poll() is None:
                child.process.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT
        for child in self.children:
            try:
                child.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()


def ready(url: str) -> bool:
    """Whether ``url``/readyz answers 200 and, for a service that consumes, says its consumer
    holds partitions (``consuming``; absent in services generated before it was told)."""
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=2) as response:
            body = json.loads(response.read() or b"{}")
            return bool(response.status == 200) and body.get("consuming", True) is True
    except (urllib.error.URLError, OSError, ValueError):
        return False


async def create_topics(bootstrap_servers: str, topics: list[str]) -> None:
    """Create the topics (one partition each: a local run has one consumer per group)."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [NewTopic(t, 1, 1) for t in topics if t not in existing]
        if missing:
            await admin.create_topics(missing)
    finally:
        await admin.close()


def run_dev(services: list[LocalService], table: RouteTable, options: DevOptions) -> int:
    """Run the services behind the front door until stopped; returns the exit code."""
    return DevRun(services, table, options).run()

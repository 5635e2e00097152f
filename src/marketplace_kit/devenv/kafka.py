"""Apache Kafka itself, in KRaft mode, on free loopback ports: one node or three.

Each node is a combined controller + broker started from a resolved server classpath
(``java -cp 'lib/*' kafka.Kafka server.properties``) after ``kafka.tools.StorageTool format``;
its log directory stays on disk across ``kill``/``start``, so a restarted node recovers its
logs. With ``KafkaTls`` the client listener is what Strimzi's ``tls`` listener is: TLS with the
cluster CA's server certificate and SASL SCRAM-SHA-512, the ``StandardAuthorizer`` enforcing
ACLs, the admin user a super user (it also carries inter-broker traffic). Without it the client
listener is plain and open. Timeouts are tuned for tests (a dead node is fenced in ~3 s).
"""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from marketplace_kit.devenv.lifecycle import LocalServer
from marketplace_kit.devenv.ports import LOOPBACK, free_port, wait_for_port
from marketplace_kit.errors import KitError

SCRAM = "SCRAM-SHA-512"
JVM_OPTIONS = ("-Xms64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true")
# Fast failure detection and no start-up delays: what a test wants, not a production cluster.
TEST_TUNING = {
    "broker.session.timeout.ms": 3000,
    "broker.heartbeat.interval.ms": 500,
    "controller.quorum.election.timeout.ms": 1000,
    "controller.quorum.fetch.timeout.ms": 2000,
    "replica.lag.time.max.ms": 5000,
    "group.initial.rebalance.delay.ms": 0,
    "offsets.topic.num.partitions": 1,
    "transaction.state.log.num.partitions": 1,
    "num.network.threads": 2,
    "num.io.threads": 2,
    "background.threads": 2,
    "log.cleaner.threads": 1,
    "num.recovery.threads.per.data.dir": 1,
}
# Warnings, and each refused authentication (the Selector logs it at INFO with its reason).
LOG4J2 = """\
rootLogger.level=WARN
rootLogger.appenderRef.out.ref=out
appender.out.type=Console
appender.out.name=out
appender.out.layout.type=PatternLayout
appender.out.layout.pattern=[%d] %p %m (%c)%n
logger.authentication.name=org.apache.kafka.common.network.Selector
logger.authentication.level=INFO
"""


@dataclass(frozen=True)
class KafkaTls:
    """The secure listener's material: PEM files of the cluster CA and the server certificate
    (for 127.0.0.1, signed by that CA; key in PKCS#8), and the super user's SCRAM password."""

    ca: Path
    certificate: Path
    key: Path
    admin_password: str
    admin: str = "admin"


def _property(value: object) -> str:
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _pem(path: Path) -> str:
    return path.read_text().strip()


class KafkaCluster(LocalServer):
    """``nodes`` combined KRaft nodes; ``start``, ``kill(i)``/``stop(i)``, ``start_node(i)``.

    ``libs`` is the folder of the server's jars, ``config`` extra broker properties (for
    instance the rendered ``Kafka`` resource's ``spec.kafka.config``).
    """

    def __init__(
        self,
        libs: Path,
        *,
        java: str = "java",
        nodes: int = 1,
        tls: KafkaTls | None = None,
        config: Mapping[str, object] | None = None,
        directory: Path | None = None,
        heap: str = "384m",
    ) -> None:
        self.libs, self.java, self.tls, self.heap = libs, java, tls, heap
        self.nodes = nodes
        self.config = dict(config or {})
        self._tmp = None if directory else tempfile.mkdtemp(prefix="mk-kafka-")
        self.root = directory or Path(str(self._tmp))
        self.cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        self.client_ports = [free_port() for _ in range(nodes)]
        self.controller_ports = [free_port() for _ in range(nodes)]
        self._processes: dict[int, subprocess.Popen[bytes]] = {}

    # --- addresses ---------------------------------------------------------------------------

    @property
    def bootstrap_servers(self) -> str:
        """The value for KAFKA_BOOTSTRAP_SERVERS: every node's client listener."""
        return ",".join(f"{LOOPBACK}:{port}" for port in self.client_ports)

    def node_dir(self, node: int) -> Path:
        """Node ``node``'s folder: properties, log directory (``data``) and ``kafka.log``."""
        return self.root / f"node-{node}"

    def running(self, node: int) -> bool:
        """Whether node ``node``'s process is alive."""
        process = self._processes.get(node)
        return process is not None and process.poll() is None

    def pid(self, node: int) -> int | None:
        """Node ``node``'s process id, None when it is not running."""
        return self._processes[node].pid if self.running(node) else None

    # --- configuration -----------------------------------------------------------------------

    def properties(self, node: int) -> dict[str, object]:
        """Node ``node``'s server.properties."""
        client = "SECURE" if self.tls else "CLIENT"
        voters = ",".join(f"{i + 1}@{LOOPBACK}:{p}" for i, p in enumerate(self.controller_ports))
        replicas = min(3, self.nodes)
        props: dict[str, object] = {
            "process.roles": "broker,controller",
            "node.id": node + 1,
            "controller.quorum.voters": voters,
            "listeners": f"{client}://{LOOPBACK}:{self.client_ports[node]},"
                         f"CONTROLLER://{LOOPBACK}:{self.controller_ports[node]}",
            "advertised.listeners": f"{client}://{LOOPBACK}:{self.client_ports[node]}",
            "listener.security.protocol.map":
                f"{client}:{'SASL_SSL' if self.tls else 'PLAINTEXT'},CONTROLLER:PLAINTEXT",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": client,
            "log.dirs": self.node_dir(node) / "data",
            "auto.create.topics.enable": False,
            "offsets.topic.replication.factor": replicas,
            "transaction.state.log.replication.factor": replicas,
            "transaction.state.log.min.isr": min(2, replicas),
            "default.replication.factor": replicas,
            **TEST_TUNING,
        }
        if self.tls:
            tls = self.tls
            jaas = (f'org.apache.kafka.common.security.scram.ScramLoginModule required '
                    f'username="{tls.admin}" password="{tls.admin_password}";')
            props |= {
                "sasl.enabled.mechanisms": SCRAM,
                "sasl.mechanism.inter.broker.protocol": SCRAM,
                f"listener.name.secure.{SCRAM.lower()}.sasl.jaas.config": jaas,
                "ssl.keystore.type": "PEM",
                "ssl.keystore.certificate.chain": _pem(tls.certificate),
                "ssl.keystore.key": _pem(tls.key),
                "ssl.truststore.type": "PEM",
                "ssl.truststore.certificates": _pem(tls.ca),
                "authorizer.class.name":
                    "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                # The controller listener is loopback-only and plain: its principal is ANONYMOUS.
                "super.users": f"User:{tls.admin};User:ANONYMOUS",
                "allow.everyone.if.no.acl.found": False,
            }
        return props | self.config

    def _write(self, node: int) -> Path:
        folder = self.node_dir(node)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "log4j2.properties").write_text(LOG4J2)
        path = folder / "server.properties"
        lines = [f"{key}={_property(value)}" for key, value in self.properties(node).items()]
        path.write_text("\n".join(lines) + "\n")
        return path

    def _java(self, node: int, main: str, *args: str) -> list[str]:
        log4j = self.node_dir(node) / "log4j2.properties"
        return [self.java, f"-Xmx{self.heap}", *JVM_OPTIONS,
                f"-Dlog4j2.configurationFile={log4j}",
                "-cp", str(self.libs / "*"), main, *args]

    def _format(self, node: int) -> None:
        if (self.node_dir(node) / "data" / "meta.properties").exists():
            return
        props = self._write(node)
        command = self._java(node, "kafka.tools.StorageTool", "format",
                             f"--cluster-id={self.cluster_id}", "-c", str(props),
                             "--ignore-formatted")
        if self.tls:
            command += ["--add-scram",
                        f"{SCRAM}=[name={self.tls.admin},password={self.tls.admin_password}]"]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise KitError(f"kafka storage format (node {node}) failed: {done.stderr[-1500:]}")

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self, timeout: float = 90.0) -> None:
        """Format what is new, start every node not running, wait for every client listener."""
        missing = [n for n in range(self.nodes) if not self.running(n)]
        with ThreadPoolExecutor(max(1, len(missing))) as pool:
            list(pool.map(self._format, missing))
        for node in missing:
            self._spawn(node)
        for node in missing:
            self._wait(node, timeout)

    def start_node(self, node: int, timeout: float = 90.0) -> None:
        """Start one node again (its log directory as it was left) and wait for its listener."""
        if not self.running(node):
            self._format(node)
            self._spawn(node)
            self._wait(node, timeout)

    def _spawn(self, node: int) -> None:
        props = self._write(node)
        with (self.node_dir(node) / "kafka.log").open("ab") as log:
            self._processes[node] = subprocess.Popen(
                self._java(node, "kafka.Kafka", str(props)), stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True, env=dict(os.environ))

    def _wait(self, node: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running(node):
                raise KitError(f"kafka node {node} exited: {self.log_tail(node)}")
            try:
                wait_for_port(self.client_ports[node], 0.5, what=f"kafka node {node}")
                return
            except KitError:
                continue
        self.kill(node)
        raise KitError(f"kafka node {node} did not listen within {timeout:.0f}s: "
                       f"{self.log_tail(node)}")

    def log_tail(self, node: int, size: int = 2000) -> str:
        """The end of node ``node``'s log (for failure messages)."""
        path = self.node_dir(node) / "kafka.log"
        return path.read_text(errors="replace")[-size:] if path.exists() else ""

    def kill(self, node: int) -> None:
        """SIGKILL node ``node`` (a crash: nothing flushed, nothing handed over)."""
        process = self._processes.pop(node, None)
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def stop(self, node: int, timeout: float = 15.0) -> None:
        """Stop node ``node`` (SIGTERM: a controlled shutdown; SIGKILL after ``timeout`` s)."""
        process = self._processes.get(node)
        if process is None or process.poll() is not None:
            self._processes.pop(node, None)
            return
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout)
        self.kill(node)

    def close(self) -> None:
        """Stop every node (killed: the data is thrown away) and remove a temporary folder."""
        for node in list(self._processes):
            self.kill(node)
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

"""A real Kubernetes API for the tests: etcd and kube-apiserver (`.ci/parts/kube.sh`) on 127.0.0.1.

No controllers, scheduler or kubelet run: objects are stored, validated, defaulted and admitted
exactly as a cluster's API server does, and nothing reconciles them. ``KubeApi`` starts both on
free ports with a fresh CA, a serving certificate, a service-account signing key and an admin
client certificate (group ``system:masters``), writes a kubeconfig for the kit and the Pulumi
kubernetes provider, and waits until ``/readyz`` answers.
"""

from __future__ import annotations

import base64
import json
import ssl
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import ec

from marketplace_kit.devenv.lifecycle import LocalServer
from marketplace_kit.devenv.ports import LOOPBACK, free_port, wait_for_port
from support.pki import CertificateAuthority, key_pem, public_key_pem
from support.process_group import stop_group
from support.real_parts import real_part

# The Service network the apiserver allocates ClusterIPs from; its first address is the
# `kubernetes` Service's, so the serving certificate names it too.
SERVICE_RANGE = "10.0.0.0/24"
_SERVING_HOSTS = (LOOPBACK, "localhost", "10.0.0.1", "kubernetes", "kubernetes.default",
                  "kubernetes.default.svc", "kubernetes.default.svc.cluster.local")
ISSUER = "https://kubernetes.default.svc.cluster.local"


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


class KubeApi(LocalServer):
    """etcd + kube-apiserver on free loopback ports; ``with KubeApi() as api: api.kubeconfig``."""

    def __init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="mk-kube-api-")
        self.directory = Path(self._tmp.name)
        self.port = free_port()
        self.server = f"https://{LOOPBACK}:{self.port}"
        self.kubeconfig = self.directory / "kubeconfig"
        self.ca_file = self.directory / "ca.crt"
        self.client_cert = self.directory / "admin.crt"
        self.client_key = self.directory / "admin.key"
        self._etcd: subprocess.Popen[bytes] | None = None
        self._apiserver: subprocess.Popen[bytes] | None = None

    # --- files --------------------------------------------------------------------------

    def _write_credentials(self) -> None:
        ca = CertificateAuthority("mk-test-kubernetes-ca")
        ca.write_server(self.directory, _SERVING_HOSTS)
        cert, key = ca.issue("mk-test-admin", organization="system:masters", client=True)
        self.client_cert.write_bytes(cert)
        self.client_key.write_bytes(key)
        signing = ec.generate_private_key(ec.SECP256R1())
        (self.directory / "sa.key").write_bytes(key_pem(signing))
        (self.directory / "sa.pub").write_bytes(public_key_pem(signing))
        self.kubeconfig.write_text(json.dumps(self.kubeconfig_document(), indent=2))
        self.kubeconfig.chmod(0o600)

    def kubeconfig_document(self) -> dict[str, Any]:
        """The kubeconfig: the admin, with the CA and the client certificate inline (base64)."""

        def data(path: Path) -> str:
            return base64.b64encode(path.read_bytes()).decode()

        return {
            "apiVersion": "v1", "kind": "Config", "current-context": "mk-test",
            "clusters": [{"name": "mk-test", "cluster": {
                "server": self.server, "certificate-authority-data": data(self.ca_file)}}],
            "users": [{"name": "mk-test-admin", "user": {
                "client-certificate-data": data(self.client_cert),
                "client-key-data": data(self.client_key)}}],
            "contexts": [{"name": "mk-test", "context": {
                "cluster": "mk-test", "user": "mk-test-admin"}}],
        }

    # --- processes ----------------------------------------------------------------------

    def _spawn(self, name: str, command: list[str]) -> subprocess.Popen[bytes]:
        with (self.directory / f"{name}.log").open("ab") as log:
            return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)

    def _start_etcd(self, timeout: float) -> str:
        client, peer = free_port(), free_port()
        client_url, peer_url = f"http://{LOOPBACK}:{client}", f"http://{LOOPBACK}:{peer}"
        self._etcd = self._spawn("etcd", [
            str(real_part("etcd")), "--name", "mk-test",
            "--data-dir", str(self.directory / "etcd"),
            "--listen-client-urls", client_url, "--advertise-client-urls", client_url,
            "--listen-peer-urls", peer_url, "--initial-advertise-peer-urls", peer_url,
            "--initial-cluster", f"mk-test={peer_url}",
            "--unsafe-no-fsync",  # a test cluster: durability across a crash is not wanted
            "--log-level", "warn",
        ])
        wait_for_port(client, timeout, what="etcd")
        return client_url

    def _start_apiserver(self, etcd_url: str) -> None:
        d = self.directory
        self._apiserver = self._spawn("kube-apiserver", [
            str(real_part("kube-apiserver")),
            f"--etcd-servers={etcd_url}",
            f"--bind-address={LOOPBACK}", f"--advertise-address={LOOPBACK}",
            f"--secure-port={self.port}", f"--cert-dir={d / 'certs'}",
            f"--tls-cert-file={d / 'server.crt'}", f"--tls-private-key-file={d / 'server.key'}",
            f"--client-ca-file={self.ca_file}",
            f"--service-account-issuer={ISSUER}",
            f"--service-account-key-file={d / 'sa.pub'}",
            f"--service-account-signing-key-file={d / 'sa.key'}",
            f"--service-cluster-ip-range={SERVICE_RANGE}",
            "--authorization-mode=Node,RBAC", "--allow-privileged=true",
            # No controller-manager makes ServiceAccounts: Pods would be refused for want of one.
            "--disable-admission-plugins=ServiceAccount",
            "--enable-priority-and-fairness=false",
            "--profiling=false", "--v=0",
        ])

    def client(self, timeout: float = 30.0, *, as_user: str = "",
               as_groups: tuple[str, ...] = ()) -> httpx.Client:
        """An httpx client authenticated as the admin (the caller closes it); with ``as_user``,
        the admin impersonates that user in ``as_groups`` (``Impersonate-*`` headers: the
        apiserver authorizes and admits each request as that user, ``system:authenticated``
        added)."""
        context = ssl.create_default_context(cafile=str(self.ca_file))
        context.load_cert_chain(str(self.client_cert), str(self.client_key))
        headers = [("Impersonate-User", as_user), *(("Impersonate-Group", g) for g in as_groups)]
        return httpx.Client(base_url=self.server, verify=context, timeout=timeout,
                            headers=headers if as_user else None)

    def _wait_ready(self, deadline: float) -> None:
        last = "no answer"
        with self.client(timeout=5.0) as http:
            while time.monotonic() < deadline:
                if self._apiserver is None or self._apiserver.poll() is not None:
                    break
                try:
                    answer = http.get("/readyz")
                    if answer.status_code == 200:
                        return
                    last = f"{answer.status_code} {answer.text[-300:]}"
                except httpx.HTTPError as error:
                    last = str(error)
                time.sleep(0.25)
        log = _tail(self.directory / "kube-apiserver.log")
        raise RuntimeError(f"kube-apiserver not ready ({last}); its log ends:\n{log}")

    def start(self, timeout: float = 120.0) -> None:
        """Start etcd, then the apiserver; returns when ``/readyz`` answers 200."""
        deadline = time.monotonic() + timeout
        self._write_credentials()
        self._start_apiserver(self._start_etcd(timeout))
        self._wait_ready(deadline)

    def close(self) -> None:
        """Stop the apiserver, then etcd, and remove every file."""
        stop_group(self._apiserver)
        stop_group(self._etcd)
        self._apiserver = self._etcd = None
        self._tmp.cleanup()

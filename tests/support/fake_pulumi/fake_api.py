"""A Kubernetes API stand-in over real TLS: ``GET /readyz`` as an EKS endpoint answers it (and
``GET /api/v1/persistentvolumes``: none left, as destroy's volume wait asks).

It serves with a certificate made by ``openssl`` for 127.0.0.1, so the kit's check verifies the
cluster CA exactly as it will against EKS (``certificateAuthority.data``: base64 PEM). Requests
without the expected bearer token get 401; ``status`` forces an answer (e.g. 500, 403).
"""

from __future__ import annotations

import base64
import http.server
import ssl
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

from support.fake_pulumi.fake_aws import TOKEN


@dataclass
class FakeApi:
    """A running stand-in: its URL, its CA (base64 PEM) and what it saw."""

    url: str
    ca_data: str
    server: http.server.ThreadingHTTPServer
    status: int | None = None
    seen: list[str] = field(default_factory=list)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _certificate(directory: Path) -> tuple[Path, Path]:
    key, cert = directory / "api.key", directory / "api.crt"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=kube-apiserver", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return key, cert


def start(directory: Path) -> FakeApi:
    """Serve on a free port of 127.0.0.1 until ``stop``."""
    key, cert = _certificate(directory)
    holder: list[FakeApi] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            api = holder[0]
            api.seen.append(self.path)
            auth = self.headers.get("Authorization", "")
            status = api.status or (200 if auth == f"Bearer {TOKEN}" else 401)
            body = b"ok" if status == 200 else b'{"kind":"Status","code":%d}' % status
            if status == 200 and self.path == "/api/v1/persistentvolumes":
                body = b'{"kind":"PersistentVolumeList","items":[]}'
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    api = FakeApi(f"https://127.0.0.1:{server.server_address[1]}",
                  base64.b64encode(cert.read_bytes()).decode(), server)
    holder.append(api)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return api

"""A Kafka broker that speaks TLS and authenticates SCRAM-SHA-512, as Strimzi's listener does.

tansu 0.6.0 cannot do either here: it parses ``--cert``/``--key`` but never uses its TLS acceptor
(``broker.rs``: ``let _acceptor = ...``), and with ``--authentication`` it refuses everything but
the SASL requests until a connection authenticates, while its users live in storage that is
memory-only in this build and its SASL offers no mechanism that could create the first user. So
``SecureBroker`` puts ``TlsProxy`` in front of an open tansu: the proxy terminates TLS and runs
the server side of SASL SCRAM-SHA-512 (RFC 5802/7677) itself, against credentials stored the
way Kafka stores them (salt, iterations, StoredKey, ServerKey), then relays the authenticated
connection to tansu byte for byte. The client side (aiokafka in the service) is unchanged.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import hashlib
import hmac
import ipaddress
import os
import secrets
import ssl
import struct
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from marketplace_kit.devenv.broker import broker_binary
from marketplace_kit.devenv.lifecycle import LocalServer
from marketplace_kit.devenv.ports import LOOPBACK, free_port, wait_for_port

# --- certificates ---------------------------------------------------------------------------


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def write_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for 127.0.0.1/localhost; returns (ca, cert, key) PEMs."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder().subject_name(_name("seam-test-ca")).issuer_name(_name("seam-test-ca"))
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(LOOPBACK))]
    cert = (
        x509.CertificateBuilder().subject_name(_name("localhost")).issuer_name(ca.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    paths = directory / "ca.crt", directory / "server.crt", directory / "server.key"
    paths[0].write_bytes(ca.public_bytes(pem))
    paths[1].write_bytes(cert.public_bytes(pem))
    paths[2].write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


# --- SASL SCRAM-SHA-512, server side -------------------------------------------------------


def _hmac(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha512).digest()


@dataclass(frozen=True)
class ScramCredential:
    """What a Kafka broker stores for a SCRAM user (never the password)."""

    salt: bytes
    iterations: int
    stored_key: bytes
    server_key: bytes

    @classmethod
    def of(cls, password: str, iterations: int = 4096) -> ScramCredential:
        salt = secrets.token_bytes(16)
        salted = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
        client_key = _hmac(salted, b"Client Key")
        return cls(salt, iterations, hashlib.sha512(client_key).digest(),
                   _hmac(salted, b"Server Key"))


class ScramServer:
    """One SCRAM exchange: ``step`` takes a client message, returns (reply, error or None)."""

    def __init__(self, users: dict[str, ScramCredential]) -> None:
        self.users = users
        self.user: str | None = None
        self.done = False
        self._first_bare = self._server_first = self._nonce = ""

    def step(self, message: bytes) -> tuple[bytes, str | None]:
        text = message.decode()
        if not self._nonce:
            self._first_bare = text.split(",", 2)[2]  # after the GS2 header "n,,"
            attrs = dict(part.split("=", 1) for part in self._first_bare.split(","))
            self.user = attrs["n"]
            credential = self.users.get(self.user)
            if credential is None:
                return b"", f"unknown user {self.user!r}"
            self._nonce = attrs["r"] + secrets.token_urlsafe(18)
            salt = base64.b64encode(credential.salt).decode()
            self._server_first = f"r={self._nonce},s={salt},i={credential.iterations}"
            return self._server_first.encode(), None
        credential = self.users[str(self.user)]
        without_proof, _, proof = text.rpartition(",p=")
        attrs = dict(part.split("=", 1) for part in without_proof.split(","))
        if attrs.get("r") != self._nonce:
            return b"", "nonce mismatch"
        auth_message = f"{self._first_bare},{self._server_first},{without_proof}".encode()
        signature = _hmac(credential.stored_key, auth_message)
        client_key = bytes(a ^ b for a, b in zip(base64.b64decode(proof), signature, strict=True))
        if not hmac.compare_digest(hashlib.sha512(client_key).digest(), credential.stored_key):
            return b"", "wrong password"
        self.done = True
        verifier = base64.b64encode(_hmac(credential.server_key, auth_message)).decode()
        return f"v={verifier}".encode(), None


# --- TLS + SASL termination --------------------------------------------------------------------

API_VERSIONS, SASL_HANDSHAKE, SASL_AUTHENTICATE = 18, 17, 36
MECHANISM = "SCRAM-SHA-512"


def _string(value: str | None) -> bytes:
    if value is None:
        return struct.pack(">h", -1)
    raw = value.encode()
    return struct.pack(">h", len(raw)) + raw


async def _read_frame(reader: asyncio.StreamReader) -> bytes:
    size = struct.unpack(">i", await reader.readexactly(4))[0]
    return await reader.readexactly(size)


def _framed(payload: bytes) -> bytes:
    return struct.pack(">i", len(payload)) + payload


class TlsProxy:
    """Accepts TLS on ``port``, authenticates SCRAM-SHA-512 against ``users``, then relays the
    connection's bytes to ``upstream_port`` (an asyncio loop in one thread)."""

    def __init__(self, upstream_port: int, cert: Path, key: Path) -> None:
        self.port = free_port()
        self.upstream_port = upstream_port
        self.users: dict[str, ScramCredential] = {}
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(cert, key)
        self.authenticated: list[str] = []  # users, one entry per authenticated connection
        self.refused: list[str] = []  # why connections were refused
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    async def _authenticate(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                            upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter]) -> bool:
        """Answer ApiVersions (from tansu) and the SASL requests until SCRAM succeeds."""
        scram = ScramServer(self.users)
        while not scram.done:
            frame = await _read_frame(reader)
            api_key, version, correlation = struct.unpack(">hhi", frame[:8])
            head = struct.pack(">i", correlation)
            if api_key == API_VERSIONS:
                upstream[1].write(_framed(frame))
                writer.write(_framed(await _read_frame(upstream[0])))
            elif api_key == SASL_HANDSHAKE:
                offset = 10 + struct.unpack(">h", frame[8:10])[0]  # past the client id
                size = struct.unpack(">h", frame[offset:offset + 2])[0]
                asked = frame[offset + 2:offset + 2 + size].decode()
                error = 0 if asked == MECHANISM else 33  # UNSUPPORTED_SASL_MECHANISM
                body = struct.pack(">hi", error, 1) + _string(MECHANISM)
                writer.write(_framed(head + body))
                if error:
                    self.refused.append(f"mechanism {asked}")
                    return False
            elif api_key == SASL_AUTHENTICATE:
                offset = 10 + struct.unpack(">h", frame[8:10])[0]
                size = struct.unpack(">i", frame[offset:offset + 4])[0]
                reply, problem = scram.step(frame[offset + 4:offset + 4 + size])
                body = struct.pack(">h", 58 if problem else 0) + _string(problem)
                body += struct.pack(">i", len(reply)) + reply
                if version >= 1:
                    body += struct.pack(">q", 0)  # session_lifetime_ms: no re-authentication
                writer.write(_framed(head + body))
                if problem:
                    self.refused.append(problem)
                    return False
            else:
                self.refused.append(f"api {api_key} before authentication")
                return False
            await writer.drain()
        self.authenticated.append(str(scram.user))
        return True

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(LOOPBACK, self.upstream_port)
        except OSError:
            writer.close()
            return
        try:
            ok = await self._authenticate(reader, writer, (up_reader, up_writer))
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            ok = False
        if not ok:
            await asyncio.sleep(0.1)  # let the client read the error before the close
            writer.close()
            up_writer.close()
            return
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    def start(self) -> None:
        self._thread.start()
        server = asyncio.start_server(self._serve, LOOPBACK, self.port, ssl=self.context)
        self._server = asyncio.run_coroutine_threadsafe(server, self._loop).result(10)

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def close(self) -> None:
        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)


# --- the broker ----------------------------------------------------------------------------


class SecureBroker(LocalServer):
    """tansu with authentication behind a TLS proxy; clients use ``bootstrap_servers``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.ca, cert, key = write_certificates(directory)
        self.internal_port = free_port()
        self.proxy = TlsProxy(self.internal_port, cert, key)
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        """The TLS address (what the broker advertises in its metadata)."""
        return f"{LOOPBACK}:{self.proxy.port}"

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items()
               if k not in ("CLUSTER_ID", "LISTENER_URL", "ADVERTISED_LISTENER_URL",
                            "STORAGE_ENGINE", "OTEL_EXPORTER_OTLP_ENDPOINT")}
        env.setdefault("RUST_LOG", "warn")
        command = [broker_binary(), "broker",
                   "--listener-url", f"tcp://{LOOPBACK}:{self.internal_port}",
                   "--advertised-listener-url", f"tcp://{self.bootstrap_servers}",
                   "--storage-engine", "memory://tansu/"]
        with (self.directory / "tansu.log").open("ab") as log:
            self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                             env=env, start_new_session=True)
        wait_for_port(self.internal_port, 20, what="the tansu broker")
        self.proxy.start()

    def create_user(self, name: str) -> str:
        """A SCRAM-SHA-512 user with a fresh password; returns the password."""
        password = secrets.token_urlsafe(24)
        self.proxy.users[name] = ScramCredential.of(password)
        return password

    def client_options(self, user: str, password: str) -> dict[str, object]:
        """aiokafka options for ``user`` (TLS verified against the test CA)."""
        return {
            "bootstrap_servers": self.bootstrap_servers,
            "security_protocol": "SASL_SSL",
            "sasl_mechanism": "SCRAM-SHA-512",
            "sasl_plain_username": user,
            "sasl_plain_password": password,
            "ssl_context": ssl.create_default_context(cafile=str(self.ca)),
        }

    def close(self) -> None:
        self.proxy.close()
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

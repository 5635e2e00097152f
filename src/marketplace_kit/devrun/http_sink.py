"""The base of the local HTTP sinks (SMS, push): a loopback HTTP server in a background thread
that answers through one function and stores what it accepted as numbered JSON files."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from marketplace_kit.devenv.ports import LOOPBACK

MAX_BODY = 64 * 1024


@dataclass(frozen=True)
class Request:
    """What arrived: method, path, headers (lower-case names) and body."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Reply:
    """What to answer."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class Recorder:
    """Numbered ``NNNNNN.json`` files in ``directory``, in arrival order."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._count = 0
        self._lock = threading.Lock()

    def store(self, record: dict[str, Any]) -> Path:
        """Write one record (whole file or none: written aside, then renamed)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with self._lock:
            self._count += 1
            path = self.directory / f"{self._count:06d}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        tmp.rename(path)
        return path

    def records(self) -> list[dict[str, Any]]:
        """Every stored record, in arrival order."""
        files = sorted(self.directory.glob("*.json"))
        return [json.loads(f.read_text(encoding="utf-8")) for f in files]


def _handler(answer: Callable[[Request], Reply]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            if length > MAX_BODY:
                reply = Reply(413, b"too large")
            else:
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                reply = answer(Request(self.command, self.path, headers, body))
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: dev prints where the sinks are; the records are the log

    return Handler


@contextmanager
def serving(answer: Callable[[Request], Reply], port: int = 0) -> Iterator[int]:
    """Serve ``answer`` on 127.0.0.1 (``port`` 0: a free one) until exit; yields the port."""
    server = ThreadingHTTPServer((LOOPBACK, port), _handler(answer))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="http-sink", daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)

"""The base of the local HTTP sinks (SMS, push): a loopback HTTP server in a background thread
that answers through one function (what it accepts goes to a ``records.Recorder``)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol, TypeVar

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


class HttpSink(Protocol):
    """A sink that answers HTTP requests and learns the port it is served on."""

    port: int

    def answer(self, request: Request) -> Reply:
        """The reply to one request."""
        ...


SinkT = TypeVar("SinkT", bound=HttpSink)


@contextmanager
def running(sink: SinkT) -> Iterator[SinkT]:
    """``sink`` served on a free loopback port in a background thread, stopped on exit."""
    with serving(sink.answer) as bound:
        sink.port = bound
        yield sink

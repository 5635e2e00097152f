"""A tiny SMTP sink for local runs: accepts every message and stores it as an ``.eml`` file.

It speaks the subset of SMTP (RFC 5321) that mail clients use without extensions: HELO/EHLO,
MAIL, RCPT, DATA (with dot-unstuffing), RSET, NOOP, QUIT. No authentication, no relaying: it
listens on loopback only. Files are named ``<sequence>.eml`` in arrival order.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from marketplace_kit.devenv.ports import LOOPBACK, free_port, wait_for_port
from marketplace_kit.devrun.records import Recorder

MAX_MESSAGE_BYTES = 10 * 1024 * 1024


class SmtpSink:
    """Stores each message in ``directory``; ``messages()`` reads them back."""

    def __init__(self, directory: Path, port: int | None = None) -> None:
        self.directory = directory
        self.port = port or free_port()
        self._recorder = Recorder(directory, ".eml")
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        """Listen on 127.0.0.1:port."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self._server = await asyncio.start_server(self._session, LOOPBACK, self.port)

    async def close(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    def messages(self) -> list[EmailMessage]:
        """Every stored message, in arrival order."""
        parser = BytesParser(policy=policy.default)
        return [parser.parsebytes(f.read_bytes()) for f in self._recorder.paths()]

    def _store(self, sender: str, recipients: list[str], data: bytes) -> Path:
        envelope = f"X-Sink-From: {sender}\r\nX-Sink-To: {', '.join(recipients)}\r\n".encode()
        return self._recorder.store_bytes(envelope + data)

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async def reply(line: str) -> None:
            writer.write(f"{line}\r\n".encode())
            await writer.drain()

        sender: str | None = None
        recipients: list[str] = []
        try:
            await reply("220 marketplace-kit SMTP sink ready")
            while raw := await reader.readline():
                command, _, argument = raw.decode("utf-8", "replace").strip().partition(" ")
                verb = command.upper()
                if verb in ("HELO", "EHLO"):
                    await reply("250 marketplace-kit")
                elif verb == "MAIL" and argument.upper().startswith("FROM:"):
                    sender, recipients = argument[5:].strip().strip("<>"), []
                    await reply("250 OK")
                elif verb == "RCPT" and argument.upper().startswith("TO:"):
                    if sender is None:
                        await reply("503 MAIL first")
                        continue
                    recipients.append(argument[3:].strip().strip("<>"))
                    await reply("250 OK")
                elif verb == "DATA":
                    if sender is None or not recipients:
                        await reply("503 MAIL and RCPT first")
                        continue
                    await reply("354 End data with <CR><LF>.<CR><LF>")
                    data = await self._read_data(reader)
                    if data is None:
                        await reply("552 message too large")
                    else:
                        self._store(sender, recipients, data)
                        await reply("250 OK stored")
                    sender, recipients = None, []
                elif verb == "RSET":
                    sender, recipients = None, []
                    await reply("250 OK")
                elif verb == "NOOP":
                    await reply("250 OK")
                elif verb == "QUIT":
                    await reply("221 Bye")
                    break
                else:
                    await reply("502 command not implemented")
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    @staticmethod
    async def _read_data(reader: asyncio.StreamReader) -> bytes | None:
        lines: list[bytes] = []
        size = 0
        while True:
            line = await reader.readline()
            if not line or line.rstrip(b"\r\n") == b".":
                break
            if line.startswith(b".."):
                line = line[1:]
            size += len(line)
            lines.append(line)
        return b"".join(lines) if size <= MAX_MESSAGE_BYTES else None


@contextmanager
def running_sink(directory: Path, port: int | None = None) -> Iterator[SmtpSink]:
    """A sink served by an event loop in a background thread, stopped on exit."""
    sink = SmtpSink(directory, port)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="smtp-sink", daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(sink.start(), loop).result(10)
    wait_for_port(sink.port, 10, what="the SMTP sink")
    try:
        yield sink
    finally:
        asyncio.run_coroutine_threadsafe(sink.close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()

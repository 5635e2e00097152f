"""Debian's chromium, headless, with the network blocked: load a page, report what it did.

Driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``: NUL-terminated JSON on
file descriptors 3 and 4), so no WebSocket client is needed. Every host name but 127.0.0.1
resolves to nothing and every other connection goes to a dead proxy: a page that needs a CDN
shows it. The protocol sees closed shadow roots too (mkdocs-material draws Mermaid in one).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
         "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=127.0.0.1",
         "--remote-debugging-pipe")


def chromium() -> str:
    """The chromium binary (.ci/run installs Debian's package)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("chromium is needed for the browser tests (.ci/run installs it with apt)")
    return found


@dataclass
class Visit:
    """What a page did: every request's URL, console and CSP messages, and a way to look."""

    requests: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    blocked: dict[str, str] = field(default_factory=dict)  # URL -> why it was not loaded


class Browser:
    """One headless chromium with a fresh profile, spoken to over the DevTools pipe."""

    def __init__(self, profile: Path) -> None:
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()
        # chromium reads commands on fd 3 and writes answers on fd 4: bash puts the pipes there.
        move = f"3<&{to_chrome_r} 4>&{from_chrome_w} {to_chrome_r}<&- {from_chrome_w}>&-"
        self._process = subprocess.Popen(
            ["bash", "-c", f'exec "$0" "$@" {move}', chromium(), *FLAGS,
             f"--user-data-dir={profile}", "about:blank"],
            pass_fds=(to_chrome_r, from_chrome_w), stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        targets = self.call("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self._session = self.call("Target.attachToTarget", targetId=page["targetId"],
                                  flatten=True)["sessionId"]
        for domain in ("Page", "Network", "Runtime", "Log"):
            self.call(f"{domain}.enable", session=True)

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            assert time.monotonic() < deadline, "chromium did not answer in time"
            chunk = os.read(self._from_chrome, 1 << 16)
            assert chunk, "chromium closed its pipe"
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        parsed: dict[str, Any] = json.loads(message)
        return parsed

    def call(self, method: str, session: bool = False, timeout: float = 60,
             **params: Any) -> dict[str, Any]:
        """Send one command; its result (events meanwhile are kept in ``events``)."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self._session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._read(deadline)
            if answer.get("id") == self._next_id:
                assert "error" not in answer, f"{method}: {answer['error']}"
                result: dict[str, Any] = answer["result"]
                return result
            self.events.append(answer)

    def evaluate(self, expression: str) -> Any:
        """A JavaScript expression's value in the page."""
        result = self.call("Runtime.evaluate", session=True, expression=expression,
                           returnByValue=True)
        return result["result"].get("value")

    def visit(self, url: str, ready: str, timeout: float = 60) -> Visit:
        """Load ``url``; wait until the JavaScript ``ready`` is true; what the page did."""
        self.events.clear()
        self.call("Page.navigate", session=True, url=url)
        deadline = time.monotonic() + timeout
        while not self.evaluate(f"Boolean({ready})"):
            if time.monotonic() > deadline:
                break
            time.sleep(0.25)
        visit = Visit()
        urls: dict[str, str] = {}
        for event in self.events:
            params = event.get("params", {})
            if event.get("method") == "Network.requestWillBeSent":
                visit.requests.append(params["request"]["url"])
                urls[params["requestId"]] = params["request"]["url"]
            elif event.get("method") == "Network.loadingFailed":
                url = urls.get(params["requestId"], params["requestId"])
                visit.blocked[url] = params.get("blockedReason") or params.get("errorText", "")
            elif event.get("method") == "Log.entryAdded":
                visit.messages.append(params["entry"]["text"])
            elif event.get("method") == "Runtime.consoleAPICalled":
                visit.messages.append(" ".join(str(a.get("value", a.get("description", "")))
                                               for a in params.get("args", [])))
        return visit

    def svg_in_shadow_roots(self, host_class: str) -> int:
        """How many <svg> elements sit in shadow roots of elements of class ``host_class``."""
        root = self.call("DOM.getDocument", session=True, depth=-1, pierce=True)["root"]

        def svgs(node: dict[str, Any], inside: bool) -> int:
            count = 1 if inside and node.get("localName") == "svg" else 0
            attributes = node.get("attributes", [])
            pairs = dict(zip(attributes[::2], attributes[1::2], strict=True))
            host = host_class in pairs.get("class", "").split()
            for shadow in node.get("shadowRoots", []):
                count += svgs(shadow, inside or host)
            for child in node.get("children", []):
                count += svgs(child, inside)
            return count

        return svgs(root, False)

    def close(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(20)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        os.close(self._to_chrome)
        os.close(self._from_chrome)


def swagger_operations(url: str, profile: Path) -> tuple[list[str], Visit]:
    """The operation paths a Swagger UI page at ``url`` lists (once it lists any), and what the
    page did, in a fresh headless chromium with the network blocked."""
    browser = Browser(profile)
    try:
        visit = browser.visit(url, ready="document.querySelectorAll('.opblock').length > 0")
        paths = browser.evaluate("Array.from(document.querySelectorAll("
                                 "'.opblock-summary-path')).map(e => e.textContent)")
    finally:
        browser.close()
    return [p.replace("\u200b", "") for p in paths or []], visit

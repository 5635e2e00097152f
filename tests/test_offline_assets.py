"""Offline and under a strict CSP: the docs site's architecture diagram renders in headless
chromium with the network blocked (Mermaid from the site itself, copied from the kit's npm-pinned
copy), and nothing is requested from another origin. dev's /docs: tests/test_dev_gateway.py."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.browser import Browser

from marketplace_kit.assets.fetch import ASSETS, pins
from marketplace_kit.assets.pages import asset
from marketplace_kit.devenv.ports import LOOPBACK, free_port

REPO = Path(__file__).resolve().parents[1]


def test_the_kit_ships_each_asset_of_its_pinned_package() -> None:
    """Each file is the pinned package's (the build checked the tarball's integrity)."""
    import tarfile

    from marketplace_kit.assets.fetch import tarball

    for item in ASSETS:
        with tarfile.open(tarball(item.package, *pins()[item.package])) as archive:
            member = archive.extractfile(item.member)
            assert member is not None and member.read() == asset(item.name), item.name
    assert not [p for p in (REPO / "src").rglob("*.min.js")
                if not p.is_relative_to(REPO / "src/marketplace_kit/assets/dist")]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The docs site, built as CI builds it (strict)."""
    out = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
                   cwd=REPO, check=True, capture_output=True, timeout=1200,
                   env={**os.environ, "DISABLE_MKDOCS_2_WARNING": "true",
                        "NO_MKDOCS_2_WARNING": "1"})
    return out


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "http.server", "--bind", LOOPBACK,
                               str(port), "--directory", str(site)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://{LOOPBACK}:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "the site server did not start"
            time.sleep(0.2)
    yield url
    server.terminate()
    server.wait(10)


def test_the_architecture_diagram_renders_with_the_network_blocked(served: str,
                                                                   tmp_path: Path) -> None:
    browser = Browser(tmp_path / "profile")
    try:
        visit = browser.visit(f"{served}/concepts/architecture/",
                              ready="document.querySelector('div.mermaid') !== null")
        svgs = browser.svg_in_shadow_roots("mermaid")
        csp = browser.evaluate("document.querySelector("
                               "'meta[http-equiv=\"Content-Security-Policy\"]').content")
    finally:
        browser.close()
    assert svgs >= 1, visit.messages
    assert "default-src 'self'" in csp
    assert f"{served}/assets/mermaid.min.js" in visit.requests
    # Only the theme's repository facts (repo_url) try another origin: the CSP refuses them.
    elsewhere = {u for u in visit.requests if not u.startswith((served, "data:", "blob:"))}
    assert {u: visit.blocked.get(u) for u in elsewhere} == {u: "csp" for u in elsewhere}
    assert all(u.startswith("https://api.github.com/repos/") for u in elsewhere), elsewhere

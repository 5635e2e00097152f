"""The real Pulumi engine for a test: the CLI and providers from `.ci/real-parts`, a private home.

``engine`` puts the CLI (built from its Go module) first on PATH with a fresh PULUMI_HOME and
HOME, a passphrase for local secrets, no update check, and the kubernetes provider (built from
its Go module) installed as a plugin at the version the kit pins, from the built binary (so the
kit's own ``plugin install`` finds it and downloads nothing). The kit's code path is unchanged:
``operations`` through the Automation API.

The Python SDK's dynamic provider (``pulumi.dynamic``) serves the test programs' stand-ins for
cloud resources: the engine starts it as the plugin ``pulumi-resource-pulumi-python``, which the
SDK's own launcher script (sdk/python/dist) runs as ``python3 -u -m pulumi.dynamic``; the
launcher here runs the same module with this interpreter (the SDK's own code, no stand-in).
The ``random`` provider cannot be built here: ``pulumi-resource-random`` on PATH is the
stand-in of support/random_provider.py (RandomPassword, which the platform's program uses).
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from marketplace_kit.config import Platform, load_platform
from marketplace_kit.platform.versions import PULUMI_PLUGINS
from marketplace_kit.provision import operations
from marketplace_kit.provision.errors import StackLockedError
from marketplace_kit.provision.operations import Session
from marketplace_kit.provision.progress import Progress
from marketplace_kit.provision.settings import resolve_settings
from support.engine_programs import held
from support.provision import new_platform
from support.real_parts import real_part

TESTS = Path(__file__).resolve().parents[1]
KUBERNETES = {"kubernetes": PULUMI_PLUGINS["kubernetes"]}
PASSPHRASE = "engine-test-passphrase"


# Provider plugins the engine finds on PATH (name -> the module this interpreter runs).
LAUNCHED = {"pulumi-resource-pulumi-python": "pulumi.dynamic",
            "pulumi-resource-random": "support.random_provider"}


def _launchers(directory: Path) -> None:
    for plugin, module in LAUNCHED.items():
        script = directory / plugin
        script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -u -m {module} "$@"\n')
        script.chmod(0o755)


@functools.cache
def pulumi_home() -> Path:
    """The tests' PULUMI_HOME (one per test process: plugins are installed once)."""
    return Path(tempfile.mkdtemp(prefix="mk-pulumi-home-"))


@pytest.fixture(scope="session")
def kubernetes_plugin(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The built kubernetes provider installed as a plugin at the version the kit pins."""
    provider = real_part("pulumi-resource-kubernetes")
    folder = tmp_path_factory.mktemp("kubernetes-plugin")
    shutil.copy2(provider, folder / provider.name)
    subprocess.run(
        [str(real_part("pulumi")), "plugin", "install", "resource", "kubernetes",
         KUBERNETES["kubernetes"], "--file", str(folder)],
        check=True, capture_output=True, env={**os.environ, "PULUMI_HOME": str(pulumi_home()),
                                              "PULUMI_SKIP_UPDATE_CHECK": "true"},
    )


@dataclass
class Engine:
    """What a test runs the kit against: a platform config and sessions over it."""

    tmp: Path
    platform: Platform
    seen: list[tuple[str, Progress]] = field(default_factory=list)  # every run's display
    warnings: list[str] = field(default_factory=list)
    on_display: Callable[[Progress, str], None] | None = None

    def display(self, progress: Progress, title: str) -> AbstractContextManager[object]:
        @contextmanager
        def shown() -> Iterator[None]:
            self.seen.append((title, progress))
            if self.on_display is not None:
                self.on_display(progress, title)
            yield

        return shown()

    def checkout(self, name: str) -> Engine:
        """Another checkout of the same platform (its own directory, no state of its own)."""
        return Engine(self.tmp, load_platform(new_platform(self.tmp / name / "shop", "local")))

    def session(self, command: str, program: Callable[[], None],
                secrets_provider: str | None = None, plugins: Mapping[str, str] = KUBERNETES,
                **options: object) -> Session:
        """A session of ``command`` for ``program`` (the platform's stack, named after its
        blueprint, ``local``; the backend as the CLI resolves it: PULUMI_BACKEND_URL, else the
        file backend beside marketplace.yaml)."""
        settings = resolve_settings(self.platform, secrets_provider=secrets_provider)
        return Session(command, self.platform, settings, display=self.display,
                       warn=self.warnings.append, program=program, plugins=plugins,
                       **options)  # type: ignore[arg-type]


@contextmanager
def deadline(seconds: float, what: str) -> Iterator[None]:
    """Bound a real-engine scenario: past ``seconds`` this process gets Ctrl-C, as a user's
    terminal sends it (the kit stops the engine cleanly; a second one, 15 s later, stops it at
    once), and the test fails saying what took too long. A hang becomes a failure."""
    done, expired = threading.Event(), threading.Event()

    def watch() -> None:
        if done.wait(seconds):
            return
        expired.set()
        for _ in range(2):
            os.kill(os.getpid(), signal.SIGINT)
            if done.wait(15):
                return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield
    except BaseException as exc:
        if expired.is_set():
            pytest.fail(f"{what} took longer than {seconds:.0f} s (stopped: {exc!r})")
        raise
    finally:
        done.set()
        watcher.join()


def refused_while_held(first: Engine, second: Engine, gate: Path,
                       secrets_provider: str | None = None,
                       while_held: Callable[[], None] | None = None) -> StackLockedError:
    """``second``'s ``up`` while ``first``'s holds the stack's lock: ``first`` runs in a thread
    a program whose one create waits for ``gate``; once that create is in flight (the lock is
    held, whatever the machine's speed), ``while_held`` runs, then ``second``'s ``up``; the gate
    opens and ``first``'s run must finish. Returns the refusal."""
    program, errors = held(gate), list[BaseException]()
    shown = len(first.seen)

    def first_up() -> None:
        try:
            operations.up(first.session("up", program, secrets_provider, plugins={}))
        except BaseException as exc:
            errors.append(exc)

    running = threading.Thread(target=first_up, daemon=True)
    running.start()
    try:
        waited = time.monotonic() + 120
        while not any(title == "up" and progress.in_flight
                      for title, progress in first.seen[shown:]):
            assert running.is_alive() and time.monotonic() < waited, errors or "no up in flight"
            time.sleep(0.1)
        if while_held is not None:
            while_held()
        with pytest.raises(StackLockedError) as refused:
            operations.up(second.session("up", program, plugins={}))
    finally:
        gate.touch()
        running.join(120)
    assert not errors and not running.is_alive(), errors
    return refused.value


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """The real CLI first on PATH, a private home, state in a file backend under tmp_path."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _launchers(bin_dir)
    cli_dir = real_part("pulumi").parent
    monkeypatch.setenv("PATH", os.pathsep.join([str(cli_dir), str(bin_dir),
                                                os.environ.get("PATH", "")]))
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("PULUMI_HOME", str(pulumi_home()))
    monkeypatch.setenv("PULUMI_SKIP_UPDATE_CHECK", "true")
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", PASSPHRASE)
    # the dynamic provider imports the test programs' providers by module (support.*)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(TESTS), os.environ.get(
        "PYTHONPATH", "")]))
    for var in ("PULUMI_BACKEND_URL", "PULUMI_ACCESS_TOKEN", "KUBECONFIG", "CI",
                "PULUMI_CONFIG_PASSPHRASE_FILE"):
        monkeypatch.delenv(var, raising=False)
    platform = load_platform(new_platform(tmp_path / "shop", "local"))
    return Engine(tmp_path, platform)

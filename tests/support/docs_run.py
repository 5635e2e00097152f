"""Run the shell blocks of the docs as a reader would, in one terminal per document.

Sybil (https://pypi.org/project/sybil/) finds the fenced blocks and the ``<!-- docs-test: ... -->``
comments in the Markdown; this module is its evaluator. Each document starts in a fresh copy of
the repository (what git tracks, as a clone has it) with the plain ``.venv`` of the README
activated; a block that runs ``pip install ... '.[EXTRAS]'`` activates a venv of those extras
first, as its reader would have. The working directory carries from block to block (``cd``).

Each block runs with ``set -euo pipefail``: any failing command fails the block. A comment before
a block may say how it runs:

- ``<!-- docs-test: cloud: WHY -->``: needs an AWS account; checked, not run: ``bash -n``, then
  every ``marketplace-kit`` (or ``python X.py``) command is parsed by the program itself (its
  arguments and ``--help``) and every other program must exist (``bash FILE``: ``bash -n FILE``).
- ``<!-- docs-test: parse-only: WHY -->``: the same check, for blocks that run for many minutes
  or are this CI itself (their ``.venv/bin/python`` is the venv ``bash .ci/run`` makes, the one
  this test runs in).
- ``<!-- docs-test: background until URL -->``: a long-running command (a server): started,
  waited for until URL answers (as the docs' next lines probe it), kept running for the rest of
  the document, then stopped with Ctrl-C (SIGINT to its process group) and expected to exit
  cleanly.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sybil import Document, Example, Region, Sybil
from sybil.parsers.markdown import CodeBlockParser
from sybil.parsers.markdown.lexers import DirectiveInHTMLCommentLexer, RawFencedCodeBlockLexer

REPO = Path(__file__).resolve().parents[2]
SHELLS = ("bash", "sh", "shell", "console", "zsh")
DIRECTIVE = "docs-test"
MODES = ("cloud", "parse-only", "background")
EXTRAS = re.compile(r"pip install\b[^\n]*?\.\[([a-z,]+)\]")
BLOCK_TIMEOUT = 1200  # a first `pip install '.[local]'` into an empty venv takes minutes
# The check of a block that is not run: each command is parsed, not executed (a DEBUG trap with
# extdebug skips the command when the trap returns 1); cd and assignments run.
CHECK_PRELUDE = r"""
set -uo pipefail
shopt -s extdebug
_docs_words() {
  case "$1" in
    .venv/bin/python|.venv/bin/python3)  # the venv `bash .ci/run` makes: this test's own
      "$DOCS_CI_PYTHON" "${@:2}" --help >/dev/null \
        || { echo "docs-test: does not parse: $*" >&2; exit 1; } ;;
    marketplace-kit|*/marketplace-kit|*/python|*/python3|python|python3)
      "$@" --help >/dev/null || { echo "docs-test: does not parse: $*" >&2; exit 1; } ;;
    bash|sh) bash -n "$2" || exit 1 ;;
    *) command -v "$1" >/dev/null || { echo "docs-test: no such program: $1" >&2; exit 1; } ;;
  esac
}
_docs_check() {
  case "$BASH_COMMAND" in
    _docs_*|cd\ *|[A-Za-z_]*=*) return 0 ;;
  esac
  eval "_docs_words $BASH_COMMAND"
  return 1
}
trap _docs_check DEBUG
"""


def tracked_files() -> list[str]:
    """What a clone of this checkout holds: files git tracks or would track (not ignored)."""
    args = ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
    out = subprocess.run(args, cwd=REPO, check=True, capture_output=True).stdout.decode()
    return [p for p in out.split("\0") if p and (REPO / p).is_file()]


@dataclass
class Session:
    """One clone directory and its venvs, shared by every document of a test session.

    The clone sits at a fixed path (``home/clone``) so its venvs stay valid between sessions:
    each document gets a fresh copy of the files, the venvs are only brought up to date.
    """

    home: Path

    @property
    def clone(self) -> Path:
        return self.home / "clone"

    @property
    def plain(self) -> Path:
        """The README's ``.venv`` (``pip install .``, no extras)."""
        return self.clone / ".venv"

    def venv_for(self, extras: str) -> Path:
        """The venv of a reader who ran ``pip install '.[extras]'``, created if missing."""
        venv = self.home / f"venv-{extras.replace(',', '-')}"
        if not (venv / "bin" / "python").is_file():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        return venv

    def refresh(self) -> None:
        """A fresh copy of the repository's files in the clone directory (venvs kept)."""
        self.clone.mkdir(parents=True, exist_ok=True)
        for entry in self.clone.iterdir():
            if entry.name != ".venv":
                shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() \
                    else entry.unlink()
        for relative in tracked_files():
            target = self.clone / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / relative, target)

    def prepare(self) -> None:
        """The clone and its plain ``.venv`` holding this checkout (as the README installs it)."""
        self.refresh()
        if not (self.plain / "bin" / "python").is_file():
            subprocess.run([sys.executable, "-m", "venv", str(self.plain)], check=True)
        subprocess.run([str(self.plain / "bin" / "pip"), "install", "-q",
                        "--disable-pip-version-check", "."], cwd=self.clone, check=True,
                       env=_clean_env(), timeout=BLOCK_TIMEOUT)


def _clean_env() -> dict[str, str]:
    drop = {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "COLUMNS", "LINES"}
    return {k: v for k, v in os.environ.items() if k not in drop}


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return bool(response.status < 500)
    except urllib.error.HTTPError as exc:
        return exc.code < 500
    except OSError:
        return False


@dataclass
class Terminal:
    """One reader's terminal for one document: its directory, its venv, its servers."""

    session: Session
    document: str
    cwd: Path
    venv: Path
    log_dir: Path
    background: list[tuple[str, subprocess.Popen[bytes], Path]] = field(default_factory=list)
    ran: list[str] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        env = _clean_env()
        env.update(VIRTUAL_ENV=str(self.venv), PATH=f"{self.venv / 'bin'}:{env['PATH']}",
                   NO_COLOR="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
        return env

    def run(self, source: str, where: str, mode: str | None) -> None:
        """Run (or check) one block, as ``mode`` says."""
        match = EXTRAS.search(source)
        if match:
            self.venv = self.session.venv_for(match.group(1))
        self.ran.append(f"{where}: {mode or 'run'}")
        if mode in ("cloud", "parse-only"):
            self._check(source, where)
        elif mode == "background":
            raise AssertionError(f"{where}: `background` needs `until URL`")
        elif mode and mode.startswith("background until "):
            self._start(source, where, mode.removeprefix("background until ").strip())
        else:
            self._foreground(source, where)

    def _foreground(self, source: str, where: str) -> None:
        state = self.log_dir / "cwd"
        script = f"set -euo pipefail\n{source}\npwd > {state}\n"
        done = subprocess.run(["bash", "-c", script], cwd=self.cwd, env=self.env(),
                              capture_output=True, text=True, timeout=BLOCK_TIMEOUT)
        output = (done.stdout + done.stderr)[-6000:]
        assert done.returncode == 0, f"{where} failed (exit {done.returncode}):\n{output}"
        self.cwd = Path(state.read_text().strip())

    def _check(self, source: str, where: str) -> None:
        syntax = subprocess.run(["bash", "-n", "-c", source], capture_output=True, text=True)
        assert syntax.returncode == 0, f"{where}: not valid bash: {syntax.stderr}"
        env = {**self.env(), "DOCS_CI_PYTHON": sys.executable}
        done = subprocess.run(["bash", "-c", CHECK_PRELUDE + source], cwd=self.cwd, env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"{where}: {done.stdout}{done.stderr}"

    def _start(self, source: str, where: str, url: str) -> None:
        log = self.log_dir / f"background-{len(self.background)}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(["bash", "-c", f"set -euo pipefail\n{source}"],
                                       cwd=self.cwd, env=self.env(), stdout=out,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        self.background.append((where, process, log))
        deadline = time.monotonic() + BLOCK_TIMEOUT
        while not _answers(url):
            if process.poll() is not None:
                raise AssertionError(f"{where} exited ({process.returncode}) before {url} "
                                     f"answered:\n{log.read_text()[-6000:]}")
            assert time.monotonic() < deadline, f"{where}: {url} never answered"
            time.sleep(0.5)

    def stop(self) -> list[str]:
        """Ctrl-C to each server the document started; what did not stop cleanly."""
        problems = []
        for where, process, log in reversed(self.background):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGINT)
                try:
                    process.wait(90)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
                    problems.append(f"{where}: still running 90 s after Ctrl-C")
                    continue
            if process.returncode not in (0, 130, -signal.SIGINT):
                problems.append(f"{where}: exit {process.returncode} after Ctrl-C:\n"
                                f"{log.read_text()[-4000:]}")
        self.background.clear()
        return problems


def _directive(example: Example) -> None:
    """A ``docs-test`` comment: remember how the next block runs."""
    arguments = str(example.region.lexemes["arguments"]).strip()
    # "cloud: WHY", "parse-only: WHY", "background until URL" (the URL has colons of its own)
    mode = arguments if arguments.startswith("background") else arguments.split(":", 1)[0].strip()
    assert mode.split()[0] in MODES, f"{example.path}:{example.line}: unknown mode {mode!r}"
    assert "next_mode" not in example.namespace, f"{example.path}:{example.line}: two docs-test " \
        "comments before one block"
    example.namespace["next_mode"] = mode


def _shell_block(example: Example) -> None:
    terminal: Terminal = example.namespace["terminal"]
    mode = example.namespace.pop("next_mode", None)
    where = f"{Path(example.path).relative_to(terminal.session.clone)}:{example.line}"
    terminal.run(str(example.parsed), where, mode)


class DirectiveParser:
    """``<!-- docs-test: MODE -->`` comments, as Sybil regions."""

    def __init__(self) -> None:
        self.lexer = DirectiveInHTMLCommentLexer(directive=DIRECTIVE, arguments=".+?")

    def __call__(self, document: Document) -> Iterator[Region]:
        for region in self.lexer(document):
            region.evaluator = _directive
            yield region


SYBIL = Sybil(parsers=[DirectiveParser(), *(CodeBlockParser(language, _shell_block)
                                            for language in SHELLS)])


def fence_languages(path: Path) -> list[str]:
    """The info word of every fenced block in ``path`` (to check none escapes the parsers)."""
    lexer = RawFencedCodeBlockLexer(info_pattern=re.compile(r"(?P<info>[^\n]*)$\n", re.MULTILINE))
    document = Document(path.read_text(), str(path))
    return [str(region.lexemes["info"]).split(" ")[0].strip() for region in lexer(document)]


def shell_blocks(path: Path) -> int:
    """How many shell blocks Sybil finds in ``path``."""
    document = SYBIL.parse(path)
    return sum(1 for example in document if example.region.evaluator is _shell_block)


@contextmanager
def terminal(session: Session, document: Path, log_dir: Path) -> Iterator[Terminal]:
    """A terminal in a fresh clone for ``document`` (a path relative to the repository)."""
    session.refresh()
    term = Terminal(session, str(document), session.clone, session.plain, log_dir)
    try:
        yield term
    except BaseException:
        term.stop()
        raise
    problems = term.stop()
    assert not problems, "\n".join(problems)


def run_document(session: Session, document: Path, log_dir: Path) -> list[str]:
    """Every block of ``document``, in order, in one terminal; what ran, block by block."""
    with terminal(session, document, log_dir) as term:
        parsed = SYBIL.parse(session.clone / document)
        for example in parsed:
            example.namespace["terminal"] = term
            example.evaluate()
        return term.ran

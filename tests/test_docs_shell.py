"""The documented path is the tested path: every shell block of README.md and docs/ runs here as
written (tests/support/docs_run.py: Sybil finds the blocks; one terminal per document in a fresh
copy of the repository; the venvs the docs install into, with the extras they name).

Blocks marked ``<!-- docs-test: cloud: ... -->`` need an AWS account and are checked, not run (bash
syntax, each kit command's own argument parsing); ``parse-only`` marks the CI itself and the
benchmarks (minutes); ``background until URL`` starts a server (dev, mkdocs serve), waits for the
URL, runs the document's next blocks against it and stops it with Ctrl-C.
"""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import pytest
from filelock import FileLock
from support.docs_run import REPO, SHELLS, Session, fence_languages, run_document, shell_blocks

DOCUMENTS = [Path("README.md"), *sorted(p.relative_to(REPO) for p in (REPO / "docs").rglob("*.md"))]
NOT_SHELL = {"python", "text", "yaml", "json", "mermaid", "toml", "jinja", "diff"}
# Servers the docs start on fixed ports (dev's 8080 and 8001-8005, mkdocs' 8000): one document
# with such a block runs at a time on this machine, whichever work tree it comes from.
PORTS_LOCK = Path("/tmp/marketplace-kit-docs-ports.lock")


@pytest.fixture(scope="session")
def session() -> Session:
    """The clone directory and its plain venv, brought up to date once per session."""
    home = REPO / ".venv-docs"  # git-ignored: venvs kept between sessions
    home.mkdir(exist_ok=True)
    run = Session(home)
    run.prepare()
    return run


def test_every_fenced_block_has_a_known_language() -> None:
    """A shell block under another tag would escape the run below: every tag is known."""
    unknown = {f"{doc}: {lang or '(none)'}" for doc in DOCUMENTS
               for lang in fence_languages(REPO / doc)
               if lang not in SHELLS and lang not in NOT_SHELL}
    assert not unknown


def test_the_shell_blocks_are_counted() -> None:
    counts = {str(doc): shell_blocks(REPO / doc) for doc in DOCUMENTS}
    tagged = {str(doc): sum(lang in SHELLS for lang in fence_languages(REPO / doc))
              for doc in DOCUMENTS}
    assert counts == tagged  # Sybil finds every block the fences hold
    assert sum(counts.values()) >= 16, counts


@pytest.mark.slow
@pytest.mark.parametrize("document", [d for d in DOCUMENTS if shell_blocks(REPO / d)],
                         ids=str)
def test_document_runs_as_written(document: Path, session: Session, tmp_path: Path) -> None:
    background = "docs-test: background" in (REPO / document).read_text()
    with FileLock(str(PORTS_LOCK)) if background else nullcontext():
        ran = run_document(session, document, tmp_path)
    assert ran, document


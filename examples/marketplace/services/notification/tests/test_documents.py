"""The API documents in the repository are this code's: the platform reads the files, never the
code, so a stale file would publish an API the service does not serve."""

from __future__ import annotations

from pathlib import Path

from notification import documents

ROOT = Path(__file__).resolve().parents[1]


def test_the_committed_documents_are_fresh() -> None:
    assert documents.stale(ROOT) == [], f"run `{documents.COMMAND}` and commit the files"


def test_the_documents_carry_the_digest_of_this_source() -> None:
    digest = documents.source_digest()
    for name, document in documents.build().items():
        assert document[documents.DIGEST_KEY] == digest, name

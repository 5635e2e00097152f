"""Migrations are history: a field added through the documented workflow (edit the answers in
``.marketplace-kit.yaml``, run ``marketplace-kit update-service``) to a service whose database
applied its migrations leaves ``0001_initial.sql`` as it was and adds a numbered migration;
the service's own ``migrate`` then succeeds on that database and keeps its rows. Real
PostgreSQL; the commands as docs/how-to/update-service.md writes them."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
import pytest
from support.dev import console_script

from marketplace_kit.devenv import Postgres
from marketplace_kit.scaffold.schema_delta import schema_delta

pytestmark = pytest.mark.slow
MIGRATIONS = "src/shelf/migrations"


def kit(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([console_script(), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, check=False)


def migrate(service: Path, url: str) -> subprocess.CompletedProcess[str]:
    """``python -m shelf migrate``, the service's own command."""
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(service / "src")}
    return subprocess.run([sys.executable, "-m", "shelf", "migrate"], cwd=service, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


async def query(url: str, sql: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


def test_a_field_added_to_a_migrated_service_is_a_new_migration(
    tmp_path: Path, postgres: Postgres
) -> None:
    made = kit("new-service", "shelf", "--entity", "book", "--field", "title:str",
               "--dir", "services", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    service = tmp_path / "services" / "shelf"
    url = postgres.create_database(f"shelf_{uuid.uuid4().hex[:8]}")
    first = migrate(service, url)
    assert first.returncode == 0, first.stderr
    book = uuid.uuid4()
    asyncio.run(query(url, "INSERT INTO books (id, title) VALUES ($1, 'Dune')", book))
    initial = (service / MIGRATIONS / "0001_initial.sql").read_bytes()

    answers = service / ".marketplace-kit.yaml"  # edited by hand, as its header and docs say
    text = answers.read_text()
    assert "to change the service" in text.lower()
    answers.write_text(text.replace("- title:str\n", "- title:str\n- pages:int\n- note:str?\n"))
    updated = kit("update-service", "services/shelf", cwd=tmp_path)
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert "created  src/shelf/migrations/0002_schema_update.sql (new migration" in updated.stdout

    assert (service / MIGRATIONS / "0001_initial.sql").read_bytes() == initial  # history
    second = migrate(service, url)
    assert second.returncode == 0, second.stderr
    rows = asyncio.run(query(url, "SELECT id, title, pages, note FROM books"))
    assert [tuple(r) for r in rows] == [(book, "Dune", 0, None)]  # kept, the new column filled
    assert "pages:int" in answers.read_text()  # the edit is the service's answers now
    again = kit("update-service", "services/shelf", cwd=tmp_path)
    assert "up to date" in again.stdout + again.stderr  # one migration per change, not per run
    assert sorted(p.name for p in (service / MIGRATIONS).glob("*.sql")) == [
        "0001_initial.sql", "0002_schema_update.sql"]


def test_a_fresh_database_gets_the_same_schema_either_way() -> None:
    """0001 as first rendered plus the new migration builds what the new 0001 would: the delta
    adds columns and new statements, and leaves destructive changes to the team."""
    applied = ('CREATE TABLE "books" (\n    id UUID PRIMARY KEY,\n    "title" TEXT NOT NULL,\n'
               '    "gone" TEXT\n);\nCREATE INDEX "books_created_idx" ON "books" (id);\n')
    wanted = ('CREATE TABLE "books" (\n    id UUID PRIMARY KEY,\n    "title" TEXT NOT NULL,\n'
              '    "pages" INTEGER NOT NULL,\n    "note" TEXT\n);\n'
              'CREATE INDEX "books_created_idx" ON "books" (id);\n'
              "CREATE TABLE outbox (\n    seq BIGSERIAL PRIMARY KEY\n);\n")
    delta = schema_delta(applied, wanted)
    assert delta.statements == [
        'ALTER TABLE "books" ADD COLUMN "pages" INTEGER NOT NULL DEFAULT 0',
        'ALTER TABLE "books" ALTER COLUMN "pages" DROP DEFAULT',
        'ALTER TABLE "books" ADD COLUMN "note" TEXT',
        "CREATE TABLE outbox (\n    seq BIGSERIAL PRIMARY KEY\n)",
    ]
    assert delta.left == ['ALTER TABLE "books" DROP COLUMN "gone"']
    assert schema_delta(wanted, wanted).sql("x") is None

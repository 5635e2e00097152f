"""The SQL that takes a database from one render of a template migration to another.

A migration a service has is history (its database applied it; its checksum is recorded), so
``update-service`` never rewrites one: when the template's render of it changed (a field added
to the answers, a topic that brings the outbox), the difference becomes a new numbered migration.
The template's migrations are plain ``CREATE TABLE``/``CREATE INDEX`` statements, one per
``;``-terminated block, so the difference is found statement by statement: a new statement is
carried over, a column added to a table is an ``ALTER TABLE ... ADD COLUMN``. What would destroy
data (a dropped table or column, a changed column) is never written as SQL: it is listed in the
migration as a comment and reported, for the team to decide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TABLE = re.compile(r"^CREATE TABLE (?P<name>\S+) \((?P<body>.*)\)$", re.DOTALL)
_CONSTRAINTS = ("CONSTRAINT", "UNIQUE", "PRIMARY", "FOREIGN", "CHECK", "EXCLUDE")
# Existing rows get this value in a NOT NULL column added later (the team may change it in the
# new migration before it is applied).
_FILL = {"TEXT": "''", "INTEGER": "0", "BIGINT": "0", "SMALLINT": "0", "NUMERIC": "0",
         "DOUBLE PRECISION": "0", "REAL": "0", "BOOLEAN": "false", "DATE": "'epoch'",
         "TIMESTAMPTZ": "'epoch'", "UUID": "'00000000-0000-0000-0000-000000000000'",
         "JSONB": "'{}'"}


@dataclass
class Delta:
    """What a new migration does, and what it leaves to the team."""

    statements: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)  # destructive changes, not applied

    def sql(self, header: str) -> str | None:
        """The migration's text; None when nothing changes the schema."""
        if not self.statements and not self.left:
            return None
        lines = [f"-- {line}" for line in header.splitlines()]
        lines += [f"{statement};" for statement in self.statements]
        if self.left:
            lines.append("-- Not applied (it would lose data); write it yourself if you mean it:")
            lines += [f"--   {item}" for item in self.left]
        return "\n".join(lines) + "\n"


def statements(sql: str) -> list[str]:
    """The statements of ``sql`` (comments and blank lines dropped, whitespace kept inside)."""
    code = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in code.split(";") if s.strip()]


def _columns(body: str) -> dict[str, str]:
    """``{column name: its definition}`` of a CREATE TABLE body (constraints left out)."""
    found = {}
    for part in (p.strip() for p in body.split(",\n")):
        name = part.split(None, 1)[0] if part else ""
        if name and name.upper() not in _CONSTRAINTS:
            found[name] = part
    return found


def _tables(items: list[str]) -> dict[str, tuple[str, dict[str, str]]]:
    return {m["name"]: (s, _columns(m["body"])) for s in items if (m := _TABLE.match(s))}


def _add_column(table: str, definition: str) -> list[str]:
    """``ADD COLUMN``; a NOT NULL column without a default is filled in existing rows first."""
    upper = definition.upper()
    if "NOT NULL" not in upper or " DEFAULT " in upper:
        return [f"ALTER TABLE {table} ADD COLUMN {definition}"]
    name, kind = definition.split(None, 1)
    kind = kind.upper().replace("NOT NULL", "").strip()
    fill = _FILL.get(kind, "NULL")
    return [f"ALTER TABLE {table} ADD COLUMN {definition} DEFAULT {fill}",
            f"ALTER TABLE {table} ALTER COLUMN {name} DROP DEFAULT"]


def schema_delta(applied: str, wanted: str) -> Delta:
    """The statements that take a database with ``applied`` to the schema of ``wanted``."""
    old, new = statements(applied), statements(wanted)
    old_tables, new_tables = _tables(old), _tables(new)
    delta = Delta()
    for statement in new:
        match = _TABLE.match(statement)
        if match and match["name"] in old_tables:
            columns = old_tables[match["name"]][1]
            for name, definition in _columns(match["body"]).items():
                if name not in columns:
                    delta.statements += _add_column(match["name"], definition)
                elif columns[name] != definition:
                    delta.left.append(f"{match['name']}.{name}: {columns[name]} -> {definition}")
        elif statement not in old:
            delta.statements.append(statement)
    for name, (_, columns) in old_tables.items():
        if name not in new_tables:
            delta.left.append(f"DROP TABLE {name}")
            continue
        kept = new_tables[name][1]
        delta.left += [f"ALTER TABLE {name} DROP COLUMN {c}" for c in columns if c not in kept]
    return delta

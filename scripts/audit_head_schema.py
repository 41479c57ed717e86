"""Write ``ticket_processor/audit/head_schema.py``: the statements that make an empty embedded
audit store at the migrations' head, read off a store Alembic has just created.

    python scripts/audit_head_schema.py          # after adding a migration

A run creates a missing store with these statements (``audit/upgrade.py``, sqlite3 alone)
instead of starting a child interpreter for SQLAlchemy and Alembic; a store that exists at an
older version is still upgraded by Alembic. ``tests/audit/test_audit_head_schema.py`` fails
while the file is not this script's output for the current migrations.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "ticket_processor" / "audit" / "head_schema.py"

_HEADER = '''"""The statements that make an empty embedded audit store at the migrations' head
(written by ``scripts/audit_head_schema.py`` from a store Alembic created: not by hand).

``audit/upgrade.py`` creates a missing store with them, in one ``BEGIN IMMEDIATE``
transaction, then ``ANALYZE`` as Alembic's upgrade ends; the FTS5 table's own tables and the
indexes SQLite makes for a key follow from them.
"""

from __future__ import annotations

'''


def head_statements(state_dir: Path) -> tuple[str, list[str]]:
    """(version, statements) of a store ``AuditStore.open`` creates in ``state_dir``."""
    from ticket_processor.audit.store import FILE_NAME, AuditStore

    AuditStore.open(None, state_dir=state_dir).close()
    conn = sqlite3.connect(state_dir / FILE_NAME)
    try:
        version = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        virtual = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%'"
            )
        ]
        statements = [
            sql
            for kind, name, sql in conn.execute(
                "SELECT type, name, sql FROM sqlite_master ORDER BY rowid"
            )
            if sql is not None
            and not name.startswith("sqlite_")
            # The FTS5 table's own tables, which it makes itself (its triggers are ours).
            and not (kind == "table" and any(name.startswith(f"{v}_") for v in virtual))
        ]
    finally:
        conn.close()
    return str(version), statements


def module_text(version: str, statements: list[str]) -> str:
    lines = [_HEADER, f"VERSION = {version!r}\n", "STATEMENTS: tuple[str, ...] = (\n"]
    for sql in statements:
        parts = [piece for line in sql.splitlines(keepends=True) for piece in _pieces(line)]
        if len(parts) == 1 and len(repr(sql)) < 90:
            lines.append(f"    {sql!r},\n")
            continue
        lines.append("    (\n")
        lines += [f"        {part!r}\n" for part in parts]
        lines.append("    ),\n")
    lines.append(")\n")
    return "".join(lines)


def _pieces(line: str, width: int = 80) -> list[str]:
    """``line`` cut after spaces into pieces of at most about ``width`` characters."""
    pieces = [""]
    for word in line.split(" "):
        if pieces[-1] and len(pieces[-1]) + len(word) > width:
            pieces.append("")
        pieces[-1] += word + " "
    pieces[-1] = pieces[-1][:-1]
    return pieces


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=TARGET, help="the module to write")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as state:
        version, statements = head_statements(Path(state))
    args.out.write_text(module_text(version, statements), "utf-8")
    print(f"{args.out}: {len(statements)} statements at version {version}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

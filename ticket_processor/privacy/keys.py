"""``privacy encrypt`` and ``privacy rotate``: every state file of customers' text and every
text value of the audit store written again under the current key — plain ones (encryption
turned on for existing data) and ones sealed with an older key (a rotation).

Each file is replaced atomically and the audit store is converted in batches of rows, each its
own transaction, so a kill -9 leaves every file and every row readable with one of the ring's
keys; the command run again skips what is already under the current key and finishes the rest.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..audit.engine import engine_for
from ..audit.location import database_url
from ..audit.schema import decisions, ratings, reverts
from ..audit.writer import FILE_NAME
from ..common import sealed
from ..common.atomic import atomic_write_bytes
from .audit import compact
from .places import SEALED_FILES, SEALED_LINE_FILES
from .traces import Where, vacuum

BATCH = 500
# The state databases' columns of customers' text (their writers seal them): file -> (table,
# a key naming one row, the columns). A ticket has one change per action: its ``rowid``.
SEALED_COLUMNS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "solved.sqlite3": ("solved", "ticket_id", ("subject", "resolution", "vector", "words")),
    "escalations.sqlite3": ("escalation", "ticket_id", ("subject",)),
    "actions.sqlite3": ("change", "rowid", ("inputs", "reason", "result")),
}
_COLUMNS = {
    decisions: ("subject", "answer", "error", "event"),
    reverts: ("detail",),
    ratings: ("reason",),
}


@dataclass
class Converted:
    files: int = 0
    rows: int = 0


def _current(value: Any, kid: bytes) -> bool:
    """Whether a stored value (raw, as the database holds it) is under the current key."""
    if value is None:
        return True
    if isinstance(value, bytes):  # a vector, sealed as a file is
        return sealed.sealed_with(value) == kid
    if isinstance(value, dict) and set(value) == {"sealed"}:
        value = value["sealed"]
    return isinstance(value, str) and sealed.text_sealed_with(value) == kid


def convert(where: Where, ring: sealed.Keyring) -> Converted:
    """Write everything under ``ring.current``: the files, then the audit store's rows."""
    sealed.install(ring)
    kid = sealed.key_id(ring.current)
    done = Converted()
    for name in SEALED_FILES:
        path = where.state_dir / name
        if not path.is_file():
            continue
        raw = path.read_bytes()
        if sealed.sealed_with(raw) == kid:
            continue
        atomic_write_bytes(path, ring.open(raw, str(path)), seal=True)
        done.files += 1
    for name in SEALED_LINE_FILES:
        path = where.state_dir / name
        if path.is_file():
            done.files += _convert_lines(path, kid)
    for name, (held_in, key, columns) in SEALED_COLUMNS.items():
        path = where.state_dir / name
        if path.is_file():
            done.rows += _convert_sqlite(path, held_in, key, columns, kid)
    url = database_url(where.database_url, where.state_dir)
    if url.startswith("sqlite") and not (where.state_dir / FILE_NAME).is_file():
        return done
    engine = engine_for(url, where.state_dir)
    try:
        present = sa.inspect(engine)
        for table, names in _COLUMNS.items():
            if present.has_table(table.name):  # ``ratings``: not in a store not yet upgraded
                done.rows += _convert_table(engine, table, names, kid)
    finally:
        engine.dispose()
    if done.rows and url.startswith("sqlite"):
        compact(where.state_dir / FILE_NAME)  # no old text left in the index or a free page
    return done


def _convert_lines(path: Path, kid: bytes) -> int:
    """A file encrypted line by line, each line under the current key; 1 when it changed."""
    lines = path.read_bytes().splitlines()
    stale = [line for line in lines if line and not _current(line.decode("latin-1"), kid)]
    if not stale:
        return 0
    opened = (sealed.open_line(line, str(path)) for line in lines if line)
    atomic_write_bytes(path, b"".join(sealed.seal_line(line) + b"\n" for line in opened))
    return 1


def _convert_sqlite(path: Path, table: str, key: str, columns: tuple[str, ...], kid: bytes) -> int:
    """A state database's text columns under the current key, a batch a transaction."""
    converted = 0
    names = ", ".join(columns)
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        rows = db.execute(f"SELECT {key}, {names} FROM {table}").fetchall()  # noqa: S608
        stale = [r for r in rows if not all(_current(v, kid) for v in r[1:])]
        for start in range(0, len(stale), BATCH):
            db.execute("BEGIN IMMEDIATE")
            for row in stale[start : start + BATCH]:
                values = [_resealed(v, str(path)) for v in row[1:]]
                sets = ", ".join(f"{c} = ?" for c in columns)
                db.execute(f"UPDATE {table} SET {sets} WHERE {key} = ?", (*values, row[0]))  # noqa: S608
            db.execute("COMMIT")
            converted += len(stale[start : start + BATCH])
        if converted:
            vacuum(db)
    return converted


def _resealed(value: Any, where: str) -> Any:
    if value is None:
        return None
    if isinstance(value, bytes):
        return sealed.seal_bytes(sealed.open_bytes(value, where))
    return sealed.seal_text(sealed.open_text(str(value), where))


def _convert_table(engine: sa.Engine, table: sa.Table, names: tuple[str, ...], kid: bytes) -> int:
    raw = [
        sa.type_coerce(table.c[n], sa.JSON if n in ("event", "detail") else sa.Text).label(n)
        for n in names
    ]
    converted, after = 0, 0
    while True:
        with engine.connect().execution_options(audit_write=True) as conn, conn.begin():
            rows = conn.execute(
                sa.select(table.c.id, *raw)
                .where(table.c.id > after)
                .order_by(table.c.id)
                .limit(BATCH)
            ).all()
            if not rows:
                return converted
            stale = [r.id for r in rows if not all(_current(getattr(r, n), kid) for n in names)]
            if stale:
                # Read back through the columns' types (opened with any key of the ring),
                # written through them again (sealed with the current one).
                plain = conn.execute(
                    sa.select(table.c.id, *(table.c[n] for n in names)).where(table.c.id.in_(stale))
                ).all()
                for row in plain:
                    values = {n: getattr(row, n) for n in names}
                    conn.execute(table.update().where(table.c.id == row.id).values(**values))
                converted += len(stale)
            after = rows[-1].id

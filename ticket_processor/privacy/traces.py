"""One person's traces in each place of ``places.PLACES``: found (``privacy export``) and
removed (``privacy forget``), by the place's handler.

``Who`` is the person as the places know them: their tickets' ids and the lower-cased strings
that name them (their addresses). Removing keeps what a report counts: an audit decision keeps
its labels and loses its subject, answer and text; a log event keeps its counts and loses its
text. An SQLite file is vacuumed after its rows go, so no free page keeps their bytes.
"""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ..common.atomic import atomic_write_bytes, read_state_bytes
from ..common.sealed import MAGIC, is_sealed, open_line
from .places import Place
from .scrub import Found, line_is_theirs, scrub

# What of a ticket's event or decision is its text (removed); the rest is counts and labels.
TEXT_KEYS = frozenset(
    {"subject", "summary", "value", "previous", "answer", "text", "reply", "draft",
     "translation", "body", "title", "error", "address", "sender", "name", "email"}
)  # fmt: skip


@dataclass(frozen=True)
class Where:
    state_dir: Path
    log_dir: Path
    database_url: str | None = None


@dataclass(frozen=True)
class Who:
    tickets: frozenset[int]
    needles: tuple[str, ...] = ()


@dataclass
class Trace:
    """What one place holds of the person (``found``) and since when (Unix time, if known)."""

    place: str
    found: Found = field(default_factory=Found)
    since: float | None = None
    files: list[str] = field(default_factory=list)


def without_text(event: object, who: Who, found: Found) -> object:
    """A ticket's event with its text gone and the person's addresses replaced."""
    if isinstance(event, dict):
        for key in TEXT_KEYS & event.keys():
            if event[key] not in (None, "", [], {}):
                found.mentions += 1
                found.fields.add(key)
        event = {k: v for k, v in event.items() if k not in TEXT_KEYS}
    return scrub(event, who.tickets, who.needles, found)


def _was_sealed(path: Path) -> bool:
    """A file written encrypted is written back encrypted; a plain one (appended to line by
    line, or written before a key was set) stays plain."""
    with path.open("rb") as handle:
        return is_sealed(handle.read(len(MAGIC)))


def json_file(path: Path, who: Who, erase: bool, trace: Trace) -> None:
    document = orjson.loads(read_state_bytes(path))
    found = Found()
    kept = scrub(document, who.tickets, who.needles, found)
    if found:
        _merge(trace, found, path)
        if erase:
            atomic_write_bytes(path, orjson.dumps(kept), seal=_was_sealed(path))


def jsonl(path: Path, who: Who, erase: bool, trace: Trace) -> None:
    found = Found()
    kept: list[bytes] = []
    for line in read_state_bytes(path).splitlines():
        try:
            record: Any = orjson.loads(open_line(line, str(path)))
        except orjson.JSONDecodeError:
            record = line.decode("utf-8", "replace")
        if line_is_theirs(record, who.tickets, who.needles):
            found.entries += 1
            continue
        kept.append(line + b"\n")
    if found:
        _merge(trace, found, path)
        if erase:
            atomic_write_bytes(path, b"".join(kept), seal=_was_sealed(path))


def cache(path: Path, who: Who, erase: bool, trace: Trace) -> None:
    """The analysis cache names no ticket: anyone's analysis may be in it, so a forget empties
    it (tickets are analysed again) and an export says it may hold theirs."""
    if not who.tickets and not who.needles:
        return
    trace.found.fields.add("any analysis (by a hash of the text)")
    trace.files.append(str(path))
    if erase:
        path.unlink()


def sqlite(path: Path, place: Place, who: Who, erase: bool, trace: Trace) -> None:
    ids = sorted(who.tickets)
    if not ids:
        return
    marks = ",".join("?" * len(ids))
    found = Found()
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        db.execute("PRAGMA secure_delete = ON")
        names = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        for table, column in place.tables.items():
            if table not in names:
                continue
            where = f"FROM {table} WHERE {column} IN ({marks})"
            (count,) = db.execute(f"SELECT count(*) {where}", ids).fetchone()
            if count:
                found.entries += count
                found.fields.add(table)
                if erase:
                    db.execute(f"DELETE {where}", ids)
        if found and erase:
            vacuum(db)
    if found:
        _merge(trace, found, path)


def vacuum(db: sqlite3.Connection) -> None:
    """Leave no deleted row's bytes in the file: the WAL folded in and emptied, then every
    free page dropped."""
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("VACUUM")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def window(path: Path, who: Who, erase: bool, trace: Trace) -> None:
    import numpy as np

    from ..incidents.window import Window, save_window

    window = Window.from_bytes(read_state_bytes(path, limit=256 * 1024 * 1024))
    mine = int(np.isin(window.ids, np.asarray(sorted(who.tickets), np.int64)).sum())
    if not mine:
        return
    _merge(trace, Found(entries=mine, fields={"rows"}), path)
    if erase:
        window.drop(sorted(who.tickets))
        save_window(path.parent, window)


def counted(path: Path, who: Who, erase: bool, trace: Trace, visit: Callable[..., int]) -> None:
    """A place whose feature reads and erases its own file (``Place.visit``): how many entries
    it holds of ``who``'s tickets, erased with ``erase``."""
    found = visit(path.parent, who.tickets, erase=erase)
    if found:
        _merge(trace, Found(entries=found, fields={"history"}), path)


def logs(directory: Path, who: Who, erase: bool, trace: Trace) -> None:
    for path in sorted(directory.glob("*.jsonl")):
        found = Found()
        out = io.BytesIO()
        for line in read_state_bytes(path, limit=1 << 40).splitlines(keepends=True):
            try:
                event: Any = orjson.loads(line)
            except orjson.JSONDecodeError:
                if any(n in line.decode("utf-8", "replace").lower() for n in who.needles):
                    found.entries += 1
                    continue
                out.write(line)
                continue
            if isinstance(event, dict) and event.get("ticket_id") in who.tickets:
                before = found.mentions
                event = without_text(event, who, found)
                if found.mentions == before:
                    found.entries += 1  # their event, kept for the counts
            else:
                event = scrub(event, who.tickets, who.needles, found)
            out.write(orjson.dumps(event) + b"\n")
        if found:
            _merge(trace, found, path)
            if erase:
                atomic_write_bytes(path, out.getvalue())


def _merge(trace: Trace, found: Found, path: Path) -> None:
    trace.found.entries += found.entries
    trace.found.mentions += found.mentions
    trace.found.fields |= found.fields
    trace.files.append(str(path))

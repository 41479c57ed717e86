"""One person's part of the audit store (SQLite or PostgreSQL): found by their tickets' ids;
forgotten by clearing each decision's text (subject, answer, error, the event's text fields),
the reverts' details and the ratings' reasons (an agent's free text), keeping the labels,
statuses and counts that ``report``, the dashboard's figures and ``revert`` of other tickets
read. On SQLite the search index is merged and the file vacuumed, so the text leaves its bytes
too."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import datetime

import sqlalchemy as sa

from ..audit.engine import engine_for
from ..audit.location import database_url
from ..audit.schema import TEXT_INDEX, decisions, ratings, reverts
from ..audit.writer import FILE_NAME
from .places import Place
from .scrub import Found
from .traces import Trace, Where, Who, vacuum, without_text

_TEXT_COLUMNS = ("subject", "answer", "error")


def _seconds(moment: object) -> float | None:
    return moment.timestamp() if isinstance(moment, datetime) else None


def visit_audit(place: Place, where: Where, who: Who, *, erase: bool, trace: Trace) -> None:
    url = database_url(where.database_url, where.state_dir)
    if url.startswith("sqlite") and not (where.state_dir / FILE_NAME).is_file():
        return
    ids = sorted(who.tickets)
    if not ids:
        return
    engine = engine_for(url, where.state_dir)
    found = Found()
    try:
        with engine.connect().execution_options(audit_write=erase) as conn, conn.begin():
            _count_tables(conn, place, ids, found, trace)
            _decisions(conn, ids, who, found, erase)
            _reverts(conn, ids, who, found, erase)
            _rating_reasons(conn, ids, found, erase)
    finally:
        engine.dispose()
    if not found:
        return
    trace.found.entries += found.entries
    trace.found.mentions += found.mentions
    trace.found.fields |= found.fields
    trace.files.append(sa.make_url(url).render_as_string(hide_password=True))
    if erase and url.startswith("sqlite"):
        compact(where.state_dir / FILE_NAME)


def _count_tables(
    conn: sa.Connection, place: Place, ids: list[int], found: Found, trace: Trace
) -> None:
    meta = sa.MetaData()
    inspector = sa.inspect(conn)
    for name, column in place.tables.items():
        if not inspector.has_table(name):
            continue  # a store from before the feature that added it (not yet upgraded)
        table = sa.Table(name, meta, autoload_with=conn)
        key = table.c[column]
        count, first = conn.execute(
            sa.select(sa.func.count(), sa.func.min(table.c.at)).where(key.in_(ids))
        ).one()
        if count:
            found.entries += count
            found.fields.add(name)
            since = _seconds(first)
            if since is not None and (trace.since is None or since < trace.since):
                trace.since = since


def _decisions(conn: sa.Connection, ids: list[int], who: Who, found: Found, erase: bool) -> None:
    rows = conn.execute(
        sa.select(decisions.c.id, decisions.c.event, *(decisions.c[c] for c in _TEXT_COLUMNS))
        .where(decisions.c.ticket_id.in_(ids))
    ).all()  # fmt: skip
    for row in rows:
        for column in _TEXT_COLUMNS:
            if getattr(row, column):
                found.mentions += 1
                found.fields.add(f"decisions.{column}")
        event = without_text(row.event, who, found) if row.event is not None else None
        if erase:
            conn.execute(
                decisions.update()
                .where(decisions.c.id == row.id)
                .values(event=event, **dict.fromkeys(_TEXT_COLUMNS))
            )


def _reverts(conn: sa.Connection, ids: list[int], who: Who, found: Found, erase: bool) -> None:
    rows = conn.execute(
        sa.select(reverts.c.id, reverts.c.detail).where(reverts.c.ticket_id.in_(ids))
    ).all()
    for row in rows:
        if row.detail is None:
            continue
        detail = without_text(row.detail, who, found)
        if erase:
            conn.execute(reverts.update().where(reverts.c.id == row.id).values(detail=detail))


def _rating_reasons(conn: sa.Connection, ids: list[int], found: Found, erase: bool) -> None:
    """A rating keeps its verdict (the figures count it) and loses its reason."""
    if not sa.inspect(conn).has_table(ratings.name):
        return
    has_reason = ratings.c.ticket_id.in_(ids) & ratings.c.reason.is_not(None)
    (count,) = conn.execute(sa.select(sa.func.count()).where(has_reason)).one()
    if not count:
        return
    found.mentions += count
    found.fields.add("ratings.reason")
    if erase:
        conn.execute(ratings.update().where(has_reason).values(reason=None))


def compact(path: object) -> None:
    """The search index merged (its old segments held the subjects) and the file vacuumed."""
    with closing(sqlite3.connect(str(path), isolation_level=None)) as db:
        names = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        if TEXT_INDEX in names:  # the FTS5 table's own command, by its fixed name
            db.execute("INSERT INTO decisions_text(decisions_text) VALUES ('optimize')")
        vacuum(db)

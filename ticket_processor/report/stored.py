"""The report's events from the audit store, when there is one.

The store keeps each run's ``run_started`` and ``run_finished`` events whole (``runs.started``,
``runs.summary``) and each decision's event whole (``decisions.event``: ``ticket_triaged``,
``ticket_failed``, ``reply_triaged``); an agent's labels on a solved ticket are its
``corrections`` of one run and source. ``stored_events`` gives them back as the log's events,
in time order, so ``build_report`` computes the same figures from either.

``store_covers`` says whether the store can stand in for the logs over a window: it holds the
run of the first event the logs have there (an installation that kept logs before it had a
store reads them until ``ticketbot audit import`` loads them). The figures are the same; the
window's first and last event are those the store keeps (runs and decisions, not the log's
every line), so they may differ from the logs' by the moments between a run's first lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from ..audit.schema import corrections, decisions, runs
from ..audit.store import AuditStore
from ..common.timespec import format_ts
from .to_write import StoredTicket

# The decision events the report reads (a planned decision's fields are no event).
DECISION_EVENTS = ("ticket_triaged", "ticket_failed", "reply_triaged")
_OUTCOME_EVENTS = {"outcome": "ticket_outcome", "shadow": "shadow_outcome"}


def stored_events(
    store: AuditStore, *, since: datetime | None = None, until: datetime | None = None
) -> list[dict[str, Any]]:
    """The store's events with ``since <= ts < until``, oldest first."""
    found = [*_run_events(store, since, until), *_decision_events(store, since, until)]
    found += _outcome_events(store, since, until)
    found.sort(key=lambda event: str(event.get("ts") or ""))
    return found


# Every kind of event ``stored_events`` gives back; the report takes any other kind (answers,
# incidents, served tickets, alerts ...) from the logs, so a figure the store does not keep is
# never lost by reading the store.
STORED_EVENTS = frozenset(
    {"run_started", "run_finished", *DECISION_EVENTS, *_OUTCOME_EVENTS.values()}
)


def with_logged(
    stored: Iterable[Mapping[str, Any]], logged: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The store's events with the logs' events of every kind the store does not keep, in
    time order."""
    found = [dict(e) for e in stored]
    found += [dict(e) for e in logged if e.get("event") not in STORED_EVENTS]
    found.sort(key=lambda event: str(event.get("ts") or ""))
    return found


def stored_tickets(
    store: AuditStore,
    ticket_ids: Iterable[int],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[int, StoredTicket]:
    """Per ticket, its latest triage decision in the window as the store keeps it: the subject
    (redacted unless the store keeps raw subjects), the kind and the decision's event."""
    wanted = sorted(set(ticket_ids))
    found: dict[int, StoredTicket] = {}
    d = decisions.c
    with store.engine.connect() as conn:
        for start in range(0, len(wanted), _IDS_A_QUERY):
            rows = conn.execute(
                sa.select(d.ticket_id, d.subject, d.category, d.subcategory, d.event)
                .where(
                    d.account == store.account,
                    d.kind == "triage",
                    d.ticket_id.in_(wanted[start : start + _IDS_A_QUERY]),
                    *_window(d.at, since, until),
                )
                .order_by(d.at, d.id)
            )
            for ticket, subject, category, subcategory, event in rows:
                found[int(ticket)] = StoredTicket(  # the latest wins
                    subject=subject or "",
                    category=category,
                    subcategory=subcategory,
                    event=event if isinstance(event, Mapping) else {},
                )
    return found


# Ids in one IN (...): under SQLite's smallest variable limit, with room for the other terms.
_IDS_A_QUERY = 500


def store_covers(store: AuditStore, first_logged: Mapping[str, Any] | None) -> bool:
    """Whether the store holds the run of the logs' first event in the window (no logs
    there: whether it holds any run)."""
    r = runs.c
    statement = sa.select(r.run_id).where(r.account == store.account).limit(1)
    if first_logged is not None:
        run_id = first_logged.get("run_id")
        if not isinstance(run_id, str):
            return False
        statement = statement.where(r.run_id == run_id)
    with store.engine.connect() as conn:
        return conn.execute(statement).first() is not None


def _window(
    column: sa.ColumnElement[Any], since: datetime | None, until: datetime | None
) -> list[sa.ColumnElement[bool]]:
    found = []
    if since is not None:
        found.append(column >= _aware(since))
    if until is not None:
        found.append(column < _aware(until))
    return found


def _run_events(
    store: AuditStore, since: datetime | None, until: datetime | None
) -> Iterator[dict[str, Any]]:
    r = runs.c
    with store.engine.connect() as conn:
        started = conn.execute(
            sa.select(r.started).where(
                r.account == store.account,
                r.started.is_not(None),
                *_window(r.started_at, since, until),
            )
        ).scalars()
        yield from _events(started)
        finished = conn.execute(
            sa.select(r.summary).where(
                r.account == store.account,
                r.summary.is_not(None),
                *_window(r.finished_at, since, until),
            )
        ).scalars()
        yield from _events(finished)


def _decision_events(
    store: AuditStore, since: datetime | None, until: datetime | None
) -> Iterator[dict[str, Any]]:
    d = decisions.c
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(d.event).where(
                d.account == store.account,
                d.event.is_not(None),
                d.status != "planned",
                *_window(d.at, since, until),
            )
        ).scalars()
        for event in _events(rows):
            if event.get("event") in DECISION_EVENTS:
                yield event


def _outcome_events(
    store: AuditStore, since: datetime | None, until: datetime | None
) -> list[dict[str, Any]]:
    k = corrections.c
    grouped: dict[tuple[Any, ...], dict[str, Any]] = {}
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(k.ticket_id, k.run_id, k.source, k.at, k.field, k.agent)
            .where(
                k.account == store.account,
                k.source.in_(tuple(_OUTCOME_EVENTS)),
                *_window(k.at, since, until),
            )
            .order_by(k.at, k.id)
        )
        for ticket, run_id, source, at, name, agent in rows:
            key = (ticket, run_id, source)
            event = grouped.setdefault(
                key,
                {
                    "ts": format_ts(_aware(at)),
                    "event": _OUTCOME_EVENTS[source],
                    "run_id": run_id,
                    "ticket_id": ticket,
                    "status": "solved",
                    "labels": {},
                },
            )
            if agent is not None:
                event["labels"][name] = agent
    return list(grouped.values())


def _events(values: Iterable[object]) -> Iterator[dict[str, Any]]:
    for value in values:
        if isinstance(value, Mapping) and isinstance(value.get("event"), str):
            yield dict(value)


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)

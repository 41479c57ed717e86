"""The audit store's tables as the run's writer (``writer.SqliteWriter``) writes them: each
table's identity (the unique constraint an upsert meets) and its columns with how each value
is stored; ``PRUNED``: what ``prune`` deletes, by which time. A test holds them to
``schema.metadata``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from .values import LABEL_FIELDS

# How a column's value is stored (SQLAlchemy's type on SQLite): as given, a time, a boolean,
# JSON text or a float.
PLAIN: Final = "plain"
TIME: Final = "time"
BOOLEAN: Final = "boolean"
JSON: Final = "json"
FLOAT: Final = "float"
# Customers' text, encrypted when a key is installed (``sealed_columns``).
SEALED: Final = "sealed"
SEALED_JSON: Final = "sealed-json"


@dataclass(frozen=True)
class Table:
    """A table the writer writes: its identity (the unique constraint an upsert meets) and
    every column but ``id``, with how its value is stored."""

    name: str
    identity: tuple[str, ...]
    columns: Mapping[str, str]


def _columns(*plain: str, **kinds: str) -> dict[str, str]:
    return {**dict.fromkeys(plain, PLAIN), **kinds}


RUNS = Table(
    "runs",
    ("account", "run_id"),
    {
        **_columns("account", "run_id", "helpdesk", "mode"),
        "started_at": TIME,
        "finished_at": TIME,
        **_columns("status", "exit_code", "tickets_seen", "triaged", "failed", "skipped"),
        **_columns("fallback", cost_usd=FLOAT),
        **_columns("engine", "version", started=JSON, summary=JSON),
    },
)
DECISIONS = Table(
    "decisions",
    ("account", "run_id", "ticket_id", "message_id"),
    {
        **_columns("account", "run_id", "ticket_id", "message_id", at=TIME),
        **_columns("helpdesk", "mode", "kind", "status", "engine", "model", subject=SEALED),
        "fallback": BOOLEAN,
        **_columns(*LABEL_FIELDS, confidence=FLOAT),
        **{f"{name}_confidence": FLOAT for name in LABEL_FIELDS},
        **{f"{name}_decision": PLAIN for name in LABEL_FIELDS},
        **_columns("decision", field_confidence=JSON, field_decisions=JSON, route=JSON),
        **_columns("risk", escalated=BOOLEAN, risk_probability=FLOAT, articles=JSON, fields=JSON),
        **_columns("answer_state", answer=SEALED, tags=JSON),
        **_columns("priority", "previous_priority", "group_id", "group_name", "note_id"),
        **_columns("reply_id", "ticket_url", error=SEALED, corrected=BOOLEAN),
        **_columns("reviewed", "outcome", event=SEALED_JSON),
    },
)
WRITES = Table(
    "writes",
    ("account", "run_id", "ticket_id", "message_id", "kind"),
    {
        **_columns("account", "run_id", "ticket_id", "message_id", at=TIME),
        **_columns("helpdesk", "kind", ok=BOOLEAN, tags_added=JSON, tags_removed=JSON),
        **_columns("priority", "group_id", fields=JSON, note=BOOLEAN),
        **_columns("note_id", "reply_id", "error"),
    },
)
REVERTS = Table(
    "reverts",
    ("account", "run_id", "reverted_run_id", "ticket_id"),
    _columns(
        "account", "run_id", "reverted_run_id", "ticket_id", at=TIME, ok=BOOLEAN, detail=SEALED_JSON
    ),
)
CORRECTIONS = Table(
    "corrections",
    ("account", "ticket_id", "field", "source", "run_id"),
    {
        **_columns("account", "ticket_id", "run_id", "source", "field", at=TIME),
        **_columns("ticketbot", "agent", agreed=BOOLEAN),
    },
)
REVIEWS = Table(
    "reviews",
    (),
    {
        **_columns("account", "decision_id", "ticket_id", "reviewer", "action", at=TIME),
        **_columns("field", "ticketbot", "value", "run_id", written=BOOLEAN),
    },
)
RATINGS = Table(
    "ratings",
    ("account", "helpdesk", "ticket_id", "source", "rater", "target", "item"),
    {
        **_columns("account", "helpdesk", "ticket_id", "source", "rater", "target", at=TIME),
        **_columns("item", "verdict", "value", "ticketbot", "decision_id", reason=SEALED),
    },
)
SLA_CLOCKS = Table(
    "sla_clocks",
    ("account", "helpdesk", "ticket_id", "metric"),
    {
        **_columns("account", "helpdesk", "ticket_id", "metric", "run_id", "stage", at=TIME),
        **_columns("queue_ahead", breach_at=TIME, business_hours=BOOLEAN, at_risk=BOOLEAN),
        "probability": FLOAT,
    },
)
TABLES: Final = {
    t.name: t for t in (RUNS, DECISIONS, WRITES, REVERTS, CORRECTIONS, REVIEWS, RATINGS, SLA_CLOCKS)
}
# What ``prune`` deletes, by which time: the same tables and order as ``AuditStore.prune``.
PRUNED: Final = (
    ("decisions", "at"),
    ("writes", "at"),
    ("reverts", "at"),
    ("corrections", "at"),
    ("reviews", "at"),
    ("ratings", "at"),
    ("sla_clocks", "at"),
    ("runs", "started_at"),
)

"""From the JSON-lines events to the audit store's rows: one translation for a live run and
for ``ticketbot audit import``.

``EventRows.of(record, runs)`` reads one event as the log has it (``common.eventlog``) and
returns the rows it means: ``run_started`` / ``run_finished`` a ``runs`` row; ``ticket_triaged``
a decision (``written``, or ``dry-run`` / ``shadow``) and, for a run that writes, a ``writes``
row; ``ticket_failed`` a ``failed`` decision (and a failed write when the write failed);
``ticket_already_marked`` an ``unchanged`` decision; ``reply_triaged`` a decision of kind
``reply`` for the reply's message and its write; ``answer_sent`` a write of kind ``answer``
with the public reply's id; ``answer_cancelled`` a write of that kind (the planned reply not
sent, its reason in ``fields``); ``answer_resolved`` / ``answer_reopened`` (what the customer's
reply to it did) a write of that kind; ``ticket_outcome`` / ``shadow_outcome`` an
outcome the store compares with the ticket's decision. Other events make no rows. ``runs``
maps a run id to what its ``run_started`` said (helpdesk, mode), for the events after it.

Each decision row keeps its event whole (``event``): a field added to an event later is in
the store from that day, before any column names it. Pure: no database here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .coerce import as_dict as _dict
from .coerce import as_float as _float
from .coerce import as_floats as _floats
from .coerce import as_int as _int
from .coerce import as_list as _list
from .coerce import as_text as _text
from .values import LABEL_FIELDS, WRITING_MODES, overall_decision, stored_decision

# The events of what a customer's reply did to an automated answer, each a write of its kind.
ANSWER_OUTCOMES = ("answer_resolved", "answer_reopened")


@dataclass(frozen=True)
class RunInfo:
    helpdesk: str = ""
    mode: str = "normal"


@dataclass(frozen=True)
class Outcome:
    """A solved or closed ticket ticketbot triaged, with the labels agents left on it."""

    ticket_id: int
    status: str
    labels: dict[str, str]
    at: datetime
    run_id: str
    source: str  # "outcome" (a live run) or "shadow"

    def statuses(self) -> tuple[str, ...]:
        """The statuses of the decision it marks: a shadow run's, or one that was written."""
        return ("shadow",) if self.source == "shadow" else ("written", "unchanged")

    def marks(
        self, account: str, at: datetime | None, ours: Callable[[str], object | None]
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """What it writes: the decision's new values, and a correction row per label the agents
        left that the decision had (``ours(field)``, None when it had none), agreed or not."""
        found = []
        for name, agent in sorted(self.labels.items()):
            value = ours(name)
            if value is None:
                continue
            found.append(
                {
                    "account": account,
                    "ticket_id": self.ticket_id,
                    "at": at,
                    "run_id": self.run_id,
                    "source": self.source,
                    "field": name,
                    "ticketbot": str(value),
                    "agent": agent,
                    "agreed": str(value) == agent,
                }
            )
        values: dict[str, Any] = {"outcome": self.status or "solved"}
        if any(not item["agreed"] for item in found):
            values["corrected"] = True
        return values, found


@dataclass
class EventRows:
    runs: list[dict[str, Any]] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    writes: list[dict[str, Any]] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    ratings: list[dict[str, Any]] = field(default_factory=list)
    sla_clocks: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def of(cls, record: Mapping[str, Any], runs: MutableMapping[str, RunInfo]) -> EventRows:
        rows = cls()
        event = record.get("event")
        run_id = str(record.get("run_id") or "")
        at = event_time(record)
        if at is None or not run_id:
            return rows
        if event == "run_started":
            info = RunInfo(str(record.get("helpdesk") or ""), run_mode(record))
            runs[run_id] = info
            rows.runs.append(
                {
                    "run_id": run_id,
                    "started_at": at,
                    "helpdesk": info.helpdesk,
                    "mode": info.mode,
                    "engine": _text(record.get("engine")),
                    "version": _text(record.get("version")),
                    "started": dict(record),
                }
            )
            return rows
        info = runs.get(run_id, RunInfo(mode=run_mode(record)))
        if event == "run_finished":
            rows.runs.append(_finished(record, run_id, at, info))
        elif event == "ticket_triaged":
            rows._triaged(record, run_id, at, info)
        elif event == "ticket_failed":
            rows._failed(record, run_id, at, info)
        elif event in ("action_called", "action_refused") and info.mode in WRITING_MODES:
            rows._action(record, run_id, at, info)
        elif event == "ticket_already_marked":
            ticket = _int(record.get("ticket_id"))
            if ticket is not None:
                rows.decisions.append(_identity(run_id, ticket, 0, at, info, status="unchanged"))
        elif event == "reply_triaged":
            rows._reply(record, run_id, at, info)
        elif event == "answer_sent" and info.mode in WRITING_MODES:
            ticket = _int(record.get("ticket_id"))
            if ticket is not None:
                rows.writes.append(
                    {
                        **_write_identity(run_id, ticket, 0, at, info, kind="answer"),
                        "ok": True,
                        "tags_added": _list(record.get("tags_added")),
                        "reply_id": _text(record.get("reply_id")),
                    }
                )
        elif event == "answer_cancelled" and info.mode in WRITING_MODES:
            # A reply planned and announced, then not sent: the ticket's decision says so.
            ticket = _int(record.get("ticket_id"))
            if ticket is not None:
                rows.writes.append(
                    {
                        **_write_identity(run_id, ticket, 0, at, info, kind="answer_cancelled"),
                        "ok": True,
                        "fields": {"reason": _text(record.get("reason"))},
                        "note": bool(record.get("note")),
                    }
                )
        elif event in ANSWER_OUTCOMES and info.mode in WRITING_MODES:
            # The customer's reply to an automated answer: resolved, or re-opened for people
            # (with a note). A write of its own kind, so the ticket's page can say which.
            ticket = _int(record.get("ticket_id"))
            if ticket is not None:
                rows.writes.append(
                    {
                        **_write_identity(run_id, ticket, 0, at, info, kind=event),
                        "ok": True,
                        "tags_added": _list(record.get("tags_added")),
                        "note": bool(record.get("note")),
                    }
                )
        elif event in ("ticket_rated", "customer_rated"):
            rows.ratings += _ratings_of(record, at, info)
        elif event == "sla_clocks" and info.mode in WRITING_MODES:
            rows.sla_clocks += _clocks_of(record, run_id, at, info)
        elif event in ("ticket_outcome", "shadow_outcome"):
            ticket = _int(record.get("ticket_id"))
            labels = record.get("labels")
            if ticket is not None and isinstance(labels, Mapping):
                rows.outcomes.append(
                    Outcome(
                        ticket,
                        str(record.get("status") or ""),
                        {str(k): str(v) for k, v in labels.items()},
                        at,
                        run_id,
                        "outcome" if event == "ticket_outcome" else "shadow",
                    )
                )
        return rows

    def _action(self, e: Mapping[str, Any], run_id: str, at: datetime, info: RunInfo) -> None:
        """An approved change's call (``action_called`` of kind change) or its refusal, a write
        of its own kind: who approved it, how it ended, its seconds and the names of its inputs
        (their values stay in the state directory). A lookup is its ticket's decision's."""
        ticket = _int(e.get("ticket_id"))
        called = e.get("event") == "action_called"
        if ticket is None or (called and e.get("kind") != "change"):
            return
        status = str(e.get("status") or ("refused" if not called else ""))
        self.writes.append(
            {
                **_write_identity(
                    run_id, ticket, 0, at, info, kind="action" if called else "action_refused"
                ),
                "ok": status == "done",
                "fields": {
                    "action": _text(e.get("action")),
                    "status": status,
                    "http_status": e.get("http_status"),
                    "seconds": _float(e.get("seconds")),
                    "approver": _text(e.get("approver")),
                    "inputs": _list(e.get("inputs")),
                },
                "error": _text(e.get("reason")),
            }
        )

    def _triaged(self, e: Mapping[str, Any], run_id: str, at: datetime, info: RunInfo) -> None:
        ticket = _int(e.get("ticket_id"))
        if ticket is None:
            return
        mode = info.mode
        status = "written" if mode in WRITING_MODES else mode
        if e.get("dry_run") and status == "written":
            status = "dry-run"
        self.decisions.append(
            {**_identity(run_id, ticket, 0, at, info, status=status), **decision_values(e)}
        )
        if status == "written":
            self.writes.append(
                {
                    **_write_identity(run_id, ticket, 0, at, info, kind="triage"),
                    "ok": True,
                    "tags_added": _list(e.get("tags_added")),
                    "priority": _text(e.get("priority")),
                    "group_id": _int(e.get("group_id")),
                    "fields": _dict(e.get("fields_set")),
                    "note": bool(e.get("note", True)),
                    "note_id": _text(e.get("note_id")),
                }
            )

    def _failed(self, e: Mapping[str, Any], run_id: str, at: datetime, info: RunInfo) -> None:
        ticket = _int(e.get("ticket_id"))
        if ticket is None:
            return
        error = f"{e.get('stage')}: {e.get('error_type')}: {e.get('error')}"
        self.decisions.append(
            {
                **_identity(run_id, ticket, 0, at, info, status="failed"),
                "error": error[:2000],
                "ticket_url": _text(e.get("ticket_url")),
                "event": dict(e),
            }
        )
        if e.get("stage") == "write" and info.mode in WRITING_MODES:
            self.writes.append(
                {
                    **_write_identity(run_id, ticket, 0, at, info, kind="triage"),
                    "ok": False,
                    "error": error[:2000],
                }
            )

    def _reply(self, e: Mapping[str, Any], run_id: str, at: datetime, info: RunInfo) -> None:
        ticket, reply = _int(e.get("ticket_id")), _int(e.get("reply_id"))
        if ticket is None or reply is None:
            return
        wrote = bool(e.get("wrote"))
        status = (
            info.mode
            if info.mode in ("shadow", "dry-run")
            else ("written" if wrote else "unchanged")
        )
        self.decisions.append(
            {
                **_identity(run_id, ticket, reply, at, info, status=status),
                "kind": "reply",
                "engine": _text(e.get("engine")),
                "tags": _list(e.get("tags_added")),
                "priority": _text(e.get("priority")),
                "previous_priority": _text(e.get("previous_priority")),
                "group_id": _int(e.get("group_id")),
                "escalated": bool(e.get("escalated")),
                "risk": _text(e.get("risk")),
                "risk_probability": _float(e.get("risk_probability")),
                "note_id": _text(e.get("note_id")),
                "event": dict(e),
            }
        )
        if wrote and status == "written":
            self.writes.append(
                {
                    **_write_identity(run_id, ticket, reply, at, info, kind="reply"),
                    "ok": True,
                    "tags_added": _list(e.get("tags_added")),
                    "tags_removed": _list(e.get("tags_removed")),
                    "priority": _text(e.get("priority")),
                    "group_id": _int(e.get("group_id")),
                    "note": bool(e.get("note")),
                    "note_id": _text(e.get("note_id")),
                }
            )


def decision_values(e: Mapping[str, Any]) -> dict[str, Any]:
    """A decision's columns from a ``ticket_triaged`` event (or the same fields before the
    write: ``RunRecorder`` hands them over when the change is planned)."""
    confidence = _floats(e.get("field_confidence"))
    per_field = {k: stored_decision(str(v)) for k, v in _dict(e.get("decisions") or {}).items()}
    values: dict[str, Any] = {
        "engine": _text(e.get("engine")),
        "model": _text(e.get("model")),
        "fallback": bool(e.get("fallback")),
        "confidence": _float(e.get("confidence")),
        "field_confidence": confidence,
        "field_decisions": per_field,
        # A change held back (an uncalibrated analysis below the confidence threshold, or an
        # escalation only suggested) was not applied whole: it waits for an agent, as a
        # suggested field does. A calibrated one says per field what it held.
        "decision": overall_decision(
            per_field,
            held_back=bool(e.get("escalation_held"))
            or (e.get("low_confidence") is True and not per_field),
        ),
        "route": _routes(e.get("route")),
        "escalated": bool(e.get("escalated")),
        "risk": _text(e.get("risk")),
        "risk_probability": _float(e.get("risk_probability")),
        "articles": _list(e.get("articles")),
        "fields": _dict(e.get("fields_set")),
        "tags": _list(e.get("tags_added")),
        "priority": _text(e.get("priority")),
        "previous_priority": _text(e.get("previous_priority")),
        "group_id": _int(e.get("group_id")),
        "group_name": _text(e.get("group")),
        "ticket_url": _text(e.get("ticket_url")),
        "event": {k: v for k, v in e.items() if k not in ("subject", "answer")},
    }
    if isinstance(e.get("note_id"), str):
        values["note_id"] = e["note_id"]
    for name in LABEL_FIELDS:
        values[name] = _text(e.get(name))
        values[f"{name}_confidence"] = confidence.get(name)
        values[f"{name}_decision"] = per_field.get(name)
    for name in ("subject", "answer"):
        if isinstance(e.get(name), str):
            values[name] = e[name]
    if values.get("answer"):
        values["answer_state"] = _text(e.get("answer_state")) or "drafted"
    return values


def run_mode(record: Mapping[str, Any]) -> str:
    """The mode a run event says: its ``mode`` if given, else from ``shadow`` / ``dry_run`` /
    ``backfill``."""
    mode = record.get("mode")
    if isinstance(mode, str) and mode:
        return mode
    if record.get("shadow"):
        return "shadow"
    if record.get("dry_run"):
        return "dry-run"
    if record.get("backfill"):
        return "backfill"
    return "normal"


def event_time(record: Mapping[str, Any]) -> datetime | None:
    ts = record.get("ts")
    if not isinstance(ts, str):
        return None
    try:
        moment = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _finished(e: Mapping[str, Any], run_id: str, at: datetime, info: RunInfo) -> dict[str, Any]:
    row: dict[str, Any] = {
        "run_id": run_id,
        "finished_at": at,
        "status": _text(e.get("status")),
        "exit_code": _int(e.get("exit_code")),
        "summary": dict(e),
    }
    for name in ("tickets_seen", "triaged", "failed", "skipped", "fallback"):
        row[name] = _int(e.get(name)) or 0
    row["cost_usd"] = _float(e.get("cost_usd")) or 0.0
    if info.helpdesk or e.get("helpdesk"):
        row["helpdesk"] = info.helpdesk or str(e.get("helpdesk"))
    return row


def _identity(
    run_id: str, ticket: int, message: int, at: datetime, info: RunInfo, *, status: str
) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "ticket_id": ticket,
        "message_id": message,
        "at": at,
        "helpdesk": info.helpdesk,
        "mode": info.mode,
        "status": status,
    }


def _write_identity(
    run_id: str, ticket: int, message: int, at: datetime, info: RunInfo, *, kind: str
) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "ticket_id": ticket,
        "message_id": message,
        "at": at,
        "helpdesk": info.helpdesk,
        "kind": kind,
    }


def _routes(value: object) -> list[str]:
    if isinstance(value, str):
        return [value] if value else []
    return [str(v) for v in _list(value)]


def _ratings_of(record: Mapping[str, Any], at: datetime, info: RunInfo) -> list[dict[str, Any]]:
    """``ticket_rated``: a row per feedback tag an agent put on the ticket (``ratings.tags``);
    ``customer_rated``: the customer's satisfaction rating (``ratings.customers``), one a
    ticket (the latest counts)."""
    ticket = _int(record.get("ticket_id"))
    if ticket is None:
        return []
    if record.get("event") == "customer_rated":
        score = record.get("score")
        if score not in ("good", "bad"):
            return []
        return [{**_rating(record, ticket, str(score), at, info), "source": "customer"}]
    verdicts = [str(v) for v in _list(record.get("verdicts")) or []]
    return [{**_rating(record, ticket, v, at, info), "item": v} for v in verdicts]


def _rating(
    record: Mapping[str, Any], ticket: int, verdict: str, at: datetime, info: RunInfo
) -> dict[str, Any]:
    return {
        "helpdesk": info.helpdesk,
        "ticket_id": ticket,
        "at": at,
        "source": "tag",
        "rater": "",
        "target": "ticket",
        "item": "",
        "verdict": verdict,
        "ticketbot": _text(record.get("category")),
    }


def _clocks_of(
    record: Mapping[str, Any], run_id: str, at: datetime, info: RunInfo
) -> list[dict[str, Any]]:
    """``sla_clocks``: a row per target the SLA pass read (``clocks``), all at the read's time."""
    found: list[dict[str, Any]] = []
    for clock in _list(record.get("clocks")):
        ticket = _int(clock.get("ticket_id")) if isinstance(clock, Mapping) else None
        if ticket is None or not isinstance(clock, Mapping):
            continue
        breach = _float(clock.get("breach_at"))
        queue = _int(clock.get("queue_ahead"))
        found.append(
            {
                "helpdesk": info.helpdesk,
                "ticket_id": ticket,
                "metric": str(clock.get("metric") or "")[:32],
                "at": at,
                "run_id": run_id,
                "stage": str(clock.get("stage") or "")[:16],
                "breach_at": _moment(breach),
                "business_hours": bool(clock.get("business_hours")),
                "at_risk": bool(clock.get("at_risk")),
                "probability": _float(clock.get("probability")),
                "queue_ahead": queue,
            }
        )
    return found


def _moment(seconds: float | None) -> datetime | None:
    try:
        return None if seconds is None else datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):  # no time a helpdesk could mean
        return None

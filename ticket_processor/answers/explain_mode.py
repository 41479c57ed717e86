"""Where the answer mode ``answers explain`` and ``answers status`` print comes from, and the
last run that sent answers.

The mode is read in the shell the command runs in, and a run's mode in the run's own
environment (cron's, a service's): a shell without ``TICKETBOT_ANSWER_MODE`` says "mode off"
for a category whose answers went out an hour ago. So the mode is said with its source, and
where it is off here while a run sent answers in the last day, one line names that run. What
the run itself decided for a ticket is read from the audit store's decision (``run_decision``):
the answer it planned, or the guard or threshold that held it, in the run's own mode. Pure:
the policy, the logged events and the stored decisions in, words out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .policy import AnswersPolicy

ENV = "TICKETBOT_ANSWER_MODE"


def mode_source(
    policy: AnswersPolicy, category: str, subcategory: str | None = None, *, mode_set: bool
) -> str:
    """Where ``policy.mode_for(category, subcategory)`` comes from: the answers file's entry
    for the subcategory or the category, else ``TICKETBOT_ANSWER_MODE`` as this process has it
    (``mode_set``: whether the variable, or the .env file, set it here)."""
    keys = [f"{category}/{subcategory}"] if subcategory else []
    for key in [*keys, category]:
        rule = policy.rules.get(key)
        if rule is not None and rule.mode is not None:
            return f"the answers file's [categories.{key}]"
    return f"{ENV} here" if mode_set else f"{ENV} is not set here"


@dataclass(frozen=True)
class AnsweringRun:
    """The newest run that sent answers: its id, its last answer's time, how many it sent."""

    run_id: str
    at: str
    sent: int

    def said(self) -> str:
        return (
            f"the last run that answered had mode send: run {self.run_id} sent {self.sent} "
            f"answer(s), the last at {self.at} (a run reads {ENV} in its own environment)"
        )

    def as_json(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "at": self.at, "sent": self.sent}


def last_answering_run(events: Iterable[Mapping[str, Any]], since: datetime) -> AnsweringRun | None:
    """The newest run or ``serve`` session with an ``answer_sent`` since ``since`` (aware); a
    lead's send from the dashboard (``reviewer``) is a person's, not a run's mode."""
    counts: dict[str, int] = {}
    newest: tuple[datetime, str, str] | None = None
    for event in events:
        if event.get("event") != "answer_sent" or event.get("reviewer"):
            continue
        run_id, at = event.get("run_id"), _moment(event.get("ts"))
        if not isinstance(run_id, str) or at is None or at < since:
            continue
        counts[run_id] = counts.get(run_id, 0) + 1
        if newest is None or at >= newest[0]:
            newest = (at, run_id, str(event["ts"]))
    if newest is None:
        return None
    _, run_id, stamp = newest
    return AnsweringRun(run_id, stamp, counts[run_id])


def _moment(stamp: object) -> datetime | None:
    if not isinstance(stamp, str):
        return None
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class RunDecision:
    """What a run decided of a ticket's answer, as the audit store keeps it: the run, when,
    the mode the answer was decided in (None: the run decided no answer: answers off for the
    category then, or the ticket set aside), and the answer's state or the refusal."""

    run_id: str
    at: str
    mode: str | None
    state: str | None  # planned, drafted, sent, cancelled; None when refused or not decided
    refused: str | None

    @property
    def stopped_by(self) -> str | None:
        """The refusal in ``answers explain``'s words: ``off`` where the run decided none."""
        if self.refused is not None:
            return self.refused
        return "off" if self.state is None else None

    def as_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "at": self.at,
            "mode": self.mode,
            "state": self.state,
            "stopped_by": self.stopped_by,
        }


def run_decision(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The newest decision of a run that wrote (not a dry run) on a ticket's triage, as
    ``RunDecision.as_json``: the rows of the audit store's ``decisions`` for one ticket
    (``run_id``, ``at``, ``kind``, ``status``, ``answer_state``, ``event``), oldest first; None
    when no run triaged it."""
    found = None
    for row in rows:
        if row.get("kind") != "triage" or row.get("status") != "written":
            continue
        event = row.get("event")
        event = event if isinstance(event, Mapping) else {}
        refused = event.get("answer_refused")
        found = RunDecision(
            run_id=str(row.get("run_id") or ""),
            at=str(row.get("at") or ""),
            mode=_text(event.get("answer_mode")),
            state=_text(row.get("answer_state")),
            refused=refused if isinstance(refused, str) else None,
        )
    return found.as_json() if found is not None else None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None

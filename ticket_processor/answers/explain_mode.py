"""Where the answer mode ``answers explain`` and ``answers status`` print comes from, and the
last run that sent answers.

The mode is read in the shell the command runs in, and a run's mode in the run's own
environment (cron's, a service's): a shell without ``TICKETBOT_ANSWER_MODE`` says "mode off"
for a category whose answers went out an hour ago. So the mode is said with its source, and
where it is off here while a run sent answers in the last day, one line names that run. Pure:
the policy and the logged events in, words out.
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

"""The per-ticket seam, end to end on each sandbox: a step listed in ``order.ticket_steps`` (one
that tags) is called for a ticket the cron run triages, for a customer's reply the next run
judges, and for a ticket ``serve`` triages as its delivery names it; its tags reach the
helpdesk through the run's own writers."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from support.cli import invoke
from support.clock import FakeClock
from support.serving import delivery_for, serve_env, serving

from ticket_processor.models import Ticket, Triage, WriteBack
from ticket_processor.run import order
from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.steps.protocol import Step

TICKETS = [
    NewTicket("Export to CSV", "Hello, how do I export my contacts to a CSV file?"),
    NewTicket("Export size", "Is there a limit on the export size?"),
]
ANGRY = (
    "This is the third time I am asking and still no answer. This is unacceptable, "
    "I am cancelling my subscription today!"
)


def _tagged(writeback: WriteBack, tag: str) -> WriteBack:
    return writeback.model_copy(update={"additional_tags": (*writeback.additional_tags, tag)})


class TagStep(Step):
    """Tags each ticket it is handed (``seam_ticket``) and each judged reply's change
    (``seam_reply``); keeps the replies it heard of."""

    name = "seam_test"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.replies: list[tuple[int, str]] = []

    def attach(
        self,
        ticket: Ticket,
        triage: Triage,
        writeback: WriteBack,
        reading: Any,
        *,
        replanned: bool,
        language: str,
    ) -> WriteBack:
        return _tagged(writeback, "seam_ticket")

    def attach_reply(
        self, ticket: Ticket, triage: Triage | None, writeback: WriteBack
    ) -> WriteBack:
        return _tagged(writeback, "seam_reply")

    def on_reply(self, ticket: Ticket, kind: str) -> None:
        with self._lock:
            self.replies.append((ticket.id, kind))


@pytest.fixture
def tag_step(monkeypatch: pytest.MonkeyPatch) -> TagStep:
    """The steps' one list with the tagging step last, as a feature's line would add it."""
    step = TagStep()
    listed = order.ticket_steps
    monkeypatch.setattr(
        order, "ticket_steps", lambda settings, parts: [*listed(settings, parts), step]
    )
    return step


@pytest.mark.desk(clock="desk_clock", configure=True)
def test_a_listed_step_sees_each_ticket_and_each_reply_of_a_run(
    desk: Desk, desk_clock: FakeClock, tag_step: TagStep
) -> None:
    ids = desk.create(TICKETS)
    result = invoke("run", "--engine", "rules")
    assert result.exit_code == 0, result.output
    for ticket_id in ids:
        tags = desk.snapshot(ticket_id).tags
        assert "seam_ticket" in tags, tags
        assert "seam_reply" not in tags, tags

    desk_clock.advance(5)
    desk.requester_says(ids[0], ANGRY)
    desk_clock.now = float(int(time.time()))  # the reply is over a minute old now
    result = invoke("run", "--engine", "rules")
    assert result.exit_code == 0, result.output
    assert "seam_reply" in desk.snapshot(ids[0]).tags
    assert "seam_reply" not in desk.snapshot(ids[1]).tags  # no reply, nothing judged
    assert tag_step.replies == [(ids[0], "actionable")]


@pytest.mark.desk(seed=None, unlimited=True, configure=True)
def test_a_listed_step_sees_a_served_ticket(desk: Desk, tag_step: TagStep, tmp_path: Path) -> None:
    [ticket_id] = desk.create(TICKETS[:1])
    env = serve_env(
        {k: v for k, v in os.environ.items() if k.startswith(("ZEN", "FRESH", "TICKETBOT"))},
        tmp_path,
    )
    with serving(env) as server:
        answer = server.deliver(desk.kind, *delivery_for(desk.kind, ticket_id))
        assert answer.status_code == 200
        server.drained()
    assert "seam_ticket" in desk.snapshot(ticket_id).tags

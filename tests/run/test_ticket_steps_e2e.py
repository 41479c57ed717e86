"""The per-ticket seam, end to end on each sandbox: a step of a feature in the registry
(``features.registry``: one that tags) is called for a ticket the cron run triages, for a
customer's reply the next run judges, and for a ticket ``serve`` triages as its delivery names
it; its tags reach the helpdesk through the run's own writers, and the section it makes of its
decision reaches the dashboard's ticket page, which knows nothing of it."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.cli import invoke
from support.clock import FakeClock
from support.serving import delivery_for, serve_env, serving

from ticket_processor.dashboard.access import Access
from ticket_processor.dashboard.server import serve_in_thread
from ticket_processor.dashboard.web import DashboardConfig, build_app
from ticket_processor.features.registry import register, unregister
from ticket_processor.models import Ticket, Triage, WriteBack
from ticket_processor.run.audit import open_store
from ticket_processor.run.connect import load_settings
from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.steps.feature import Feature, NoValues
from ticket_processor.steps.protocol import Step
from ticket_processor.steps.shown import Shown, ShownRow

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


class ShowStep(Step):
    """Records a word per ticket for the audit store and shows it on the ticket page."""

    name = "seam_shown"

    def audit_fields(self, ticket_id: int) -> Mapping[str, Any]:
        return {"seam_word": f"<b>word {ticket_id}</b>"}

    def shown(self, fields: Mapping[str, Any]) -> Shown | None:
        return Shown(self.name, "The seam's word", rows=(ShownRow(fields["seam_word"], "1"),))


@pytest.fixture
def tag_step() -> Iterator[TagStep]:
    """The features' registry with a feature of the tagging step last, as a feature's line
    would add it."""
    step = TagStep()
    register(Feature("seam", NoValues, steps=lambda values, run: [step]))
    yield step
    unregister("seam")


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


@pytest.mark.desk(seed=None, configure=True)
def test_a_listed_steps_section_shows_on_the_ticket_page(desk: Desk) -> None:
    register(Feature("seam_shown", NoValues, steps=lambda values, run: [ShowStep()]))
    [ticket_id] = desk.create(TICKETS[:1])
    try:
        result = invoke("run", "--engine", "rules")
    finally:
        unregister("seam_shown")
    assert result.exit_code == 0, result.output
    settings = load_settings(dict(os.environ))
    config = DashboardConfig(open_store=lambda: open_store(settings), access=Access(token=None))
    with serve_in_thread(build_app(config)) as url:
        page = httpx.get(f"{url}/tickets/{ticket_id}", timeout=60)
    assert page.status_code == 200, page.text
    section = page.text.split('id="seam_shown"', 1)[1].split("</section>", 1)[0]
    assert "The seam&#39;s word" in section
    assert f"&lt;b&gt;word {ticket_id}&lt;/b&gt;" in section

"""Freshdesk writes that stay single and lose nothing when answers go astray.

Against the Freshdesk sandbox's fault knobs: a note stored but answered by a gateway's 502 or
504 (or a 200 with an HTML page, or an answer trickling past the deadline) is not posted again;
an agent's tag and priority set while the update waits out a 503 or a 429 are kept (the retried
update is planned from a fresh read); two installations writing the same tickets at once leave
one note each; an ``ai_note_sent`` tag set by someone else neither stops the note nor is taken
off.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from support.clock import FakeClock

from ticket_processor.helpdesks.freshdesk.adapter import FreshdeskHelpdesk
from ticket_processor.helpdesks.freshdesk.sandbox.config import FreshdeskConfig
from ticket_processor.helpdesks.freshdesk.sandbox.serving import RunningFreshdesk
from ticket_processor.helpdesks.freshdesk.wire import FreshdeskTransport
from ticket_processor.models import Analysis, Ticket, Triage, WriteBack, WriteOutcome
from ticket_processor.passes.planner import ChangePlanner
from ticket_processor.passes.types import RunOptions
from ticket_processor.resilience.pacing import RateLimitThrottle
from ticket_processor.resilience.retry import Retrier, RetryPolicy
from ticket_processor.tags import NOTE_HEADER, is_processed, render_revert_note

Factory = Callable[..., RunningFreshdesk]
START = 1_795_000_040.0
MARKER = "ai_processed"
TRIAGE = Triage(
    analysis=Analysis(
        category="billing",
        urgency="low",
        sentiment="neutral",
        language="en",
        summary="A question about an invoice.",
        confidence=0.9,
    ),
    engine="rules",
)


class Journal:
    """The run ledger's journal, in memory: what stays in flight."""

    def __init__(self) -> None:
        self.inflight: set[int] = set()

    def begin(self, ticket_ids: Any) -> None:
        self.inflight |= set(ticket_ids)

    def job_sent(self, job_id: str, ticket_ids: Any) -> None:
        """Freshdesk sends no jobs."""

    def end(self, ticket_ids: Any, job_ids: Any) -> None:
        self.inflight -= set(ticket_ids)


pytestmark = [pytest.mark.clock(now=START), pytest.mark.freshdesk_sandbox(clock="clock")]


def helpdesk(
    sb: RunningFreshdesk, clock: FakeClock, sleep: Callable[[float], None] | None = None
) -> FreshdeskHelpdesk:
    wait = sleep or clock.sleep
    http = FreshdeskTransport(
        sb.url,
        api_key=sb.config.api_key,
        timeout=(2.0, 5.0),
        retrier=Retrier(RetryPolicy(attempts=4), sleep=wait),
        throttle=RateLimitThrottle(clock=clock, sleep=wait),
        sleep=wait,
    )
    return FreshdeskHelpdesk(http, marker=MARKER, sleep=wait)


def seed(sb: RunningFreshdesk, count: int, **fields: Any) -> list[int]:
    ids = []
    for n in range(count):
        ticket = sb.store.create(
            {
                "subject": f"Invoice #{n}",
                "description": "<p>Why was I charged twice?</p>",
                "email": f"customer{n}@example.com",
                "priority": 1,
                "status": 2,
                **fields,
            }
        )
        ids.append(int(ticket["id"]))
    return ids


def write(
    desk: FreshdeskHelpdesk, ids: list[int], before_writing: Callable[[], object] | None = None
) -> list[WriteOutcome]:
    """What a run does for these tickets: plan from the discovery read, write, re-plan fresh.
    ``before_writing`` is called once a ticket is read afresh, before its note and update."""
    planner = ChangePlanner(RunOptions(prefix="ai_"), run_id="r1")

    def replan(fresh: Ticket) -> WriteBack | None:
        if before_writing is not None:
            before_writing()
        return None if is_processed(fresh.tags, "ai_") else planner.plan(fresh, TRIAGE)

    outcomes: list[WriteOutcome] = []
    tickets = desk.tickets(ids)
    for start in range(0, len(tickets), 10):
        changes = [planner.plan(t, TRIAGE) for t in tickets[start : start + 10]]
        desk.write_batch(changes, replan=replan, journal=Journal(), report=outcomes.append)
    return outcomes


def triage_notes(sb: RunningFreshdesk, ticket_id: int) -> list[dict[str, Any]]:
    return [
        c
        for c in sb.store.conversations(ticket_id)
        if c.get("private") and NOTE_HEADER in str(c.get("body_text") or c.get("body"))
    ]


@pytest.mark.parametrize("fault", ["stored-502", "stored-504", "stored-html"])
def test_a_note_stored_but_answered_with_a_gateway_error_is_not_posted_again(
    freshdesk_sandbox: RunningFreshdesk, clock: FakeClock, fault: str
) -> None:
    (ticket,) = seed(freshdesk_sandbox, 1)
    freshdesk_sandbox.config.faults = [f"{fault} POST /api/v2/tickets/{{id}}/notes"]
    (outcome,) = write(helpdesk(freshdesk_sandbox, clock), [ticket])
    assert outcome.error is None
    assert outcome.writeback is not None
    assert freshdesk_sandbox.stats()["errors_injected"] == 1  # the fault did fire
    assert len(triage_notes(freshdesk_sandbox, ticket)) == 1
    assert MARKER in freshdesk_sandbox.store.find(ticket)["tags"]


def test_a_note_stored_whose_answer_trickles_past_the_deadline_is_not_posted_again(
    freshdesk_sandbox: RunningFreshdesk, clock: FakeClock
) -> None:
    (ticket,) = seed(freshdesk_sandbox, 1)
    freshdesk_sandbox.config.slow_ms = 1500  # far past the client's deadline of 0.4 s
    freshdesk_sandbox.config.faults = ["stored-trickle POST /api/v2/tickets/{id}/notes"]
    desk = helpdesk(freshdesk_sandbox, clock)
    desk.http.timeout = (0.2, 0.2)
    (outcome,) = write(desk, [ticket])
    assert outcome.error is None
    assert freshdesk_sandbox.stats()["errors_injected"] == 1  # the fault did fire
    assert len(triage_notes(freshdesk_sandbox, ticket)) == 1
    assert MARKER in freshdesk_sandbox.store.find(ticket)["tags"]


@pytest.mark.parametrize("fault", ["502", "html"])
def test_a_note_refused_by_a_gateway_before_storing_is_posted_on_the_next_try(
    freshdesk_sandbox: RunningFreshdesk, clock: FakeClock, fault: str
) -> None:
    (ticket,) = seed(freshdesk_sandbox, 1)
    freshdesk_sandbox.config.faults = [f"{fault} POST /api/v2/tickets/{{id}}/notes"]
    (outcome,) = write(helpdesk(freshdesk_sandbox, clock), [ticket])
    assert outcome.error is None
    assert len(triage_notes(freshdesk_sandbox, ticket)) == 1
    assert MARKER in freshdesk_sandbox.store.find(ticket)["tags"]


@pytest.mark.parametrize("fault", ["503", "429"])
def test_an_agent_edit_during_the_wait_before_a_retried_update_is_kept(
    freshdesk_sandbox: RunningFreshdesk, clock: FakeClock, fault: str
) -> None:
    """The agent plays during the back-off (the injected sleep): adds a tag and sets urgent."""
    (ticket,) = seed(freshdesk_sandbox, 1)
    freshdesk_sandbox.config.faults = [f"{fault} PUT /api/v2/tickets/{{id}}"]
    waits: list[float] = []

    def wait_as_an_agent_works(seconds: float) -> None:
        waits.append(seconds)
        clock.sleep(seconds)
        freshdesk_sandbox.agent_edit(ticket, "agent_vip", priority=4)

    (outcome,) = write(helpdesk(freshdesk_sandbox, clock, wait_as_an_agent_works), [ticket])
    assert outcome.error is None
    assert waits, "the update was not retried after a wait"
    now = freshdesk_sandbox.store.find(ticket)
    assert {"agent_vip", MARKER} <= set(now["tags"])
    assert now["priority"] == 4  # urgent, as the agent set it: never lowered
    assert len(triage_notes(freshdesk_sandbox, ticket)) == 1


def test_a_stray_note_sent_tag_gets_its_note_and_keeps_the_tag(
    freshdesk_sandbox: RunningFreshdesk, clock: FakeClock
) -> None:
    """``ai_note_sent`` set by an agent, an automation or a cloned ticket means nothing to
    ticketbot: the note is posted and the tag stays (it is not ours to remove)."""
    (ticket,) = seed(freshdesk_sandbox, 1, tags=["ai_note_sent"])
    (outcome,) = write(helpdesk(freshdesk_sandbox, clock), [ticket])
    assert outcome.error is None
    assert len(triage_notes(freshdesk_sandbox, ticket)) == 1
    assert {"ai_note_sent", MARKER} <= set(freshdesk_sandbox.store.find(ticket)["tags"])


def test_two_installations_on_one_account_leave_one_note_per_ticket(
    freshdesk_factory: Factory, clock: FakeClock
) -> None:
    """Two installations (own adapters, own state) write the same tickets at once. Freshdesk
    has no conditional write, so both may post; the one that sees the other (its marker on a
    ticket, or, when the two run in step and never see a marker, a second copy of a batch's
    last note) removes the copies. In step or not, none is left."""
    sb = freshdesk_factory(FreshdeskConfig(clock=clock, latency_ms=2, jitter_ms=2, seed=7))
    ids = seed(sb, 36)
    desks = [helpdesk(sb, clock), helpdesk(sb, clock)]
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def run(desk: FreshdeskHelpdesk) -> None:
        try:
            start.wait()
            outcomes = write(desk, ids)
            assert all(o.error is None for o in outcomes)
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(d,)) for d in desks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    doubled = [i for i in ids if len(triage_notes(sb, i)) > 1]
    assert not doubled, doubled
    assert all(len(triage_notes(sb, i)) >= 1 for i in ids)
    assert all(MARKER in sb.store.find(i)["tags"] for i in ids)


def test_two_installations_in_step_leave_one_note_per_ticket(
    freshdesk_factory: Factory, clock: FakeClock
) -> None:
    """Two installations held in step: each has read a ticket before either writes it, so
    neither ever sees the other's marker and both post every note. The check of each batch's
    last note finds the copies, and none is left."""
    sb = freshdesk_factory(FreshdeskConfig(clock=clock))
    ids = seed(sb, 25)
    both_read = threading.Barrier(2, timeout=30)
    failures: list[BaseException] = []

    def run(desk: FreshdeskHelpdesk) -> None:
        try:
            outcomes = write(desk, ids, before_writing=both_read.wait)
            assert all(o.error is None for o in outcomes)
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(helpdesk(sb, clock),)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    assert all(len(triage_notes(sb, i)) == 1 for i in ids), {
        i: len(triage_notes(sb, i)) for i in ids
    }
    assert all(MARKER in sb.store.find(i)["tags"] for i in ids)


def test_a_revert_note_on_a_changed_ticket_is_posted_and_the_triage_note_stays(
    freshdesk_sandbox: RunningFreshdesk, clock: FakeClock
) -> None:
    """A revert's note has no triage trailer: looking before posting must not take the
    triage note for it, nor count it as a second writer's copy."""
    (ticket,) = seed(freshdesk_sandbox, 1)
    desk = helpdesk(freshdesk_sandbox, clock)
    write(desk, [ticket])
    (fresh,) = desk.tickets([ticket])
    undo = WriteBack(
        ticket_id=ticket,
        additional_tags=(),
        remove_tags=(MARKER,),
        note=render_revert_note("r1", "removed the triage tags"),
        updated_stamp="2000-01-01T00:00:00Z",  # changed since: the note is looked for first
    )
    outcomes: list[WriteOutcome] = []
    desk.write_batch([undo], replan=lambda t: undo, journal=Journal(), report=outcomes.append)
    assert outcomes[0].error is None
    notes = [c for c in freshdesk_sandbox.store.conversations(ticket) if c.get("private")]
    assert len(notes) == 2
    assert len(triage_notes(freshdesk_sandbox, ticket)) == 1
    assert MARKER not in freshdesk_sandbox.store.find(ticket)["tags"]
    assert fresh.updated_at is not None

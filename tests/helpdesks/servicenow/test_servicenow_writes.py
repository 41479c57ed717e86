"""ServiceNow writes that stay single and lose nothing, against the sandbox's fault knobs:
a work note stored but answered by a gateway's 502 or 504 is not written again; an agent's
urgency and label set while the write waits out a 503 or a 429 are kept (the retried write is
planned from a fresh read, and a priority is never lowered); a killed run's noted ticket gets
no second note; a priority set by a PATCH whose answer was lost, or by a run that died before
its marker, keeps the label that says ticketbot set it; a record deleted or hidden mid-run is
settled as gone; the priority is written as impact and urgency.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from support.clock import FakeClock

from ticket_processor.errors import NotFoundError
from ticket_processor.helpdesks.servicenow.adapter import ServiceNowHelpdesk
from ticket_processor.helpdesks.servicenow.sandbox.config import ServiceNowConfig
from ticket_processor.helpdesks.servicenow.sandbox.desk import ServiceNowDesk
from ticket_processor.helpdesks.servicenow.sandbox.serving import serve_in_thread
from ticket_processor.helpdesks.servicenow.wire import ServiceNowTransport
from ticket_processor.models import Analysis, Ticket, Triage, WriteBack, WriteOutcome
from ticket_processor.passes.planner import ChangePlanner
from ticket_processor.passes.types import RunOptions
from ticket_processor.resilience.pacing import RateLimitThrottle
from ticket_processor.resilience.retry import Retrier, RetryPolicy
from ticket_processor.sandbox.desks import NewTicket
from ticket_processor.tags import NOTE_HEADER, is_processed

MARKER = "ai_processed"
PATCH = "PATCH /api/now/table/incident/{sys_id}"


def triage(urgency: str = "low", confidence: float = 0.9) -> Triage:
    return Triage(
        analysis=Analysis(
            category="billing",
            urgency=urgency,
            sentiment="neutral",
            language="en",
            summary="A question about an invoice.",
            confidence=confidence,
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
        """ServiceNow sends no jobs."""

    def end(self, ticket_ids: Any, job_ids: Any) -> None:
        self.inflight -= set(ticket_ids)


@pytest.fixture
def sn() -> Iterator[ServiceNowDesk]:
    with serve_in_thread(ServiceNowConfig(seed=5)) as running:
        yield ServiceNowDesk(running)


def helpdesk(
    sn: ServiceNowDesk, clock: FakeClock, sleep: Callable[[float], None] | None = None
) -> ServiceNowHelpdesk:
    wait = sleep or clock.sleep
    config = sn.sandbox.config
    http = ServiceNowTransport(
        sn.url,
        auth=(config.user, config.password),
        timeout=(2.0, 5.0),
        retrier=Retrier(RetryPolicy(attempts=4), sleep=wait),
        throttle=RateLimitThrottle(clock=clock, sleep=wait),
        sleep=wait,
    )
    return ServiceNowHelpdesk(http, table="incident", marker=MARKER)


def write(
    desk: ServiceNowHelpdesk, ids: list[int], found: Triage | None = None, journal: Any = None
) -> list[WriteOutcome]:
    planner = ChangePlanner(RunOptions(prefix="ai_"), run_id="r1")
    chosen = found or triage()

    def replan(fresh: Ticket) -> WriteBack | None:
        return None if is_processed(fresh.tags, "ai_") else planner.plan(fresh, chosen)

    outcomes: list[WriteOutcome] = []
    changes = [planner.plan(t, chosen) for t in desk.tickets(ids)]
    desk.write_batch(changes, replan=replan, journal=journal or Journal(), report=outcomes.append)
    return outcomes


def triage_notes(sn: ServiceNowDesk, ticket_id: int) -> list[str]:
    return [n for n in sn.snapshot(ticket_id).notes if NOTE_HEADER in n]


def row(sn: ServiceNowDesk, ticket_id: int) -> dict[str, str]:
    store = sn.sandbox.store
    return dict(
        store.find("incident", sn.sandbox.sandbox.record_of("incident", ticket_id) or "") or {}
    )


@pytest.mark.parametrize("fault", ["stored-502", "stored-504"])
def test_a_note_stored_but_answered_with_a_gateway_error_is_not_written_again(
    sn: ServiceNowDesk, clock: FakeClock, fault: str
) -> None:
    (ticket,) = sn.create([NewTicket("Invoice", "Why was I charged twice?", priority="low")])
    sn.sandbox.config.faults = [f"{fault} {PATCH}"]
    (outcome,) = write(helpdesk(sn, clock), [ticket], triage(urgency="medium"))
    assert outcome.error is None, outcome.error
    assert outcome.writeback is not None
    assert len(triage_notes(sn, ticket)) == 1
    # The priority the lost answer's PATCH set keeps the label that says ticketbot set it.
    assert outcome.writeback.priority == "normal"
    after = sn.snapshot(ticket)
    assert after.priority == "normal"
    assert {MARKER, "ai_priority_normal"} <= set(after.tags)


@pytest.mark.parametrize("fault", ["503", "429"])
def test_an_agents_edit_during_the_wait_before_a_retried_write_is_kept(
    sn: ServiceNowDesk, clock: FakeClock, fault: str
) -> None:
    (ticket,) = sn.create([NewTicket("Invoice", "Why was I charged twice?", priority="low")])
    sn.sandbox.config.faults = [f"{fault} {PATCH}"]
    waits: list[float] = []

    def wait_as_an_agent_works(seconds: float) -> None:
        waits.append(seconds)
        clock.sleep(seconds)
        sn.agent_edit(ticket, "agent_vip", "urgent")

    desk = helpdesk(sn, clock, wait_as_an_agent_works)
    (outcome,) = write(desk, [ticket], triage(urgency="high"))
    assert outcome.error is None, outcome.error
    assert waits, "the write was not retried after a wait"
    seen = sn.snapshot(ticket)
    assert {"agent_vip", MARKER} <= set(seen.tags)
    assert seen.priority == "urgent"  # as the agent set it: never lowered
    assert len(triage_notes(sn, ticket)) == 1


def test_the_priority_is_written_as_impact_and_urgency(
    sn: ServiceNowDesk, clock: FakeClock
) -> None:
    (ticket,) = sn.create([NewTicket("Site down", "Nothing loads for anyone.", priority="low")])
    (outcome,) = write(helpdesk(sn, clock), [ticket], triage(urgency="critical"))
    assert outcome.error is None, outcome.error
    assert outcome.writeback is not None
    assert outcome.writeback.priority is not None
    now = row(sn, ticket)
    assert (now["impact"], now["urgency"], now["priority"]) == ("1", "1", "1")


def test_a_killed_runs_noted_ticket_gets_no_second_note(
    sn: ServiceNowDesk, clock: FakeClock
) -> None:
    (ticket,) = sn.create([NewTicket("Invoice", "Why was I charged twice?", priority="low")])
    desk = helpdesk(sn, clock)
    # The labels go before the PATCH: a first try a data policy refused put them on.
    sn.refuse_updates([ticket])
    (refused,) = write(desk, [ticket], triage(urgency="medium"))
    assert refused.error is not None
    assert triage_notes(sn, ticket) == []
    sn.refuse_updates([])
    # The run died after its PATCH (the note, the priority) and before the marker.
    sn.sandbox.config.faults = ["500 POST /api/now/table/label_entry"] * 100
    journal = Journal()
    (failed,) = write(desk, [ticket], triage(urgency="medium"), journal=journal)
    assert failed.error is not None
    assert journal.inflight == {ticket}  # the noted ticket stays in flight
    sn.sandbox.config.faults = []
    fresh = helpdesk(sn, clock)
    assert fresh.recover({}, sorted(journal.inflight)) == [ticket]
    (outcome,) = write(fresh, [ticket], triage(urgency="medium"))
    assert outcome.error is None, outcome.error
    assert len(triage_notes(sn, ticket)) == 1
    after = sn.snapshot(ticket)
    # The priority the dead run set keeps the label that lets a later run or a revert move it.
    assert after.priority == "normal"
    assert {MARKER, "ai_priority_normal"} <= set(after.tags)


def test_a_record_deleted_mid_run_is_settled_as_gone(sn: ServiceNowDesk, clock: FakeClock) -> None:
    kept, gone = sn.create(
        [NewTicket("Invoice", "Charged twice"), NewTicket("Login", "Cannot log in")]
    )
    desk = helpdesk(sn, clock)
    planner = ChangePlanner(RunOptions(prefix="ai_"), run_id="r1")
    changes = [planner.plan(t, triage()) for t in desk.tickets([kept, gone])]
    sn.sandbox.store.delete("incident", sn.sandbox.sandbox.record_of("incident", gone) or "")
    outcomes: list[WriteOutcome] = []
    desk.write_batch(
        changes,
        replan=lambda fresh: planner.plan(fresh, triage()),
        journal=Journal(),
        report=outcomes.append,
    )
    by_id = {o.ticket_id: o for o in outcomes}
    assert by_id[kept].error is None
    assert isinstance(by_id[gone].error, NotFoundError)

"""Customer service cases as the tickets (``SERVICENOW_TABLE=sn_customerservice_case``),
against the sandbox: a case reads with its contact as the requester and its states in
ticketbot's words (Awaiting Info is pending), is written with a work note and labels, and a
public answer puts it in Awaiting Info; its id is its number's digits (``CS0001001``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ticket_processor.helpdesks.servicenow.adapter import ServiceNowHelpdesk
from ticket_processor.helpdesks.servicenow.sandbox.config import ServiceNowConfig
from ticket_processor.helpdesks.servicenow.sandbox.serving import (
    RunningServiceNow,
    serve_in_thread,
)
from ticket_processor.helpdesks.servicenow.wire import ServiceNowTransport
from ticket_processor.models import Analysis, Triage, WriteOutcome
from ticket_processor.passes.planner import ChangePlanner
from ticket_processor.passes.types import RunOptions

TABLE = "sn_customerservice_case"


@pytest.fixture
def running() -> Iterator[RunningServiceNow]:
    with serve_in_thread(ServiceNowConfig(seed=5)) as sandbox:
        yield sandbox


@pytest.fixture
def adapter(running: RunningServiceNow) -> Iterator[ServiceNowHelpdesk]:
    http = ServiceNowTransport(running.url, auth=(running.config.user, running.config.password))
    helpdesk = ServiceNowHelpdesk(http, table=TABLE, marker="ai_processed")
    yield helpdesk
    helpdesk.close()


def case(running: RunningServiceNow, **fields: str) -> tuple[int, str]:
    store = running.store
    contact = store.insert(
        "sys_user", {"user_name": "dora", "name": "Dora Case", "email": "dora@example.com"}, "x"
    )
    made = store.insert(
        TABLE,
        {"short_description": "Invoice wrong", "contact": contact["sys_id"], **fields},
        "dora",
    )
    return int(made["number"].removeprefix("CS")), made["sys_id"]


def test_a_case_reads_with_its_contact_and_is_written_and_answered(
    running: RunningServiceNow, adapter: ServiceNowHelpdesk
) -> None:
    ticket_id, sys_id = case(running, state="18")
    assert ticket_id == 1001
    (read,) = adapter.tickets([ticket_id])
    assert read.status == "pending"
    assert read.sender == "dora@example.com"
    assert read.requester_id is not None

    planner = ChangePlanner(RunOptions(prefix="ai_"), run_id="r1")
    found = Triage(
        analysis=Analysis(
            category="billing",
            urgency="high",
            sentiment="neutral",
            language="en",
            summary="An invoice question.",
            confidence=0.9,
        ),
        engine="rules",
    )
    outcomes: list[WriteOutcome] = []

    class Journal:
        def begin(self, ticket_ids: object) -> None: ...
        def job_sent(self, job_id: str, ticket_ids: object) -> None: ...
        def end(self, ticket_ids: object, job_ids: object) -> None: ...

    adapter.write_batch(
        [planner.plan(read, found)],
        replan=lambda fresh: planner.plan(fresh, found),
        journal=Journal(),
        report=outcomes.append,
    )
    assert [o.error for o in outcomes] == [None]
    assert len(adapter.notes(ticket_id)) == 1
    assert "ai_processed" in adapter.tickets([ticket_id])[0].tags

    adapter.set_status(ticket_id, "open")
    sent = adapter.post_answer(
        ticket_id, "Here is how to fix your invoice.", add_tags=["ai_answered"]
    )
    row = running.store.find(TABLE, sys_id) or {}
    assert row["state"] == "18"  # Awaiting Info
    conversation = adapter.conversation(ticket_id)
    assert conversation is not None
    public = [m for m in conversation.messages if m.public]
    assert [m.body for m in public] == ["Here is how to fix your invoice."]
    assert public[0].from_ticketbot
    assert sent == str(public[0].id)  # the reply's id, as the audit store keeps it
    assert adapter.ticket_url(ticket_id).endswith(
        "/sn_customerservice_case.do?sysparm_query=number=CS0001001"
    )

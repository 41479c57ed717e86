"""The incident grouping's link writes on ServiceNow (``links.py``), against the sandbox: a
parent incident opened for reports makes them its children (``parent_incident``) with the
routing they follow; a later report is linked with its note and labels in one write; the
facts say which parent a report has; closing the parent cancels it and unlinks its children.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ticket_processor.helpdesks.servicenow.adapter import ServiceNowHelpdesk
from ticket_processor.helpdesks.servicenow.sandbox.config import ServiceNowConfig
from ticket_processor.helpdesks.servicenow.sandbox.desk import ServiceNowDesk
from ticket_processor.helpdesks.servicenow.sandbox.serving import serve_in_thread
from ticket_processor.helpdesks.servicenow.wire import ServiceNowTransport
from ticket_processor.sandbox.desks import NewTicket


@pytest.fixture
def sn() -> Iterator[ServiceNowDesk]:
    with serve_in_thread(ServiceNowConfig(seed=5)) as running:
        yield ServiceNowDesk(running)


@pytest.fixture
def adapter(sn: ServiceNowDesk) -> Iterator[ServiceNowHelpdesk]:
    config = sn.sandbox.config
    http = ServiceNowTransport(sn.url, auth=(config.user, config.password))
    helpdesk = ServiceNowHelpdesk(http, table="incident", marker="ai_processed")
    yield helpdesk
    helpdesk.close()


def parent_of(sn: ServiceNowDesk, ticket_id: int) -> str:
    row = sn.sandbox.store.find(
        "incident", sn.sandbox.sandbox.record_of("incident", ticket_id) or ""
    )
    return (row or {}).get("parent_incident", "")


def test_a_parent_incident_holds_its_reports_and_closing_it_lets_them_go(
    sn: ServiceNowDesk, adapter: ServiceNowHelpdesk
) -> None:
    first, second, later = sn.create(
        [NewTicket(f"Checkout error {n}", "The checkout fails with a 502.") for n in range(3)]
    )
    links = adapter.links()
    [group] = adapter.groups()[:1]
    parent = links.open_group(
        "Checkout error 502",
        "ticketbot opened this parent record",
        [first, second],
        {"group_id": group.id, "priority": "urgent"},
        tags=("ai_incident",),
    )
    parent_sys_id = sn.sandbox.sandbox.record_of("incident", parent)
    assert parent_of(sn, first) == parent_of(sn, second) == parent_sys_id
    (opened,) = adapter.tickets([parent])
    assert (opened.priority, opened.group_id) == ("urgent", group.id)
    assert "ai_incident" in opened.tags

    links.write(
        "member", later, group=parent, note="Linked to the parent incident", add_tags=("ai_linked",)
    )
    assert parent_of(sn, later) == parent_sys_id
    assert "ai_linked" in sn.snapshot(later).tags
    assert links.has_note(later, "Linked to the parent incident")
    facts = links.facts([first, later])
    assert facts[first]["group"] == parent
    assert facts[later]["type"] == "related"

    links.close_group(parent)
    assert [parent_of(sn, t) for t in (first, second, later)] == ["", "", ""]
    (cancelled,) = adapter.tickets([parent])
    assert cancelled.status == "closed"

"""A ticket's page in the dashboard shows its running summary as the helpdesk holds it, and
says when an agent wrote or edited it; the real command on port 0, on each sandbox. What the
pages cost the helpdesk is counted by the sandbox itself: a ticket's notes and summary field are
one read, kept a minute, so a hundred views of five tickets are five reads (and one of the
fields), not three hundred against the limit the runs share; a read is one request on Zendesk
and Freshdesk, three on ServiceNow (``PAGE_READS``)."""

from __future__ import annotations

import httpx
import pytest
from support.cli import invoke
from support.dashboard import start_dashboard
from support.summary_field import SummaryField as Field
from test_summary_e2e import FIRST

from ticket_processor.sandbox.desks import Desk

pytestmark = pytest.mark.desk(configure=True)

SAID = "Problem: The customer writes: “I was charged twice"
# What a ticket's page read and the fields' read cost each helpdesk, in requests: Zendesk and
# Freshdesk embed a ticket's notes and fields in one answer and list their fields in one;
# ServiceNow reads the record, then its journal, after the table's number prefix (each page
# read is a fresh connection), and its fields from the dictionary, each choice column's
# options (the category's, and the subcategory's) and who sees each column (its field ACLs,
# then their roles).
PAGE_READS = {"zendesk": (1, 1), "freshdesk": (1, 1), "servicenow": (3, 5)}


def test_the_ticket_page_shows_the_summary(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    field = Field(desk)
    monkeypatch.setenv("TICKETBOT_SUMMARY_FIELD", "Summary")
    ticket, edited = desk.create([FIRST, FIRST])
    ran = invoke("run", "--engine", "rules")
    assert ran.exit_code == 0, ran.output
    with start_dashboard() as url:
        client = httpx.Client(base_url=url, timeout=30)
        page = client.get(f"/tickets/{ticket}").text
        assert "<h2>Summary</h2>" in page
        assert "data-summary>Problem: The customer writes: “I was charged twice" in page
        assert "[ticketbot " not in page  # the mark is ticketbot's, not the reader's
        assert "edited by an agent" not in page
        # A page keeps what it read a minute: the edit shows on a ticket not viewed yet.
        field.agent_writes(edited, "Call the customer <b>today</b>.")
        page = client.get(f"/tickets/{edited}").text
        assert "data-summary>Call the customer &lt;b&gt;today&lt;/b&gt;." in page
        assert "edited by an agent" in page


def test_a_hundred_page_views_read_the_helpdesk_once_per_ticket(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    field = Field(desk)
    monkeypatch.setenv("TICKETBOT_SUMMARY_FIELD", "Summary")
    tickets = desk.create([FIRST] * 5)
    ran = invoke("run", "--engine", "rules")
    assert ran.exit_code == 0, ran.output
    edited = tickets[-1]
    field.agent_writes(edited, "Call the customer today.")
    with start_dashboard() as url:
        client = httpx.Client(base_url=url, timeout=30)  # not signed in: anyone on loopback
        before = desk.stats()["requests_total"]
        for n in range(100):
            ticket = tickets[n % len(tickets)]
            page = client.get(f"/tickets/{ticket}")
            assert page.status_code == 200
            assert "data-note>ticketbot " in page.text  # ticketbot's triage note, as written
            if ticket == edited:
                assert "data-summary>Call the customer today." in page.text
                assert "edited by an agent" in page.text
            else:
                assert (
                    "data-summary>Problem: The customer writes: “I was charged twice" in page.text
                )
                assert "edited by an agent" not in page.text
        used = desk.stats()["requests_total"] - before
        # Per ticket its notes and its summary field, once; the fields once (see PAGE_READS).
        per_ticket, fields = PAGE_READS[desk.kind]
        assert used <= len(tickets) * per_ticket + fields, used
        # An id the store has no decision for is refused before the helpdesk is asked.
        before = desk.stats()["requests_total"]
        assert client.get("/tickets/999999").status_code == 404
        assert desk.stats()["requests_total"] == before


def test_the_page_lists_notes_past_the_ones_a_ticket_read_embeds(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Freshdesk embeds a ticket's ten oldest conversations only: a later note of ticketbot's
    (a review, a revert) is still listed."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    Field(desk)
    monkeypatch.setenv("TICKETBOT_SUMMARY_FIELD", "Summary")
    [ticket] = desk.create([FIRST])
    ran = invoke("run", "--engine", "rules")
    assert ran.exit_code == 0, ran.output
    for n in range(11):
        desk.agent_notes(ticket, f"Checked the account, step {n}.")
    desk.agent_notes(ticket, "ticketbot: a lead reviewed the triage")
    with start_dashboard() as url:
        page = httpx.Client(base_url=url, timeout=30).get(f"/tickets/{ticket}").text
    assert "data-note>ticketbot: a lead reviewed the triage" in page
    assert f"data-summary>{SAID}" in page

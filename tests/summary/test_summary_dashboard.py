"""A ticket's page in the dashboard shows its running summary as the helpdesk holds it, and
says when an agent wrote or edited it; the real command on port 0, on each sandbox."""

from __future__ import annotations

import httpx
import pytest
from support.cli import invoke
from support.dashboard import start_dashboard
from test_summary_e2e import FIRST, Field

from ticket_processor.sandbox.desks import Desk

pytestmark = pytest.mark.desk(configure=True)


def test_the_ticket_page_shows_the_summary(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    field = Field(desk)
    monkeypatch.setenv("TICKETBOT_SUMMARY_FIELD", "Summary")
    [ticket] = desk.create([FIRST])
    ran = invoke("run", "--engine", "rules")
    assert ran.exit_code == 0, ran.output
    with start_dashboard() as url:
        client = httpx.Client(base_url=url, timeout=30)
        page = client.get(f"/tickets/{ticket}").text
        assert "<h2>Summary</h2>" in page
        assert "data-summary>Problem: The customer writes: “I was charged twice" in page
        assert "[ticketbot " not in page  # the mark is ticketbot's, not the reader's
        assert "edited by an agent" not in page
        field.agent_writes(ticket, "Call the customer <b>today</b>.")
        page = client.get(f"/tickets/{ticket}").text
        assert "data-summary>Call the customer &lt;b&gt;today&lt;/b&gt;." in page
        assert "edited by an agent" in page

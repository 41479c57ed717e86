"""A solved ticket's page shows the QA section where ``TICKETBOT_QA`` turns it on, on each
sandbox: a ticket triaged by a real run, then a conversation (an agent asks twice for the order
number, the customer asks when the parcel comes, an agent answers warmly) and the agent solves
it; ``ticketbot dashboard`` itself, on port 0, shows the three points and the messages each
rests on, and reads the conversation once however often the page is viewed. Off (the
default), the page has no QA section."""

from __future__ import annotations

import re

import httpx
import pytest
from support.cli import invoke
from support.dashboard import start_dashboard

from ticket_processor.sandbox.desks import Desk, NewTicket

pytestmark = pytest.mark.desk(configure=True)

ASK = "Thank you for writing. Could you send us your order number, please?"
ASK_AGAIN = "Sorry, I cannot find it. Please share the order number again."
QUESTION = "It is 123-456, as I wrote. When will the parcel arrive?"
ANSWER = "Thanks! It arrives tomorrow, happy to help."


def points_of(page: str) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    """Each point's verdict and the cited messages (their place, then their text), from the
    QA section."""
    found = re.search(r'<section id="qa">(.*?)</section>', page, re.S)
    assert found is not None, "no QA section on the page"
    points = {}
    for name, verdict, cited in re.findall(
        r'<dt data-qa="(\w+)">.*?<b data-verdict>(\w+)</b></dt>\s*<dd>(.*?)</dd>',
        found.group(1),
        re.S,
    ):
        points[name] = (
            verdict,
            re.findall(r'<li data-message="(\d+)[^>]*>(.*?)</li>', cited, re.S),
        )
    return points


def test_a_solved_ticket_shows_its_qa_where_turned_on(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    [ticket] = desk.create([NewTicket("Parcel", "Where is my parcel? It was due on Monday.")])
    ran = invoke("run", "--engine", "rules")
    assert ran.exit_code == 0, ran.output
    desk.agent_replies(ticket, ASK)
    desk.requester_says(ticket, "I gave it in my first message.")
    desk.agent_replies(ticket, ASK_AGAIN)
    desk.requester_says(ticket, QUESTION)
    desk.agent_replies(ticket, ANSWER)
    desk.agent_solves(ticket)

    with start_dashboard(env={"TICKETBOT_QA": "1"}) as url:
        client = httpx.Client(base_url=url, timeout=30)
        page = client.get(f"/tickets/{ticket}").text
        # The conversation is kept a minute, as the notes are: views again ask nothing more.
        before = desk.stats()["requests_total"]
        for _ in range(5):
            assert 'id="qa"' in client.get(f"/tickets/{ticket}").text
        assert desk.stats()["requests_total"] == before
    points = points_of(page)
    assert set(points) == {"answered", "asked_twice", "tone"}
    # The ticket's first message is 1, ticketbot's triage note 2 (internal: never cited).
    verdict, cited = points["answered"]
    assert verdict == "yes"
    assert [place for place, _ in cited] == ["6", "7"]
    assert "customer" in cited[0][1]
    assert "When will the parcel arrive?" in cited[0][1]
    assert "agent" in cited[1][1]
    assert "It arrives tomorrow" in cited[1][1]
    verdict, cited = points["asked_twice"]
    assert verdict == "yes"
    assert [place for place, _ in cited] == ["3", "5"]
    assert "send us your order number" in cited[0][1]
    assert "share the order number" in cited[1][1]
    verdict, cited = points["tone"]
    assert verdict == "warm"
    assert [place for place, _ in cited] == ["3", "5", "7"]
    # Each cited reply names its id in the helpdesk's conversation too.
    assert len(re.findall(r'<li data-message="\d+" data-message-id="\d+"', page)) == 7

    with start_dashboard() as url:
        page = httpx.Client(base_url=url, timeout=30).get(f"/tickets/{ticket}").text
    assert "Ticket #" in page
    assert 'id="qa"' not in page

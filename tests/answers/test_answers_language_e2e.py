"""A reply drafted for a customer who wrote in another language than the agents read, on each
sandbox: the draft stays in the customer's language (their template), the note around it is in
the agents' (``TICKETBOT_AGENT_LANGUAGE``), and with an LLM the agents' version of the reply
stands beside it, asked of the LLM without the customer's name."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from support.answers_desk import create_tickets, publish_help_centre, rows
from support.cli import invoke

from ticket_processor.sandbox.desks import Desk
from ticket_processor.sandbox.llm_standin.answers import iter_requests
from ticket_processor.sandbox.llm_standin.server import RunningStandin

CUSTOMER = "Henrietta Quarles"


@pytest.mark.desk(configure=True)
def test_a_french_draft_for_german_agents_has_their_version_beside_it(
    desk: Desk, make_standin: Callable[..., RunningStandin]
) -> None:
    publish_help_centre(desk)
    answerable = [c for c in rows("answers_tickets.jsonl") if c["kind"] == "answerable"]
    french = answerable[25]
    (ticket_id,) = create_tickets(desk, [french], requester_name=CUSTOMER)
    llm = make_standin()
    env = {
        "OPENAI_BASE_URL": llm.url,
        "OPENAI_API_KEY": "sk-test-not-a-real-key",
        "TICKETBOT_MODEL": "stand-in",
        "TICKETBOT_ANSWER_MODE": "draft",
        "TICKETBOT_AGENT_LANGUAGE": "de",
    }
    ran = invoke("run", "--since", "2000-01-01T00:00:00Z", env=env)
    assert ran.exit_code == 0, ran.output
    (note,) = desk.snapshot(ticket_id).notes
    lines = [line.strip() for line in note.splitlines()]
    opens = lines.index("--- Antwortentwurf für den Kunden (nicht gesendet) ---")
    closes = lines.index("--- Ende der Antwort ---")
    reply = "\n".join(lines[opens + 1 : closes])
    assert "L'article complet :" in reply  # the customer's language
    beside = lines.index("Dieselbe Antwort auf Deutsch (de), zum Mitlesen (nicht gesendet):")
    assert beside > closes
    assert lines[beside + 1].startswith("[de] ")
    asked = [t for t in iter_requests(llm) if '<translate to="de">' in t]
    assert any("L'article complet" in t for t in asked)
    assert not any("Henrietta" in t for t in iter_requests(llm))

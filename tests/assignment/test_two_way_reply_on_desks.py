"""The two-way reply end to end on each sandbox: an agent's internal note starting ``/reply``
becomes one public reply in the customer's language (what the stand-in LLM was asked says
which), their note stays internal, a rerun sends nothing again; a translation with a link or a
request for a password is refused and the agent told why; without an LLM the marker is refused
with that reason; a marker owed across a kill (on disk, sent or not) goes out exactly once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.cli import invoke
from support.e2e import events

from ticket_processor.sandbox.desks import NewTicket, StaffedDesk
from ticket_processor.sandbox.llm_standin.server import RunningStandin

pytestmark = pytest.mark.desk(configure=True)

PORTUGUESE = NewTicket(
    "Cobrança em dobro",
    "Olá, fui cobrado duas vezes pela minha assinatura deste mês. Por favor reembolsem a "
    "segunda cobrança do cartão. Obrigado",
)
ANSWER = "We refunded the second charge today, sorry for the trouble."


@pytest.fixture
def llm(standin: RunningStandin, monkeypatch: pytest.MonkeyPatch) -> RunningStandin:
    monkeypatch.setenv("OPENAI_BASE_URL", standin.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.setenv("TICKETBOT_MODEL", "stand-in")
    monkeypatch.setenv("TICKETBOT_TWO_WAY_REPLY", "true")
    return standin


def _run(*args: str) -> None:
    ran = invoke("run", *args)
    assert ran.exit_code == 0, ran.output


def _asked_to_translate(standin: RunningStandin, text: str) -> list[str]:
    """The languages the stand-in was asked to translate ``text`` into."""
    asked = []
    for body in standin.received:
        for message in body.get("messages") or ():
            content = str(message.get("content") or "")
            if message.get("role") == "user" and "<translate" in content and text in content:
                asked.append(content.split('to="', 1)[1].split('"', 1)[0])
    return asked


def _agent_and_ticket(desk: StaffedDesk) -> tuple[int, int]:
    group = desk.group("Billing")
    agent = desk.hire("Carl Reed", group, ["English"])
    [ticket] = desk.create([PORTUGUESE])
    return agent, ticket


def test_a_reply_note_goes_out_once_in_the_customers_language(
    desk: StaffedDesk, llm: RunningStandin, tmp_path: Path
) -> None:
    agent, ticket = _agent_and_ticket(desk)
    _run()  # triaged: its note names Portuguese
    desk.note_by(ticket, agent, f"/reply {ANSWER}")
    _run()
    replies = [text for _, text in desk.public_replies(ticket)]
    assert replies == [f"[pt] {ANSWER}"]  # the stand-in marks what it was asked to translate
    assert _asked_to_translate(llm, ANSWER) == ["pt"]
    assert sum(f"/reply {ANSWER}" in note for note in desk.internal_notes(ticket)) == 1
    _run()  # again: nothing more goes out
    assert len(desk.public_replies(ticket)) == 1
    sent = [e for e in events(tmp_path / "logs") if e["event"] == "two_way_reply_sent"]
    assert [e["language"] for e in sent] == ["pt"]


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("Please reset it at https://billing.example.com/reset first.", "link"),
        ("Please reply with your password so I can check the account.", "secret"),
        ("Call me on +44 20 7946 0958 about the refund.", "personal data"),
    ],
)
def test_a_screened_translation_is_not_sent_and_the_agent_is_told(
    desk: StaffedDesk, llm: RunningStandin, text: str, why: str
) -> None:
    agent, ticket = _agent_and_ticket(desk)
    _run()
    desk.note_by(ticket, agent, f"/reply {text}")
    _run()
    assert desk.public_replies(ticket) == []
    [told] = [n for n in desk.internal_notes(ticket) if "was not sent to the customer" in n]
    assert why in told


def test_without_an_llm_the_marker_is_refused_with_the_reason(
    desk: StaffedDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.setenv("TICKETBOT_TWO_WAY_REPLY", "true")
    agent, ticket = _agent_and_ticket(desk)
    _run("--engine", "rules")
    desk.note_by(ticket, agent, f"/reply {ANSWER}")
    _run("--engine", "rules")
    assert desk.public_replies(ticket) == []
    [told] = [n for n in desk.internal_notes(ticket) if "was not sent" in n]
    assert "no LLM is configured" in told


def _note_id(tmp_path: Path) -> str:
    book = json.loads((tmp_path / "state" / "assignment" / "replies.json").read_text())
    [key] = book
    return str(key)


def test_a_reply_owed_across_a_kill_goes_out_exactly_once(
    desk: StaffedDesk, llm: RunningStandin, tmp_path: Path
) -> None:
    agent, ticket = _agent_and_ticket(desk)
    _run()
    desk.note_by(ticket, agent, f"/reply {ANSWER}")
    _run()
    key = _note_id(tmp_path)
    book_path = tmp_path / "state" / "assignment" / "replies.json"
    # A kill after the reply landed, before it was marked sent: the book still says owed.
    owed = {"state": "owed", "text": f"[pt] {ANSWER}", "language": "pt", "agent": agent}
    book_path.write_text(json.dumps({key: owed}))
    desk.note_by(ticket, agent, "a later note, so the ticket shows changed")
    _run()
    assert len(desk.public_replies(ticket)) == 1
    assert json.loads(book_path.read_text())[key]["state"] == "sent"


def test_a_damaged_book_sends_nothing_it_does_not_know(
    desk: StaffedDesk, llm: RunningStandin, tmp_path: Path
) -> None:
    agent, ticket = _agent_and_ticket(desk)
    _run()
    book_path = tmp_path / "state" / "assignment" / "replies.json"
    book_path.parent.mkdir(parents=True, exist_ok=True)
    book_path.write_text("{not json")
    desk.note_by(ticket, agent, f"/reply {ANSWER}")
    _run()
    assert desk.public_replies(ticket) == []
    [told] = [n for n in desk.internal_notes(ticket) if "was not sent" in n]
    assert "damaged" in told
    assert list(book_path.parent.glob("replies.json.bad-*"))

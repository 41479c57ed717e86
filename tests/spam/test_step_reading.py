"""When the spam step reads a ticket's text: only when the gate needs it. An LLM's word that a
customer wrote a ticket no sender cue marks settles it, and the text is then never read (its
second redaction and its lures were most of such a ticket's CPU); whatever the gate does read,
it judges as it did when every ticket was read at once."""

from __future__ import annotations

import numpy as np
import pytest
from support.answers_desk import rows
from support.cli import invoke

from ticket_processor.models import Analysis, Sentiment, Triage, Urgency
from ticket_processor.models import Ticket as TicketModel
from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.sandbox.llm_standin.server import RunningStandin
from ticket_processor.spam import gate as gate_module
from ticket_processor.spam import reading as reading_module
from ticket_processor.spam.gate import SpamGate
from ticket_processor.spam.head import CLASSES, SpamHead
from ticket_processor.spam.lures import lure_families
from ticket_processor.spam.reading import SpamReading, read_ticket
from ticket_processor.spam.step import SpamStep
from ticket_processor.triage.prepare import REDACTION_MARGIN, budget_chars, prepare_ticket

PHISH = (
    "Your mailbox is full",
    "Dear user, your mailbox quota is exceeded. Verify your password at "
    "http://outlook-mail-verify.example.net within 24 hours or your account will be closed.",
)


def _gate() -> SpamGate:
    # A head sure of phishing whatever it reads, and an encoder that needs no model: what is
    # weighed here is when the text is read, not what the head makes of it.
    weights = np.zeros((len(CLASSES), 512), np.float32)
    bias = np.array([4.0 if kind == "phishing" else 0.0 for kind in CLASSES], np.float32)
    head = SpamHead(weights, bias, apply_at=0.9, suggest_at=0.5)
    return SpamGate(head, lambda texts: np.ones((len(texts), 512), np.float32))


def _triage(engine: str, spam: str | None) -> Triage:
    analysis = Analysis(
        category="account",
        urgency=Urgency.HIGH,
        sentiment=Sentiment.NEUTRAL,
        language="en",
        summary="s",
        confidence=0.9,
        spam=spam,
    )
    return Triage(analysis=analysis, engine=engine)


def _ticket(sender: str | None = None, body: str = PHISH[1]) -> TicketModel:
    return TicketModel(id=7, subject=PHISH[0], description=body, sender=sender)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The subjects the gate read the text of, in order."""
    seen: list[str] = []

    def counted(subject: str, description: str, *, max_tokens: int = 2000) -> SpamReading:
        seen.append(subject)
        return read_ticket(subject, description, max_tokens=max_tokens)

    monkeypatch.setattr(gate_module, "read_ticket", counted)
    return seen


def _judge(step: SpamStep, ticket: TicketModel, triage: Triage) -> Triage:
    prepared = prepare_ticket(ticket.subject, ticket.description)
    reading = step.read(ticket, prepared)
    return step.judge(ticket, prepared, reading, triage)


def test_a_ticket_the_llm_says_a_customer_wrote_is_never_read(reads: list[str]) -> None:
    step = SpamStep(_gate(), prefix="ai_", max_tokens=2000, read_late=True)
    triage = _triage("llm", "none")
    assert _judge(step, _ticket(), triage) == triage
    assert reads == []


@pytest.mark.parametrize(
    ("engine", "llm", "sender"),
    [
        ("llm", "phishing", None),  # the LLM's word is weighed with the head's
        ("llm", "none", "no-reply@mail-verify.example.net"),  # a sender cue: the head is asked
        ("rules", None, None),  # no LLM: the head decides every ticket
    ],
)
def test_what_the_gate_needs_is_read_once_and_judged_as_before(
    reads: list[str], engine: str, llm: str | None, sender: str | None
) -> None:
    ticket = _ticket(sender)
    triage = _triage(engine, llm)
    step = SpamStep(_gate(), prefix="ai_", max_tokens=2000, read_late=engine == "llm")
    judged = _judge(step, ticket, triage)
    assert reads == [PHISH[0]]
    # The same verdict as the gate gives the reading made at once.
    eager = _gate().judge(ticket, _gate().read(ticket, 2000), triage)
    assert judged.spam is not None
    assert judged.spam == eager.spam


def test_a_run_without_an_llm_reads_while_the_run_holds_the_ticket(reads: list[str]) -> None:
    step = SpamStep(_gate(), prefix="ai_", max_tokens=2000, read_late=False)
    ticket = _ticket()
    reading = step.read(ticket, prepare_ticket(ticket.subject, ticket.description))
    assert isinstance(reading, SpamReading)
    assert reads == [PHISH[0]]


@pytest.fixture
def lures_read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts whose lure families were read (the costly end of a reading), in order."""
    seen: list[str] = []

    def counted(text: str) -> frozenset[str]:
        seen.append(text)
        return lure_families(text)

    monkeypatch.setattr(reading_module, "lure_families", counted)
    return seen


def test_a_long_body_is_taken_while_the_run_holds_it_and_read_only_when_needed(
    lures_read: list[str],
) -> None:
    step = SpamStep(_gate(), prefix="ai_", max_tokens=2000, read_late=True)
    ticket = _ticket(body=PHISH[1] + "\n" + "padding " * 4000)
    reading = step.read(ticket, prepare_ticket(ticket.subject, ticket.description))
    # What waits for the triage is the words the reading is made of, cut to the LLM's budget,
    # not the ticket's body.
    assert callable(reading)
    held = reading.__self__.text  # type: ignore[attr-defined]
    assert len(held) <= budget_chars(2000) + REDACTION_MARGIN + 2 * len(PHISH[0])
    # The LLM's word that a customer wrote it settles it: its lures are never read.
    assert step.judge(ticket, prepare_ticket("", ""), reading, _triage("llm", "none")).spam is None
    assert lures_read == []
    # Where the gate does need it, the reading is the one made at once.
    assert reading() == _gate().read(ticket, 2000)


@pytest.mark.desk(configure=True)
def test_an_llm_run_reads_only_what_the_llm_does_not_settle(
    desk: Desk,
    standin: RunningStandin,
    monkeypatch: pytest.MonkeyPatch,
    reads: list[str],
    lures_read: list[str],
) -> None:
    (phish,) = [m for m in rows("spam_tickets.jsonl") if m["id"] == "held-1"]
    customer = "Refund not arrived"
    log = "\n".join(f"12:{n % 60:02d}:07 sync worker {n} retried the export" for n in range(600))
    spam_id, customer_id, long_id = desk.create(
        [
            # A link to a look-alike host: the proof a stranger's phishing needs to be gated.
            NewTicket(
                phish["subject"],
                phish["description"] + "\n\nhttps://outlook-validate.example/",
                sender=phish["sender"],
            ),
            NewTicket(customer, "My refund for order 5521 has not arrived yet."),
            NewTicket("Export keeps failing", f"The export fails every night. Log:\n{log}"),
        ]
    )
    for name, value in {
        "OPENAI_BASE_URL": standin.url,
        "OPENAI_API_KEY": "sk-test-not-a-real-key",
        "TICKETBOT_MODEL": "stand-in",
    }.items():
        monkeypatch.setenv(name, value)
    result = invoke("run", "--engine", "llm", "--workers", "2")
    assert result.exit_code == 0, result.output
    assert "ai_phishing" in desk.snapshot(spam_id).tags
    assert "ai_phishing" not in desk.snapshot(customer_id).tags
    # The customer's ticket, which the LLM says a customer wrote, was never read for the head,
    # nor the lures of the one too long to hold until its triage.
    assert customer not in reads
    assert "ai_processed" in desk.snapshot(long_id).tags
    assert not [text for text in lures_read if "sync worker" in text]

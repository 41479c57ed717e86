"""The spam gate's parts: the sender cue, how the head, the cues and the LLM are weighed, the
head's file, the LLM's answer, routing, the helpdesks' fields, and ``eval --spam``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from support.cli import invoke

from ticket_processor.errors import ConfigError
from ticket_processor.helpdesks.freshdesk.records import ticket_fields
from ticket_processor.helpdesks.zendesk.records import parse_tickets
from ticket_processor.llm_client.prompt import analysis_schema, coerce_analysis, system_prompt
from ticket_processor.models import (
    Agent,
    Analysis,
    Group,
    Sentiment,
    SpamVerdict,
    Triage,
    Urgency,
    is_spam,
)
from ticket_processor.models import Ticket as TicketModel
from ticket_processor.spam.cues import SenderCues, machine_sender
from ticket_processor.spam.gate import guess, says_automatic
from ticket_processor.spam.head import CLASSES, SpamHead, SpamScore, load_spam_head
from ticket_processor.triage.routing import parse_routes
from ticket_processor.triage.taxonomy import load_taxonomy

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.mark.parametrize(
    ("address", "local"),
    [
        ("MAILER-DAEMON@mx.example.net", "mailer-daemon"),
        ("no-reply@notify.example.com", "no-reply"),
        ("noreply+abc@example.com", "noreply+abc"),
        ("do_not_reply@example.com", "do_not_reply"),
        ("bounces@lists.example.org", "bounces"),
        ("anna.noreply.fan@example.com", None),
        ("replies@example.com", None),
        ("anna@example.com", None),
        (None, None),
        ("not an address", None),
    ],
)
def test_a_machine_sender_is_known_by_its_local_part(
    address: str | None, local: str | None
) -> None:
    assert machine_sender(address) == local


def _head() -> SpamHead:
    zeros = np.zeros((len(CLASSES), 512), np.float32)
    return SpamHead(zeros, np.zeros(len(CLASSES), np.float32), apply_at=0.9, suggest_at=0.5)


def _score(p: float, kind: str = "phishing") -> SpamScore:
    return SpamScore(kind, p, p)  # type: ignore[arg-type]


NO_CUE = SenderCues()
MACHINE = SenderCues(machine="no-reply")


@pytest.mark.parametrize(
    ("p", "cues", "llm", "expected"),
    [
        (0.95, NO_CUE, None, ("phishing", "suggest")),  # the head sure, alone: a stranger's
        (0.95, NO_CUE, "none", ("phishing", "suggest")),  # the LLM disagrees
        (0.95, NO_CUE, "phishing", ("phishing", "apply")),
        (0.7, NO_CUE, None, None),  # the head unsure, alone: nothing
        (0.7, MACHINE, None, ("phishing", "apply")),  # ... with a no-reply sender
        (0.7, NO_CUE, "spam", ("phishing", "apply")),  # ... with the LLM
        (0.1, MACHINE, None, ("auto_sender", "suggest")),  # a sender cue alone
        (0.1, NO_CUE, "spam", ("spam", "suggest")),  # the LLM alone
        (0.1, NO_CUE, None, None),
        (0.1, NO_CUE, "none", None),
        (0.1, SenderCues(helpdesk_spam=True), None, ("spam", "apply")),  # the helpdesk's flag
        (0.1, SenderCues(helpdesk_spam=True), "none", ("spam", "apply")),
    ],
)
def test_the_verdict_weighs_the_head_the_sender_and_the_llm(
    p: float, cues: SenderCues, llm: str | None, expected: tuple[str, str] | None
) -> None:
    found = guess(_score(p), cues, llm, _head())
    assert (None if found is None else (found.kind, found.decision)) == expected


@pytest.mark.parametrize(
    ("p", "lures", "expected"),
    [
        (0.95, {"credential"}, ("phishing", "apply")),  # the head sure, and a lure agrees
        (0.7, {"list"}, ("phishing", "suggest")),  # the head unsure, and one lure
        (0.7, {"list", "offer"}, ("phishing", "apply")),  # ... and two
        (0.35, {"list", "offer"}, ("spam", "suggest")),  # below its threshold, two lures
        (0.35, {"offer"}, None),  # ... one lure: a customer asking about a price
        (0.1, {"list", "offer"}, None),  # the head sure a customer wrote it
    ],
)
def test_a_stranger_s_mail_is_gated_on_two_signals_that_agree(
    p: float, lures: set[str], expected: tuple[str, str] | None
) -> None:
    """The head and what the mail asks of its reader (to leave a list, to click, to confirm a
    password...) are two signals; either alone on a stranger's mail only suggests, or is
    nothing."""
    found = guess(_score(p), NO_CUE, None, _head(), lures=frozenset(lures))
    assert (None if found is None else (found.kind, found.decision)) == expected


@pytest.mark.parametrize(
    ("p", "lures", "expected"),
    [
        (0.95, {"deadline"}, ("phishing", "suggest")),  # "urgent" alone: a customer's word too
        (0.95, {"deadline", "credential"}, ("phishing", "apply")),  # ... with another lure
        (0.7, {"deadline", "offer"}, ("phishing", "suggest")),  # the head unsure: one counts
        (0.7, {"deadline", "offer", "click"}, ("phishing", "apply")),
        (0.95, {"price"}, ("phishing", "suggest")),  # "$29": a customer's word too
        (0.95, {"price", "deadline"}, ("phishing", "suggest")),
        (0.95, {"price", "offer"}, ("phishing", "apply")),
    ],
)
def test_a_deadline_or_a_price_alone_never_gates_a_stranger(
    p: float, lures: set[str], expected: tuple[str, str] | None
) -> None:
    """Customers write "urgent", "immediately" and "$29" as often as bulk mail does: with the
    head, a deadline or a price suggests, and gates only beside another lure."""
    found = guess(_score(p), NO_CUE, None, _head(), lures=frozenset(lures))
    assert (None if found is None else (found.kind, found.decision)) == expected


@pytest.mark.parametrize(
    ("p", "lures", "automatic", "expected"),
    [
        (0.7, {"deadline"}, False, None),  # "URGENT: checkout is down" from a stranger
        (0.7, {"deadline"}, True, ("phishing", "suggest")),  # "for urgent matters" when away
        (0.7, {"price"}, False, None),  # "zweimal 49,90 € abgebucht" from a stranger
        (0.7, {"price"}, True, ("phishing", "suggest")),
        (0.7, {"deadline", "price"}, False, ("phishing", "suggest")),
        (0.7, {"deadline", "link"}, False, ("phishing", "suggest")),
        (0.95, {"deadline"}, False, ("phishing", "suggest")),  # the head alone suggests there
    ],
)
def test_a_deadline_or_a_sum_alone_does_not_make_a_middling_head_a_suggestion(
    p: float, lures: set[str], automatic: bool, expected: tuple[str, str] | None
) -> None:
    """Customers write "urgent" when something is broken and name the sum they were charged,
    and many of their tickets score between the head's thresholds: there a deadline or a sum
    suggests only beside another lure or an automatic message's words."""
    found = guess(_score(p), NO_CUE, None, _head(), automatic=automatic, lures=frozenset(lures))
    assert (None if found is None else (found.kind, found.decision)) == expected


def test_a_lure_makes_the_head_s_machine_a_spammer() -> None:
    """The head sometimes calls bulk mail a machine's; what the mail asks of its reader is bulk
    mail's or phishing's, so without a machine's address or an automatic message's words the
    kind follows the lure."""
    machine = _score(0.7, "auto_sender")
    offer = guess(machine, NO_CUE, None, _head(), lures=frozenset({"click", "offer"}))
    assert offer is not None
    assert (offer.kind, offer.decision) == ("spam", "apply")
    password = guess(machine, NO_CUE, None, _head(), lures=frozenset({"credential", "link"}))
    assert password is not None
    assert password.kind == "phishing"
    away = guess(machine, NO_CUE, None, _head(), automatic=True, lures=frozenset({"deadline"}))
    assert away is not None
    assert away.kind == "auto_sender"


def test_a_machine_s_mail_from_the_head_alone_needs_an_automatic_message_s_words() -> None:
    """The head alone is sure a customer's ticket is a machine's (a courier's parcel left in the
    rain, on an outage hour it never saw): with no machine's address, no LLM and no words of an
    automatic message it is nothing (the long sample tickets in several languages got such
    verdicts); an out-of-office's words, or a no-reply sender, apply."""
    sure = _score(0.95, "auto_sender")
    assert guess(sure, NO_CUE, None, _head(), automatic=False) is None
    away = guess(sure, NO_CUE, None, _head(), automatic=True)
    assert away is not None
    assert away.decision == "apply"
    machine = guess(sure, MACHINE, None, _head())
    assert machine is not None
    assert machine.decision == "apply"
    assert says_automatic("Absence du bureau\nJe suis absente jusqu'au 12 mai.")
    assert not says_automatic("The courier left order 354728 outside my door in the rain.")


def test_the_packaged_head_loads_and_its_file_round_trips(tmp_path: Path) -> None:
    head = load_spam_head()
    assert 0 < head.suggest_at <= head.apply_at <= 1
    assert "spam_examples.jsonl" in head.trained_on
    again = SpamHead.from_json(head.to_json())
    assert np.allclose(again.weights, head.weights, atol=1e-5)
    assert (again.apply_at, again.suggest_at) == (head.apply_at, head.suggest_at)
    bad = tmp_path / "head.json"
    bad.write_text(json.dumps({"version": 1, "classes": ["none", "spam"]}), encoding="utf-8")
    with pytest.raises(ConfigError, match="spam head"):
        load_spam_head(bad)


def test_the_llm_is_asked_for_its_view_only_when_the_gate_is_on() -> None:
    taxonomy = load_taxonomy(None)
    assert "spam" not in analysis_schema(taxonomy)["properties"]
    assert '"spam"' not in system_prompt(taxonomy)
    schema = analysis_schema(taxonomy, spam=True)
    assert schema["properties"]["spam"]["enum"] == ["none", "spam", "phishing", "auto_sender"]
    assert "spam" in schema["required"]
    assert '"spam": who wrote the ticket' in system_prompt(taxonomy, spam=True)
    answer = {
        "category": "account",
        "urgency": "high",
        "sentiment": "neutral",
        "language": "en",
        "summary": "s",
        "confidence": 0.9,
        "spam": "Auto-Sender",
    }
    assert coerce_analysis(answer, taxonomy, spam=True).spam == "auto_sender"
    assert coerce_analysis({**answer, "spam": "maybe"}, taxonomy, spam=True).spam is None
    assert coerce_analysis(answer, taxonomy).spam is None  # not asked: not read


def _triage(spam: SpamVerdict | None) -> Triage:
    analysis = Analysis(
        category="account",
        urgency=Urgency.CRITICAL,
        sentiment=Sentiment.NEGATIVE,
        language="en",
        summary="s",
        confidence=0.95,
    )
    return Triage(analysis=analysis, engine="rules", spam=spam)


ROUTES = """
[[route]]
name = "critical"
when = { urgency = "critical" }
group = "Security"
escalate = true

[[route]]
name = "spam aside"
when = { spam = true }
group = "Spam"
"""


def test_a_spam_ticket_is_routed_only_by_spam_routes_and_never_escalated() -> None:
    router = parse_routes(ROUTES).resolve(
        [Group(1, "Security"), Group(2, "Spam")],
        [Agent(9, "A", "a@example.com", (1,))],
        prefix="ai_",
    )
    ticket = TicketModel(id=1)
    applied = SpamVerdict(kind="phishing", decision="apply", probability=0.99)
    suggested = SpamVerdict(kind="phishing", decision="suggest", probability=0.7)
    assert is_spam(_triage(applied))
    assert not is_spam(_triage(suggested))
    spam = router.decide(ticket, _triage(applied), 0.5)
    assert (spam.group_id, spam.escalate, spam.routes) == (2, False, ("spam aside",))
    customer = router.decide(ticket, _triage(suggested), 0.5)
    assert (customer.group_id, customer.escalate, customer.routes) == (1, True, ("critical",))
    with pytest.raises(ConfigError, match=r"when\.spam"):
        parse_routes('[[route]]\nwhen = { spam = "yes" }\nescalate = true\n')


def test_the_helpdesks_say_who_sent_a_ticket_and_freshdesk_its_own_verdict() -> None:
    via = {"channel": "email", "source": {"from": {"address": "no-reply@x.example"}}}
    (mailed, api), _ = parse_tickets(
        [{"id": 1, "via": via}, {"id": 2, "via": {"channel": "api", "source": {"from": {}}}}]
    )
    assert (mailed.sender, api.sender) == ("no-reply@x.example", None)
    item = {"id": 3, "source": 1, "spam": True, "requester": {"email": "bounce@x.example"}}
    fields = ticket_fields(item)
    assert (fields["sender"], fields["helpdesk_spam"]) == ("bounce@x.example", True)
    assert ticket_fields({"id": 4})["helpdesk_spam"] is False


def test_eval_scores_the_gate_on_a_labelled_file() -> None:
    result = invoke("eval", "--spam", "--json", str(DATA / "spam_tickets.jsonl"))
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)
    assert scores["rows"] == 10
    # A stranger's mail is gated only on proof (``spam/proof.py``): of the ten, the bounce from
    # a mail system's address; the rest are suggested, but an SEO offer the head is unsure of
    # and an out-of-office reply as short as a chat message (``spam/chat.py``), which pass.
    assert scores["precision"] == 1.0
    assert scores["applied"] == {"auto_sender": 1}
    assert sum(scores["suggested"].values()) == 7

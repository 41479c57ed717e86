"""The encoder reads only what the cheap signals cannot decide.

Without an LLM, a ticket that no sender cue, helpdesk flag, automatic message's words or lure
marks can only be suggested by the head alone, from its ``apply_at`` up; a ticket with lures
only needs the head from ``LURE_FLOOR`` up. The lexical screen says where the head would not
reach that, and there no encoder pass is spent (``test_spam_screen_e2e.py``: on each sandbox).
"""

from __future__ import annotations

import itertools
import json
import re
import zlib

import numpy as np
import pytest

from ticket_processor.models import Analysis, Sentiment, Triage, Urgency
from ticket_processor.models import Ticket as TicketModel
from ticket_processor.spam.cues import SenderCues
from ticket_processor.spam.gate import (
    CUSTOMERS_TOO,
    LURE_FLOOR,
    SUGGESTS_ONLY_BESIDE,
    SpamGate,
    head_needed,
    verdict,
)
from ticket_processor.spam.head import CLASSES, SpamHead, SpamScore
from ticket_processor.spam.screen import (
    BUCKETS,
    MAX_WORDS,
    SpamScreen,
    features,
    load_spam_screen,
)

# Plain customers' tickets, none of them in any file the screen or the head was fitted on.
CUSTOMERS = (
    (
        "Cannot change my delivery address",
        "Hi, I moved last week. How do I change the address "
        "on my account so the next box goes to the new flat? Thanks, Priya",
    ),
    (
        "Export to spreadsheet",
        "Is there a way to export my order history as a spreadsheet? I need it for my accountant.",
    ),
    (
        "Passwort vergessen",
        "Hallo, ich komme nicht mehr in mein Konto, der Link zum "
        "Zurücksetzen kommt nicht an. Können Sie helfen? Gruß, Jonas",
    ),
    (
        "Question sur ma commande",
        "Bonjour, ma commande n'est toujours pas arrivée, pouvez-vous "
        "me dire où elle en est ? Merci, Claire",
    ),
    (
        "App crashes on start",
        "Since this morning the app closes as soon as I open it on my "
        "phone. I already reinstalled it.",
    ),
)
# Long customers' tickets, as customers write them (several paragraphs, what they tried, a
# signature), written for this test and in no file the screen or the head was fitted on.
LONG_CUSTOMERS = (
    (
        "Sync stops after the 2.14 update",
        "Hello,\n\nsince we installed version 2.14 on Monday the desktop client stops syncing "
        "after about twenty minutes. The tray icon keeps spinning, and the log file shows the "
        "same line over and over: 'waiting for lock on index.db'. Restarting the client fixes it "
        "for another twenty minutes.\n\nWhat we tried: reinstalling the client, clearing the "
        "cache folder, and moving the library to a local disk instead of the network share. "
        "Nothing changed. Two colleagues on the older version 2.13 do not see it.\n\nOur setup: "
        "Windows 11, 14 seats, about 40,000 files in the shared library. I can send the full "
        "log if that helps.\n\nThanks,\nMarta",
    ),
    (
        "Doppelte Abbuchung im Oktober",
        "Guten Tag,\n\nauf unserem Firmenkonto wurde die Monatsgebühr für Oktober zweimal "
        "abgebucht, einmal am 1. und noch einmal am 3. Oktober, jeweils 49 Euro. In der "
        "Rechnungsübersicht im Kundenbereich sehe ich aber nur eine Rechnung.\n\nKönnen Sie "
        "bitte prüfen, woher die zweite Abbuchung kommt, und sie erstatten? Wir haben in dem "
        "Monat weder den Tarif gewechselt noch Nutzer hinzugefügt.\n\nVielen Dank und "
        "freundliche Grüße\nStefan Brandt\nBuchhaltung",
    ),
    (
        "Export: dates shift by one day",
        "Hi team,\n\nwhen I export the bookings report to CSV, every date is one day earlier "
        "than in the app. A booking on 12 March shows as 11 March in the file. It only happens "
        "for bookings made after 6 pm, so I think it is a time zone thing: our account is set to "
        "Europe/Lisbon.\n\nThis breaks our monthly reconciliation, because the accountant "
        "matches the export against the payment provider's statement. Is there a setting I "
        "missed, or is this a bug on your side?\n\nBest regards,\nJoão",
    ),
)

PHISH = (
    "Your mailbox is full",
    "Dear user, your mailbox quota is exceeded. Verify your password at "
    "http://mail-verify.example.net within 24 hours or your account will be closed.",
)
BOUNCE = (
    "Undeliverable: your message",
    "Delivery has failed to these recipients or groups. The recipient's mailbox is full and "
    "can't accept messages now. This is an automatically generated message.",
)


def _head(kind: str = "phishing") -> SpamHead:
    """A head sure of ``kind`` whatever it reads."""
    weights = np.zeros((len(CLASSES), 512), np.float32)
    bias = np.array([4.0 if name == kind else 0.0 for name in CLASSES], np.float32)
    return SpamHead(weights, bias, apply_at=0.9, suggest_at=0.5)


def _triage() -> Triage:
    analysis = Analysis(
        category="account",
        urgency=Urgency.LOW,
        sentiment=Sentiment.NEUTRAL,
        language="en",
        summary="s",
        confidence=0.9,
    )
    return Triage(analysis=analysis, engine="rules")


@pytest.mark.parametrize(
    ("kind", "lures", "known", "chat", "form", "forwarded"),
    itertools.product(
        ("spam", "phishing", "auto_sender"),
        (
            frozenset(),
            frozenset({"deadline"}),
            frozenset({"deadline", "price"}),
            frozenset({"credential", "link"}),
            frozenset({"list", "click", "offer"}),
        ),
        (None, "organisation"),
        (False, True),
        (False, True),
        (False, True),
    ),
)
def test_where_the_screen_spares_the_head_its_verdict_would_be_a_customer_s(
    kind: str,
    lures: frozenset[str],
    known: str | None,
    chat: bool,
    form: bool,
    forwarded: bool,
) -> None:
    """What ``head_needed`` relies on: with no sender cue, no helpdesk flag, no LLM, no
    automatic message's words and no lure that gates, the head can only suggest, and says
    nothing below ``apply_at`` alone (or beside a deadline or a sum alone) or below
    ``LURE_FLOOR`` beside both; the screen's two thresholds are fitted to those, so the screen
    never costs a mark."""
    head = _head()
    cues = SenderCues(known=known)
    below = LURE_FLOOR if lures - SUGGESTS_ONLY_BESIDE or len(lures) >= 2 else head.apply_at
    gating = bool(lures - CUSTOMERS_TOO)
    spared = not head_needed(cues, None, automatic=False, lures=lures, spares=lambda _: True)
    assert spared is not gating  # a lure that gates always reaches the head
    if chat and len(lures) < 2:  # a chat-like message: the head is not asked at all
        assert not head_needed(
            cues, None, automatic=False, lures=lures, chat=True, spares=lambda _: False
        )
        below = 1.0
    if gating and below < 1.0:
        return
    # Where the screen may spare the head, the most the head could have added is a suggestion.
    for p in np.linspace(0.0, 1.0, 41):
        found = verdict(
            SpamScore(kind, float(p), float(p)),  # type: ignore[arg-type]
            cues,
            None,
            head,
            lures=lures,
            chat=chat,
            form=form,
            forwarded=forwarded,
        )
        assert found is None or not found.applied, (p, found)
    for p in np.linspace(0.0, below, 40, endpoint=below == 1.0):
        found = verdict(
            SpamScore(kind, float(p), float(p)),  # type: ignore[arg-type]
            cues,
            None,
            head,
            lures=lures,
            chat=chat,
            form=form,
            forwarded=forwarded,
        )
        assert found is None, (p, found)


def test_a_cue_an_automatic_message_or_the_llm_always_reaches_the_head() -> None:
    never = lambda _: True  # noqa: E731 - a screen that would spare everything
    assert head_needed(
        SenderCues(machine="no-reply"), None, automatic=False, lures=frozenset(), spares=never
    )
    assert head_needed(
        SenderCues(helpdesk_spam=True), None, automatic=False, lures=frozenset(), spares=never
    )
    assert head_needed(SenderCues(), None, automatic=True, lures=frozenset(), spares=never)
    assert head_needed(SenderCues(), "phishing", automatic=False, lures=frozenset(), spares=never)


def test_the_gate_spares_the_encoder_a_customer_s_ticket_and_reads_a_phisher_s() -> None:
    encoded: list[str] = []

    def encode(texts: list[str]) -> np.ndarray:
        encoded.extend(texts)
        return np.ones((len(texts), 512), np.float32)

    gate = SpamGate(_head(), encode)
    gate.warm()  # loads the screen only
    assert encoded == []
    for number, (subject, body) in enumerate(CUSTOMERS):
        ticket = TicketModel(id=number, subject=subject, description=body)
        judged = gate.judge(ticket, gate.read(ticket), _triage())
        assert judged.spam is None
    assert encoded == []
    phish = TicketModel(id=90, subject=PHISH[0], description=PHISH[1])
    judged = gate.judge(phish, gate.read(phish), _triage())
    assert judged.spam is not None
    assert judged.spam.kind == "phishing"
    # A stranger's phishing whose link wears no brand proves nothing of itself: suggested.
    assert judged.spam.decision == "suggest"
    bounce = TicketModel(
        id=91, subject=BOUNCE[0], description=BOUNCE[1], sender="MAILER-DAEMON@mx.example.net"
    )
    judged = gate.judge(bounce, gate.read(bounce), _triage())
    assert judged.spam is not None
    assert judged.spam.applied
    assert len(encoded) == 2
    assert gate.reads() == {"head_read": 2, "head_spared": len(CUSTOMERS)}


def test_the_packaged_screen_loads_and_a_bad_file_is_refused() -> None:
    screen = load_spam_screen()
    assert screen.weights
    assert 0 <= screen.alone < 1
    assert 0 <= screen.with_lures < 1
    assert SpamScreen.from_json(screen.to_json()) == screen
    raw = json.loads(screen.to_json())
    for broken, says in (
        ({**raw, "buckets": 12}, "buckets"),
        ({**raw, "alone": 2}, "thresholds"),
        ({**raw, "version": 9}, "version 1"),
        ({**raw, "weights": {"-4": 1.0}}, "buckets it does not have"),
    ):
        with pytest.raises(ValueError, match=says):
            SpamScreen.from_json(json.dumps(broken))


@pytest.mark.parametrize("number", [0, 2])
def test_the_packaged_screen_spares_a_long_customer_s_ticket(number: int) -> None:
    """A long ticket is many words, and a screen fitted with bulk mail as its only long texts
    sent most long customers' tickets to the head (an encoder pass each, for a verdict that can
    only be "a customer's"): it now learns from long GitHub issues too (``train_spam_screen``)."""
    subject, body = LONG_CUSTOMERS[number]
    reading = SpamGate().read(TicketModel(id=1, subject=subject, description=body))
    assert not reading.lures
    assert load_spam_screen().spares(reading.text, lures=False)


def _buckets_as_defined(text: str) -> set[int]:
    """``features`` as its docstring defines it: every gram hashed, no word's buckets kept."""
    words = re.findall(r"\w+", text.lower())[:MAX_WORDS]
    grams = words + [f"{a} {b}" for a, b in itertools.pairwise(words)]
    for word in words:
        marked = f"<{word}>"
        grams.extend(marked[i : i + 4] + "#" for i in range(max(len(marked) - 3, 1)))
    return {zlib.crc32(gram.encode("utf-8")) % BUCKETS for gram in grams}


def test_the_screen_reads_the_buckets_its_rows_were_built_from() -> None:
    texts = [f"{subject}\n{body}" for subject, body in CUSTOMERS + LONG_CUSTOMERS]
    texts += ["", "ok", "Ünïcödé wörds, wörds again", "x" * 3000, "word " * (MAX_WORDS + 50)]
    for _ in range(2):  # the second time, each word's buckets are the ones kept
        for text in texts:
            assert features(text) == _buckets_as_defined(text)

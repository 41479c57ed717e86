"""A stranger's mail is gated on proof alone and never without it (``spam/proof.py``,
``spam.gate.verdict``): a bounce's delivery-status fields, a lure with a link to a look-alike
host, bulk mail's structure. What the head, a no-reply address and the lures would gate is a
guess about someone the helpdesk never saw, and only suggested; a mail quoted beneath words of
the sender's own is never gated; a known customer stays under the known-customer rule.

On the sets written for it (``tests/data/spam_genuine_firstday.jsonl``: 20 customers' complaints
and questions in an offer's or a phisher's words and 20 genuine mails from automated-looking
addresses; ``tests/data/spam_proved.jsonl``: 12 spam, phishing and bounce mails that prove
themselves), no genuine mail is gated and every proved one is."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ticket_processor.spam.cues import SenderCues
from ticket_processor.spam.gate import STRANGER_GUESS, SpamGate, guess, verdict
from ticket_processor.spam.head import CLASSES, SpamHead, SpamScore
from ticket_processor.spam.labelled import SpamRow, score_rows
from ticket_processor.spam.proof import lookalike, proof_of

DATA = Path(__file__).resolve().parents[1] / "data"
SURE = SpamScore("phishing", 0.99, 0.99)


def _head() -> SpamHead:
    zeros = np.zeros((len(CLASSES), 512), np.float32)
    return SpamHead(zeros, np.zeros(len(CLASSES), np.float32), apply_at=0.9, suggest_at=0.5)


@pytest.mark.parametrize(
    ("host", "wears"),
    [
        ("paypal.com", False),
        ("www.paypal.co.uk", False),
        ("appleid.apple.com", False),
        ("purchase.example", False),  # "chase" inside another word
        ("pineapple-shop.example", False),
        ("paypa1-secure.example", True),  # a digit for a letter
        ("paypal.com.account-review.example", True),  # the brand as a subdomain
        ("apple.id-verify.example", True),
        ("185.22.14.9", True),
        ("[ip]", True),  # where the text's preparation took out an IP address
        ("xn--pypal-4ve.example", True),
    ],
)
def test_a_look_alike_host_wears_a_brand_it_does_not_belong_to(host: str, wears: bool) -> None:
    assert lookalike(host) is wears


def test_what_proves_a_mail_no_customers() -> None:
    dsn = "Reporting-MTA: dns; mx.example\nFinal-Recipient: rfc822; a@b.example\nStatus: 5.1.1"
    bounce = proof_of(dsn, frozenset(), None, False)
    assert bounce is not None
    assert bounce.kind == "auto_sender"
    # A mail administrator pasting a bounce under a question is a person.
    assert proof_of(dsn + "\nCan you check your SPF record?", frozenset(), None, False) is None
    system = proof_of("Undeliverable", frozenset(), "mailer-daemon", True)
    assert system is not None
    assert system.kind == "auto_sender"
    lure = proof_of("Verify at https://paypa1.example/x", frozenset({"credential"}), None, False)
    assert lure is not None
    assert lure.kind == "phishing"
    assert "paypa1.example" in lure.shown
    # The same link with nothing asked of the reader proves nothing.
    assert proof_of("See https://paypa1.example/x", frozenset({"link"}), None, False) is None
    bulk = proof_of("", frozenset({"list", "offer", "link"}), None, False)
    assert bulk is not None
    assert bulk.kind == "spam"
    assert proof_of("", frozenset({"offer", "link"}), None, False) is None


def test_a_stranger_is_gated_on_proof_alone_and_never_without_it() -> None:
    lures = frozenset({"credential", "link"})
    proved = proof_of("Verify at https://paypa1.example/x", lures, None, False)
    gated = verdict(SpamScore("phishing", 0.1, 0.1), SenderCues(), None, _head(), proof=proved)
    assert gated is not None
    assert gated.applied
    # Without proof, what the head, a no-reply address and the LLM would gate is suggested.
    would = guess(SURE, SenderCues(machine="no-reply"), "phishing", _head(), lures=lures)
    assert would is not None
    assert would.applied
    held = verdict(SURE, SenderCues(machine="no-reply"), "phishing", _head(), lures=lures)
    assert held is not None
    assert held.decision == "suggest"
    assert STRANGER_GUESS in held.reasons
    # Quoted beneath words of the sender's own: a report, never gated, proof or not.
    quoted = verdict(SURE, SenderCues(), None, _head(), lures=lures, proof=proved, quoting=True)
    assert quoted is not None
    assert quoted.decision == "suggest"
    # The helpdesk's own flag still gates; a known customer stays under its rule.
    flagged = verdict(SURE, SenderCues(helpdesk_spam=True), None, _head())
    assert flagged is not None
    assert flagged.applied
    known = verdict(SURE, SenderCues(known="organisation"), None, _head(), proof=proved)
    assert known is not None
    assert known.decision == "suggest"


def _rows(name: str) -> list[tuple[dict[str, str], SpamRow]]:
    found = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        raw = json.loads(line)
        row = SpamRow(raw["subject"], raw["description"], raw["sender"], raw["labels"]["spam"])
        found.append((raw, row))
    return found


def test_no_genuine_first_day_mail_is_gated_and_every_proved_one_is() -> None:
    gate = SpamGate()
    genuine = _rows("spam_genuine_firstday.jsonl")
    assert [raw["kind"] for raw, _ in genuine].count("automated") == 20
    scores = score_rows([row for _, row in genuine], gate)
    assert scores.applied == {}, scores.applied
    proved = score_rows([row for _, row in _rows("spam_proved.jsonl")], gate)
    assert sum(proved.applied.values()) == 12, proved.applied
    assert proved.right_kind == 12

"""The lure families found in the lower-cased text are the ones the case-blind patterns find.

``lure_families`` searches a lower-cased copy with the patterns as written, which is cheaper;
each family is defined by its case-blind pattern (``lures._FAMILIES``), searched here in the
text itself, on every text the spam gate reads in the labelled sets of ``tests/data`` and on
texts whose letters lower-case and match case-blind differently.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ticket_processor.helpdesks.samples import load_samples
from ticket_processor.spam import lures
from ticket_processor.spam.lures import lure_families
from ticket_processor.spam.reading import read_ticket

DATA = Path(__file__).resolve().parents[1] / "data"
SETS = (
    "spam_examples.jsonl",
    "spam_disguised.jsonl",
    "spam_tickets.jsonl",
    "spam_genuine_senders.jsonl",
    "spam_genuine_senders_held_out.jsonl",
    "replies_second.jsonl",
)
# Capitals, and the letters where lower-casing and case-blind matching part.
AWKWARD = (
    "CLICK HERE to UNSUBSCRIBE: VERIFY YOUR ACCOUNT within 24 HOURS, WWW.EXAMPLE.COM",
    "Cl\u0130ck here to opt out, \u0130mmediately",  # a capital I with a dot
    "cl\u0131ck here, \u0131mmediately, v\u0131agra",  # a dotless i
    "\u017feo backlinks, ri\u017fk-free, un\u017fubscribe",  # a long s
    "\u212aLICKEN SIE HIER und bestätigen Sie Ihr Passwort",  # the Kelvin sign
    "DÉSINSCRIPTION: CLIQUEZ ICI, MOT DE PASSE, VÉRIFIEZ VOTRE COMPTE",
    "Confirme su CONTRASEÑA y ACTUALICE SUS DATOS, HAGA CLIC",
    "$ 1,000,000 USD, 50% OFF, BEST PRICE, HTTP : / / WWW . EXAMPLE . COM",
    "HORNY singles, XXX and Erotic pictures, boost your SEXUAL STAMINA",
)


def reading_texts() -> list[str]:
    found = list(AWKWARD)
    for name in SETS:
        for line in (DATA / name).read_text("utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            subject = str(row.get("subject") or "")
            body = str(row.get("body") or row.get("description") or row.get("text") or "")
            found += [read_ticket(subject, body).text, f"{subject}\n{body}"]
    for sample in load_samples():
        found.append(read_ticket(sample.subject, sample.description).text)
    return found


def case_blind(text: str) -> frozenset[str]:
    # A negated urgency ("not urgent") is taken out before any family is read, both ways.
    text = lures._NOT_URGENT.sub(" ", text)
    return frozenset(name for name, pattern in lures._FAMILIES.items() if pattern.search(text))


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return reading_texts()


def test_the_same_families_as_the_case_blind_patterns(texts: list[str]) -> None:
    differ = [
        (text[:80], lure_families(text))
        for text in texts
        if lure_families(text) != case_blind(text)
    ]
    assert not differ, differ[:5]


def test_the_sets_show_every_family(texts: list[str]) -> None:
    # (so the comparison above compares something)
    assert {name for text in texts for name in case_blind(text)} == set(lures._FAMILIES)
    assert all(case_blind(text) for text in AWKWARD)

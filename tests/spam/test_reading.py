"""What the spam gate reads of a ticket, and how it weighs a known customer and a report.

- Look-alike letters, dotted, spaced and leetspeak letters are undone before the head reads;
- a forward's or a quote's sender is judged on their own words, a report ("is this from you?")
  is a customer's ticket, a forward with nothing of its own is judged on what it carries;
- a known customer (an organisation's requester, a known sender) is never gated on a guess.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from ticket_processor.models import Person, Ticket
from ticket_processor.spam import normalise as normalise_module
from ticket_processor.spam.cues import SenderCues, known_sender, sender_cues
from ticket_processor.spam.gate import SpamGate, guess, verdict
from ticket_processor.spam.head import CLASSES, SpamHead, SpamScore
from ticket_processor.spam.normalise import normalise
from ticket_processor.spam.reading import form_message, read_ticket
from ticket_processor.triage.prepare import split_history, trim_history

PHISH = (
    "Dear customer, we noticed unusual activity. Your PayPal account has been limited. "
    "Log in now to restore access: http://paypal-secure.example/login"
)


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("Yоur РаyРаl ассоunt", "Your PayPal account"),  # Cyrillic look-alikes
        ("ｐａｙｐａｌ 𝐯𝐞𝐫𝐢𝐟𝐲", "paypal verify"),  # fullwidth and mathematical letters
        ("log in to p.a.y.p.a.l now", "log in to paypal now"),
        ("log in to p a y p a l now", "log in to paypal now"),
        ("D e a r  c u s t o m e r, l o g  i n", "Dear customer, log in"),
        ("your p4yp4l acc0unt, fr33 gift", "your paypal account, free gift"),
    ],
)
def test_disguised_letters_are_undone(written: str, read: str) -> None:
    assert normalise(written) == read


@pytest.mark.parametrize(
    "text",
    [
        "Привет, у меня не работает оплата по счёту 4471",  # a Russian customer's own words
        "Γεια σας, η πληρωμή μου απέτυχε",  # a Greek one's
        "Error ERR500 since the 1st of March at 10am, h264 video, v1.2, A1B2, $40",
        "I a m here, e.g. at the office",
        "Ich kann mich z.B. mit dem Passwort nicht anmelden",
    ],
)
def test_a_customers_own_words_are_left_as_written(text: str) -> None:
    assert normalise(text) == text


@pytest.mark.parametrize(
    ("header", "own"),
    [
        ("---------- Forwarded message ---------", "Hi, is this really from you?"),
        ("---------- Weitergeleitete Nachricht ----------", "Hallo, kommt die wirklich von Ihnen?"),
        ("-------- Message transféré --------", "Bonjour, j'ai reçu ce message, est-ce de vous ?"),
        ("---------- Mensaje reenviado ---------", "Hola, ¿es de ustedes este correo?"),
        ("---------- Doorgestuurd bericht ---------", "Hallo, is dit echt van jullie?"),
        ("Begin forwarded message:", "Is this from you? I almost clicked it."),
    ],
)
def test_a_forwarded_phishing_mail_is_its_senders_report(header: str, own: str) -> None:
    body = f"{own}\n\n{header}\nFrom: Security <x@pay.example>\nDate: Mon\n\n{PHISH}"
    reading = read_ticket("Fwd: Your account is limited", body)
    assert reading.forwarded
    assert reading.report
    assert "PayPal" not in reading.text  # the head reads their words, not the mail's
    assert split_history(body)[0].strip() == own
    assert trim_history(body).strip() == own  # the LLM reads their words too


def test_a_pasted_phishing_mail_under_a_question_is_a_report() -> None:
    reading = read_ticket("Is this legit?", f"Is this from you? I got this today:\n\n{PHISH}")
    assert reading.report
    assert not reading.forwarded


def test_a_forward_with_nothing_of_its_own_is_judged_on_what_it_carries() -> None:
    body = f"FYI\n\n---------- Forwarded message ---------\nFrom: x@y.example\nDate: Mon\n\n{PHISH}"
    reading = read_ticket("Fwd: Your account is limited", body)
    assert reading.forwarded
    assert not reading.report
    assert "PayPal account has been limited" in reading.text
    quoted = read_ticket("Re: account", "\n".join(f"> {line}" for line in PHISH.split(". ")))
    assert quoted.forwarded
    assert "PayPal account has been limited" in quoted.text


def _head() -> SpamHead:
    zeros = np.zeros((len(CLASSES), 512), np.float32)
    return SpamHead(zeros, np.zeros(len(CLASSES), np.float32), apply_at=0.9, suggest_at=0.5)


@pytest.mark.parametrize("known", ["organisation", "known sender"])
def test_a_known_customer_is_only_suggested_on_the_heads_guess(known: str) -> None:
    sure = SpamScore("phishing", 0.99, 0.99)
    alone = verdict(sure, SenderCues(known=known), None, _head())
    assert alone is not None
    assert alone.decision == "suggest"
    # A customer's own mail administrator writes from postmaster@: still a suggestion.
    machine = verdict(sure, SenderCues(machine="postmaster", known=known), None, _head())
    assert machine is not None
    assert machine.decision == "suggest"
    # The LLM agreeing with the head, or the helpdesk's own flag, still gates.
    llm = verdict(sure, SenderCues(known=known), "phishing", _head())
    assert llm is not None
    assert llm.decision == "apply"
    flagged = verdict(sure, SenderCues(True, known=known), None, _head())
    assert flagged is not None
    assert flagged.decision == "apply"
    # The same head on a stranger's mail that asks for a password would apply (``guess``); the
    # mail proves nothing of itself, so it is suggested too (``proof``).
    stranger = guess(sure, SenderCues(), None, _head(), lures=frozenset({"credential"}))
    assert stranger is not None
    assert stranger.decision == "apply"
    held = verdict(sure, SenderCues(), None, _head(), lures=frozenset({"credential"}))
    assert held is not None
    assert held.decision == "suggest"


def test_a_report_is_a_customers_ticket_whatever_the_head_says() -> None:
    sure = SpamScore("phishing", 0.99, 0.99)
    assert verdict(sure, SenderCues(machine="security"), "phishing", _head(), report=True) is None
    flagged = verdict(sure, SenderCues(True), None, _head(), report=True)
    assert flagged is not None
    assert flagged.applied


def test_who_is_a_known_customer() -> None:
    known = ("billing@acme.example", "@partner.example")
    assert known_sender("Billing@ACME.example", known)
    assert known_sender("anyone@partner.example", known)
    assert not known_sender("billing@acme.example.evil", known)
    assert not known_sender("someone@acme.example", known)
    assert sender_cues(Ticket(id=1, organization_id=7)).known == "organisation"
    by_mail = Ticket(id=2, sender="ops@partner.example")
    assert sender_cues(by_mail, known).known == "known sender"
    by_form = Ticket(id=3, people=(Person(email="billing@acme.example"),))
    assert sender_cues(by_form, known).known == "known sender"
    assert sender_cues(Ticket(id=4, sender="x@else.example"), known).known is None


@pytest.mark.parametrize(
    "subject",
    [
        "Yоur РаyРаl ассоunt is limitеd",
        "Y0ur P4yP4l 4cc0unt 1s l1m1ted",
    ],
)
def test_disguised_phishing_is_seen_by_the_packaged_head(subject: str) -> None:
    """The packaged head on the real encoder: the disguised mail, read undisguised, is phishing
    above the head's suggest threshold; read as written (before the text was normalised) it is
    not phishing (garbled letters read as bulk mail, or below the threshold)."""
    body = {
        "Yоur РаyРаl ассоunt is limitеd": "Dеаr сustоmеr, wе nоtiсеd unusuаl асtivity. Yоur "
        "РаyРаl ассоunt hаs bееn limitеd. Lоg in nоw tо rеstоrе ассеss: http://x.example/login",
        "Y0ur P4yP4l 4cc0unt 1s l1m1ted": "D34r cust0mer, we n0t1ced unusu4l 4ct1v1ty. Y0ur "
        "P4yP4l 4cc0unt h4s been l1m1ted. L0g 1n n0w t0 rest0re 4ccess: http://x.example/login",
    }[subject]
    gate = SpamGate()
    reading = read_ticket(subject, body)
    (score,) = gate.scores([reading.text])
    assert score.kind == "phishing"
    assert score.probability >= gate.head.suggest_at
    (as_written,) = gate.scores([f"{subject}\n{body}"])
    assert as_written.kind != "phishing" or as_written.probability < gate.head.suggest_at


def test_a_web_forms_mail_is_read_as_its_message_and_its_no_reply_address_is_the_forms() -> None:
    body = (
        "Name: Priya Raman\nCompany: Lakeside Hotels\nPhone: 555 0100\n"
        "Message: Our booking page stopped syncing with your calendar. Please call me back."
    )
    assert (
        form_message(body)
        == "Our booking page stopped syncing with your calendar. Please call me back."
    )
    reading = read_ticket("Web form: booking integration down", body)
    assert reading.form
    assert "Lakeside" not in reading.text
    sure = SpamScore("auto_sender", 0.99, 0.99)
    machine = SenderCues(machine="noreply")
    assert verdict(sure, machine, None, _head(), form=True) is None
    # Not a form: a no-reply sender with the head sure would gate (``guess``), as before.
    plain = guess(sure, machine, None, _head())
    assert plain is not None
    assert plain.applied
    # One "Subject:" line is not a form.
    assert form_message("Subject: hello\nMessage: hi") == "Subject: hello\nMessage: hi"


def test_a_mail_administrator_writing_from_postmaster_is_no_machine_without_a_bounces_words() -> (
    None
):
    weak = SpamScore("phishing", 0.7, 0.7)
    postmaster = SenderCues(machine="postmaster")
    assert guess(weak, postmaster, None, _head()) is None
    bounce = guess(weak, postmaster, None, _head(), automatic=True)
    assert bounce is not None
    assert bounce.applied
    assert guess(weak, SenderCues(machine="mailer-daemon"), None, _head()) is not None


def test_a_hostile_megabyte_is_read_no_further_than_the_llms_preparation() -> None:
    huge = ("> quoted line of a forward\n" * 200_000) + "Is this from you?"
    reading = read_ticket("Fwd: x", huge, max_tokens=500)
    assert len(reading.text) < 4_000


def _respelled_as_defined(text: str) -> str:
    """``normalise._respell`` as its docstring defines it, word by word, with no shortcut."""
    to_latin = normalise_module._table()
    is_latin = {c: normalise_module._latin(c) for c in set(text)}
    letters = [c for c in text if c.isalpha()]
    latin_text = sum(is_latin[c] for c in letters) >= 0.5 * max(len(letters), 1)

    def word(match: re.Match[str]) -> str:
        token = match.group(0)
        alike = [c in to_latin for c in token if not is_latin[c]]
        has_latin = any(is_latin[c] and c.isalpha() for c in token)
        if alike and all(alike) and (has_latin or latin_text):
            return "".join(to_latin.get(c, c) if not is_latin[c] else c for c in token)
        return token

    return re.sub(r"[^\W_]+", word, text)


def test_look_alikes_are_respelled_as_defined_in_every_language_the_data_holds() -> None:
    data = Path(__file__).resolve().parents[1] / "data"
    texts = [
        f"{row.get('subject', '')}\n{row.get('description', row.get('text', ''))}"
        for name in ("spam_disguised.jsonl", "spam_examples.jsonl", "bitext_translated.jsonl")
        for line in (data / name).read_text("utf-8").splitlines()
        if line.strip() and isinstance(row := json.loads(line), dict)
    ]
    texts += ["Café crème, 20 €, “quoted”", "Привет", "pаypal", "ｐａｙ", "Straße ½ ①"]
    texts += ["log in to your АСМЕ account"]  # capitals only: Cyrillic А, С, М, Е
    assert sum(not text.isascii() for text in texts) > 100
    for text in texts:
        assert normalise_module._respell(text) == _respelled_as_defined(text)

"""Ticket preparation: trimming, HTML, invisible characters, the budget, redaction, the hash."""

from __future__ import annotations

import time

import pytest

from ticket_processor.evaluation.redaction_corpus import HARMLESS, PII
from ticket_processor.helpdesks.freshdesk.records import plain_text
from ticket_processor.models import Person
from ticket_processor.triage.prepare import (
    RAW_FLOOR_CHARS,
    TRUNCATION_MARK,
    prepare_ticket,
    stored_subject,
)


def test_quoted_history_and_signature_are_cut() -> None:
    body = (
        "Hi team,\n\nThe export button does nothing since the update.\n\n"
        "Best regards,\nJohn Smith\nACME Ltd\n\n"
        "On Mon, Jan 1, 2024 at 10:00 AM Support <support@example.com> wrote:\n"
        "> Thanks for contacting us\n> about your billing question"
    )
    prepared = prepare_ticket("Export broken", body)
    assert prepared.body == "Hi team,\n\nThe export button does nothing since the update."
    assert not prepared.truncated


def test_outlook_history_and_mobile_footer() -> None:
    body = (
        "Refund please.\n\nSent from my iPhone\n\n"
        "-----Original Message-----\nFrom: Shop <shop@example.com>\nSent: Monday\nSubject: order"
    )
    assert prepare_ticket("x", body).body == "Refund please."
    body2 = "Still waiting.\n\nFrom: Support <s@example.com>\nSent: Tuesday\nTo: me\nold text"
    assert prepare_ticket("x", body2).body == "Still waiting."


def test_interleaved_quote_lines_dropped_and_sig_delimiter() -> None:
    body = "> you said\nno, it still fails\n> and then\nreally\n-- \nJane\nCTO"
    assert prepare_ticket("x", body).body == "no, it still fails\nreally"


def test_a_pure_forward_keeps_the_forwarded_text() -> None:
    body = "-----Original Message-----\nFrom: a\nSent: b\nmy printer is broken"
    assert "printer is broken" in prepare_ticket("fwd", body).body


def test_unclosed_script_and_comment_swallow_the_rest() -> None:
    body = "<p>visible</p><!-- hidden --><SCRIPT x>evil()</script >after<script>never"
    assert prepare_ticket("s", body).body == "visible\nafter"


def test_html_to_text_and_gmail_quote() -> None:
    body = (
        "<html><head><style>p{color:red}</style></head><body><div>Hello <b>there</b>&amp; hi"
        "<br>My order is late</div><script>alert(1)</script>"
        '<div class="gmail_quote">On Mon wrote: old stuff</div></body></html>'
    )
    prepared = prepare_ticket("Late", body)
    assert prepared.body == "Hello there& hi\nMy order is late"


@pytest.mark.parametrize(
    "body",
    [
        "My invoice is wrong <script>stealTheCookies()</script>I was charged twice.",
        "My invoice is wrong <STYLE type=text/css>.x{color:red}</style>I was charged twice.",
    ],
)
def test_a_script_or_style_in_a_plain_body_is_dropped(body: str) -> None:
    """No other tag to say the body is HTML: the element's code was kept as the customer's
    words, and came out in the note's summary."""
    assert prepare_ticket("Invoice", body).body == "My invoice is wrong I was charged twice."
    assert " ".join(plain_text(body).split()) == "My invoice is wrong I was charged twice."


def test_freshdesks_html_without_its_text_drops_scripts_as_every_body() -> None:
    body = "<div>Refund please</div><script>alert(1)</script><!-- x --><style>p{}</style>"
    assert plain_text(body) == "Refund please"


def test_control_zero_width_and_bidi_characters_are_stripped() -> None:
    prepared = prepare_ticket("Pay\u200bment\x00 issue", "refund\u202e me\x07 now\ufeff")
    assert prepared.subject == "Payment issue"
    assert prepared.body == "refund me now"


def test_rtl_emoji_and_other_languages_survive() -> None:
    body = "مرحبا، لم يصل طلبي 😡 — 我的订单没有到"
    assert prepare_ticket("طلب", body).body == body


def test_budget_keeps_the_start_and_marks_truncation() -> None:
    body = "Start of the problem. " + "filler words here " * 5000
    prepared = prepare_ticket("Long", body, max_tokens=500)
    assert prepared.truncated
    assert prepared.body.startswith("Start of the problem.")
    assert prepared.body.endswith(TRUNCATION_MARK)
    assert len(prepared.subject) + len(prepared.body) <= 500 * 4 + len(TRUNCATION_MARK)


def test_a_card_on_the_cut_is_redacted_whole() -> None:
    # The budget edge falls inside the card number: no leading digits may leak.
    body = "a" * 1990 + " 4111 1111 1111 1111 end " + "b " * 3000
    prepared = prepare_ticket("s", body, max_tokens=500)
    assert "4111" not in prepared.body
    assert prepared.redactions == {"card": 1}


def test_redaction_of_subject_and_body_is_counted() -> None:
    prepared = prepare_ticket(
        "Call me at +44 20 7946 0958", "mail jane@example.com or j2@example.org"
    )
    assert "[PHONE]" in prepared.subject
    assert prepared.body == "mail [EMAIL] or [EMAIL]"
    assert prepared.redactions == {"phone": 1, "email": 2}


def test_content_hash_folds_case_and_whitespace_only() -> None:
    a = prepare_ticket("Login  broken", "I cannot\n\nlog in")
    b = prepare_ticket("login broken ", "i CANNOT log   in")
    c = prepare_ticket("login broken", "I cannot log out")
    assert a.content_hash == b.content_hash
    assert a.content_hash != c.content_hash
    assert len(a.content_hash) == 64


def test_empty_ticket() -> None:
    prepared = prepare_ticket("", "")
    assert (prepared.subject, prepared.body, prepared.truncated) == ("", "", False)


def test_a_megabyte_body_is_fast() -> None:
    bodies = [
        "x" * 1_000_000,
        "word 4111 " * 100_000,
        "<p>hello</p>" * 85_000,
        "> quoted\n" * 110_000,
        "\u200b" * 1_000_000,
        "<div " * 200_000,
        '<div class="' * 100_000,
        "<p><script>" * 100_000,
        "<p><!--" * 150_000,
        "On " + "a " * 148 + "\n" * 3000,
    ]
    # By ratio against a megabyte of ordinary prose, not by a wall-clock limit: the machine
    # is shared, but a pattern that backtracks on these shapes is hundreds of times slower.
    prose = "The export to CSV fails with an empty file since Monday. " * 18_000
    started = time.perf_counter()
    prepare_ticket("big", prose)
    baseline = max(time.perf_counter() - started, 0.002)
    for body in bodies:
        started = time.perf_counter()
        prepared = prepare_ticket("big", body)
        elapsed = time.perf_counter() - started
        assert elapsed < 30 * baseline, (body[:20], elapsed, baseline)
        assert len(prepared.body) <= 2000 * 4 + len(TRUNCATION_MARK)


PEOPLE = (Person(name="Dana Whitfield", email="dana.whitfield@example.org"),)


@pytest.mark.parametrize("max_tokens", [100, 2000, 100_000])
def test_the_prepared_subject_is_the_stored_subject_whatever_the_budget(max_tokens: int) -> None:
    """The audit store keeps the subject the engine got instead of redacting it again: the same
    text as redacting the subject alone, for every subject of the redaction corpus, a name the
    helpdesk knows, and a subject past every raw cap (then redacted alone, as before)."""
    subjects = [
        *(case[1] for case in PII),
        *(case[1] for case in HARMLESS),
        "Dana Whitfield cannot log in",
        "<b>Refund</b> for card 4111 1111 1111 1111",
        "refund " * (RAW_FLOOR_CHARS // 7 + 1),
    ]
    body = "Please call me back on +44 20 7946 0958. " * 40
    for subject in subjects:
        prepared = prepare_ticket(subject, body, max_tokens=max_tokens, people=PEOPLE)
        assert stored_subject(subject, PEOPLE, prepared) == stored_subject(subject, PEOPLE)


def test_escape_sequences_go_whole_not_only_their_esc_byte() -> None:
    prepared = prepare_ticket(
        "Control \x1b[31mRED\x1b[0m chars", "Hello\x1b]0;pwned\x07 there\x1b[2J, \x1b(B done"
    )
    assert prepared.subject == "Control RED chars"
    assert prepared.body == "Hello there, done"


def test_a_subject_that_reads_like_a_script_is_the_customers_words() -> None:
    # A subject is plain text to both helpdesks: shown escaped, never taken as HTML and dropped.
    prepared = prepare_ticket("<script>alert('hi')</script>", "hello <script>x=1</script> world")
    assert prepared.subject == "<script>alert('hi')</script>"
    assert "x=1" not in prepared.body

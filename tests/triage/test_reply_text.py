"""A reply's new text (``triage.reply_text.strip_reply``): quoted history in six languages,
Outlook's header block, ``>`` lines, signatures and phone footers go; a reply that is all quote
is never emptied; hostile input stays linear."""

from __future__ import annotations

import time

import pytest

from ticket_processor.triage.prepare import budget_chars
from ticket_processor.triage.reply_text import new_text, strip_reply

QUOTED = [
    "On Tue, 3 Mar 2026 at 10:14, Support <support@example.com> wrote:",
    "Am 03.03.2026 um 10:14 schrieb Support <support@example.com>:",
    "Le mar. 3 mars 2026 à 10:14, Support <support@example.com> a écrit :",
    "El mar, 3 mar 2026 a las 10:14, Support (<support@example.com>) escribió:",
    "Op di 3 mrt 2026 om 10:14 schreef Support <support@example.com>:",
    "Em ter., 3 de mar. de 2026 às 10:14, Support <support@example.com> escreveu:",
    "-----Original Message-----",
    "-------- Ursprüngliche Nachricht --------",
    "________________________________",
]


@pytest.mark.parametrize("header", QUOTED)
def test_the_quoted_history_goes(header: str) -> None:
    text = f"It still fails, see the log.\n\n{header}\n> Hello,\n> thanks for your patience!"
    assert strip_reply(text) == "It still fails, see the log."


def test_a_header_wrapped_over_two_lines_and_outlooks_block() -> None:
    wrapped = (
        "Works now.\nOn Tue, 3 Mar 2026 at 10:14, Support Team <support@example.com>\nwrote:\nold"
    )
    assert strip_reply(wrapped) == "Works now."
    outlook = (
        "Any update on this?\n\nFrom: Support <support@example.com>\nSent: Monday, 2 March 2026\n"
        "To: Jane\nSubject: RE: Export\n\nDear Jane, we are on it."
    )
    assert strip_reply(outlook) == "Any update on this?"
    # A line that merely starts with "From:" in the reply itself is kept.
    assert strip_reply("From: my side nothing changed.\nStill broken.") == (
        "From: my side nothing changed.\nStill broken."
    )


@pytest.mark.parametrize(
    "footer",
    [
        "Sent from my iPhone",
        "Von meinem iPhone gesendet",
        "Envoyé de mon iPhone",
        "Enviado desde mi Android",
        "--\nJane Doe | ACME",
        "Best regards,\nJane Doe\nHead of Operations",
        "Mit freundlichen Grüßen\nJana Beispiel",
        "Cordialement,\nJeanne",
        "Saludos,\nJuana",
    ],
)
def test_signatures_and_footers_go(footer: str) -> None:
    assert strip_reply(f"The refund has not arrived.\n\n{footer}") == "The refund has not arrived."


def test_inline_quotes_go_and_the_rest_stays() -> None:
    text = "> Did the export work?\nNo, it did not.\n> Which browser?\nFirefox 130."
    assert strip_reply(text) == "No, it did not.\nFirefox 130."


def test_a_reply_of_only_a_quote_or_a_sign_off_is_not_emptied() -> None:
    assert strip_reply("Thanks!\nJane") == "Thanks!\nJane"
    only = "On Tue, 3 Mar 2026 at 10:14, Support <support@example.com> wrote:\n> hello"
    assert strip_reply(only) != ""
    assert strip_reply("") == ""


def test_hostile_input_stays_linear() -> None:
    hostile = ("On " + "a" * 5000 + "\n") * 200 + "> " * 200_000 + "x" * 1_000_000
    started = time.perf_counter()
    strip_reply(hostile)
    assert time.perf_counter() - started < 5.0  # generous: linear work is milliseconds


def test_a_reply_is_capped_as_a_tickets_body_is() -> None:
    """5 MB of reply: what is judged is cut to the engines' budget (the start, where customers
    say what they want); quotes under each reply still go."""
    huge = "Still broken after the update, the export fails again. " * 95_000
    assert len(huge) > 5_000_000
    text = new_text([huge, "And the invoice is wrong too."], max_tokens=2000)
    assert 0 < len(text) <= budget_chars(2000)
    assert text.startswith("Still broken after the update")
    short = "Still not working.\n\nOn Tue, 3 Mar 2026, Support wrote:\n> Thanks, solved."
    assert new_text([short, "Please call me."], max_tokens=2000) == (
        "Still not working.\n\nPlease call me."
    )

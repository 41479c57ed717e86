"""A contact form's complaint is a customer's, on each sandbox through the CLI, and the reading
behind it.

A web form's mail comes from a no-reply address and ends in the form's footer ("This is an
automated message, do not reply"): those are the form's words, not the customer's. The form's
relayed message is judged on its message field alone, so the footer's automatic words do not
make it a machine's mail; and a sum the customer says they were charged ("two payments of 49
EUR") is their own money, not a price lure. Before, the complaint was gated ``ai_auto_sender``
with its footer, and suggested without it. An out-of-office reply's "until Monday 7 December"
and "for urgent matters" name no deadline the reader must beat.
"""

from __future__ import annotations

import pytest
from support.cli import invoke

from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.spam.chat import with_price
from ticket_processor.spam.lures import lure_families
from ticket_processor.spam.reading import read_ticket

MESSAGE = (
    "I was charged twice for my March subscription, two payments of 49 EUR. Please refund one "
    "of them."
)
FORM = (
    "A new submission was received from your website contact form.\n\n"
    "Name: Tom Baker\nEmail: tom.baker@example.com\n"
    f"Message: {MESSAGE}\n\n"
    "This is an automated message, do not reply to this address."
)
OUT_OF_OFFICE = (
    "Thank you for your email. I am out of the office until Monday 7 December with limited "
    "access to email. For urgent matters please contact my colleague."
)
SPAM_KINDS_TAGS = ("ai_spam", "ai_phishing", "ai_auto_sender", "ai_suggested_spam")


def test_a_forms_message_is_read_without_the_forms_footer() -> None:
    for footer in ("\n\nThis is an automated message, do not reply to this address.",
                   "\nThis is an automated message, do not reply.",
                   "\n\n--\nSent by Acme Forms. Please do not reply to this email."):  # fmt: skip
        body = f"Name: Tom Baker\nEmail: tom@example.com\nMessage: {MESSAGE}{footer}"
        reading = read_ticket("New form submission: Contact us", body)
        assert reading.form
        assert reading.text.endswith("Please refund one of them."), reading.text
    # A form whose whole message is a machine's words keeps them: the first line is the field's.
    only = "Name: x\nEmail: y@example.com\nMessage: This is an automated message, do not reply."
    assert "automated message" in read_ticket("Form", only).text


def test_a_sum_the_customer_paid_is_no_price_but_a_sum_offered_or_phished_is() -> None:
    assert with_price(MESSAGE, frozenset()) == frozenset()
    assert with_price("We paid $120 and got nothing, refund us.", frozenset()) == frozenset()
    assert "price" in with_price("Your account was charged $499.99 for renewal.", frozenset())
    assert "price" in with_price("Special offer: only $29 today!", frozenset({"offer"}))


def test_an_out_of_office_names_no_deadline() -> None:
    assert "deadline" not in lure_families(OUT_OF_OFFICE)
    assert "deadline" not in lure_families("I am away until Monday 7 December.")
    assert "deadline" in lure_families("Urgent: confirm your details within 24 hours.")
    assert "deadline" in lure_families("URGENT! Your account expires today.")


@pytest.mark.desk(configure=True)
def test_a_contact_forms_complaint_is_triaged_as_a_customers(desk: Desk) -> None:
    sender = "no-reply@forms.shop-builder.example"
    with_footer, without_footer, away = desk.create(
        [
            NewTicket("New form submission: Contact us", FORM, sender=sender),
            NewTicket(
                "New form submission: Contact us",
                FORM.rsplit("\n\n", 1)[0],
                sender=sender,
            ),
            NewTicket(
                "Automatic reply: Your ticket", OUT_OF_OFFICE, sender="anna@client-mail.example"
            ),
        ]
    )
    result = invoke("run", "--engine", "rules")
    assert result.exit_code == 0, result.output
    for ticket_id in (with_footer, without_footer):
        snap = desk.snapshot(ticket_id)
        assert not [t for t in snap.tags if t in SPAM_KINDS_TAGS], snap.tags
        assert "ai_category_billing" in snap.tags or "ai_category_refund" in snap.tags, snap.tags
        (note,) = snap.notes
        assert "Spam gate" not in note, note
    # A stranger's out-of-office reply proves nothing of itself (``spam/proof.py``): suggested.
    snap = desk.snapshot(away)
    assert "ai_suggested_spam" in snap.tags, snap.tags
    (note,) = snap.notes
    assert "deadline" not in note, note

"""Four mails the spam gate judged wrongly, on each sandbox, a stranger's first message each:

- "I will be out of office until Monday, please ship order 44120" was gated ``ai_auto_sender``:
  a person who is away asks the desk for something; an automatic reply asks nothing;
- phishing that opens "Is this from you?" got no verdict at all: the report's words were
  enough, wherever they stood. A pasted mail is a customer's report when they also say they
  got it or name it a scam;
- phishing under ``>`` quotes below "can you check this?" passed: the head read the line alone;
- an SEO pitch after a customer-like question passed: the question lowered the head's score.
"""

from __future__ import annotations

import pytest
from support.cli import invoke

from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.spam.reading import read_ticket

KINDS = ("ai_spam", "ai_phishing", "ai_auto_sender")
SUGGESTED = "ai_suggested_spam"
PHISH = (
    "Dear customer, your account has been suspended. Verify your password and card details "
    "within 24 hours at http://secure-login.example-verify.com or your account will be closed."
)
AWAY = NewTicket(
    "Out of office",
    "I will be out of office until Monday, please ship order 44120 to my office address "
    "before Friday. Thanks, Petra",
)
OPENS = NewTicket("Your account", f"Is this from you?\n{PHISH}")
QUOTED = NewTicket(
    "Question", "Hi, can you check this for me?\n" + "\n".join(f"> {s}." for s in PHISH.split(". "))
)
SEO = NewTicket(
    "Invoice question",
    "Hi, where do I find my invoice for March? Also, I noticed your website is not ranking on "
    "Google. Our SEO agency can get you to the first page of Google and increase your traffic "
    "by 300%. Reply for a free audit.",
)


@pytest.mark.desk(configure=True)
def test_the_gate_reads_through_four_disguises(desk: Desk) -> None:
    away, opens, quoted, seo = desk.create([AWAY, OPENS, QUOTED, SEO])
    ran = invoke("run", "--engine", "rules")
    assert ran.exit_code == 0, ran.output
    tags = {
        ticket_id: set(desk.snapshot(ticket_id).tags) for ticket_id in (away, opens, quoted, seo)
    }
    assert not tags[away] & set(KINDS), tags[away]  # a person away, asking: a customer's
    # A verdict each: a stranger's mail with no proof (no look-alike brand's link here) is
    # suggested on a first day, gated once proven; either way it no longer passes.
    assert tags[opens] & {SUGGESTED, "ai_phishing"}, tags[opens]
    assert tags[quoted] & {SUGGESTED, "ai_phishing"}, tags[quoted]
    assert tags[seo] & {SUGGESTED, "ai_spam"}


def test_a_pasted_mail_is_a_report_when_the_customer_says_they_got_it() -> None:
    assert read_ticket("Is this legit?", f"Is this from you? I got this today:\n\n{PHISH}").report
    assert read_ticket("Scam?", f"Is this from you? Looks like a scam.\n\n{PHISH}").report
    assert not read_ticket("Your account", f"Is this from you?\n{PHISH}").report

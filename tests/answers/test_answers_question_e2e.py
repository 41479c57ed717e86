"""A send-mode first run answers a question its article answers at the policy's threshold,
where the gate alone would have waited for ``GATE_ALONE_AT``; a ticket that only tells what
happened to the customer, however close its article, still waits; a question no article
answers gets nothing. On each sandbox, through the CLI, without an LLM, with the shipped gate
and thresholds.

The three questions are told in words of their own against the project's help centre: the
keyword lookup finds their article too weakly for the calibration's 0.9, and the gate puts it
at 0.9 to 0.95, so the run before answered none of them. The two statements sit as close to
an article (the gate at 0.9 and over) but are faults of the customer's own, for a person. The
three questions of the help centre's neighbours (a non-profit discount, a calendar sync, a
keyboard shortcut) have no article.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.answers_desk import create_tickets, linked_articles, outbox, publish_help_centre
from support.cli import invoke

from ticket_processor.sandbox.desks import Desk

QUESTIONS = (
    (
        {
            "subject": "Leaving",
            "description": "How do I shut down our account for good and remove all our data?",
        },
        "delete-account",
    ),
    (
        {
            "subject": "Annual plan second thoughts",
            "description": "I paid for a year last week and I regret it. "
            "Is it possible to cancel and have the money back?",
        },
        "refund-policy",
    ),
    (
        {
            "subject": "Offline",
            "description": "Will the phone app work without internet when I travel?",
        },
        "mobile-offline",
    ),
)
STATEMENTS = (
    {
        "subject": "Empty CSV export",
        "description": "Every export of my contacts to a CSV file comes out empty since this "
        "morning.",
    },
    {
        "subject": "Dark mode",
        "description": "Dark mode switches itself back to light every time I open the app on "
        "my phone.",
    },
)
NO_ARTICLE = (
    {
        "subject": "Non-profit pricing",
        "description": "Do you offer a discount for registered charities and non-profits?",
    },
    {
        "subject": "Calendar",
        "description": "Can tasks with a due date show up in my Google Calendar?",
    },
    {
        "subject": "Shortcut",
        "description": "Is there a keyboard shortcut to create a new task quickly?",
    },
)


@pytest.mark.desk(configure=True)
def test_a_first_send_run_answers_a_question_at_the_threshold_and_waits_on_a_statement(
    desk: Desk, tmp_path: Path
) -> None:
    articles = publish_help_centre(desk)
    cases = [case | {"kind": "answerable"} for case, _ in QUESTIONS]
    cases += [case | {"kind": "person"} for case in STATEMENTS]
    cases += [case | {"kind": "none"} for case in NO_ARTICLE]
    ids = create_tickets(desk, cases)
    env = {"TICKETBOT_ANSWER_MODE": "send"}
    result = invoke("run", "--engine", "llm", env=env)  # no LLM configured: the learned model
    assert result.exit_code == 0, result.output

    mails = {m["ticket_id"]: m for m in outbox(desk)}
    asked = ids[: len(QUESTIONS)]
    assert sorted(mails) == asked, {i: m["body"][:80] for i, m in mails.items()}
    for ticket_id, (_, key) in zip(asked, QUESTIONS, strict=True):
        linked = linked_articles(mails[ticket_id]["body"])
        assert linked & articles[key], (key, mails[ticket_id]["body"])

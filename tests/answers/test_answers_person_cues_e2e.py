"""A send-mode first run does not answer a customer who judges their own copy faulty, or who
writes about what the company already did to their case, even where the ranking is sure of the
article: on each sandbox, through the CLI, without an LLM, with the shipped gate and thresholds.

Both tickets are written close to an article of the project's help centre (the refunds
article, the dark-mode article), close enough that the run before sent that article to both.
But the refund went to a card the bank has since cancelled, and the customer did what the
dark-mode article says and thinks the app is faulty: the article tells how it is done, not what
to do now that it has gone wrong. The general question about refunds beside them is still
answered with its article.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.answers_desk import create_tickets, linked_articles, outbox, publish_help_centre
from support.cli import invoke
from support.e2e import events

from ticket_processor.sandbox.desks import Desk

ANSWERABLE = (
    {
        "subject": "Refund for yearly plan",
        "description": "I bought the yearly plan last week and changed my mind. "
        "Can I cancel and get a refund?",
    },
    "refund-policy",
)
PERSON = (
    {
        "subject": "Refund to a cancelled card",
        "description": "You refunded my yearly plan to the card I paid with, but the bank "
        "has cancelled that card. How do I get the refund?",
    },
    {
        "subject": "Dark mode not switching",
        "description": "How do I switch the app to dark mode? I chose Dark in Settings and "
        "Appearance, but I think the app is faulty.",
    },
)


@pytest.mark.desk(configure=True)
def test_a_first_send_run_leaves_a_faulty_copy_and_the_companys_own_action_to_a_person(
    desk: Desk, tmp_path: Path
) -> None:
    articles = publish_help_centre(desk)
    question, key = ANSWERABLE
    ids = create_tickets(
        desk, [question | {"kind": "answerable"}, *(case | {"kind": "person"} for case in PERSON)]
    )
    env = {"TICKETBOT_ANSWER_MODE": "send"}
    result = invoke("run", "--engine", "llm", env=env)  # no LLM configured: the learned model
    assert result.exit_code == 0, result.output

    mails = {m["ticket_id"]: m for m in outbox(desk)}
    assert sorted(mails) == [ids[0]], {i: m["body"][:80] for i, m in mails.items()}
    linked = linked_articles(mails[ids[0]]["body"])
    assert linked & articles[key], mails[ids[0]]["body"]
    finished = [e for e in events(tmp_path / "logs") if e["event"] == "run_finished"][-1]
    assert finished["answers_refused"].get("own_case") == len(PERSON), finished["answers_refused"]

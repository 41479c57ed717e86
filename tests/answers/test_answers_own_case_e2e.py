"""A question about the customer's own case gets no automatic answer, on each sandbox.

"How do I close my account and delete our data?" is answered from the help centre's article;
the same question naming the customer's own customer number asks someone to act on that one
account, and is refused as ``own_case`` (``answers explain`` names the cue), while the plain
question in the same run is still answered.
"""

from __future__ import annotations

import pytest
from support.answers_desk import create_tickets, linked_articles, outbox, publish_help_centre
from support.cli import invoke

from ticket_processor.sandbox.desks import Desk

PLAIN = {
    "subject": "Close account",
    "description": "How do I close my account and delete our data?",
    "kind": "answerable",
}
OWN = {
    "subject": "Close account",
    "description": "How do I close my account and delete our data? "
    "Our customer number is KD-88412.",
    "kind": "person",
}
SEND = {"TICKETBOT_ANSWER_MODE": "send"}


@pytest.mark.desk(configure=True)
def test_the_own_case_is_refused_and_the_plain_question_answered(desk: Desk) -> None:
    articles = publish_help_centre(desk)
    plain, own = create_tickets(desk, [PLAIN, OWN])
    result = invoke("run", "--engine", "rules", env=SEND)
    assert result.exit_code == 0, result.output

    mails = {m["ticket_id"]: m for m in outbox(desk)}
    assert sorted(mails) == [plain], mails
    linked = linked_articles(mails[plain]["body"])
    assert linked & articles["delete-account"]

    shown = invoke("answers", "explain", str(own), env=SEND)
    assert shown.exit_code == 0, shown.output
    assert "not answered: own_case: the ticket is about the customer's own case" in shown.output
    assert '(identifier "KD-88412")' in shown.output

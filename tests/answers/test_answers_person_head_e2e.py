"""Without an LLM, the person-needed head reads whether a person must act, and that reading
holds the reply back before any threshold: a send-mode run, on each sandbox, through the CLI,
on the learned engine (no LLM configured).

The head is a logistic layer on the encoder's vector (``answers/person_head.json``, plain
numbers), fitted on intents labelled as needing a person or not; here a failed, declined
payment (close in words to "Update your payment method", and caught by no worded guard) is
held back, while a plain how-to question is answered.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from support.answers_desk import create_tickets, outbox, private_notes, publish_help_centre
from support.cli import invoke
from support.e2e import events

from ticket_processor.answers.decide import needs_person
from ticket_processor.answers.own_case import own_case
from ticket_processor.answers.person_head import PersonHead, load_person_head
from ticket_processor.sandbox.desks import Desk

PLAIN = {
    "subject": "Dark theme",
    "description": "How can I switch the app appearance to dark mode?",
    "kind": "answerable",
}
FAILED = {
    "subject": "Payment failed",
    "description": "My payment failed and the card payment was declined.",
    "kind": "person",
}


def test_the_head_is_plain_numbers_and_reads_the_failed_payment_alone() -> None:
    head = load_person_head()
    again = PersonHead.from_json(head.to_json())
    assert np.allclose(again.weights, head.weights, atol=1e-6)
    assert again.threshold == head.threshold
    text = f"{FAILED['subject']}\n{FAILED['description']}"
    # No worded guard reads it: what holds the reply back below is the head.
    assert not needs_person(text)
    assert own_case(text) == ()


@pytest.mark.desk(configure=True)
def test_the_heads_reading_holds_the_reply_back_without_an_llm(desk: Desk, tmp_path: Path) -> None:
    publish_help_centre(desk)
    ids = create_tickets(desk, [PLAIN, FAILED])
    result = invoke("run", "--engine", "llm", env={"TICKETBOT_ANSWER_MODE": "send"})
    assert result.exit_code == 0, result.output

    mailed = sorted({m["ticket_id"] for m in outbox(desk)})
    assert mailed == ids[:1], mailed
    logged = events(tmp_path / "logs")
    refused = {e["ticket_id"]: e["reason"] for e in logged if e["event"] == "answer_refused"}
    assert refused.get(ids[1]) == "person_needed", refused
    assert any("person_needed" in n for n in private_notes(desk, ids[1]))

"""A customer locked out with no backup codes, who asks how to prove who they are and offers a
copy of their ID, is left to a person: on each sandbox, through the CLI, with the sample help
centre ``seed`` publishes (which has the article "Lost phone and two-factor authentication"),
the learned model and no LLM, a first send-mode run answers no such ticket and says why
(``needs_person``).

An outside review found the sample ticket answered with that article on both helpdesks and set
pending: the article says a person verifies the identity, and pending took a locked-out customer
out of the agents' open queue until they wrote again.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.answers_desk import create_tickets, outbox
from support.cli import invoke
from support.e2e import events

from ticket_processor.sandbox.desks import Desk

LOCKED_OUT = {
    "subject": "Lost my phone, locked out by two-factor authentication",
    "description": "My phone was stolen over the weekend and with it the authenticator app. "
    "I don't have the backup codes. How can I prove my identity and reset 2FA? I can send a "
    "copy of my ID.",
    "kind": "person",
}


@pytest.mark.desk(seed=None, configure=True)
def test_a_locked_out_customer_who_must_prove_who_they_are_is_left_to_a_person(
    desk: Desk, tmp_path: Path
) -> None:
    seeded = invoke("seed", "--count", "1")  # the sample help centre, and one sample ticket
    assert seeded.exit_code == 0, seeded.output
    synced = invoke("kb", "sync")
    assert synced.exit_code == 0, synced.output
    (ticket,) = create_tickets(desk, [LOCKED_OUT])
    result = invoke("run", "--engine", "llm", env={"TICKETBOT_ANSWER_MODE": "send"})
    assert result.exit_code == 0, result.output
    assert ticket not in {m["ticket_id"] for m in outbox(desk)}
    refused = [
        e["reason"]
        for e in events(tmp_path / "logs")
        if e["event"] == "answer_refused" and e["ticket_id"] == ticket
    ]
    assert refused == ["needs_person"], refused

"""The demo's own sample customers are not suggested as spam, on each sandbox, in a run with
the rules and with the learned model (the engines the demo falls back to without an LLM).

"URGENT: checkout is down, customers cannot pay" asks for a call "immediately", and "Search
returns nothing for words with accents" says it is "Not urgent at all": the head scores both
between its thresholds (0.53 and 0.71), where a deadline alone, or a negated one, once made
them suggestions. A phishing mail in the same run is still tagged, so the gate did judge.
"""

from __future__ import annotations

import pytest
from support.cli import invoke

from ticket_processor.helpdesks.samples import load_samples
from ticket_processor.sandbox.desks import Desk, NewTicket

SAMPLES = ("URGENT: checkout is down", "Search returns nothing for words with accents")
PHISH = (
    "Your mailbox is full",
    "Dear user, your mailbox quota is exceeded. Verify your password at "
    "http://outlook-mail-verify.example.net within 24 hours or your account will be closed.",
)


@pytest.mark.desk(configure=True)
@pytest.mark.parametrize("engine", ["rules", "learned"])
def test_the_demo_s_urgent_and_not_urgent_samples_are_not_suggested(
    desk: Desk, engine: str
) -> None:
    samples = [s for s in load_samples() if s.subject.startswith(SAMPLES)]
    assert len(samples) == len(SAMPLES)
    sample_ids = desk.create(
        [NewTicket(s.subject, s.description, s.tags, s.priority) for s in samples]
    )
    (phish_id,) = desk.create([NewTicket(*PHISH, sender="it-desk@quota.example.net")])
    result = invoke("run", "--engine", engine)
    assert result.exit_code == 0, result.output
    assert "ai_phishing" in desk.snapshot(phish_id).tags
    for ticket_id in sample_ids:
        tags = desk.snapshot(ticket_id).tags
        assert not [t for t in tags if "spam" in t or t in ("ai_phishing", "ai_auto_sender")], tags

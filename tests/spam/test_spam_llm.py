"""The spam gate with an LLM (the stand-in, which answers the ``spam`` key from a mail's words):
the LLM's view and the head agree on a phishing mail, which is tagged; a customer the LLM says
wrote their ticket is not scored by the head at all."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.answers_desk import rows
from support.cli import invoke
from support.e2e import configure

from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox
from ticket_processor.sandbox.llm_standin.server import RunningStandin


def test_the_llm_and_the_head_agree_on_phishing(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    sandbox: RunningSandbox,
    standin: RunningStandin,
) -> None:
    configure(monkeypatch, tmp_path, sandbox=sandbox, llm_url=standin.url, workers=2)
    (phish,) = [m for m in rows("spam_tickets.jsonl") if m["id"] == "held-1"]
    spam = sandbox.store.create(
        {
            "subject": phish["subject"],
            # A link to a look-alike host: the proof a stranger's mail needs to be gated.
            "comment": {"body": phish["description"] + "\n\nhttps://outlook-validate.example/"},
            "requester": {"email": phish["sender"]},
            "via_id": 4,
        }
    )
    customer = sandbox.store.create(
        {"subject": "Refund", "comment": {"body": "My refund has not arrived yet."}}
    )
    result = invoke("run", "--engine", "llm")
    assert result.exit_code == 0, result.output
    spam_tags = sandbox.store.get(spam["id"])["tags"]
    assert "ai_phishing" in spam_tags
    assert "ai_engine_learned" not in spam_tags  # the LLM triaged it
    customer_tags = sandbox.store.get(customer["id"])["tags"]
    assert not {"ai_spam", "ai_phishing", "ai_auto_sender", "ai_suggested_spam"} & set(
        customer_tags
    )
    notes = [c["body"] for c in sandbox.store.comments(spam["id"]) if not c["public"]]
    assert any("LLM: phishing" in n for n in notes), notes

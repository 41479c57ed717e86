"""What docs/how-to/incidents.md shows on the tutorial's sandbox: after ``ticketbot seed`` and a
first run, an outage told by 32 customers in the same words is suggested as an incident on a
first day, and 31 of them are an ordinary share of an hour of 65 other tickets (judged no
incident, and said so: a first day expects 0.16 of the hour's other tickets of any one kind).
The one-fault test counts copies of one text once, and one text sent by five or more
customers is still one fault: the how-to's outage stays found. No LLM (the learned engine);
``slow``: the encoder loads in about 4 s."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from support.cli import invoke
from support.e2e import events

from ticket_processor.sandbox.desks import NewTicket

pytestmark = [pytest.mark.slow, pytest.mark.desk(seed=None, configure=True, unlimited=True)]


@pytest.mark.parametrize("customers", [31, 32])
def test_the_howtos_outage_on_the_seeded_sandbox(
    desk: Any, monkeypatch: pytest.MonkeyPatch, customers: int
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert invoke("seed").exit_code == 0
    assert invoke("run", "--engine", "learned").exit_code == 0
    reports = desk.create(
        [
            NewTicket(
                "Checkout error 502",
                "The checkout fails with a 502 error when I pay.",
                sender=f"shopper{i}@example.org",
            )
            for i in range(customers)
        ]
    )
    monkeypatch.setenv("TICKETBOT_INCIDENTS", "true")
    ran = invoke("run", "--engine", "learned")
    assert ran.exit_code == 0, ran.output
    found = [e for e in events(Path(os.environ["TICKETBOT_LOG_DIR"])) if e["event"] == "incident"]
    if customers == 31:
        assert found == [], ran.output
        assert "a group of 31 reports judged no incident" in ran.output
    else:
        [incident] = found
        assert incident.get("suggested"), incident
        assert sorted(int(t) for t in incident["tickets"]) == sorted(reports)
        assert "incident suggested: “Checkout error 502”, 32 reports" in ran.output

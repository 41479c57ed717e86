"""``ticketbot demo --serve``: the sandbox's webhooks reach ``serve``, and each ticket is shown
with how long after its creation its note was written (the sandbox's own stamps)."""

from __future__ import annotations

import re

import pytest
from support.cli import invoke

from ticket_processor.commands.demo_serve import NOTE_WITHIN
from ticket_processor.helpdesks.registry import KINDS


@pytest.mark.slow
@pytest.mark.parametrize("helpdesk", list(KINDS))
def test_demo_serve_shows_each_ticket_triaged_seconds_after_creation(helpdesk: str) -> None:
    result = invoke("demo", "--serve", "--helpdesk", helpdesk, "--count", "3")
    assert result.exit_code == 0, result.output
    waits = [float(s) for s in re.findall(r"note written (\d+\.\d+) s later", result.stdout)]
    assert len(waits) == 3, result.stdout
    assert max(waits) < NOTE_WITHIN  # seconds, not the next cron run's minutes
    assert "sends its webhooks to ticketbot serve" in result.stdout
    # each ticket's tags, read after its note: Freshdesk writes the fields second, and a ticket
    # was shown with none
    shown = re.findall(r"note written \d+\.\d+ s later \(([^)]*)\)", result.stdout)
    assert len(shown) == 3, result.stdout
    assert all("ai_category_" in tags for tags in shown), shown

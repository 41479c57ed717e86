"""``ticketbot demo`` says what the spam gate did, in the line ``run`` prints, on each helpdesk:
the demo's run once tagged a sample ticket ``ai_suggested_spam`` and said nothing of it. The
samples are customers' mail: the gate sets none of them aside (it once suggested the German
complaint about a wrong tariff, on the sum in it alone)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support.cli import invoke
from support.e2e import events

from ticket_processor.helpdesks.registry import KINDS
from ticket_processor.spam.run_pass import verdicts_line


@pytest.mark.parametrize("helpdesk", list(KINDS))
def test_the_demo_prints_the_spam_gates_line(helpdesk: str) -> None:
    result = invoke("demo", "--helpdesk", helpdesk)
    assert result.exit_code == 0, result.output
    logs = re.search(r"JSON-lines log: (\S+)", result.output)
    assert logs, result.output
    (judged,) = [e for e in events(Path(logs.group(1))) if e["event"] == "spam_judged"]
    applied, suggested = judged["applied"], judged["suggested"]
    assert isinstance(applied, dict)
    assert isinstance(suggested, int)
    assert (applied, suggested) == ({}, 0), judged["tickets"]
    said = verdicts_line(applied, suggested, dry_run=False, tickets=judged["tickets"])
    assert said in result.output.splitlines(), result.output

"""An automatic reply is never new work, on both helpdesks, through either local engine: an
out-of-office whose stand-in clause carries a problem word and a question ("if your matter is
urgent and you can't wait", "need help sooner?") was judged actionable, the first automatic
reply of each ticket re-triaged as a customer's request; it is ``auto_reply`` now, tagged, no
note added, as a plain out-of-office is."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from support.cli import invoke
from support.clock import FakeClock
from support.e2e import events

from ticket_processor.sandbox.desks import Desk, NewTicket

OUT_OF_OFFICE = (
    "Hello, I am on a business trip until Monday 3 March. If your matter is urgent and you "
    "can't wait, please call my colleague on the main number. Need help sooner? Write to the "
    "team address."
)


@pytest.mark.parametrize("engine", ["rules", "learned"])
@pytest.mark.desk(clock="desk_clock", configure=True)
def test_an_out_of_office_with_a_stand_in_is_an_automatic_reply(
    desk: Desk, desk_clock: FakeClock, tmp_path: Path, engine: str
) -> None:
    (ticket_id,) = desk.create([NewTicket("Export to CSV", "How do I export my contacts?")])
    assert invoke("run", "--engine", engine).exit_code == 0
    first = desk.snapshot(ticket_id)
    desk_clock.advance(5)
    desk.requester_says(ticket_id, OUT_OF_OFFICE)
    desk_clock.now = float(int(time.time()))  # the reply is over a minute old now
    result = invoke("run", "--engine", engine)
    assert result.exit_code == 0, result.output
    judged = [e for e in events(tmp_path / "logs") if e["event"] == "reply_triaged"]
    assert [(e["ticket_id"], e["kind"]) for e in judged] == [(ticket_id, "auto_reply")]
    after = desk.snapshot(ticket_id)
    assert "ai_reply_auto" in after.tags
    assert after.notes == first.notes

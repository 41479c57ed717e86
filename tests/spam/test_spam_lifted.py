"""A customer the spam gate took for a machine gets their ticket back when they write, on each
sandbox, through the CLI.

An automatic reply from a mail system's address is gated (``ai_auto_sender``: a stranger's mail is
gated only on proof, and an automatic message from ``mailer-daemon@`` is one, ``spam/proof.py``);
its requester then writes as a person ("someone is using my account ... lock it now!"). That reply
lifts the verdict: the gate's tag is taken away (the write-back names what it removes and keeps the
rest), the reply is triaged and escalated as a customer's first message would be (a route escalates
account tickets), its note says the verdict is lifted and starts the sentiment trend at the reply
(the out-of-office's "positive" was no customer's). The run's line counts the lift, not a
suggestion no ticket got, and names the ticket; ``ticketbot report`` and the dashboard's overview
count and name it lifted, its latest verdict. Before, the tag stayed, the note said "positive →
..." and the three counted different things.

With an LLM, the reply is read alone: beside the out-of-office as "their first message", the
LLM took the customer's words for the machine's again (its spam view, its sentiment).
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import orjson
import pytest
from support.cli import invoke
from support.clock import FakeClock
from support.dashboard import start_dashboard

from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.sandbox.llm_standin.server import RunningStandin
from ticket_processor.spam.run_pass import verdicts_line

OUT_OF_OFFICE = NewTicket(
    "Automatic reply: Your ticket",
    "Thank you for your email. I am out of the office until Monday 7 December with limited "
    "access to email. For urgent matters please contact my colleague.",
    sender="mailer-daemon@client-mail.example",
)
CUSTOMER_WRITES = (
    "This was me, not a machine: someone is using my account right now and placing orders. "
    "Lock it now!"
)
ROUTES = """
[[route]]
name = "accounts to a person"
when = { category = ["account", "security"] }
escalate = true
"""


@pytest.mark.desk(clock="desk_clock", configure=True)
def test_a_gated_requester_who_writes_as_a_customer_lifts_the_verdict(
    desk: Desk, desk_clock: FakeClock, tmp_path: Path
) -> None:
    (lifted, kept) = desk.create([OUT_OF_OFFICE, OUT_OF_OFFICE])
    routes = tmp_path / "routes.toml"
    routes.write_text(ROUTES, encoding="utf-8")
    env = {"TICKETBOT_ROUTES": str(routes)}
    first = invoke("run", "--engine", "rules", env=env)
    assert first.exit_code == 0, first.output
    for ticket_id in (lifted, kept):
        tags = desk.snapshot(ticket_id).tags
        assert "ai_auto_sender" in tags, tags
        assert "ai_escalated" not in tags, tags

    desk_clock.advance(5)
    desk.requester_says(lifted, CUSTOMER_WRITES)
    desk.requester_says(
        kept,
        "I am out of the office until Monday with no access to e-mail. This is an automatic reply.",
    )
    desk_clock.now = float(int(time.time()))
    second = invoke("run", "--engine", "rules", env=env)
    assert second.exit_code == 0, second.output

    snap = desk.snapshot(lifted)
    assert "ai_auto_sender" not in snap.tags, snap.tags
    assert "ai_category_security" in snap.tags, snap.tags
    assert "ai_escalated" in snap.tags, snap.tags  # escalated as a customer's ticket
    assert "ai_processed" in snap.tags  # the rest of ticketbot's tags stay
    assert len(snap.notes) == 2, snap.notes
    note = snap.notes[-1]
    assert "Spam gate: the auto sender verdict is lifted" in note, note
    trend = next(line for line in note.splitlines() if line.startswith("Sentiment trend:"))
    assert "→" not in trend, trend  # the reply's own sentiment, alone
    assert "positive" not in trend, trend
    # Nowhere else in the note either: no "sentiment positive → ..." among the moves, and the
    # risk's reading starts its trend at the reply too.
    assert "sentiment positive" not in note, note
    assert "trend positive" not in note, note
    assert "ai_auto_sender" in desk.snapshot(kept).tags  # a machine's reply lifts nothing

    # The run's line counts what it did to tickets: one lifted, no phantom suggestion.
    assert f"spam gate: 0 gated, 0 suggested, 1 lifted: lifted #{lifted}" in (
        second.output.splitlines()
    ), second.output

    report = invoke("report", "--json")
    assert report.exit_code == 0, report.output
    spam = orjson.loads(report.output)["spam"]
    assert (spam["gated_tickets"], spam["lifted_tickets"]) == ([kept], [lifted])
    assert (spam["gated_total"], spam["suggested"], spam["lifted"]) == (1, 0, 1)
    text = invoke("report").output.splitlines()
    assert "spam gate: 1 gated (auto_sender 1), 0 suggested, 1 lifted" in text, text
    assert f"  lifted: #{lifted}" in text, text

    with start_dashboard() as url:
        overview = httpx.get(url + "/", headers={"accept": "text/html"}, timeout=30).text
    assert "Spam gate: 1 gated, 0 suggested, 1 lifted</h2>" in overview
    row = overview.split('<tr data-spam="lifted">')[1].split("</tr>")[0]
    assert f'<a href="/tickets/{lifted}">#{lifted}</a>' in row
    gated_row = overview.split('<tr data-spam="auto_sender">')[1].split("</tr>")[0]
    assert f"#{lifted}<" not in gated_row


@pytest.mark.desk(clock="desk_clock", configure=True)
def test_with_an_llm_the_reply_is_read_without_the_machines_first_message(
    desk: Desk, desk_clock: FakeClock, standin: RunningStandin, tmp_path: Path
) -> None:
    (ticket_id,) = desk.create([OUT_OF_OFFICE])
    routes = tmp_path / "routes.toml"
    routes.write_text(ROUTES, encoding="utf-8")
    env = {
        "TICKETBOT_ROUTES": str(routes),
        "OPENAI_BASE_URL": standin.url,
        "OPENAI_API_KEY": "sk-test-not-a-real-key",
        "TICKETBOT_MODEL": "stand-in",
    }
    assert invoke("run", "--engine", "llm", env=env).exit_code == 0
    assert "ai_auto_sender" in desk.snapshot(ticket_id).tags
    desk_clock.advance(5)
    desk.requester_says(ticket_id, CUSTOMER_WRITES)
    desk_clock.now = float(int(time.time()))
    result = invoke("run", "--engine", "llm", env=env)
    assert result.exit_code == 0, result.output
    snap = desk.snapshot(ticket_id)
    assert "ai_auto_sender" not in snap.tags, snap.tags
    assert "ai_escalated" in snap.tags, snap.tags
    note = snap.notes[-1]
    assert "verdict is lifted" in note, note
    trend = next(line for line in note.splitlines() if line.startswith("Sentiment trend:"))
    assert "positive" not in trend, trend  # the out-of-office's "thank you" is not theirs


def test_the_run_line_names_its_tickets_bounded() -> None:
    tickets = {"phishing": list(range(1, 12)), "spam": [40], "suggested": [20], "lifted": [30]}
    line = verdicts_line({"phishing": 11, "spam": 1}, 1, dry_run=False, lifted=1, tickets=tickets)
    assert line == (
        "spam gate: 12 gated (phishing 11, spam 1), 1 suggested, 1 lifted: "
        "gated #1, #2, #3, #4, #5, #6, #7, #8, #9, #10 and 2 more; suggested #20; lifted #30"
    )
    assert (
        verdicts_line({"spam": 1}, 0, dry_run=True)
        == "spam gate: 1 would gate (spam 1), 0 suggested"
    )

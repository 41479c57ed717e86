"""Shadow mode on each sandbox: ``run --shadow`` leaves every ticket exactly as it was, keeps
its own cursor, and once agents have labelled and solved the tickets (their own tags, through a
stated mapping), ``report`` shows per field how often the shadow decision matched. The first
live run afterwards starts from now."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from support.cli import invoke
from support.e2e import events

from ticket_processor.sandbox.desks import Desk, NewTicket

pytestmark = pytest.mark.desk(configure=True)
TICKETS = [
    NewTicket("Refund", "I want a refund for order 4411, money back please."),
    NewTicket("Invoice", "Please send me the invoice for last month."),
    NewTicket("Crash", "The app crashes with an error when I save."),
    NewTicket("Password", "I forgot my password and cannot log in."),
    NewTicket("Parcel", "My parcel never arrived, tracking is stuck."),
]
TEAM = ["refund", "billing", "bug", "account", "billing"]  # the last one: agents disagree


def test_shadow_writes_nothing_and_report_shows_the_agreement(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.setenv("TICKETBOT_SHADOW_LABELS", "category=tag:team_cat_")
    ids = desk.create(TICKETS)
    before = {i: desk.held(i) for i in ids}
    ran = invoke("run", "--shadow", "--engine", "rules")
    assert ran.exit_code == 0, ran.output
    assert "shadow run: nothing was written" in ran.output
    assert {i: desk.held(i) for i in ids} == before  # not a tag, not a note, not a stamp
    decided = {
        e["ticket_id"]: e["category"]
        for e in events(tmp_path / "logs")
        if e["event"] == "ticket_triaged" and e.get("shadow")
    }
    assert set(decided) == set(ids)
    assert (tmp_path / "state" / "shadow").is_dir()  # its own cursor and state
    assert not (tmp_path / "state" / "cursor.json").exists()

    for ticket_id, category in zip(ids, TEAM, strict=True):
        desk.agent_solves(ticket_id, tags=[f"team_cat_{category}"])  # their own label
    again = invoke("run", "--shadow", "--engine", "rules")
    assert again.exit_code == 0, again.output

    report = invoke("report", "--json")
    assert report.exit_code == 0, report.output
    [category] = [
        a for a in json.loads(report.output)["shadow_agreement"] if a["field"] == "category"
    ]
    expected = sum(decided[i] == team for i, team in zip(ids, TEAM, strict=True))
    assert category["compared"] == len(ids)
    assert category["agreed"] == expected
    assert 0 < expected < len(ids)  # some right, the parcel one not: the figure can fail
    text = invoke("report")
    assert "Shadow runs" in text.output


def test_going_live_after_shadow_starts_from_now(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    old = desk.create(TICKETS[:2])
    assert invoke("run", "--shadow", "--engine", "rules").exit_code == 0
    time.sleep(1.1)  # the export's start time is to the second: "now" is after these
    live = invoke("run", "--engine", "rules")
    assert live.exit_code == 0, live.output
    time.sleep(1.1)  # the export's start time is to the second
    [new] = desk.create(TICKETS[2:3])
    assert invoke("run", "--engine", "rules").exit_code == 0
    for ticket_id in old:
        assert desk.snapshot(ticket_id).notes == []  # the shadow week's tickets: backfill's
    assert len(desk.snapshot(new).notes) == 1

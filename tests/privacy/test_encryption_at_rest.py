"""Customers' text encrypted at rest, on every helpdesk: with a key from ``privacy keygen``,
a backlog with 20 distinctive phrases (raw subjects kept, addresses in them) is triaged, and
none of the phrases nor the addresses is in the raw bytes of the state directory (the audit
store in it) or the logs; the dashboard shows the subjects, ``report``, the next run
and ``revert`` work; without the key, or with another, every command refuses with the file
named (exit 4) and changes nothing."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
from pathlib import Path

import httpx
import orjson
import pytest
from support.cli import invoke
from support.dashboard import TOKEN, bearer, start_dashboard

from ticket_processor.exitcodes import ExitCode
from ticket_processor.sandbox.desks import Desk, NewTicket

pytestmark = pytest.mark.desk(configure=True)

PHRASES = [
    "Zephyrglass", "Quokkaplanter", "Vantablue", "Marigoldium", "Snorkelberry",
    "Thistlewick", "Brambleforge", "Cobaltwhisker", "Puddingstone", "Lanternfish",
    "Copperkettle", "Mistralfern", "Obsidianlark", "Pepperwhorl", "Quillbarrow",
    "Rosethorne", "Saffronwisp", "Tumbleweedle", "Umberglade", "Willowquartz",
]  # fmt: skip
ADDRESSES = [f"customer.{n}@privacy-example.org" for n in range(4)]


def _backlog(desk: Desk) -> list[int]:
    tickets = []
    for n in range(4):
        words = PHRASES[n * 5 : n * 5 + 5]
        tickets.append(
            NewTicket(
                f"{words[0]} {words[1]} refund for {ADDRESSES[n]}",
                f"My {words[2]} order is broken. {words[3]} {words[4]} please refund it.",
                requester_name=f"Customer {words[4]}",
                sender=ADDRESSES[n],
            )
        )
    return desk.create(tickets)


def _stored(*roots: Path) -> bytes:
    """Every file's bytes: the state directory (the audit store in it) and the logs."""
    return b"".join(
        p.read_bytes() for root in roots for p in sorted(root.rglob("*")) if p.is_file()
    )


def _snapshot(*roots: Path) -> dict[str, str]:
    return {
        str(p): hashlib.sha256(p.read_bytes()).hexdigest()
        for root in roots
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_encrypted_at_rest_and_refused_without_the_key(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = tmp_path / "ticketbot.key"
    made = invoke("privacy", "keygen", str(key))
    assert made.exit_code == 0, made.output
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert invoke("privacy", "keygen", str(key)).exit_code == ExitCode.CONFIG  # never overwritten
    monkeypatch.setenv("TICKETBOT_ENCRYPTION_KEY_FILE", str(key))
    monkeypatch.setenv("TICKETBOT_AUDIT_RAW_SUBJECTS", "true")
    state, logs = tmp_path / "state", tmp_path / "logs"
    ids = _backlog(desk)
    first = invoke("run", "--since", "2000-01-01T00:00:00Z")
    assert first.exit_code == 0, first.output

    stored = _stored(state, logs).lower()
    assert (state / "replies.json").read_bytes().startswith(b"TBSEAL1\n")
    for word in [*PHRASES, *ADDRESSES]:
        assert word.lower().encode() not in stored, word
    with sqlite3.connect(state / "audit.sqlite3") as db:
        query = "SELECT count(*) FROM decisions WHERE subject LIKE 'tbseal1:%'"
        (subjects,) = db.execute(query).fetchone()
    assert subjects == len(ids)

    with start_dashboard(env={"TICKETBOT_DASHBOARD_TOKEN": TOKEN}) as url:
        page = httpx.get(url + "/tickets", headers=bearer(), timeout=30).text
        one = httpx.get(url + f"/tickets/{ids[0]}", headers=bearer(), timeout=30)
    assert "Zephyrglass Quokkaplanter refund" in page
    assert one.status_code == 200
    assert "Zephyrglass" in one.text
    report = invoke("report")
    assert report.exit_code == 0, report.output
    desk.create([NewTicket("Password reset", "Please reset my password.")])
    second = invoke("run")
    assert second.exit_code == 0, second.output
    run_id = next(
        e["run_id"]
        for path in sorted(logs.glob("*.jsonl"))
        for e in map(orjson.loads, path.read_bytes().splitlines())
        if e.get("event") == "run_started"
    )

    before = _snapshot(state, logs)
    other = tmp_path / "other.key"
    assert invoke("privacy", "keygen", str(other)).exit_code == 0
    for env in (
        {"TICKETBOT_ENCRYPTION_KEY_FILE": None},
        {"TICKETBOT_ENCRYPTION_KEY_FILE": str(other)},
    ):
        for command in (
            ["run"],
            ["report"],
            ["dashboard"],
            ["revert", "--run", run_id],
            ["privacy", "export", "--ticket", str(ids[0])],
        ):
            refused = invoke(*command, env=env)
            assert refused.exit_code == ExitCode.KEY, (command, refused.output)
            assert "replies.json" in refused.output, refused.output
            assert "TICKETBOT_ENCRYPTION_KEY" in refused.output
    assert _snapshot(state, logs) == before

    reverted = invoke("revert", "--run", run_id)
    assert reverted.exit_code == 0, reverted.output
    assert os.environ["TICKETBOT_ENCRYPTION_KEY_FILE"] == str(key)

"""``serve``'s catch-up on each helpdesk: the very first start reads nothing from before it; a
restart finds the tickets created while the server was stopped (no webhook reached it) and
triages each once; on Freshdesk, a customer's reply made while it was stopped is judged too."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from support.e2e import events
from support.serving import delivery_for, serve_env, serving

from ticket_processor.run.catchup import CATCH_UP_FILE
from ticket_processor.sandbox.desks import Desk, NewTicket

ANGRY = (
    "This is the third time I am asking and still no answer. This is unacceptable, "
    "I am cancelling my subscription today!"
)


def _passes(logs: Path, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
    """The catch-up passes logged, once there are ``count``."""
    deadline = time.monotonic() + timeout
    while True:
        found = (
            [e for e in events(logs) if e["event"] == "serve_caught_up"] if logs.is_dir() else []
        )
        if len(found) >= count:
            return found
        assert time.monotonic() < deadline, "no catch-up pass was logged"
        time.sleep(0.05)


def _notes(desk: Desk, ticket: int, count: int, timeout: float = 30.0) -> int:
    deadline = time.monotonic() + timeout
    while len(desk.snapshot(ticket).notes) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return len(desk.snapshot(ticket).notes)


@pytest.mark.desk(seed=None, unlimited=True)
def test_the_first_start_takes_nothing_older_and_a_restart_catches_up(
    desk: Desk, tmp_path: Path
) -> None:
    [older] = desk.create([NewTicket("Refund not received", "I was charged twice, refund me.")])
    time.sleep(2.0)  # the helpdesk stamps to the second: older is older than the first start
    env = serve_env(desk.env(), tmp_path)
    logs = tmp_path / "logs"
    with serving(env) as server:
        [first] = _passes(logs, 1)
        assert (first["stored"], first["complete"]) == (0, True)
        server.drained()
    assert desk.snapshot(older).notes == []  # the cron run's (or backfill's), not the server's
    assert (tmp_path / "state" / "serve" / CATCH_UP_FILE).is_file()

    time.sleep(1.1)  # the first start counts from its next whole second
    [missed] = desk.create([NewTicket("Cannot log in", "The password reset mail never comes.")])
    with serving(env) as server:  # no webhook named it: the catch-up finds it
        second = _passes(logs, 2)[-1]
        assert second["stored"] == 1, second
        assert _notes(desk, missed, 1) == 1
        server.drained()
    assert len(desk.snapshot(missed).notes) == 1
    assert desk.snapshot(older).notes == []  # the overlap never reaches before the first start


@pytest.mark.desk(kinds=("freshdesk",), seed=None, unlimited=True, configure=True)
def test_a_reply_made_while_stopped_is_judged_after_the_restart(desk: Desk, tmp_path: Path) -> None:
    env = serve_env(desk.env(), tmp_path)
    logs = tmp_path / "logs"
    with serving(env) as server:
        _passes(logs, 1)
        [ticket] = desk.create([NewTicket("Export to CSV", "How do I export my contacts?")])
        # No webhook set up here: the test delivers the creation as the helpdesk would.
        assert server.deliver(desk.kind, *delivery_for(desk.kind, ticket)).status_code == 200
        server.drained()
    assert len(desk.snapshot(ticket).notes) == 1
    time.sleep(1.1)  # the reply after the triage's second
    desk.requester_says(ticket, ANGRY)
    with serving(env) as server:
        _passes(logs, 2)
        assert _notes(desk, ticket, 2) == 2
        server.drained()
    after = desk.snapshot(ticket)
    assert len(after.notes) == 2, after.notes
    assert "ai_sentiment_negative" in after.tags
    [replied] = [e for e in events(logs) if e["event"] == "reply_triaged"]
    assert replied["source"] == "serve"


@pytest.mark.desk(kinds=("zendesk",), seed=None, unlimited=True)
def test_an_unreadable_mark_is_said_and_started_again_from_now(desk: Desk, tmp_path: Path) -> None:
    mark = tmp_path / "state" / "serve" / CATCH_UP_FILE
    mark.parent.mkdir(parents=True)
    mark.write_text("{not json", "utf-8")
    [older] = desk.create([NewTicket("Refund not received", "I was charged twice, refund me.")])
    time.sleep(2.0)
    logs = tmp_path / "logs"
    with serving(serve_env(desk.env(), tmp_path)) as server:  # it starts all the same
        [caught] = _passes(logs, 1)
        assert caught["stored"] == 0
        server.drained()
    # The start's sweep of the state directory sets the damaged mark aside with its warning
    # (state/sweep.py); the catch-up then starts from now, as after a reset.
    [warned] = [
        e
        for e in events(logs)
        if e["event"] in ("serve_catch_up_reset", "state_file_set_aside")
        and e.get("file") == CATCH_UP_FILE
    ]
    assert warned["level"] == "warning"
    assert "not JSON" in warned["reason"] or "unreadable" in warned["reason"]
    assert set(json.loads(mark.read_text("utf-8"))) == {"first", "since"}  # written anew
    assert desk.snapshot(older).notes == []  # from now: nothing older is taken

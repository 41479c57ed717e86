"""What ``serve`` triaged reaches the cron run's rising counts and incident grouping
(``journal.served``): the journal's hand-over, then both sandboxes through a real server and a
real ``ticketbot run``."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from support.cli import invoke
from support.e2e import events
from support.incident_scenario import LOADERS, history_ticket, scenario
from support.serving import delivery_for, serve_env, serving
from support.webhook import Receiver

from ticket_processor.journal import served as served_seen
from ticket_processor.journal.served import (
    FILE,
    TAKING,
    Seen,
    SeenJournal,
    merged_counts,
    take_seen,
)
from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.topics.rising import load_counts

SIGHTING = {
    "ticket_id": 7,
    "subject": "Checkout fails",
    "text": "Checkout fails\nError 500 at checkout, [email] here.",
    "requester": 42,
    "created": 1_795_000_000,
    "category": "bug",
    "open": True,
    "subcategory": None,
}


def test_the_run_takes_the_journal_whole_and_the_server_starts_a_new_one(tmp_path: Path) -> None:
    journal = SeenJournal(tmp_path)
    journal.record(Seen(7, "2026-11-25", {"bug": 1}, SIGHTING))
    journal.record(Seen(8, None, {"billing": 1, "billing/refund": 1}))

    taken = take_seen(tmp_path)
    assert [s.ticket_id for s in taken.items] == [7, 8]
    assert taken.sightings() == [SIGHTING]
    journal.record(Seen(9, "2026-11-25", {"bug": 1}))  # while the run works: the next run's
    assert merged_counts(taken.counts()) == {
        "2026-11-25": {"bug": 1},
        None: {"billing": 1, "billing/refund": 1},
    }
    taken.done()
    assert not (tmp_path / TAKING).exists()
    assert [s.ticket_id for s in take_seen(tmp_path).items] == [9]


def test_a_run_that_died_before_done_takes_the_same_file_again(tmp_path: Path) -> None:
    journal = SeenJournal(tmp_path)
    journal.record(Seen(7, "2026-11-25", {"bug": 1}))
    take_seen(tmp_path)  # and no done(): killed before the counts were saved
    journal.record(Seen(8, "2026-11-25", {"bug": 1}))
    again = take_seen(tmp_path)
    assert [s.ticket_id for s in again.items] == [7]
    again.done()
    assert [s.ticket_id for s in take_seen(tmp_path).items] == [8]


def test_nothing_to_take_and_a_run_that_does_not_count_take_nothing(tmp_path: Path) -> None:
    assert take_seen(tmp_path).items == []
    take_seen(tmp_path).done()  # nothing to remove
    SeenJournal(tmp_path).record(Seen(7, None, {"bug": 1}))
    assert take_seen(tmp_path, leave=True).items == []
    assert (tmp_path / FILE).is_file()  # left for a run that counts


@pytest.mark.parametrize(
    "line",
    [
        b"not json",
        b'{"id": 1}',
        b'{"id": 1, "day": "yesterday", "keys": {"bug": 1}}',
        b'{"id": "x", "day": null, "keys": {"bug": 1}}',
        b'{"id": 1, "day": null, "keys": ["bug"]}',
    ],
)
def test_a_line_that_does_not_parse_is_skipped(tmp_path: Path, line: bytes) -> None:
    good = orjson.dumps({"id": 2, "day": "2026-11-25", "keys": {"bug": 1}})
    (tmp_path / FILE).write_bytes(line + b"\n" + good + b"\n")
    assert [s.ticket_id for s in take_seen(tmp_path).items] == [2]


def test_a_sighting_of_the_wrong_shape_is_dropped_and_its_counts_kept(tmp_path: Path) -> None:
    bad = {**SIGHTING, "requester": "42"}
    line = orjson.dumps({"id": 7, "day": None, "keys": {"bug": 1}, "sighting": bad})
    (tmp_path / FILE).write_bytes(line + b"\n")
    [seen] = take_seen(tmp_path).items
    assert (seen.keys, seen.sighting) == ({"bug": 1}, None)


def test_a_journal_no_run_takes_stops_growing_and_says_so_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(served_seen, "MAX_BYTES", 200)
    journal = SeenJournal(tmp_path)
    with caplog.at_level(logging.WARNING, logger=served_seen.__name__):
        for n in range(20):
            journal.record(Seen(n, "2026-11-25", {"bug": 1}))
    assert (tmp_path / FILE).stat().st_size <= 200
    assert len([r for r in caplog.records if "no cron run has taken" in r.message]) == 1


@pytest.mark.desk(seed=None, unlimited=True)
def test_what_serve_triaged_joins_the_next_runs_rising_counts(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    refunds = [NewTicket(f"Refund {n}", f"My money back for order {n}, refund") for n in range(6)]
    tickets = desk.create(refunds)
    env = serve_env(desk.env(), tmp_path)
    with serving(env) as server:
        for ticket in tickets:
            body, headers = delivery_for(desk.kind, ticket, invocation=f"inv-{ticket}")
            assert server.deliver(desk.kind, body, headers).status_code == 200
        server.drained()
    assert [len(desk.snapshot(t).notes) for t in tickets] == [1] * len(tickets)
    state = tmp_path / "state"
    assert (state / "serve" / FILE).is_file()

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = invoke("run", "--engine", "rules")
    assert result.exit_code == 0, result.output
    assert "triaged=0 " in result.output  # serve wrote them all
    today = datetime.now(UTC).date().isoformat()
    assert load_counts(state).days[today]["refund"] == 6
    assert not (state / "serve" / FILE).exists()
    assert not (state / "serve" / TAKING).exists()
    [counted] = [e for e in events(tmp_path / "logs") if e["event"] == "served_counted"]
    assert (counted["tickets"], counted["sightings"]) == (6, 0)  # incidents off: no texts kept


@pytest.mark.slow
@pytest.mark.desk(raw=True, configure=True)
# Two cron runs and a server triaging an hour of 300 tickets: about a minute alone on a 2-core
# machine, longer beside the slow suite's other workers; the bound catches a hang.
@pytest.mark.timeout(600)
def test_an_outage_serve_triaged_is_grouped_by_the_next_run(
    desk_kind: str, desk: Any, receiver: Receiver, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The incident scenario's outage hour, every ticket of it triaged by ``serve`` (incidents
    on): the next cron run triages none of them itself and still links the outage's reports into
    one incident and alerts once, from the sightings the server kept."""
    now = int(time.time())
    specs = scenario(300, now=now)
    load = LOADERS[desk_kind]
    monkeypatch.setenv("TICKETBOT_INCIDENTS", "true")
    monkeypatch.setenv("TICKETBOT_ALERT_WEBHOOK", receiver.url)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    # The week first, and a cron run that learns it: from then on the window only grows by
    # the tickets a run is handed, its own and (here, all of them) the server's.
    first = sum(1 for s in specs if s.created_at < now - 3600)
    load(desk, [history_ticket(now)])  # the helpdesk's own week, which linking needs
    ids = load(desk, specs[:first])
    learned = invoke("run", "--since", "1h", "--engine", "rules")
    assert learned.exit_code == 0, learned.output
    ids += load(desk, specs[first:])
    hour = ids[first:]
    outage = {ids[i] for i, s in enumerate(specs) if s.label == "outage"}
    assert outage <= set(hour)

    with serving(serve_env({}, tmp_path)) as server:
        for ticket in hour:
            body, headers = delivery_for(desk_kind, ticket, invocation=f"inv-{ticket}")
            assert server.deliver(desk_kind, body, headers).status_code == 200
        server.drained(timeout=120)
    assert receiver.bodies == []  # serve groups nothing itself

    ran = invoke("run", "--since", "1h", "--engine", "rules")
    assert ran.exit_code == 0, ran.output
    logged = events(tmp_path / "logs")
    ran_itself = {
        e["ticket_id"]
        for e in logged
        if e["event"] == "ticket_triaged" and e.get("source") != "serve"
    }
    assert not ran_itself & set(hour)  # serve did the hour (Zendesk's import may leave older)
    [counted] = [e for e in logged if e["event"] == "served_counted"]
    assert counted["tickets"] == counted["sightings"] == len(hour)
    grouped = [e for e in logged if e["event"] == "incidents"][-1]  # the second run's
    assert grouped["incidents"] == 1, grouped
    assert grouped["linked"] >= 22, grouped
    alerts = [b for b in receiver.bodies if "incident" in b.get("text", "")]
    assert len(alerts) == 1, receiver.bodies

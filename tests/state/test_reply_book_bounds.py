"""The reply book stays bounded as tickets are triaged and solved: a ticket seen solved is
forgotten, a ticket with only ticketbot's own write is kept a day and at most ``WRITTEN_MAX`` of
them, a ticket with a judged reply ``KEEP_DAYS`` and at most ``MAX_TICKETS``; an older file
(one ``ReplyEntry`` per ticket) is read and written back as rows."""

from __future__ import annotations

import json
from pathlib import Path

from ticket_processor.state.ledger import RunLedger
from ticket_processor.state.replies import (
    KEEP_DAYS,
    MAX_TICKETS,
    WRITTEN_MAX,
    ReplyBook,
)

NOW = 1_800_000_000.0
DAY = 86_400.0


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_records_of_written_only_and_solved_tickets_are_dropped_past_their_bound(
    tmp_path: Path,
) -> None:
    clock = Clock(NOW)
    book = ReplyBook(RunLedger(tmp_path), "freshdesk", clock=clock)
    for ticket_id in range(1, WRITTEN_MAX + 2_001):  # a busy day's first triages
        clock.now += 0.001
        book.wrote(ticket_id, "2026-11-24T10:00:00Z")
    book.answered(5, 40, ("neutral", "negative"))  # one reply judged: kept longer
    book.forget([6, 7])  # seen solved
    book.save()
    again = ReplyBook(RunLedger(tmp_path), "freshdesk", clock=clock)
    assert len(again) == WRITTEN_MAX + 1  # the most recent writes, and the judged ticket
    assert again.written(1) is None  # the oldest write went first
    assert again.written(WRITTEN_MAX + 2_000) == "2026-11-24T10:00:00Z"
    assert again.entry(6) is None
    entry = again.entry(5)
    assert entry is not None
    assert (entry.answered, entry.trend) == (40, ["neutral", "negative"])

    clock.now += 2 * DAY  # the reply passes moved past those writes long ago
    again.save()
    later = ReplyBook(RunLedger(tmp_path), "freshdesk", clock=clock)
    assert len(later) == 1
    assert later.entry(5) is not None
    clock.now += KEEP_DAYS * DAY
    later.save()
    assert len(ReplyBook(RunLedger(tmp_path), "freshdesk", clock=clock)) == 0


def test_judged_tickets_are_capped_and_the_file_stays_small(tmp_path: Path) -> None:
    clock = Clock(NOW)
    book = ReplyBook(RunLedger(tmp_path), "zendesk", clock=clock)
    for ticket_id in range(1, MAX_TICKETS + 5_001):
        clock.now += 0.001
        book.answered(ticket_id, ticket_id * 10, ("neutral", "positive"), "2026-11-24T10:00:00Z")
    book.save()
    assert len(book) == MAX_TICKETS
    assert book.entry(1) is None
    size = (tmp_path / "replies.json").stat().st_size
    assert size < 128 * MAX_TICKETS, size  # a row is ~110 bytes on disk


def test_an_older_file_of_entries_is_read_and_written_back_as_rows(tmp_path: Path) -> None:
    entries = {
        "7": {"written": "2026-11-24T10:00:00Z", "answered": None, "trend": [], "seen": 1},
        "8": {"written": None, "answered": 40, "trend": ["neutral"], "seen": int(NOW)},
    }
    (tmp_path / "replies.json").write_text(
        json.dumps({"helpdesk": "zendesk", "cursor": None, "tickets": entries}), "utf-8"
    )
    book = ReplyBook(RunLedger(tmp_path), "zendesk", clock=Clock(NOW))
    entry = book.entry(8)
    assert entry is not None
    assert (entry.answered, entry.trend) == (40, ["neutral"])
    book.save()
    saved = json.loads((tmp_path / "replies.json").read_text("utf-8"))
    assert saved["tickets"] == {}
    assert saved["rows"] == {"8": [None, 40, "neutral", int(NOW)]}  # 7: an old write, dropped


def test_the_tickets_of_one_write_batch_share_one_row(tmp_path: Path) -> None:
    # A run over a backlog writes its tickets in batches stamped alike: one row object for the
    # batch, not a tuple, a string and an int per ticket (~1 MB every 10,000 tickets).
    clock = Clock(NOW)
    book = ReplyBook(RunLedger(tmp_path), "zendesk", clock=clock)
    for ticket_id in range(1, 101):
        book.wrote(ticket_id, "".join(["2026-11-24T10:00:00", "Z"]))  # a new string each time
    clock.now += 1
    for ticket_id in range(101, 201):
        book.wrote(ticket_id, "2026-11-24T10:00:01Z")
    rows = {id(book._rows[ticket_id]) for ticket_id in range(1, 201)}
    assert len(rows) == 2
    # Shared rows are still each ticket's own: a reply judged on one changes no other.
    book.answered(7, 70, ("negative",), "2026-11-24T10:05:00Z")
    seven, eight = book.entry(7), book.entry(8)
    assert seven is not None
    assert eight is not None
    assert (seven.answered, seven.written) == (70, "2026-11-24T10:05:00Z")
    assert (eight.answered, eight.written, eight.trend) == (None, "2026-11-24T10:00:00Z", [])
    book.save()
    again = ReplyBook(RunLedger(tmp_path), "zendesk", clock=clock)
    assert again.written(150) == "2026-11-24T10:00:01Z"
    judged = again.entry(7)
    assert judged is not None
    assert judged.answered == 70


def test_a_helpdesk_that_reads_no_stamps_gets_rows_only_for_judged_replies(tmp_path: Path) -> None:
    # Zendesk's event export names each comment's author: the stamps of ticketbot's own writes
    # are never read there, so a run over a backlog keeps no row per triaged ticket.
    from ticket_processor.helpdesks.registry import reply_stamps

    assert reply_stamps("zendesk") is False
    assert reply_stamps("freshdesk") is True
    clock = Clock(NOW)
    book = ReplyBook(RunLedger(tmp_path), "zendesk", stamps=reply_stamps("zendesk"), clock=clock)
    for ticket_id in range(1, 1_001):
        book.wrote(ticket_id, "2026-11-24T10:00:00Z")
    assert len(book) == 0
    book.answered(5, 50, ("negative",), "2026-11-24T10:05:00Z")
    book.wrote(5, "2026-11-24T10:06:00Z")  # the reply's change written: its row is kept up
    entry = book.entry(5)
    assert entry is not None
    assert (entry.answered, entry.written, entry.trend) == (
        50,
        "2026-11-24T10:06:00Z",
        ["negative"],
    )
    book.save()
    assert len(ReplyBook(RunLedger(tmp_path), "zendesk", stamps=False, clock=clock)) == 1

"""The run's refresh of a stale solved store is bounded, on plain data: a helpdesk that runs out
of the refresh's time, or a history longer than the refresh reads, leaves what was read stored,
the position at the last ticket read and the store still stale (the next run reads on); a
whole read makes it fresh."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from support.word_encoder import encode

from ticket_processor.errors import RunOutOfTime
from ticket_processor.models import AgentReply, HistoryTicket, Ticket
from ticket_processor.solved.history import OVERLAP
from ticket_processor.solved.refresh import is_stale, refresh_solved
from ticket_processor.solved.store import SolvedStore

NOW = 1_800_000_000.0
SINCE = int(NOW) - 3 * 86400


def _moment(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def _solved(n: int) -> HistoryTicket:
    ticket = Ticket(
        id=n,
        subject=f"Question {n}",
        description=f"How do I change setting number {n}?",
        status="solved",
        updated_at=f"2027-01-13T{n:02d}:00:00Z",  # after SINCE, before NOW,
    )
    return HistoryTicket(ticket, (AgentReply(f"Open Settings and change item {n}.", None, ()),))


def _store(tmp_path: Path) -> SolvedStore:
    store = SolvedStore(tmp_path / "solved.sqlite3")
    store.set_meta("since", str(SINCE))
    store.set_meta("synced_at", str(NOW - 2 * 86400))
    return store


def test_a_helpdesk_out_of_time_keeps_what_was_read_and_the_store_stays_stale(
    tmp_path: Path,
) -> None:
    store = _store(tmp_path)
    asked: list[int] = []

    def slow(since: int) -> Iterator[HistoryTicket]:
        asked.append(since)
        yield _solved(1)
        yield _solved(2)
        raise RunOutOfTime("the refresh's bound is spent")

    said = refresh_solved(slow, store, encode, spent=lambda: False, clock=lambda: NOW)
    assert asked == [SINCE]  # read on from the last sync
    assert "stopped early (RunOutOfTime" in said
    assert "2 read, 2 stored" in said
    assert store.count() == 2
    assert store.meta("since") == str(int(_moment("2027-01-13T02:00:00Z")))  # ticket 2
    assert is_stale(store, NOW, 86400)  # the next run reads on from there
    store.close()


def test_a_long_history_is_read_a_bounded_number_at_a_time(tmp_path: Path) -> None:
    store = _store(tmp_path)
    read: list[int] = []

    def history(since: int) -> Iterator[HistoryTicket]:
        for n in range(1, 11):
            read.append(n)
            yield _solved(n)

    said = refresh_solved(history, store, encode, spent=lambda: False, limit=4)
    assert read == [1, 2, 3, 4]  # no fifth ticket asked for
    assert "stopped early (4 tickets read)" in said
    assert store.count() == 4
    store.close()


def test_spent_before_the_first_ticket_reads_nothing_and_says_so(tmp_path: Path) -> None:
    store = _store(tmp_path)
    said = refresh_solved(lambda since: iter([_solved(1)]), store, encode, spent=lambda: True)
    assert "stopped early (out of time) after 0 read, 0 stored" in said
    assert store.count() == 0
    assert store.meta("since") == str(SINCE)
    store.close()


def test_a_whole_read_makes_the_store_fresh(tmp_path: Path) -> None:
    store = _store(tmp_path)
    said = refresh_solved(
        lambda since: iter([_solved(1), _solved(2)]),
        store,
        encode,
        spent=lambda: False,
        clock=lambda: NOW,
    )
    assert said == "the solved tickets were stale and refreshed: 2 new stored"
    assert store.meta("since") == str(int(NOW) - OVERLAP)
    assert not is_stale(store, NOW + 60, 86400)
    store.close()

"""Each kind of place ``privacy forget`` clears, written by its own feature's writer: the
incident window, the macro history, the similar solved tickets, the escalations' outbox,
serve's journal, a JSON book keyed by ticket. One ticket is forgotten: its rows go, the others
stay (counted), each file is still what its feature reads; a history cache a sync fills again
is cleared again after the next run (``erase_forgotten``)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import numpy as np
import orjson

from ticket_processor.alerts.outbox import Outbox, Recorded
from ticket_processor.common import sealed
from ticket_processor.incidents.window import Row, Window, load_window, save_window
from ticket_processor.journal.served import Seen, SeenJournal, take_seen
from ticket_processor.macros import book as macro_book
from ticket_processor.models.ready_reply import ReadyReply
from ticket_processor.privacy import people
from ticket_processor.privacy.forget import DataRequest, erase_forgotten, export, forget
from ticket_processor.privacy.keys import convert
from ticket_processor.privacy.traces import Where
from ticket_processor.solved.store import SolvedRow, SolvedStore

GONE, KEPT = 101, 202
WORD = "Zephyrglass"


def _vectors(n: int) -> np.ndarray:
    return np.random.default_rng(0).normal(size=(n, 512)).astype(np.float32)


def _window(state: Path) -> None:
    window = Window()
    rows = [Row(t, t + 1000, int(time.time()), "billing", True) for t in (GONE, KEPT)]
    window.add(rows, _vectors(2))
    save_window(state / "incidents", window)


def _macros(state: Path) -> None:
    book = macro_book.MacroBook(
        macros=[ReadyReply(1, "Refund", "We refunded you.", True)],
        history=[macro_book.SolvedExample(t, 1.0, 1) for t in (GONE, KEPT)],
        history_vectors=_vectors(2),
        macro_vectors=_vectors(1),
    )
    macro_book.save(book, state)


def _solved(state: Path) -> None:
    store = SolvedStore(state / "solved.sqlite3")
    rows = [
        SolvedRow(t, f"{WORD} {t}" if t == GONE else "login", "fixed", "2026-11-01")
        for t in (GONE, KEPT)
    ]
    store.add(rows, _vectors(2))
    store.close()


def _state(state: Path) -> None:
    state.mkdir(mode=0o700)
    _window(state)
    _macros(state)
    _solved(state)
    Outbox(state).record(
        [
            Recorded(t, time.time(), f"{WORD} broke" if t == GONE else "login", "u", ())
            for t in (GONE, KEPT)
        ],
        lambda _r: ("slack",),
    )
    journal = SeenJournal(state / "serve")
    for t in (GONE, KEPT):
        journal.record(
            Seen(
                t,
                "2026-11-28",
                {"billing": 1},
                {"ticket_id": t, "subject": WORD if t == GONE else "login"},
            )
        )
    book = {"sent": {str(GONE): {"requester_id": 7}, str(KEPT): {"requester_id": 8}}}
    (state / "answers.json").write_bytes(orjson.dumps(book))


def _bytes(state: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(state.rglob("*")) if p.is_file())


def test_forget_a_ticket_in_every_kind_of_place(tmp_path: Path) -> None:
    state = tmp_path / "state"
    _state(state)
    where = Where(state, tmp_path / "logs")
    found = {p["place"]: p["entries"] for p in export(where, DataRequest(ticket=GONE))["places"]}
    assert found == {
        "answers.json": 1,
        "serve/seen.jsonl": 1,
        "incidents/window.npz": 1,
        "escalations.sqlite3": 2,  # its escalation and what a channel owes for it
        "solved.sqlite3": 1,
        "macros.json": 1,
    }
    assert WORD.encode() in _bytes(state)

    forget(where, DataRequest(ticket=GONE), dry_run=False, now=time.time())
    assert WORD.encode() not in _bytes(state)
    window, why = load_window(state / "incidents")
    assert why is None
    assert window is not None
    assert window.ids.tolist() == [KEPT]
    assert [e.ticket_id for e in macro_book.load(state).history] == [KEPT]
    with sqlite3.connect(state / "solved.sqlite3") as db:
        assert db.execute("SELECT ticket_id FROM solved").fetchall() == [(KEPT,)]
    assert orjson.loads((state / "answers.json").read_bytes()) == {
        "sent": {str(KEPT): {"requester_id": 8}}
    }
    assert [
        orjson.loads(x)["id"] for x in (state / "serve" / "seen.jsonl").read_bytes().splitlines()
    ] == [KEPT]
    assert export(where, DataRequest(ticket=GONE))["places"] == []

    # A sync puts the forgotten ticket back into the history caches: the next run clears it.
    _macros(state)
    _window(state)
    assert erase_forgotten(where, people.load(state)) == 2
    assert [e.ticket_id for e in macro_book.load(state).history] == [KEPT]


def test_a_dry_run_changes_nothing(tmp_path: Path) -> None:
    state = tmp_path / "state"
    _state(state)
    before = _bytes(state)
    report = forget(
        Where(state, tmp_path / "logs"), DataRequest(ticket=GONE), dry_run=True, now=time.time()
    )
    assert report["dry_run"] is True
    assert len(report["places"]) == 6
    assert _bytes(state) == before
    assert not (state / people.FILE_NAME).exists()


def test_serves_journal_is_encrypted_line_by_line(tmp_path: Path) -> None:
    """With a key, each line of serve's journal is encrypted (the address and the redacted text
    are not in its bytes); the cron run reads it, and a forget removes a ticket's line."""
    state = tmp_path / "state"
    serve = state / "serve"
    sealed.install(sealed.Keyring(bytes(range(32))))
    try:
        journal = SeenJournal(serve)
        for t in (GONE, KEPT):
            sighting = {"ticket_id": t, "subject": WORD, "address": f"c{t}@example.org"}
            journal.record(Seen(t, "2026-11-28", {"billing": 1}, sighting))
        raw = (serve / "seen.jsonl").read_bytes()
        assert WORD.encode() not in raw
        assert b"example.org" not in raw
        where = Where(state, tmp_path / "logs")
        forget(where, DataRequest(ticket=GONE), dry_run=False, now=time.time())
        taken = take_seen(serve)
        assert [s.ticket_id for s in taken.items] == [KEPT]
    finally:
        sealed.install(None)


def test_the_state_databases_text_encrypted_and_converted(tmp_path: Path) -> None:
    """Written with a key, the similar solved tickets' and the escalations' subjects are not in
    their files' bytes and read back whole; written before the key, ``privacy encrypt``'s
    conversion encrypts them in place."""
    state = tmp_path / "state"
    _state(state)  # written with no key: plain
    assert WORD.encode() in (state / "solved.sqlite3").read_bytes()
    ring = sealed.Keyring(bytes(range(32)))
    try:
        done = convert(Where(state, tmp_path / "logs"), ring)
        assert done.rows == 4  # two solved tickets, two escalations
        for name in ("solved.sqlite3", "escalations.sqlite3", "answers.json"):
            assert WORD.encode() not in (state / name).read_bytes()
        store = SolvedStore(state / "solved.sqlite3")
        assert store.rows([GONE])[GONE].subject == f"{WORD} {GONE}"
        store.close()
        assert [r.subject for r in Outbox(state).escalated_since(0.0)].count(f"{WORD} broke") == 1
        assert convert(Where(state, tmp_path / "logs"), ring).rows == 0
    finally:
        sealed.install(None)

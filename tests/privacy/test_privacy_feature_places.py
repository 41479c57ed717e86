"""The places the actions, the assignments, the SLA pass and the ratings keep, each written by
its own feature's writer: ``privacy export`` lists the ticket's entries, ``privacy forget``
removes them and leaves the other ticket's (read back by the feature), and with a key the
files' bytes hold none of the customer's text."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ticket_processor.actions.owed import ChangeStore
from ticket_processor.assignment.moves import AssignedBook
from ticket_processor.assignment.reply import MarkerBook
from ticket_processor.audit.schema import ratings
from ticket_processor.audit.store import AuditStore
from ticket_processor.common import sealed
from ticket_processor.privacy.forget import DataRequest, export, forget
from ticket_processor.privacy.keys import convert
from ticket_processor.privacy.traces import Where
from ticket_processor.sla.book import SlaBook

GONE, KEPT = 101, 202
WORD = "Zephyrglass"
ACCOUNT = "zendesk:127.0.0.1"


@pytest.fixture(params=[False, True], ids=["plain", "key"])
def keyed(request: pytest.FixtureRequest) -> Iterator[bool]:
    if request.param:
        sealed.install(sealed.Keyring(bytes(range(32))))
    try:
        yield bool(request.param)
    finally:
        sealed.install(None)


def _bytes(state: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(state.rglob("*")) if p.is_file())


def _phrase(ticket: int) -> str:
    return f"{WORD} {ticket}"


def _found(where: Where) -> dict[str, int]:
    report = export(where, DataRequest(ticket=GONE))
    return {p["place"]: p["entries"] + p["mentions"] for p in report["places"]}


def _forget(where: Where) -> None:
    forget(where, DataRequest(ticket=GONE), dry_run=False, now=time.time())


def _changes(state: Path) -> ChangeStore:
    store = ChangeStore(state)
    for t in (GONE, KEPT):
        inputs = {"order": f"{_phrase(t)}-77", "email": f"c{t}@example.org", "amount": "12.50"}
        store.propose(t, "refund", inputs, None)
        store.settle(t, "refund", "done", approver="lead", result={"note": _phrase(t)})
    return store


def test_actions_changes(tmp_path: Path, keyed: bool) -> None:
    state = tmp_path / "state"
    store = _changes(state)
    where = Where(state, tmp_path / "logs")
    assert _found(where) == {"actions.sqlite3": 1}
    assert (WORD.encode() in _bytes(state)) is not keyed
    assert (b"example.org" in _bytes(state)) is not keyed
    _forget(where)
    assert store.get(GONE, "refund") is None
    kept = store.get(KEPT, "refund")
    assert kept is not None
    assert kept.inputs["email"] == f"c{KEPT}@example.org"
    assert kept.result == {"note": _phrase(KEPT)}
    assert _phrase(GONE).encode() not in _bytes(state)
    assert _found(where) == {}


def test_actions_written_plain_are_encrypted_by_privacy_encrypt(tmp_path: Path) -> None:
    state = tmp_path / "state"
    _changes(state)
    assert WORD.encode() in _bytes(state)
    try:
        done = convert(Where(state, tmp_path / "logs"), sealed.Keyring(bytes(range(32))))
        assert done.rows == 2
        assert WORD.encode() not in _bytes(state)
        change = ChangeStore(state).get(GONE, "refund")
        assert change is not None
        assert change.inputs["order"] == f"{_phrase(GONE)}-77"
        assert change.reason is None
    finally:
        sealed.install(None)


def test_assignment_replies_and_assignments(tmp_path: Path, keyed: bool) -> None:
    state = tmp_path / "state"
    book = MarkerBook(state)
    assigned = AssignedBook(state)
    for t in (GONE, KEPT):
        book.put(f"{t}:5", state="owed", text=_phrase(t), language="de", agent=9)
        assigned.made(t, 9, ["billing"])
    assigned.save()
    where = Where(state, tmp_path / "logs")
    assert _found(where) == {"assignment/replies.json": 1, "assignment/assigned.json": 1}
    assert (WORD.encode() in _bytes(state)) is not keyed
    _forget(where)
    again = MarkerBook(state)
    assert again.get(f"{GONE}:5") is None
    assert again.get(f"{KEPT}:5") == {
        "state": "owed", "text": _phrase(KEPT), "language": "de", "agent": 9
    }  # fmt: skip
    assert not again.damaged
    assert set(AssignedBook(state).entries) == {str(KEPT)}
    assert _found(where) == {}


def test_sla_targets(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    book = SlaBook.open(state)
    now = time.time()
    for t in (GONE, KEPT):
        book.warned[f"{t}:first_reply:29000000"] = {"at": now, "probability": 0.8}
        book.met[f"{t}:first_reply:29000000"] = {"at": now, "warned_at": now}
    book.save(now)
    where = Where(state, tmp_path / "logs")
    assert _found(where) == {"sla.json": 2}
    _forget(where)
    again = SlaBook.open(state)
    assert set(again.warned) == set(again.met) == {f"{KEPT}:first_reply:29000000"}


def _rating(ticket: int, reason: str | None) -> dict[str, Any]:
    return {
        "helpdesk": "zendesk",
        "ticket_id": ticket,
        "at": datetime.now(UTC),
        "source": "dashboard",
        "rater": "lead",
        "target": "answer",
        "item": "",
        "verdict": "not_helped",
        "reason": reason,
    }


def test_ratings_reasons(tmp_path: Path, keyed: bool) -> None:
    state = tmp_path / "state"
    state.mkdir()
    with AuditStore.open(None, state_dir=state, account=ACCOUNT) as store:
        store.upsert_ratings([_rating(t, f"the customer {_phrase(t)} said") for t in (GONE, KEPT)])
    assert (WORD.encode() in _bytes(state)) is not keyed
    where = Where(state, tmp_path / "logs")
    assert _found(where) == {"audit store": 2}  # the rating, and its reason
    _forget(where)
    assert _phrase(GONE).encode() not in _bytes(state)
    with (
        AuditStore.open(None, state_dir=state, account=ACCOUNT) as store,
        store.engine.connect() as conn,
    ):
        rows = conn.execute(
            sa.select(ratings.c.ticket_id, ratings.c.verdict, ratings.c.reason)
        ).all()
    assert sorted(tuple(r) for r in rows) == [
        (GONE, "not_helped", None),
        (KEPT, "not_helped", f"the customer {_phrase(KEPT)} said"),
    ]

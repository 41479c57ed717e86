"""``privacy export`` and ``privacy forget`` on every helpdesk: a backlog of three requesters'
tickets triaged (subjects kept raw in the audit store, so their addresses are there too), then
one requester is exported, forgotten with ``--dry-run`` (not a byte changes), and forgotten:
afterwards the state directory, the audit store and the logs hold none of their address, name
or distinctive words (raw bytes), the others' tickets are all still there (counted), the
decisions stay as counts, and a run afterwards does not bring them back."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sqlite3
from pathlib import Path

import pytest
from support.cli import invoke

from ticket_processor.common.sealed import MAGIC, PREFIX, Keyring, read_key_file
from ticket_processor.sandbox.desks import Desk, NewTicket

pytestmark = pytest.mark.desk(configure=True)

FORGOTTEN = "ada.quillfeather@example.org"
KEPT = "bob.marrowfield@example.net"
# Words of the forgotten requester's tickets no other ticket has.
THEIRS = ["Zephyrglass", "Lovelace", "quillfeather", "Vantablue samovar"]
OTHERS = ["Quokkaplanter", "marrowfield"]


def _backlog(desk: Desk) -> list[int]:
    return desk.create(
        [
            NewTicket(
                f"Zephyrglass teapot cracked, write to {FORGOTTEN}",
                "My Zephyrglass teapot arrived cracked. Please refund order 5521.",
                requester_name="Ada Lovelace",
                sender=FORGOTTEN,
            ),
            NewTicket(
                "Vantablue samovar never shipped",
                "The Vantablue samovar from order 5522 never shipped. Refund please.",
                requester_name="Ada Lovelace",
                sender=FORGOTTEN,
            ),
            NewTicket(
                f"Quokkaplanter login broken ({KEPT})",
                "I cannot log in to the Quokkaplanter portal since Monday.",
                requester_name="Bob Marrowfield",
                sender=KEPT,
            ),
            NewTicket(
                "Quokkaplanter invoice wrong",
                "The Quokkaplanter invoice 7781 charges me twice.",
                requester_name="Bob Marrowfield",
                sender=KEPT,
            ),
            NewTicket("Password reset", "Please reset my password.", requester_name="Cy Young"),
        ]
    )


def _ring() -> Keyring | None:
    key = os.environ.get("TICKETBOT_ENCRYPTION_KEY_FILE")
    return Keyring(read_key_file(Path(key))) if key else None


def _files(*roots: Path) -> dict[str, bytes]:
    """Every file's bytes, an encrypted one opened; with a key, the audit store's text columns
    opened too (the raw file holds them encrypted)."""
    ring = _ring()
    found = {
        str(p): ring.open(p.read_bytes(), str(p)) if ring else p.read_bytes()
        for root in roots
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
    state = roots[0]
    if ring is not None and (state / "audit.sqlite3").is_file():
        with sqlite3.connect(state / "audit.sqlite3") as db:
            rows = db.execute("SELECT subject, answer, error, event FROM decisions").fetchall()
        texts = [v for row in rows for v in row if isinstance(v, str)]
        opened = [_opened(ring, v) for v in texts]
        found["audit store, opened"] = "\n".join(opened).encode()
    return found


def _opened(ring: Keyring, value: str) -> str:
    if value.startswith('{"sealed"'):
        value = json.loads(value)["sealed"]
    if not value.startswith(PREFIX):
        return value
    raw = base64.urlsafe_b64decode(value[len(PREFIX) :])
    return ring.open(MAGIC + raw, "audit store").decode()


def _occurrences(files: dict[str, bytes], word: str) -> dict[str, int]:
    needle = word.lower().encode()
    counts = {name: body.lower().count(needle) for name, body in files.items()}
    return {name: n for name, n in counts.items() if n}


def _decisions(state: Path) -> list[tuple[int, str | None, str | None]]:
    with sqlite3.connect(state / "audit.sqlite3") as db:
        return db.execute(
            "SELECT ticket_id, category, subject FROM decisions ORDER BY id"
        ).fetchall()


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
def test_forget_one_requester_leaves_no_trace(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, encrypted: bool
) -> None:
    monkeypatch.setenv("TICKETBOT_AUDIT_RAW_SUBJECTS", "true")
    if encrypted:  # the same, with the data encrypted at rest (the grep reads it opened)
        key = tmp_path / "ticketbot.key"
        assert invoke("privacy", "keygen", str(key)).exit_code == 0
        monkeypatch.setenv("TICKETBOT_ENCRYPTION_KEY_FILE", str(key))
    state, logs = tmp_path / "state", tmp_path / "logs"
    ids = _backlog(desk)
    first = invoke("run", "--since", "2000-01-01T00:00:00Z")
    assert first.exit_code == 0, first.output
    before = _files(state, logs)
    for word in (FORGOTTEN, "Zephyrglass", *OTHERS):
        assert _occurrences(before, word), f"{word} was never stored: the check would be empty"

    exported = invoke("privacy", "export", "--requester", FORGOTTEN.upper(), "--json")
    assert exported.exit_code == 0, exported.output
    report = json.loads(exported.output)
    assert report["tickets"] == sorted(ids[:2])
    places = {p["place"]: p for p in report["places"]}
    assert places["audit store"]["entries"] >= 2
    assert report["since"] is not None
    assert "logs" in places
    readable = invoke("privacy", "export", "--ticket", str(ids[2]))
    assert readable.exit_code == 0
    assert "audit store" in readable.output

    dry = invoke("privacy", "forget", "--requester", FORGOTTEN, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "would remove" in dry.output
    after_dry = _files(state, logs)
    changed = [
        n
        for n in before
        if hashlib.sha256(before[n]).digest() != hashlib.sha256(after_dry.get(n, b"")).digest()
    ]
    assert changed == []
    assert set(after_dry) == set(before)

    kept_before = [row for row in _decisions(state) if row[0] not in ids[:2]]
    forgot = invoke("privacy", "forget", "--requester", FORGOTTEN)
    assert forgot.exit_code == 0, forgot.output
    after = _files(state, logs)
    for word in (FORGOTTEN, *THEIRS):
        assert _occurrences(after, word) == {}, word
    for word in OTHERS:
        assert _occurrences(after, word), f"{word}: another requester's data went too"
    rows = _decisions(state)
    assert [row for row in rows if row[0] not in ids[:2]] == kept_before
    theirs = [row for row in rows if row[0] in ids[:2]]
    assert len(theirs) == 2
    assert all(category and subject is None for _, category, subject in theirs)

    # A run afterwards (a new ticket of someone else) brings nothing of theirs back.
    desk.create([NewTicket("Quokkaplanter app crashes", "It crashes on start.", sender=KEPT)])
    again = invoke("run")
    assert again.exit_code == 0, again.output
    final = _files(state, logs)
    for word in (FORGOTTEN, *THEIRS):
        assert _occurrences(final, word) == {}, word
    assert (
        json.loads(invoke("privacy", "export", "--requester", FORGOTTEN, "--json").output)[
            "tickets"
        ]
        == []
    )


def test_privacy_needs_a_person() -> None:
    result = invoke("privacy", "forget")
    assert result.exit_code == 2
    assert "--requester E-MAIL or --ticket ID" in result.output
    result = invoke("privacy", "export", "--requester", "not-an-address")
    assert result.exit_code == 2

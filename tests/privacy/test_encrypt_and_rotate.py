"""Encryption turned on for existing data, and a key rotation cut short, on every helpdesk: a
backlog triaged with no key is plain; ``privacy encrypt`` with the new key leaves none of its
phrases or addresses in the audit store and the encrypted state files' raw bytes; a rotation
stopped between the state files and the audit store (as a kill -9 would) leaves the old key
refused (it no longer opens the files) and is finished by ``privacy rotate`` run again; then
only the new key reads everything, and runs and exports work."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from support.cli import invoke

from ticket_processor.exitcodes import ExitCode
from ticket_processor.sandbox.desks import Desk, NewTicket

pytestmark = pytest.mark.desk(configure=True)

PHRASES = ["Zephyrglass", "Quokkaplanter", "Vantablue", "Marigoldium"]
ADDRESS = "rotation.customer@privacy-example.org"
FILES = ["audit.sqlite3", "audit.sqlite3-wal", "replies.json", "retry.json", "cache.json"]


def _stored(state: Path) -> bytes:
    return b"".join((state / n).read_bytes().lower() for n in FILES if (state / n).is_file())


def test_encrypt_existing_data_then_rotate_after_an_interruption(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETBOT_AUDIT_RAW_SUBJECTS", "true")
    state = tmp_path / "state"
    (ticket,) = desk.create(
        [
            NewTicket(
                f"{PHRASES[0]} {PHRASES[1]} broken, mail {ADDRESS}",
                f"The {PHRASES[2]} {PHRASES[3]} arrived broken.",
                sender=ADDRESS,
            )
        ]
    )
    assert invoke("run", "--since", "2000-01-01T00:00:00Z").exit_code == 0
    assert PHRASES[0].lower().encode() in _stored(state)  # plain before: the check can fail

    old, new = tmp_path / "old.key", tmp_path / "new.key"
    assert invoke("privacy", "keygen", str(old)).exit_code == 0
    assert invoke("privacy", "keygen", str(new)).exit_code == 0
    monkeypatch.setenv("TICKETBOT_ENCRYPTION_KEY_FILE", str(old))
    encrypted = invoke("privacy", "encrypt")
    assert encrypted.exit_code == 0, encrypted.output
    for word in [*PHRASES, ADDRESS]:
        assert word.lower().encode() not in _stored(state), word
    assert "0 state files and 0 audit store rows" in invoke("privacy", "encrypt").output

    # The rotation cut short: the state files are under the new key, the audit store is not.
    audit = state / "audit.sqlite3"
    audit.rename(tmp_path / "aside.sqlite3")
    assert invoke("privacy", "rotate", "--to", str(new)).exit_code == 0
    (tmp_path / "aside.sqlite3").rename(audit)
    refused = invoke("run")
    assert refused.exit_code == ExitCode.KEY
    assert "another key" in refused.output
    finished = invoke("privacy", "rotate", "--to", str(new))
    assert finished.exit_code == 0, finished.output
    assert "0 state files and 1 audit store rows" in finished.output

    monkeypatch.setenv("TICKETBOT_ENCRYPTION_KEY_FILE", str(new))
    exported = invoke("privacy", "export", "--ticket", str(ticket), "--json")
    assert exported.exit_code == 0, exported.output
    assert any(p["place"] == "audit store" for p in orjson.loads(exported.output)["places"])
    desk.create([NewTicket("Password reset", "Please reset my password.")])
    assert invoke("run").exit_code == 0
    for word in [*PHRASES, ADDRESS]:
        assert word.lower().encode() not in _stored(state), word
    assert invoke("run", env={"TICKETBOT_ENCRYPTION_KEY_FILE": str(old)}).exit_code == ExitCode.KEY

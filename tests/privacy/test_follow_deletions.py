"""A deletion in the helpdesk followed by the next run, with no command, on every helpdesk: a
backlog of three requesters' tickets triaged (subjects kept raw in the audit store); then the
helpdesk deletes one ticket and one requester (their user, contact or ``sys_user``), through
its API; the next run forgets both as ``privacy forget`` would — none of their words or
addresses in the state directory, the audit store or the logs (raw bytes) — and the third
requester's tickets are all still there."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import cast

import pytest
from support.cli import invoke
from support.clock import FakeClock

from ticket_processor.helpdesks.zendesk.sandbox.deletion_desk import ZendeskDeletionDesk
from ticket_processor.privacy import people
from ticket_processor.sandbox.deletion_desk import DeletionDesk
from ticket_processor.sandbox.desks import Desk, NewTicket

pytestmark = pytest.mark.desk(configure=True)

GONE_PERSON = "dora.velvetmoss@example.org"
GONE_TICKET = "eli.thornbuckle@example.net"
KEPT = "finn.harrowgate@example.com"
DORAS = ["Velvetmoss", "Brasslantern kettle", "Mossfjord"]
ELIS = ["Thornbuckle", "Glimmerwick router"]
FINNS = ["Harrowgate", "Pebbleshore"]


def _backlog(desk: Desk) -> list[int]:
    return desk.create(
        [
            NewTicket(
                f"Brasslantern kettle leaks, reply to {GONE_PERSON}",
                "My Brasslantern kettle from order 6611 leaks. Refund please.",
                requester_name="Dora Velvetmoss",
                sender=GONE_PERSON,
            ),
            NewTicket(
                "Mossfjord delivery late",
                "The Mossfjord parcel (order 6612) is two weeks late.",
                requester_name="Dora Velvetmoss",
                sender=GONE_PERSON,
            ),
            NewTicket(
                f"Glimmerwick router drops Wi-Fi ({GONE_TICKET})",
                "The Glimmerwick router drops the connection every hour.",
                requester_name="Eli Thornbuckle",
                sender=GONE_TICKET,
            ),
            NewTicket(
                f"Pebbleshore invoice doubled ({KEPT})",
                "The Pebbleshore invoice 9912 charges me twice.",
                requester_name="Finn Harrowgate",
                sender=KEPT,
            ),
        ]
    )


def _bytes(*roots: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for root in roots for p in root.rglob("*") if p.is_file()}


def _found(files: dict[str, bytes], word: str) -> list[str]:
    needle = word.lower().encode()
    return [name for name, body in files.items() if needle in body.lower()]


def test_the_next_run_forgets_what_the_helpdesk_deleted(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETBOT_AUDIT_RAW_SUBJECTS", "true")
    monkeypatch.setenv("TICKETBOT_DELETIONS_EVERY", "0")  # every run reads them
    state, logs = tmp_path / "state", tmp_path / "logs"
    ids = _backlog(desk)
    first = invoke("run", "--since", "2000-01-01T00:00:00Z")
    assert first.exit_code == 0, first.output
    before = _bytes(state, logs)
    for word in (GONE_PERSON, GONE_TICKET, KEPT, *DORAS, *ELIS, *FINNS):
        assert _found(before, word), f"{word} was never stored: the check would be empty"

    deleting = cast(DeletionDesk, desk)
    deleting.helpdesk_deletes(ids[2])
    deleting.helpdesk_deletes_requester(ids[0])
    with sqlite3.connect(state / "audit.sqlite3") as db:
        kept_before = db.execute(
            "SELECT ticket_id, category, subject FROM decisions WHERE ticket_id = ?", (ids[3],)
        ).fetchall()

    again = invoke("run")  # no command: the run reads the deletions
    assert again.exit_code == 0, again.output
    after = _bytes(state, logs)
    for word in (GONE_PERSON, GONE_TICKET, *DORAS, *ELIS):
        assert _found(after, word) == [], word
    for word in (KEPT, *FINNS):
        assert _found(after, word), f"{word}: another requester's data went too"
    with sqlite3.connect(state / "audit.sqlite3") as db:
        rows = db.execute("SELECT ticket_id, category, subject FROM decisions").fetchall()
    assert [r for r in rows if r[0] == ids[3]] == kept_before
    gone = [r for r in rows if r[0] in ids[:3]]
    assert gone
    assert all(category and subject is None for _, category, subject in gone)
    index = people.load(state)
    assert index.forgotten_ids() == set(ids[:3])
    assert index.deletions_read is not None
    events = [json.loads(line) for f in logs.glob("*.jsonl") for line in f.read_text().splitlines()]
    # Logged after the forget rewrote the run's own log: the run's handle followed the file.
    followed = [e for e in events if e["event"] == "helpdesk_deletions_forgotten"]
    assert [e["tickets"] for e in followed] == [3]

    # The run after reads only what was deleted since, and forgets nothing more.
    third = invoke("run")
    assert third.exit_code == 0, third.output
    events = [json.loads(line) for f in logs.glob("*.jsonl") for line in f.read_text().splitlines()]
    assert len([e for e in events if e["event"] == "helpdesk_deletions_forgotten"]) == 1


DELETION_READS = ("deleted_tickets", "deleted_users", "/contacts", "sys_audit_delete")


def _deletion_reads(desk: Desk) -> int:
    requests = desk.stats()["requests"]
    return sum(n for key, n in requests.items() if any(r in key for r in DELETION_READS))


def test_the_deletions_are_read_at_most_every_so_often(desk: Desk) -> None:
    _backlog(desk)
    for _ in range(2):  # the default: 15 minutes from the first ticket held, none sooner
        ran = invoke("run", "--since", "2000-01-01T00:00:00Z")
        assert ran.exit_code == 0, ran.output
    assert _deletion_reads(desk) == 0
    again = invoke("run", env={"TICKETBOT_DELETIONS_EVERY": "0"})
    assert again.exit_code == 0, again.output
    assert _deletion_reads(desk) >= 1  # the check can fail: the reads are counted


REDACTED = "Quillfeather voucher QF-48213"


@pytest.mark.desk(configure=True, kinds=("zendesk",), clock="desk_clock")
def test_the_next_run_forgets_a_ticket_whose_comment_was_redacted(
    desk: Desk, desk_clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Zendesk only: of the three helpdesks only Zendesk redacts a comment (Freshdesk and
    ServiceNow have no redaction, only the deletions above). A customer wrote a voucher code in
    a ticket's subject and description; an agent redacts it from the description through the
    sandbox's API; the next run reads the redaction (a ``CommentRedactionEvent`` in the ticket
    event export) and forgets the whole ticket: the code is found nowhere in the state
    directory, the audit store (which kept the subject raw) or the logs, and the other
    requester's ticket is kept."""
    monkeypatch.setenv("TICKETBOT_AUDIT_RAW_SUBJECTS", "true")
    monkeypatch.setenv("TICKETBOT_DELETIONS_EVERY", "0")
    state, logs = tmp_path / "state", tmp_path / "logs"
    ids = desk.create(
        [
            NewTicket(
                f"{REDACTED} refused at checkout",
                f"My {REDACTED} is refused at checkout. Please honour it.",
                requester_name="Gwen Larkspur",
                sender="gwen.larkspur@example.org",
            ),
            NewTicket(
                f"Pebbleshore invoice doubled ({KEPT})",
                "The Pebbleshore invoice 9912 charges me twice.",
                requester_name="Finn Harrowgate",
                sender=KEPT,
            ),
        ]
    )
    first = invoke("run", "--since", "2000-01-01T00:00:00Z")
    assert first.exit_code == 0, first.output
    assert _found(_bytes(state, logs), REDACTED), "never stored: the check would be empty"

    cast(ZendeskDeletionDesk, desk).helpdesk_redacts(ids[0], REDACTED)
    # The export leaves out its last minute: the redaction shows once the desk's clock is on.
    desk_clock.advance(120)
    again = invoke("run")
    assert again.exit_code == 0, again.output
    after = _bytes(state, logs)
    assert _found(after, REDACTED) == []
    assert _found(after, "Quillfeather") == []
    for word in (KEPT, *FINNS):
        assert _found(after, word), f"{word}: another requester's data went too"
    assert people.load(state).forgotten_ids() == {ids[0]}

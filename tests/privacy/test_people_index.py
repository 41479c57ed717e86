"""The people index: a requester found by their address in any case, the file holding no
address, old tickets pruned, a forget recorded."""

from __future__ import annotations

from pathlib import Path

from ticket_processor.models import Person, Ticket
from ticket_processor.privacy import people


def _ticket(ticket_id: int, *emails: str, sender: str | None = None) -> Ticket:
    return Ticket(
        id=ticket_id,
        people=tuple(Person(name="Ada Lovelace", email=e) for e in emails),
        requester_id=ticket_id * 10,
        sender=sender,
    )


def test_an_address_finds_its_tickets_and_the_file_names_nobody(tmp_path: Path) -> None:
    index = people.load(tmp_path)
    index.record(people.Sighted.of(_ticket(1, "Ada@Example.org"), 100.0))
    index.record(people.Sighted.of(_ticket(2, "bob@example.net", "ada@example.org"), 200.0))
    index.record(people.Sighted.of(_ticket(3, sender="ada@example.org"), 300.0))
    index.record(people.Sighted.of(_ticket(4, "bob@example.net"), 400.0))
    people.save(tmp_path, index)

    raw = (tmp_path / people.FILE_NAME).read_bytes().lower()
    assert b"ada" not in raw
    assert b"example" not in raw
    again = people.load(tmp_path)
    assert again.tickets_of(" ADA@example.org ") == [1, 2, 3]
    assert again.requester_ids([1, 2]) == {10, 20}

    again.prune(before=250.0)
    assert again.tickets_of("ada@example.org") == [3]
    again.forget("ada@example.org", [3], 500.0)
    assert again.tickets_of("ada@example.org") == []
    assert again.forgotten_ids() == {3}
    assert again.tickets_of("bob@example.net") == [4]


def test_a_ticket_seen_again_keeps_its_first_time(tmp_path: Path) -> None:
    index = people.load(tmp_path)
    index.record(people.Sighted.of(_ticket(1, "ada@example.org"), 100.0))
    index.record(people.Sighted.of(_ticket(1, "may@example.org"), 900.0))
    assert index.tickets[1].first_seen == 100.0
    assert index.tickets_of("may@example.org") == [1]
    assert index.tickets_of("ada@example.org") == [1]

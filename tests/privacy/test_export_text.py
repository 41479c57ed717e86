"""``privacy export``'s readable text says what was asked and what was found: a ticket id
nobody holds reads as that ticket with nothing held (not "1 tickets"), counts agree with their
nouns, and a place with no text fields shows no empty brackets."""

from __future__ import annotations

from typing import Any

from ticket_processor.privacy.forget import text


def _report(**fields: Any) -> dict[str, Any]:
    return {"requester": None, "tickets": [], "since": None, "places": [], **fields}


def test_an_unknown_ticket_reads_as_that_ticket_with_nothing_held() -> None:
    said = text(_report(tickets=[9999]))
    assert said.splitlines() == ["ticket 9999: held since -", "  nothing held"]


def test_a_requester_counts_tickets_entries_and_texts_in_words() -> None:
    places = [
        {"place": "audit store", "entries": 1, "mentions": 1, "fields": ["decisions.subject"]},
        {"place": "logs", "entries": 2, "mentions": 0, "fields": []},
    ]
    said = text(
        _report(requester="jane@example.com", tickets=[3], since="2026-11-29", places=places)
    )
    assert said.splitlines() == [
        "jane@example.com: 1 ticket (3), held since 2026-11-29",
        "  audit store: found 1 entry, 1 text (decisions.subject)",
        "  logs: found 2 entries, 0 texts",
    ]
    assert "would remove 2 entries" in text(_report(tickets=[3], places=places[1:], dry_run=True))

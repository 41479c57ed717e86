"""The server's journal carries each served ticket's sighting to the next cron run: with the
LLM's view of a fault, and as an older server wrote it, without one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ticket_processor.journal.served import Seen, SeenJournal, serve_dir, take_seen


def _sighting(ticket_id: int, **more: Any) -> dict[str, Any]:
    return {
        "ticket_id": ticket_id,
        "subject": "Checkout broken",
        "text": "Checkout broken\nThe payment page shows an error.",
        "requester": 7,
        "created": 1_800_000_000,
        "category": "technical",
        "open": True,
        "subcategory": None,
        **more,
    }


@pytest.mark.parametrize(
    "extra",
    [
        {"fault": True},
        {"fault": False},
        {"fault": None},
        {},
        # Who vouches for the requester: the next run's incident pass reads them.
        {"fault": True, "address": "ana@customer.example", "organization": 7},
        {"address": None, "organization": None},
    ],
    ids=str,
)
def test_a_sighting_is_taken_with_or_without_the_llms_view(
    tmp_path: Path, extra: dict[str, Any]
) -> None:
    SeenJournal(serve_dir(tmp_path)).record(
        Seen(1, "2026-11-25", {"technical": 1}, _sighting(1, **extra))
    )
    taken = take_seen(serve_dir(tmp_path))
    assert taken.sightings() == [_sighting(1, **extra)]


@pytest.mark.parametrize("bad", [{"fault": "yes"}, {"fault": 1}, {"unknown": 1}], ids=str)
def test_a_sighting_with_a_field_of_another_kind_is_left_out(
    tmp_path: Path, bad: dict[str, Any]
) -> None:
    SeenJournal(serve_dir(tmp_path)).record(
        Seen(1, "2026-11-25", {"technical": 1}, _sighting(1, **bad))
    )
    taken = take_seen(serve_dir(tmp_path))
    assert [seen.ticket_id for seen in taken.items] == [1]  # its counts still count
    assert taken.sightings() == []


def test_a_line_a_killed_server_cut_short_loses_only_itself(tmp_path: Path) -> None:
    journal = SeenJournal(serve_dir(tmp_path))
    journal.record(Seen(1, "2026-11-25", {"technical": 1}, None))
    whole = journal.path.read_bytes()
    journal.path.write_bytes(whole + whole[:12])  # a write a kill -9 stopped half-way
    SeenJournal(serve_dir(tmp_path)).record(Seen(2, "2026-11-25", {"billing": 1}, None))
    assert [seen.ticket_id for seen in take_seen(serve_dir(tmp_path)).items] == [1, 2]

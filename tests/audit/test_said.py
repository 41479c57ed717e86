"""What agents said on the dashboard, as a run's feature reads it from the embedded store
(``audit.said``): "not helped" rows of one target and this account only; no store is no
rating; a file that is no store is a clear error."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ticket_processor.audit.said import account_of, dashboard_not_helped
from ticket_processor.audit.store import AuditStore
from ticket_processor.audit.upgrade import open_writer
from ticket_processor.audit.writer import FILE_NAME, AuditStoreError


def _rating(ticket_id: int, item: str, verdict: str, **over: str) -> dict[str, object]:
    row: dict[str, object] = {
        "helpdesk": "zendesk",
        "ticket_id": ticket_id,
        "at": datetime(2026, 1, 1, tzinfo=UTC),
        "source": "dashboard",
        "rater": "lead",
        "target": "macros",
        "item": item,
        "verdict": verdict,
        "reason": None,
        "value": None,
        "ticketbot": None,
        "decision_id": None,
    }
    row.update(over)
    return row


def test_the_not_helped_ratings_of_one_target_by_item(tmp_path: Path) -> None:
    assert dashboard_not_helped(None, tmp_path, "zendesk:a", "macros") == {}  # no store yet
    writer = open_writer(tmp_path, account="zendesk:a")
    writer.upsert_ratings(
        [
            _rating(1, "7", "not_helped"),
            _rating(2, "7", "not_helped"),
            _rating(2, "7", "not_helped", rater="sam"),  # another agent: the same ticket
            _rating(3, "7", "helped"),
            _rating(4, "9", "not_helped"),
            _rating(5, "7", "not_helped", source="tag"),  # the tags are read from the book
            _rating(6, "", "not_helped", target="answer"),
        ]
    )
    writer.close()
    found = dashboard_not_helped(None, tmp_path, "zendesk:a", "macros")
    assert found == {"7": frozenset({1, 2}), "9": frozenset({4})}
    assert dashboard_not_helped(None, tmp_path, "zendesk:b", "macros") == {}


@pytest.mark.postgres
def test_the_same_from_postgresql(tmp_path: Path, postgres_url: str) -> None:
    with AuditStore.open(postgres_url, state_dir=tmp_path, account="zendesk:a") as store:
        store.upsert_ratings(
            [
                _rating(1, "7", "not_helped"),
                _rating(2, "7", "helped"),
                _rating(3, "", "not_helped", target="answer"),
            ]
        )
    found = dashboard_not_helped(postgres_url, tmp_path, "zendesk:a", "macros")
    assert found == {"7": frozenset({1})}
    assert dashboard_not_helped(postgres_url, tmp_path, "zendesk:a", "answer") == {
        "": frozenset({3})
    }
    assert dashboard_not_helped(postgres_url, tmp_path, "zendesk:b", "macros") == {}


def test_a_file_that_is_no_store_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_bytes(b"not a database at all" * 100)
    with pytest.raises(AuditStoreError, match="ratings could not be read"):
        dashboard_not_helped(None, tmp_path, "zendesk", "macros")


def test_the_account_is_the_kind_and_host() -> None:
    class Desk:
        base_url = "https://acme.zendesk.com/"

    assert account_of("zendesk", {"zendesk": Desk()}) == "zendesk:acme.zendesk.com"
    assert account_of("freshdesk", {}) == "freshdesk"

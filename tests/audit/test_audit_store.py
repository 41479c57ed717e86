"""The audit store on its own: opening and upgrading, writing rows, the list, a ticket's
history, reviews and retention, on the embedded SQLite store."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ticket_processor.audit.queries import DecisionFilter, DecisionQuery
from ticket_processor.audit.store import FILE_NAME, SCHEMA_VERSION, AuditStore

NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)


def _decision(ticket_id: int, minutes: int = 0, **values: object) -> dict[str, object]:
    return {
        "run_id": "run-1",
        "ticket_id": ticket_id,
        "at": NOW + timedelta(minutes=minutes),
        "status": "written",
        **values,
    }


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AuditStore]:
    """The same store API on SQLite (the default) and on PostgreSQL (``-m postgres``)."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    opened = AuditStore.open(url, state_dir=tmp_path / "state", account="zendesk:acme")
    yield opened
    opened.close()


def test_opening_creates_the_file_at_the_newest_schema(tmp_path: Path) -> None:
    with AuditStore.open(None, state_dir=tmp_path / "state") as store:
        assert store.version() == SCHEMA_VERSION
    assert (tmp_path / "state" / FILE_NAME).is_file()


def test_a_planned_decision_becomes_written_keeping_what_it_had(store: AuditStore) -> None:
    store.upsert_decisions([_decision(7, status="planned", subject="Refund", category="billing")])
    store.upsert_decisions([_decision(7, status="written", note_id="n-1")])
    [row] = store.list_decisions(DecisionQuery()).rows
    assert (row.status, row.subject, row.category, row.note_id) == (
        "written",
        "Refund",
        "billing",
        "n-1",
    )
    assert row.account == "zendesk:acme"
    assert row.at == NOW


def test_the_list_filters_sorts_and_pages(store: AuditStore) -> None:
    store.upsert_decisions(
        [
            _decision(
                i,
                minutes=i,
                category="billing" if i % 2 else "technical",
                decision="suggested" if i % 3 == 0 else "applied",
                subject=f"ticket {i} 100%",
            )
            for i in range(1, 31)
        ]
    )
    billing = store.list_decisions(DecisionQuery(DecisionFilter(category="billing"), limit=5))
    assert [r.ticket_id for r in billing.rows] == [29, 27, 25, 23, 21]
    assert billing.has_more
    second = store.list_decisions(
        DecisionQuery(DecisionFilter(category="billing"), limit=5, offset=5)
    )
    assert [r.ticket_id for r in second.rows] == [19, 17, 15, 13, 11]
    both = store.list_decisions(
        DecisionQuery(DecisionFilter(category="billing", decision="suggested"), descending=False)
    )
    assert [r.ticket_id for r in both.rows] == [3, 9, 15, 21, 27]
    assert not both.has_more
    # A LIKE wildcard in the search is text, not a pattern.
    found = store.list_decisions(DecisionQuery(DecisionFilter(text="12 100%")))
    assert [r.ticket_id for r in found.rows] == [12]
    assert store.list_decisions(DecisionQuery(DecisionFilter(text="1_0"))).rows == []
    assert store.count_decisions(DecisionFilter(category="technical")) == 15
    assert store.count_decisions(DecisionFilter(), cap=10) == 11
    window = DecisionFilter(since=NOW + timedelta(minutes=5), until=NOW + timedelta(minutes=8))
    assert {r.ticket_id for r in store.list_decisions(DecisionQuery(window)).rows} == {5, 6, 7}


def test_another_account_sees_none_of_the_rows(tmp_path: Path) -> None:
    with AuditStore.open(None, state_dir=tmp_path, account="a") as a:
        a.upsert_decisions([_decision(1)])
    with AuditStore.open(None, state_dir=tmp_path, account="b") as b:
        assert b.list_decisions(DecisionQuery()).rows == []
        assert not b.ticket_history(1).found


def test_a_review_counts_as_a_correction_and_marks_the_decision(store: AuditStore) -> None:
    store.upsert_decisions([_decision(5, category="billing", decision="suggested")])
    [row] = store.list_decisions(DecisionQuery()).rows
    store.add_review(
        ticket_id=5,
        field="category",
        action="correct",
        value="technical",
        ticketbot="billing",
        decision_id=row.id,
        reviewer="lead@acme",
        at=NOW,
    )
    history = store.ticket_history(5)
    assert [(r.action, r.value) for r in history.reviews] == [("correct", "technical")]
    assert [(c.field, c.agreed) for c in history.corrections] == [("category", False)]
    assert history.decisions[0].reviewed == "correct"
    assert history.decisions[0].corrected
    corrected = store.list_decisions(DecisionQuery(DecisionFilter(corrected=True))).rows
    assert [r.ticket_id for r in corrected] == [5]
    figures = store.overview(since=NOW - timedelta(hours=1))
    assert [(a.field, a.agreed, a.compared) for a in figures.agreement] == [("category", 0, 1)]


def test_retention_deletes_older_rows_only(store: AuditStore) -> None:
    store.upsert_decisions([_decision(1, minutes=-60 * 24 * 40), _decision(2)])
    store.upsert_runs([{"run_id": "old", "started_at": NOW - timedelta(days=40)}])
    deleted = store.prune(NOW - timedelta(days=30))
    assert deleted["decisions"] == 1
    assert deleted["runs"] == 1
    assert [r.ticket_id for r in store.list_decisions(DecisionQuery()).rows] == [2]


WRITER = """
import sys
from datetime import UTC, datetime
from pathlib import Path
from ticket_processor.audit.store import AuditStore
who = int(sys.argv[2])
with AuditStore.open(None, state_dir=Path(sys.argv[1]), account="a") as store:
    for batch in range(40):
        store.upsert_decisions([
            {"run_id": f"w{who}", "ticket_id": batch * 10 + n, "at": datetime.now(UTC),
             "status": "written", "subject": f"writer {who}"}
            for n in range(10)
        ])
"""


def test_writers_in_several_processes_take_turns_and_lose_nothing(tmp_path: Path) -> None:
    """Runs, ``serve`` and the dashboard write one store: each waits its turn."""
    children = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(tmp_path), str(who)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for who in range(4)
    ]
    errors = [child.communicate(timeout=120)[1] for child in children]
    assert [child.returncode for child in children] == [0] * 4, errors
    with AuditStore.open(None, state_dir=tmp_path, account="a") as store:
        assert store.count_decisions(DecisionFilter(), cap=10_000) == 4 * 400
        for who in range(4):
            assert store.count_decisions(DecisionFilter(run_id=f"w{who}"), cap=10_000) == 400


def test_tickets_per_hour_count_triages_not_the_replies_re_triages(store: AuditStore) -> None:
    """A reply's re-triage (its own decision, no engine when the reply changed nothing) is an
    event on the ticket's page: the overview's tickets per hour do not count it."""
    store.upsert_decisions(
        [
            _decision(7, engine="rules", category="billing"),
            _decision(8, engine="llm", category="refund"),
            {**_decision(7, minutes=5), "message_id": 91, "kind": "reply", "engine": None},
        ]
    )
    figures = store.overview(since=NOW - timedelta(hours=1))
    assert figures.per_hour == [("2026-11-25 04", "llm", 1), ("2026-11-25 04", "rules", 1)]
    assert figures.decisions == 3  # the decisions themselves are all still there

"""The audit store's schema is versioned: a store made by the first version upgrades itself
on open, keeping its rows and indexing them for the new search; the code's version is the
newest migration's; the list's search finds a word wherever it is, rare or common."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory

from ticket_processor.audit.engine import MIGRATIONS
from ticket_processor.audit.queries import DENSE_MATCHES, DecisionFilter, DecisionQuery
from ticket_processor.audit.store import SCHEMA_VERSION, AuditStore

NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)


def _rows(count: int, subject: str, start: int = 0) -> list[dict[str, object]]:
    return [
        {
            "run_id": "run-1",
            "ticket_id": start + n,
            "at": NOW + timedelta(seconds=start + n),
            "status": "written",
            "subject": f"{subject} #{start + n}",
        }
        for n in range(count)
    ]


def test_the_code_reads_the_newest_migrations_schema() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == SCHEMA_VERSION


def test_a_store_of_the_first_version_upgrades_itself_on_open(tmp_path: Path) -> None:
    with AuditStore.open(None, state_dir=tmp_path, account="a", upgrade=False) as old:
        old.upgrade("0001")
        assert old.version() == "0001"
        old.upsert_decisions(_rows(3, "Blender broken") + _rows(2, "Invoice", start=10))
        with old.engine.connect() as conn:
            assert not sa.inspect(conn).has_table("decisions_text")
    with AuditStore.open(None, state_dir=tmp_path, account="a") as store:
        assert store.version() == SCHEMA_VERSION
        found = store.list_decisions(DecisionQuery(DecisionFilter(text="blender")))
        assert sorted(r.ticket_id for r in found.rows) == [0, 1, 2]  # rows from before
        store.upsert_decisions(_rows(1, "Another blender", start=20))  # and after
        store.upsert_decisions(
            [{"run_id": "run-1", "ticket_id": 10, "at": NOW, "subject": "Blender?"}]
        )
        found = store.list_decisions(DecisionQuery(DecisionFilter(text="BLENDER")))
        assert sorted(r.ticket_id for r in found.rows) == [0, 1, 2, 10, 20]
        store.prune(NOW + timedelta(seconds=2))  # rows 0, 1 and 10 go, from the index too
        found = store.list_decisions(DecisionQuery(DecisionFilter(text="blender")))
        assert sorted(r.ticket_id for r in found.rows) == [2, 20]


@pytest.mark.parametrize("common", [False, True], ids=["rare", "common"])
def test_the_search_finds_a_word_rare_or_common(tmp_path: Path, common: bool) -> None:
    """A rare word comes from the text index, a common one from the walk: the same answer."""
    many = DENSE_MATCHES + 50 if common else 5
    with AuditStore.open(None, state_dir=tmp_path, account="a") as store:
        store.upsert_decisions(_rows(many, "Parcel lost") + _rows(300, "Refund", start=10_000))
        where = DecisionFilter(text="cel lo")
        assert store.count_decisions(where, cap=100_000) == many
        page = store.list_decisions(DecisionQuery(where, limit=50, offset=0))
        newest = many - 1
        assert [r.ticket_id for r in page.rows] == list(range(newest, max(newest - 50, -1), -1))
        assert store.count_decisions(DecisionFilter(text="x%y")) == 0

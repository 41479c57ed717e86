"""``report``'s ratings figures over a store written through its own API, SQLite and (marker
``postgres``) PostgreSQL alike: agents' verdicts counted once each by source and target,
customers' satisfaction by who answered (the latest rating of a ticket counts), and the risk
head's calibration in bins of its prediction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ticket_processor.audit.store import AuditStore
from ticket_processor.ratings.figures import rating_figures, rating_lines

ACCOUNT = "zendesk:127.0.0.1"
NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)


def _decision(ticket: int, risk: float, answer_state: str | None = None) -> dict[str, Any]:
    return {
        "run_id": "r1",
        "ticket_id": ticket,
        "at": NOW - timedelta(hours=2),
        "helpdesk": "zendesk",
        "status": "written",
        "category": "billing",
        "risk_probability": risk,
        "answer_state": answer_state,
    }


def _rating(ticket: int, source: str, verdict: str, **extra: Any) -> dict[str, Any]:
    return {
        "helpdesk": "zendesk",
        "ticket_id": ticket,
        "at": NOW - timedelta(hours=1),
        "source": source,
        "rater": extra.pop("rater", ""),
        "target": extra.pop("target", "ticket"),
        "item": extra.pop("item", ""),
        "verdict": verdict,
        **extra,
    }


def test_figures_count_each_rating_once_and_compare_who_answered(tmp_path: Path) -> None:
    _count_once_and_compare(None, tmp_path)


@pytest.mark.postgres
def test_the_same_in_postgresql(postgres_url: str, tmp_path: Path) -> None:
    _count_once_and_compare(postgres_url, tmp_path)


def _count_once_and_compare(url: str | None, tmp_path: Path) -> None:
    with AuditStore.open(url, state_dir=tmp_path, account=ACCOUNT) as store:
        store.upsert_decisions(
            [_decision(1, 0.1, "sent"), _decision(2, 0.9), _decision(3, 0.6), _decision(4, 0.2)]
        )
        store.upsert_ratings(
            [
                _rating(1, "tag", "helped", item="helped"),
                _rating(2, "tag", "wrong_category", item="wrong_category"),
                _rating(2, "dashboard", "not_helped", rater="lead", target="answer"),
                _rating(3, "dashboard", "helped", rater="lead", target="macros", item="7"),
                _rating(1, "customer", "good"),
                _rating(2, "customer", "bad"),
                _rating(3, "customer", "good"),
                _rating(9, "customer", "bad"),  # ticketbot never triaged it
            ]
        )
        # Said again (a double click, a tag met again, a rating read twice): still one each.
        store.upsert_ratings([_rating(1, "tag", "helped", item="helped")])
        store.upsert_ratings([_rating(2, "customer", "bad")])
        with store.engine.connect() as conn:
            found = rating_figures(conn, ACCOUNT, since=NOW - timedelta(days=1), until=NOW)
    assert found.agents == {"helped": 2, "not_helped": 1, "wrong_category": 1}
    assert found.by_source["tag"] == {"helped": 1, "not_helped": 0, "wrong_category": 1}
    assert found.by_target["answer"]["not_helped"] == 1
    assert found.customers["ticketbot"] == {"good": 1, "bad": 0, "satisfaction": 1.0}
    assert found.customers["person_after_note"] == {"good": 1, "bad": 1, "satisfaction": 0.5}
    assert found.customers["person_alone"] == {"good": 0, "bad": 1, "satisfaction": 0.0}
    assert found.risk_calibration == [
        {"from": 0.0, "to": 0.25, "tickets": 1, "predicted": 0.1, "rated_bad": 0.0},
        {"from": 0.5, "to": 0.75, "tickets": 1, "predicted": 0.6, "rated_bad": 0.0},
        {"from": 0.75, "to": 1.0, "tickets": 1, "predicted": 0.9, "rated_bad": 1.0},
    ]
    lines = rating_lines(found)
    assert lines[0] == "Agents' ratings: 2 helped, 1 did not help, 1 wrong category"
    assert "Agents on answers: 0 helped, 1 did not" in lines
    assert "Agents on macros: 1 helped, 0 did not" in lines

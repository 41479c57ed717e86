"""The ticket list sorted by each shown column through ``sort=`` / ``order=`` (a whitelist),
over HTTP on a real uvicorn server: the rows come in that order, ties by time, a sort the
list does not know is named and the list stays newest first, and the links keep the sort."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from ticket_processor.audit.store import AuditStore
from ticket_processor.dashboard.access import Access
from ticket_processor.dashboard.filters import ListQuery
from ticket_processor.dashboard.server import serve_in_thread
from ticket_processor.dashboard.web import DashboardConfig, build_app

ACCOUNT = "zendesk:127.0.0.1"
# ticket id, category, urgency, sentiment, engine, confidence, decision; oldest first.
ROWS = [
    (11, "refund", "low", "neutral", "rules", 0.91, "applied"),
    (7, "billing", "critical", "negative", "llm", 0.42, "suggested"),
    (30, "bug", "high", "positive", "learned", 0.77, "abstained"),
    (2, "account", "medium", "neutral", "llm", 0.65, "applied"),
]


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    state = tmp_path / "state"
    start = datetime.now(UTC) - timedelta(hours=1)
    with AuditStore.open(None, state_dir=state, account=ACCOUNT) as store:
        store.upsert_decisions(
            [
                {
                    "run_id": "r1",
                    "at": start + timedelta(minutes=i),
                    "helpdesk": "zendesk",
                    "status": "written",
                    "ticket_id": ticket,
                    "subject": f"ticket {ticket}",
                    "category": category,
                    "urgency": urgency,
                    "sentiment": sentiment,
                    "engine": engine,
                    "confidence": confidence,
                    "decision": decision,
                }
                for i, (ticket, category, urgency, sentiment, engine, confidence, decision) in (
                    enumerate(ROWS)
                )
            ]
        )
    app = build_app(
        DashboardConfig(
            open_store=lambda: AuditStore.open(None, state_dir=state, account=ACCOUNT),
            access=Access(token=None, proxy_header=None, review=False, loopback=True),
        )
    )
    with serve_in_thread(app) as served:
        yield served


def _order(url: str, **params: str) -> list[int]:
    page = httpx.get(url + "/tickets", params=params, timeout=20)
    assert page.status_code == 200
    return [int(i) for i in re.findall(r'<tr data-ticket-id="(\d+)"', page.text)]


def test_each_column_sorts_the_list(url: str) -> None:
    assert _order(url) == [2, 30, 7, 11]  # newest first, as before
    assert _order(url, sort="oldest") == [11, 7, 30, 2]
    assert _order(url, sort="ticket") == [30, 11, 7, 2]
    assert _order(url, sort="ticket", order="asc") == [2, 7, 11, 30]
    assert _order(url, sort="category") == [2, 7, 30, 11]
    assert _order(url, sort="category", order="desc") == [11, 30, 7, 2]
    assert _order(url, sort="confidence") == [11, 30, 2, 7]
    assert _order(url, sort="confidence", order="asc") == [7, 2, 30, 11]
    # By severity, the most urgent first: critical, high, medium, low (not by name).
    assert _order(url, sort="urgency") == [7, 30, 2, 11]
    assert _order(url, sort="urgency", order="asc") == [11, 2, 30, 7]
    # Ties go by time in the sort's direction (A to Z: the older first).
    assert _order(url, sort="sentiment") == [7, 11, 2, 30]
    assert _order(url, sort="engine") == [30, 7, 2, 11]
    assert _order(url, sort="decision") == [30, 11, 2, 7]


def test_an_unknown_sort_is_named_and_left_out(url: str) -> None:
    page = httpx.get(url + "/tickets", params={"sort": "subject; DROP TABLE decisions"}, timeout=30)
    assert "sort: &#39;subject; DROP TABLE decisions&#39; is not one of" in page.text
    assert _order(url, sort="subject; DROP TABLE decisions") == [2, 30, 7, 11]
    bad = httpx.get(url + "/tickets", params={"sort": "category", "order": "sideways"}, timeout=30)
    assert "order: &#39;sideways&#39; is not asc or desc" in bad.text
    assert _order(url, sort="category", order="sideways") == [2, 7, 30, 11]


def test_the_sort_is_a_link_and_the_pages_keep_it(url: str) -> None:
    query = ListQuery.parse({"sort": "category", "order": "desc", "category": "bug"})
    assert query.params() == {"sort": "category", "order": "desc", "category": "bug"}
    assert ListQuery.parse(query.params()) == query
    assert "sort=category" in query.link(page=2)
    assert "order=desc" in query.link(page=2)
    assert query.sort_link("category").endswith("sort=category")  # the other direction: asc
    assert "sort=confidence" in query.sort_link("confidence")
    page = httpx.get(url + "/tickets", params={"sort": "confidence"}, timeout=20).text
    assert 'aria-sort="descending"' in page
    assert 'href="/tickets?sort=confidence&amp;order=asc"' in page

"""What the dashboard answers to values no form of its own sends: dates at the calendar's ends,
ticket ids longer than the store's column, a CSRF value with non-ASCII characters. Each is a
4xx or a page that names the value, never a 500. A refused review is shown as a failure, not in
the box of a success. A real uvicorn server on port 0 over a store written through the store's
own API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from support.dashboard import TOKEN, bearer, csrf_of, rows_of

from ticket_processor.audit.store import AuditStore
from ticket_processor.dashboard.access import Access
from ticket_processor.dashboard.review import ReviewDesk
from ticket_processor.dashboard.server import serve_in_thread
from ticket_processor.dashboard.web import DashboardConfig, build_app
from ticket_processor.writeback.label_review import ReviewOutcome
from ticket_processor.writeback.planner import ReviewedLabel

ACCOUNT = "zendesk:127.0.0.1"


class NoReviewer:
    def apply(self, ticket_id: int, label: ReviewedLabel) -> ReviewOutcome:
        raise AssertionError("a refused form must not reach the reviewer")


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    state = tmp_path / "state"
    now = datetime.now(UTC)
    with AuditStore.open(None, state_dir=state, account=ACCOUNT) as store:
        store.upsert_runs([{"run_id": "r1", "helpdesk": "zendesk", "started_at": now}])
        store.upsert_decisions(
            [
                {
                    "run_id": "r1",
                    "at": now,
                    "helpdesk": "zendesk",
                    "status": "written",
                    "ticket_id": 7,
                    "subject": "Order 1234567890123456789012345 never came",
                    "category": "billing",
                    "decision": "applied",
                }
            ]
        )
    app = build_app(
        DashboardConfig(
            open_store=lambda: AuditStore.open(None, state_dir=state, account=ACCOUNT),
            access=Access(token=TOKEN, review=True),
            review=ReviewDesk(NoReviewer(), {"category": ["billing"]}),
        )
    )
    with serve_in_thread(app) as found:
        yield found


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ("until=9999-12-31", "until: &#39;9999-12-31&#39; is not between"),
        ("since=0001-01-01", "since: &#39;0001-01-01&#39; is not between"),
        ("since=9999-12-31&until=9999-12-31", "is not between 1970-01-01 and 9998-12-31"),
    ],
)
def test_dates_at_the_calendars_ends_are_named_not_a_500(url: str, query: str, said: str) -> None:
    page = httpx.get(f"{url}/tickets?{query}", headers=bearer(), timeout=30)
    assert page.status_code == 200
    assert said in page.text
    assert set(rows_of(page.text)) == {7}  # the filter it could not use is left out


def test_a_25_digit_search_is_words_of_the_subject(url: str) -> None:
    page = httpx.get(url + "/tickets?q=1234567890123456789012345", headers=bearer(), timeout=30)
    assert page.status_code == 200
    assert set(rows_of(page.text)) == {7}
    assert httpx.get(url + "/tickets?q=%23²", headers=bearer(), timeout=30).status_code == 200


def test_a_23_digit_ticket_id_is_a_404(url: str) -> None:
    page = httpx.get(url + "/tickets/12345678901234567890123", headers=bearer(), timeout=30)
    assert page.status_code == 404
    assert httpx.get(url + "/tickets/7", headers=bearer(), timeout=30).status_code == 200


def test_a_non_ascii_csrf_value_is_a_403(url: str) -> None:
    with httpx.Client(base_url=url, timeout=30) as client:
        client.post("/login", data={"token": TOKEN})
        for path in ("/review", "/logout"):
            sent = client.post(
                path, data={"accept": "7:category", "csrf": "é" * 64}, headers={"origin": url}
            )
            assert sent.status_code == 403
            assert "CSRF" in sent.text
        # A review item whose number int() cannot read is nothing chosen, not a 500.
        token = csrf_of(client.get("/review").text)
        for item in ("²:category", "99999999999999999999999:category"):
            sent = client.post(
                "/review", data={"accept": item, "csrf": token}, headers={"origin": url}
            )
            assert sent.status_code == 303
            assert "nothing+chosen" in sent.headers["location"]


def test_a_refused_review_is_shown_as_a_failure_not_a_success(url: str) -> None:
    with httpx.Client(base_url=url, timeout=30) as client:
        client.post("/login", data={"token": TOKEN})
        token = csrf_of(client.get("/review").text)
        sent = client.post(
            "/review", data={"accept": "999:category", "csrf": token}, headers={"origin": url}
        )
        assert sent.status_code == 303
        page = client.get(sent.headers["location"])
    assert "decision 999: not in the store" in page.text
    assert '<p class="notice refused" id="result" role="alert">' in page.text
    assert ".notice.refused{" in client_css(url)


def client_css(url: str) -> str:
    return httpx.get(url + "/static/dashboard.css", headers=bearer(), timeout=30).text

"""The ticket list's view from a URL and back: every filter a parameter, a bad value said and
left out, the link to another page keeping the filters."""

from __future__ import annotations

from datetime import UTC, date, datetime
from urllib.parse import parse_qs, urlsplit

from ticket_processor.dashboard.filters import DEFAULT_PAGE_SIZE, ListQuery


def test_every_filter_reads_from_the_query_and_writes_back() -> None:
    params = {
        "q": "refund",
        "category": "billing",
        "urgency": "high",
        "sentiment": "negative",
        "language": "de",
        "engine": "learned",
        "run": "20261125T040000Z-abc123",
        "decision": "suggested",
        "answered": "no",
        "corrected": "yes",
        "min_confidence": "0.2",
        "max_confidence": "0.8",
        "since": "2026-11-01",
        "until": "2026-11-24",
        "sort": "oldest",
        "page": "3",
        "per_page": "25",
    }
    query = ListQuery.parse(params)
    assert not query.errors
    assert query.decision == "suggested"
    assert query.answered is False
    assert query.corrected is True
    assert query.min_confidence == 0.2
    assert query.until == date(2026, 11, 24)
    assert query.params() == params
    start, end = query.window()
    assert start == datetime(2026, 11, 1, tzinfo=UTC)
    assert end == datetime(2026, 11, 25, tzinfo=UTC)  # the whole of "until"


def test_a_bad_value_is_named_and_left_out() -> None:
    query = ListQuery.parse(
        {"decision": "maybe", "min_confidence": "2", "since": "yesterday", "page": "x"}
    )
    assert query.decision is None
    assert query.min_confidence is None
    assert query.since is None
    assert query.page == 1
    assert [e.split(":")[0] for e in query.errors] == [
        "decision",
        "min_confidence",
        "since",
        "page",
    ]


def test_a_link_keeps_the_filters_and_a_filter_change_goes_to_page_one() -> None:
    query = ListQuery.parse({"category": "billing", "decision": "suggested", "page": "2"})
    next_page = parse_qs(urlsplit(query.link(page=3)).query)
    assert next_page == {"category": ["billing"], "decision": ["suggested"], "page": ["3"]}
    other = parse_qs(urlsplit(query.link(category="shipping")).query)
    assert other == {"category": ["shipping"], "decision": ["suggested"]}
    assert ListQuery.parse({}).link() == "/tickets"
    assert ListQuery.parse({"per_page": "7"}).per_page == DEFAULT_PAGE_SIZE


def test_a_page_size_not_offered_is_named_not_replaced_silently() -> None:
    # A new user asked for 10 rows and got 50, with no word; 100000 was named.
    for asked in ("10", "1", "99"):
        query = ListQuery.parse({"per_page": asked})
        assert query.per_page == DEFAULT_PAGE_SIZE
        assert query.errors == (f"per_page: {asked} is not one of 25, 50, 100",)
    assert ListQuery.parse({"per_page": "25"}).errors == ()

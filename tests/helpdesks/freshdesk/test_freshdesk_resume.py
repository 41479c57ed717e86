"""Where the next run starts after Freshdesk's list (``paging.resume_at``): past the last
ticket's second only once Freshdesk's own clock (the answer's ``Date``) has left it, so a ticket
written later in that second is never missed, and a quiet run does not read it again."""

from __future__ import annotations

from datetime import UTC, datetime

from ticket_processor.helpdesks.freshdesk.paging import answered_at, resume_at

TOP = "2026-11-27T18:04:22Z"


def test_the_next_run_starts_past_a_second_that_is_over() -> None:
    over = datetime(2026, 11, 27, 18, 4, 24, tzinfo=UTC)
    assert resume_at(TOP, over) == "2026-11-27T18:04:23Z"


def test_a_second_that_may_still_take_writes_is_read_again() -> None:
    for second in (22, 23):  # the same second, or the next, when the query may have run in it
        assert resume_at(TOP, datetime(2026, 11, 27, 18, 4, second, tzinfo=UTC)) == TOP
    assert resume_at(TOP, None) == TOP  # no Date: nothing known, read it again


def test_the_answer_time_is_freshdesks_date_header() -> None:
    said = answered_at({"Date": "Fri, 27 Nov 2026 18:04:24 GMT"})
    assert said == datetime(2026, 11, 27, 18, 4, 24, tzinfo=UTC)
    assert answered_at({}) is None
    assert answered_at({"Date": "yesterday"}) is None

"""The rising rule: far above the category's own baseline, robust to weekdays and small counts."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from ticket_processor.common.baseline import poisson_tail
from ticket_processor.topics.rising import (
    DAYS_KEPT,
    DailyCounts,
    load_counts,
    mark_reported,
    rising,
    save_counts,
)

TODAY = date(2026, 11, 25)  # a Wednesday


def _history(per_day: dict[str, int], days: int = 21) -> DailyCounts:
    counts = DailyCounts({}, {})
    for back in range(days, 0, -1):
        counts.add(TODAY - timedelta(days=back), per_day)
    return counts


def test_a_jump_far_above_the_baseline_rises_and_a_steady_day_does_not() -> None:
    counts = _history({"billing": 4, "shipping": 20})
    counts.add(TODAY, {"billing": 25, "shipping": 22})
    found = rising(counts, TODAY)
    assert [r.key for r in found] == ["billing"]
    assert found[0].baseline == 4


def test_reported_once_a_day() -> None:
    counts = _history({"billing": 4})
    counts.add(TODAY, {"billing": 25})
    mark_reported(counts, rising(counts, TODAY), TODAY)
    counts.add(TODAY, {"billing": 10})
    assert rising(counts, TODAY) == []


def test_a_weekly_peak_is_compared_with_the_same_weekday() -> None:
    counts = DailyCounts({}, {})
    for back in range(28, 0, -1):
        day = TODAY - timedelta(days=back)
        counts.add(day, {"billing": 30 if day.weekday() == TODAY.weekday() else 3})
    counts.add(TODAY, {"billing": 32})
    assert rising(counts, TODAY) == []


def test_few_tickets_and_short_history_never_rise() -> None:
    quiet = _history({"billing": 0, "other": 1})
    quiet.add(TODAY, {"billing": 6})  # from nothing, but below the minimum count
    assert rising(quiet, TODAY) == []
    young = DailyCounts({}, {})
    young.add(TODAY - timedelta(days=1), {"billing": 1})
    young.add(TODAY, {"billing": 50})
    assert rising(young, TODAY) == []


def test_the_file_keeps_a_bounded_window_and_survives_garbage(tmp_path: Path) -> None:
    counts = DailyCounts({}, {})
    for back in range(400, -1, -1):
        counts.add(TODAY - timedelta(days=back), {"billing": 3})
    assert len(counts.days) <= DAYS_KEPT + 1
    save_counts(tmp_path, counts)
    assert load_counts(tmp_path).days == counts.days
    (tmp_path / "topic_counts.json").write_bytes(b"\x00not json")
    assert load_counts(tmp_path).days == {}


def test_poisson_tail() -> None:
    assert abs(poisson_tail(0, 3.0) - 1.0) < 1e-12
    assert abs(poisson_tail(1, 2.0) - (1 - 0.1353352832366127)) < 1e-9
    assert poisson_tail(40, 4.0) < 1e-15


def test_a_seed_fills_only_whole_and_each_ticket_once() -> None:
    counts = DailyCounts({}, {})
    # A run counted part of that day (it started in its afternoon): its tickets are among the
    # seed's, which read the whole day.
    counts.add(TODAY - timedelta(days=2), {"billing": 5, "shipping": 1})
    assert counts.needs_seed(TODAY)
    counts.seed_add(TODAY - timedelta(days=6), {"billing": 2})
    counts.seed_add(TODAY - timedelta(days=2), {"billing": 40})
    counts.seed_add(TODAY - timedelta(days=1), {"billing": 3})
    assert counts.history_days(TODAY) == 1  # nothing judged on half a reading
    filled = counts.seed_complete(TODAY - timedelta(days=14), TODAY)
    # From the first day it found a ticket on (six days back), not the fourteen asked for.
    assert filled == 5
    assert counts.series("billing", TODAY - timedelta(days=1), 7) == [0, 2, 0, 0, 0, 40, 3]
    assert counts.series("shipping", TODAY - timedelta(days=1), 7) == [0, 0, 0, 0, 0, 1, 0]
    assert (counts.pending, counts.seeded) == ({}, True)
    assert not counts.needs_seed(TODAY)


def test_a_runs_tickets_count_on_the_day_they_were_created_and_once() -> None:
    counts = DailyCounts({}, {})
    yesterday = TODAY - timedelta(days=1)
    counts.add_created(TODAY, {"billing": 4}, TODAY)
    counts.add_created(None, {"billing": 1}, TODAY)  # no known day: today
    counts.add_created(yesterday, {"billing": 6}, TODAY)  # a first run's last 24 hours
    assert counts.series("billing", TODAY, 2) == [6, 5]
    # The seed, in the same run, read yesterday whole: those six among its nine.
    counts.seed_add(yesterday, {"billing": 9})
    counts.seed_complete(TODAY - timedelta(days=14), TODAY)
    assert counts.series("billing", TODAY, 2) == [9, 5]
    # The next run takes the rest of yesterday's backlog: the seed counted those already.
    counts.add_created(yesterday, {"billing": 3}, TODAY)
    assert counts.series("billing", TODAY, 2) == [9, 5]
    # Tomorrow, a ticket of today's last minute joins today's count, not tomorrow's.
    counts.add_created(TODAY, {"billing": 1}, TODAY + timedelta(days=1))
    assert counts.series("billing", TODAY + timedelta(days=1), 3) == [9, 6, 0]


def test_a_backfills_old_tickets_join_no_day() -> None:
    counts = DailyCounts({}, {})
    counts.add_created(TODAY - timedelta(days=3), {"billing": 50}, TODAY, past=False)
    counts.add_created(TODAY, {"billing": 2}, TODAY, past=False)
    assert counts.days == {TODAY.isoformat(): {"billing": 2}}


def test_the_seeds_end_survives_a_save(tmp_path: Path) -> None:
    counts = DailyCounts({}, {})
    counts.seed_complete(TODAY - timedelta(days=14), TODAY)
    save_counts(tmp_path, counts)
    assert load_counts(tmp_path).seed_end == TODAY.isoformat()


def test_a_seed_that_found_nothing_leaves_the_history_unknown() -> None:
    counts = DailyCounts({}, {})
    counts.seed_complete(TODAY - timedelta(days=14), TODAY)
    counts.add(TODAY, {"billing": 30})
    assert counts.history_days(TODAY) == 0
    assert rising(counts, TODAY) == []


def test_the_seed_counts_a_ticket_under_the_category_ticketbot_tagged() -> None:
    from ticket_processor.models import Ticket
    from ticket_processor.topics.run_pass import categoriser
    from ticket_processor.triage.chain import LocalEngine
    from ticket_processor.triage.rules import RulesEngine
    from ticket_processor.triage.taxonomy import load_taxonomy

    taxonomy = load_taxonomy(None)
    primed: list[list[str]] = []
    categorise = categoriser(
        taxonomy, "ai_", [LocalEngine("rules", RulesEngine(taxonomy))], primed.append
    )
    refund = "I want my money back for order 12, refund please"
    tagged = Ticket(id=1, subject="Refund", description=refund, tags=("ai_category_billing",))
    untagged = Ticket(id=2, subject="Refund", description=refund)
    found = categorise([tagged, untagged])
    assert found[0] == ("billing", None)  # the tag, not what the rules make of the text
    assert found[1][0] == "refund"
    assert len(primed) == 1  # one batch for the page's untagged texts
    assert primed[0] == [f"Refund\n{refund}"]

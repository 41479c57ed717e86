"""How the cautions read: the summary line quotes them as the docs show them, one known customer
is one customer, and health counts the spam gate's over the log's last day rather than over
whichever batch ran last."""

from __future__ import annotations

from ticket_processor.commands.render import summary_line
from ticket_processor.ops.health_verdicts import caution_check
from ticket_processor.passes.caution import Caution, say
from ticket_processor.passes.types import RunSummary
from ticket_processor.spam.run_pass import known_customers


def test_the_summary_line_quotes_cautions_in_double_quotes_whatever_their_words() -> None:
    summary = RunSummary("r1")
    say(summary, Caution("answers", "draft-only", "until calibrated", "no calibration yet"))
    assert 'cautious="answers: draft-only until calibrated (no calibration yet)"' in summary_line(
        summary
    )
    say(summary, known_customers(2, when="in this run"))
    assert 'cautious="answers: ' in summary_line(summary)


def test_one_known_customer_is_one_customer() -> None:
    assert "(1 known customer's ticket in this run the learned model" in (
        known_customers(1, when="in this run").text()
    )
    assert "(3 known customers' tickets in the last 24 h the learned" in (
        known_customers(3, when="in the last 24 h").text()
    )


def test_health_counts_the_spam_gates_known_customers_over_the_days_log() -> None:
    quiet_last_run = {"run_id": "r2", "cautions": {"incidents": "suggest-only until 7 days"}}
    events = [
        {"event": "spam_judged", "run_id": "r1", "known": 2, "dry_run": False},
        {"event": "spam_judged", "run_id": "r2", "known": 0, "dry_run": False},
        {"event": "spam_judged", "run_id": "r3", "known": 5, "dry_run": True},
    ]
    check = caution_check(quiet_last_run, events)
    assert check is not None
    assert "incidents: suggest-only until 7 days" in check.reason
    assert "spam: suggest-only for known customers" in check.reason
    assert "2 known customers' tickets in the last 24 h" in check.reason
    # The last run's own count is not health's: only the day's log is.
    busy_last_run = {"run_id": "r1", "cautions": {"spam": "suggest-only (9 in this run)"}}
    assert caution_check(busy_last_run, []) is None

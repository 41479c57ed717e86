"""The report's spam gate figures from plain events: each ticket counted and named once under its
latest verdict (gated, suggested, or lifted by a customer's reply), so the counts are of the
tickets named; dry and shadow runs apart (by their flag or their run's id), as their lines said
them; and nothing said when the gate set nothing aside."""

from __future__ import annotations

from typing import Any

from ticket_processor.report.html import spam_section
from ticket_processor.report.spam import spam_lines, spam_report


def _judged(run: str, applied: dict[str, Any], suggested: Any, **more: Any) -> dict[str, Any]:
    return {
        "event": "spam_judged",
        "run_id": run,
        "applied": applied,
        "suggested": suggested,
        **more,
    }


def _triaged(run: str, ticket: int, *tags: str, **more: Any) -> dict[str, Any]:
    return {
        "event": "ticket_triaged",
        "run_id": run,
        "ticket_id": ticket,
        "tags_added": list(tags),
        **more,
    }


EVENTS = [
    _judged("r1", {"phishing": 2}, 1),
    _judged("r2", {"spam": 1, "phishing": 1}, 0, known=1),
    _judged("dry", {"phishing": 5}, 4, dry_run=True),
    _judged("shadow", {"spam": 3}, 0),  # a shadow run's event does not say so
    _judged("r3", {"spam": True, "auto_sender": "x"}, None),  # hand-edited: ignored
    _triaged("r1", 12, "ai_processed", "ai_phishing"),
    _triaged("r1", 14, "ai_suggested_spam"),
    _triaged("r2", 14, "ai_phishing"),  # gated on its next triage: named once, gated
    _triaged("r2", 11, "ai_spam"),
    _triaged("dry", 30, "ai_phishing", dry_run=True),
    _triaged("shadow", 31, "ai_spam"),
    _triaged("r2", 15, "ai_suggested_spam"),
]


def _replied(run: str, ticket: int, *removed: str, **more: Any) -> dict[str, Any]:
    return {
        "event": "reply_triaged",
        "run_id": run,
        "ticket_id": ticket,
        "wrote": True,
        "tags_removed": list(removed),
        **more,
    }


def test_figures_and_tickets() -> None:
    found = spam_report(EVENTS, prefix="ai_", dry_runs={"shadow"})
    assert found.to_dict() == {
        "gated": {"phishing": 2, "spam": 1},
        "gated_total": 3,
        "suggested": 1,
        "lifted": 0,
        "known_customers": 1,
        "gated_tickets": [11, 12, 14],
        "suggested_tickets": [15],
        "lifted_tickets": [],
        "dry_runs": {
            "gated": {"phishing": 5, "spam": 3},
            "gated_total": 8,
            "suggested": 4,
            "lifted": 0,
            "known_customers": 0,
        },
    }
    assert spam_lines(found) == [
        "spam gate: 3 gated (phishing 2, spam 1), 1 suggested",
        "  gated: #11, #12, #14",
        "  suggested: #15",
        "  only suggested for known customers: 1 (the learned model alone would have gated them)",
        "dry runs (nothing tagged): spam gate: 8 would gate (phishing 5, spam 3), 4 suggested",
    ]
    html = "".join(spam_section(found))
    assert "<h2>Spam gate: 3 gated, 1 suggested</h2>" in html
    assert "<p>Gated: #11, #12, #14</p>" in html


def test_another_prefix_and_many_tickets_bounded() -> None:
    events = [_triaged("r", n, "tb_auto_sender") for n in range(1, 16)]
    found = spam_report([_judged("r", {"auto_sender": 15}, 0), *events], prefix="tb_")
    assert found.gated_tickets == list(range(1, 16))
    assert spam_lines(found)[1] == "  gated: #1, #2, #3, #4, #5, #6, #7, #8, #9, #10 and 5 more"


def test_nothing_set_aside_says_nothing() -> None:
    found = spam_report([_triaged("r", 1, "ai_processed")], prefix="ai_")
    assert found.empty
    assert spam_lines(found) == []
    assert spam_section(found) == []


def test_a_lifted_verdict_and_a_reply_only_runs_suggestion_count_as_the_tickets_say() -> None:
    """A gated ticket whose requester wrote as a customer is named lifted, not gated; a run whose
    event still said "1 suggested" for a reply it tagged nothing on names no suggestion, so
    counts no suggestion: the report counts the tickets it names."""
    events = [
        _judged("r1", {"auto_sender": 2}, 0),
        _triaged("r1", 82, "ai_processed", "ai_auto_sender"),
        _triaged("r1", 83, "ai_processed", "ai_auto_sender"),
        _judged("r2", {}, 1),  # an older run's reply judgement: no ticket got the tag
        _replied("r2", 82, "ai_urgency_medium", "ai_auto_sender"),
        _replied("r2", 83, "ai_urgency_medium"),  # re-triaged, its verdict kept
    ]
    found = spam_report(events, prefix="ai_")
    assert (found.runs.gated, found.runs.suggested, found.runs.lifted) == ({"auto_sender": 1}, 0, 1)
    assert (found.gated_tickets, found.suggested_tickets, found.lifted_tickets) == ([83], [], [82])
    assert spam_lines(found) == [
        "spam gate: 1 gated (auto_sender 1), 0 suggested, 1 lifted",
        "  gated: #83",
        "  lifted: #82",
    ]
    assert "<p>Lifted: #82</p>" in "".join(spam_section(found))

"""The articles to write and the time saved, from plain events and stored rows."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, cast

from rich.console import Console

from ticket_processor.answers.answering import RunAnswers
from ticket_processor.answers.step import AnswersStep
from ticket_processor.report.aggregate import build_report, with_time_saved
from ticket_processor.report.html import render_html
from ticket_processor.report.table import print_report
from ticket_processor.report.to_write import StoredTicket, articles_to_write, gaps, no_source

# The section a step showed the agent on a ticket (``steps.shown``), as the event stores it.
MACRO_SECTION = {
    "step": "macros",
    "title": "Suggested macros",
    "rows": [{"label": "Slack setup", "value": "9", "detail": "confidence 0.80"}],
}
# Tickets solved before inform the agent, but are no source: the kind still wants an article.
SOLVED_SECTION = {
    "step": "solved",
    "title": "Similar solved tickets",
    "rows": [{"label": "#41", "value": "41", "detail": "similarity 0.62"}],
    "source": False,
}

# What the answers step shows of a reply it held back for want of an article.
HELD = AnswersStep(cast(RunAnswers, None)).shown(
    {"answer_refused": "no_article", "answer_mode": "send"}
)
assert HELD is not None
HELD_SECTION = HELD.stored()


def refused(ticket: int, reason: str = "no_article", **extra: Any) -> dict[str, Any]:
    return {
        "event": "answer_refused",
        "run_id": "r",
        "ticket_id": ticket,
        "category": "how_to",
        "reason": reason,
        **extra,
    }


def test_only_a_refusal_for_want_of_a_source_is_an_article_to_write() -> None:
    assert no_source("no_article")
    assert no_source("no_macro")
    assert no_source("no_documents")
    assert not any(map(no_source, ("negative", "own_case", "triage_unsure", "ambiguous", None)))


def test_a_guards_refusal_with_no_public_source_is_an_article_to_write() -> None:
    """Refused first for another reason (an unsure triage, the customer's own case), a ticket
    the index found no public source for was never listed; one that had a source stays a
    person's ticket."""
    events = [
        refused(1, "triage_unsure", sources=0),
        refused(2, "own_case", sources=0),
        refused(3, "triage_unsure", sources=2),
        refused(4, "negative"),  # logged before the count: not known, not listed
    ]
    assert sorted(gaps(events, set())) == [1, 2]


def test_a_macro_or_document_source_or_a_later_answer_counts_as_answered() -> None:
    events = [
        refused(1),
        refused(2),
        refused(3),  # a macro was suggested: agents had something to answer with
        refused(4),  # answered later (a document, a second look): not a gap
        {"event": "answer_sent", "run_id": "r", "ticket_id": 4, "category": "how_to"},
        refused(5, reason="negative"),  # a person's ticket, not a missing article
        refused(6, run_id="dry"),
        refused(7, shadow=True),
        refused(8),
    ]
    stored = {
        1: StoredTicket("Connect to Slack", "how_to", "integrations"),
        2: StoredTicket(
            "Slack integration, mail me at jo@example.com",
            "how_to",
            "integrations",
            {"shown": [SOLVED_SECTION]},
        ),
        3: StoredTicket("Slack app", "how_to", "integrations", {"shown": [MACRO_SECTION]}),
        # The answers' own section says why the reply was held back: no source either.
        8: StoredTicket("Print labels", "shipping", None, {"shown": [HELD_SECTION]}),
    }
    found = articles_to_write(events, stored, {"dry"})
    assert [(g.kind, g.tickets) for g in found] == [("how_to/integrations", 2), ("shipping", 1)]
    first = found[0]
    assert "slack" in first.name
    assert "Connect to Slack" in first.examples
    assert not any("jo@example.com" in e for e in first.examples)  # redacted again
    assert found[1].examples == ["Print labels"]


def test_without_the_store_the_refusals_category_groups_them() -> None:
    found = articles_to_write([refused(1), refused(2), refused(3, category="billing")], {}, set())
    assert [(g.kind, g.tickets, g.examples) for g in found] == [
        ("how_to", 2, []),
        ("billing", 1, []),
    ]


def test_time_saved_counts_real_work_at_the_assumed_seconds() -> None:
    events: list[dict[str, Any]] = [
        {"event": "run_started", "run_id": "a", "ts": "2026-01-01T00:00:00Z"},
        *(
            {"event": "ticket_triaged", "run_id": "a", "ticket_id": n, "category": "billing"}
            for n in (1, 2, 3)
        ),
        {"event": "run_finished", "run_id": "a", "ts": "2026-01-01T00:01:00Z", "triaged": 3},
        {"event": "run_started", "run_id": "s", "ts": "2026-01-01T01:00:00Z", "shadow": True},
        {"event": "ticket_triaged", "run_id": "s", "ticket_id": 4, "category": "billing"},
        {"event": "run_finished", "run_id": "s", "ts": "2026-01-01T01:01:00Z", "triaged": 1},
        {"event": "agreement", "ticket_id": 1, "field": "category", "ticketbot": "a", "agent": "a"},
        {"event": "agreement", "ticket_id": 2, "field": "category", "ticketbot": "a", "agent": "b"},
        {"event": "answer_sent", "run_id": "a", "ticket_id": 3, "category": "billing"},
        {"event": "answer_draft_judged", "run_id": "a", "category": "billing", "accepted": True},
    ]
    report = build_report(events)
    saved = with_time_saved(report, per_triage=30, per_suggestion=10, per_answer=120).time_saved
    assert saved is not None
    # Three tickets a real run wrote (the shadow run's saved nothing), one label kept and one
    # draft used, one answer sent.
    assert (saved.triaged, saved.suggestions_kept, saved.answers_sent) == (3, 2, 1)
    assert saved.seconds == 3 * 30 + 2 * 10 + 120
    assert (
        saved.formula() == "3 triaged × 30 s + 2 suggestions kept × 10 s + 1 answers sent × 120 s"
    )
    assert (
        with_time_saved(report, per_triage=0, per_suggestion=0, per_answer=0).to_dict()[
            "time_saved"
        ]["seconds"]
        == 0
    )


def test_a_hostile_subject_is_shown_as_written_in_the_text_and_escaped_in_the_page() -> None:
    subject = "[red]Help[/red] <script>alert(1)</script>"
    events: list[dict[str, Any]] = [
        {"event": "ticket_triaged", "run_id": "a", "ticket_id": 1, "category": "how_to"},
        refused(1, run_id="a"),
    ]
    report = build_report(events)
    report = replace(
        report, to_write=articles_to_write(events, {1: StoredTicket(subject, "how_to")}, set())
    )
    console = Console(record=True, width=200)
    print_report(report, console, log_dir=Path("."))
    assert subject in console.export_text()
    page = render_html(report)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_an_empty_list_of_articles_to_write_says_what_would_fill_it() -> None:
    events: list[dict[str, Any]] = [
        {"event": "ticket_triaged", "run_id": "a", "ticket_id": 1, "category": "how_to"},
    ]
    report = build_report(events)
    assert not report.to_write
    console = Console(record=True, width=200)
    print_report(report, console, log_dir=Path("."))
    text = " ".join(console.export_text().split())
    assert "Articles to write: none in this window" in text
    assert "with answers off, none is weighed" in text
    page = render_html(report)
    assert "<h2>Articles to write</h2>" in page
    assert "none in this window" in page

"""The dashboard's ticket page shows what any step made of its decision (``steps.shown``) from the
stored event alone: a step the dashboard never heard of shows with no line in the dashboard, a
section is escaped, and what a stored event holds that is not shaped as a section is passed by.
A real uvicorn server on port 0 over a store written through the store's own API; the macros'
section from a real run is ``tests/macros/test_macros_shown.py``'s, on both sandboxes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from support.dashboard import TOKEN, bearer

from ticket_processor.audit.store import AuditStore
from ticket_processor.dashboard.access import Access
from ticket_processor.dashboard.server import serve_in_thread
from ticket_processor.dashboard.web import DashboardConfig, build_app
from ticket_processor.macros.book import MacroBook
from ticket_processor.macros.step import MacroStep
from ticket_processor.models.ready_reply import ReadyReply
from ticket_processor.steps.protocol import Step
from ticket_processor.steps.shown import SHOWN_KEY, Shown, ShownRow, read_sections

ACCOUNT = "zendesk:127.0.0.1"
HOSTILE = '<script>alert("x")</script> & more'

GREETING = Shown(
    "hello",
    "What the hello step said",
    "one greeting a row",
    (ShownRow(HOSTILE, "7", "greeting 7"), ShownRow("Good day", "8")),
)


def _page(tmp_path: Path, event: dict[str, Any]) -> str:
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
                    "subject": "Where is my order",
                    "category": "shipping",
                    "decision": "applied",
                    "event": event,
                }
            ]
        )
    config = DashboardConfig(
        open_store=lambda: AuditStore.open(None, state_dir=state, account=ACCOUNT),
        access=Access(token=TOKEN),
    )
    with serve_in_thread(build_app(config)) as url:
        page = httpx.get(f"{url}/tickets/7", headers=bearer(), timeout=60)
    assert page.status_code == 200, page.text
    return page.text


def test_a_section_of_a_step_the_dashboard_does_not_know_shows_escaped(tmp_path: Path) -> None:
    text = _page(tmp_path, {"event": "ticket_triaged", SHOWN_KEY: [GREETING.stored()]})
    section = text.split('id="hello"', 1)[1].split("</section>", 1)[0]
    assert "<h2>What the hello step said</h2>" in section
    assert "one greeting a row" in section
    assert "<script>" not in section
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; more" in section
    assert "greeting 7" in section
    assert section.index("script") < section.index("Good day")  # the step's order


@pytest.mark.parametrize(
    "stored",
    [
        "not a list",
        [None, 3, {"step": "x"}, {"step": "x", "title": "T", "rows": "no"}],
        [{"step": "x", "title": "T", "rows": [None, {"label": {"a": 1}}]}],  # no row left
    ],
)
def test_what_is_not_shaped_as_a_section_is_passed_by(stored: object) -> None:
    assert read_sections({SHOWN_KEY: stored}) == []


def test_a_stored_section_reads_back_as_the_step_made_it_and_long_text_is_cut() -> None:
    assert read_sections({SHOWN_KEY: [GREETING.stored()]}) == [GREETING]
    long = Shown("x", "T", rows=(ShownRow("a" * 10_000),))
    [back] = read_sections({SHOWN_KEY: [long.stored()]})
    assert len(back.rows[0].label) == 500


def test_a_step_shows_nothing_unless_it_says_so() -> None:
    assert Step().shown({"anything": 1}) is None


def test_the_macros_section_lists_them_by_title_best_first() -> None:
    empty = np.zeros((0, 3), np.float32)
    book = MacroBook([ReadyReply(1, "Refund", "x", True)], [], empty, np.zeros((1, 3), np.float32))
    step = MacroStep(book, lambda texts: np.zeros((len(texts), 3), np.float32), "ai_")
    fields = {
        "macros": [
            {"id": 1, "title": "Refund", "confidence": 0.931},
            {"id": 2, "title": "Card", "confidence": 0.4},
        ]
    }
    shown = step.shown(fields)
    assert shown is not None
    assert shown.step == "macros"
    assert shown.title == "Suggested macros"
    assert [(r.label, r.value, r.detail) for r in shown.rows] == [
        ("Refund", "1", "macro 1, confidence 0.93"),
        ("Card", "2", "macro 2, confidence 0.40"),
    ]
    assert step.shown({}) is None

"""Agents' corrections as a quality figure: ``ticket_outcome`` events from discovery,
joined by ``ticketbot report`` with what ticketbot wrote.

End to end against the Zendesk sandbox: ticketbot triages open tickets (rules engine, no LLM),
agents correct some categories and solve every ticket, the next run's discovery logs each
outcome at no extra request, and the report counts how often agents changed ticketbot's labels.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from support.events import Events
from typer.testing import CliRunner

from ticket_processor.cli import app
from ticket_processor.helpdesks.zendesk.sandbox.config import SandboxConfig
from ticket_processor.helpdesks.zendesk.sandbox.server import serve_in_thread
from ticket_processor.learned.outcomes import observe_outcome, outcome_labels
from ticket_processor.models import Ticket
from ticket_processor.report.aggregate import build_report
from ticket_processor.report.agreement import outcome_pairs

TEXTS = [
    ("Refund please", "I returned the blender and still have no refund."),
    ("App crashes", "Since the update the app crashes at login. Error 500."),
    ("Invoice question", "Why was I charged twice on my March invoice?"),
    ("Where is my parcel", "My order has not arrived, tracking shows nothing."),
]


def test_only_solved_triaged_tickets_make_an_outcome() -> None:
    log = Events()
    tags = ("ai_processed", "ai_category_bug", "ai_urgency_high", "ai_category_x", "vip")
    observe_outcome(log, Ticket(id=1, status="open", tags=tags), "ai_")
    observe_outcome(log, Ticket(id=2, status="solved", tags=("ai_category_bug",)), "ai_")
    observe_outcome(log, Ticket(id=3, status="closed", tags=tags), "ai_")
    # Two category tags: ambiguous, so only urgency is compared.
    assert log.items == [
        {
            "event": "ticket_outcome",
            "ticket_id": 3,
            "status": "closed",
            "labels": {"urgency": "high"},
        }
    ]
    assert outcome_labels(Ticket(id=4, status="solved", tags=("x_processed",)), "x_") == {}


def test_the_join_uses_the_latest_real_triage_before_the_outcome() -> None:
    def triaged(ts: str, category: str, **extra: Any) -> dict[str, Any]:
        return {
            "event": "ticket_triaged",
            "ts": ts,
            "ticket_id": 7,
            "category": category,
            "urgency": "low",
            **extra,
        }

    history = [triaged("2026-01-01T00:00:00Z", "bug"), triaged("2026-01-02T00:00:00Z", "refund")]
    window = [
        triaged("2026-01-03T00:00:00Z", "shipping", dry_run=True),  # wrote nothing
        {
            "event": "ticket_outcome",
            "ts": "2026-01-04T00:00:00Z",
            "ticket_id": 7,
            "labels": {"category": "billing", "urgency": "low"},
        },
        triaged("2026-01-05T00:00:00Z", "how_to"),  # after the outcome: not what agents saw
    ]
    [(ticket_id, pair)] = outcome_pairs(window, history)
    assert ticket_id == 7
    assert dict(pair.written) == {"category": "refund", "urgency": "low"}
    report = build_report(window, history=history)
    by_field = {a.field: a for a in report.agreement}
    assert by_field["category"].corrections == [("refund", "billing", 1)]
    assert by_field["urgency"].rate == 1.0
    assert report.corrections["category"]["refund"]["to"] == [("billing", 1)]
    assert build_report(window).agreement == []  # without the history: nothing to join


def test_report_shows_how_often_agents_changed_ticketbots_labels(tmp_path: Path) -> None:
    env = {
        "TICKETBOT_STATE_DIR": str(tmp_path / "state"),
        "TICKETBOT_LOG_DIR": str(tmp_path / "logs"),
        "OPENAI_API_KEY": "",
        "OPENAI_BASE_URL": "",
    }
    runner = CliRunner()
    with serve_in_thread(SandboxConfig(seed=3)) as sb:
        env |= {"ZENDESK_URL": sb.url, "ZENDESK_EMAIL": sb.config.email}
        env["ZENDESK_API_TOKEN"] = sb.config.token
        ids = [
            int(sb.store.create({"subject": s, "comment": {"body": b}, "status": "open"})["id"])
            for s, b in TEXTS * 2
        ]
        first = runner.invoke(app, ["run", "--engine", "rules"], env=env)
        assert first.exit_code == 0, first.output
        written: dict[int, str] = {}
        for n, ticket_id in enumerate(ids):
            tags = list(sb.store.get(ticket_id)["tags"])
            [category] = [t for t in tags if t.startswith("ai_category_")]
            written[ticket_id] = category.removeprefix("ai_category_")
            if n < 3:  # an agent corrects the category
                tags = [t for t in tags if t != category] + ["ai_category_other"]
            sb.store.update(ticket_id, {"tags": tags, "status": "solved"})
        sb.sandbox.reset_stats()
        second = runner.invoke(app, ["run", "--engine", "rules"], env=env)
        assert second.exit_code == 0, second.output
        requests = sb.stats()["requests"]
        # The outcomes cost nothing beyond discovery: no comment, ticket or write request.
        assert not [r for r in requests if "comments" in r or "update_many" in r], requests
        assert any("incremental" in r for r in requests), requests

    lines = (tmp_path / "logs").glob("*.jsonl")
    events = [json.loads(line) for path in lines for line in path.read_text().splitlines()]
    outcomes = [e for e in events if e["event"] == "ticket_outcome"]
    assert sorted(e["ticket_id"] for e in outcomes) == sorted(ids)

    shown = runner.invoke(app, ["report", "--since", "1h", "--json"], env=env)
    assert shown.exit_code == 0, shown.output
    report = json.loads(shown.output)
    category = next(a for a in report["agreement"] if a["field"] == "category")
    changed = sum(1 for n, i in enumerate(ids) if n < 3 and written[i] != "other")
    assert category["compared"] == len(ids)
    assert category["agreed"] == len(ids) - changed
    assert next(a for a in report["agreement"] if a["field"] == "urgency")["rate"] == 1.0
    page = tmp_path / "report.html"
    html = runner.invoke(app, ["report", "--since", "1h", "--html", str(page)], env=env)
    assert html.exit_code == 0, html.output
    text = runner.invoke(app, ["report", "--since", "1h"], env=env)
    assert "Agents' corrections" in text.output
    assert "agreement</h2>" in page.read_text()
    assert re.search(rf"category\W+all\W+{len(ids)}\W", text.output), text.output

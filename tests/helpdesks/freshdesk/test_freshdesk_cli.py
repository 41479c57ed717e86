"""``seed``, ``demo --helpdesk freshdesk``, ``report`` and ``health`` against the Freshdesk
sandbox, through Typer's CliRunner."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from support.cli import invoke

import ticket_processor
from ticket_processor.helpdesks.freshdesk.sandbox import serving
from ticket_processor.helpdesks.freshdesk.sandbox.serving import RunningFreshdesk
from ticket_processor.helpdesks.sample_replies import sample_replies

CREATE = "POST /api/v2/tickets"
# The sample macros' solved history, seeded beside the sample tickets
# (``samples/ready_replies.jsonl``).
HISTORY = len(sample_replies()[1])
SAMPLE_ROUTES = Path(ticket_processor.__file__).parent / "sample_routes.toml"

# ``desk``: the Freshdesk sandbox itself, ticketbot's environment pointed at it.
pytestmark = pytest.mark.desk(kinds=("freshdesk",), seed=3, configure=True, raw=True)


def test_seed_creates_the_samples_through_freshdesks_api(desk: RunningFreshdesk) -> None:
    result = invoke("seed", "--count", "12")
    assert result.exit_code == 0, result.output
    assert f"Created 12 tickets in {desk.url}" in result.output
    requests = desk.stats()["requests"]
    assert requests[CREATE] == 12 + HISTORY
    assert requests["GET /api/v2/agents/me"] == 1
    tickets = [t for t in desk.store.all_tickets() if t["status"] != 4]  # the history: resolved
    assert len({t["subject"] for t in tickets}) == 12
    assert all(t["status"] == 2 and t["description_text"] for t in tickets)
    assert any(t["tags"] for t in tickets)  # the samples' agent tags came along


def test_seed_brings_the_groups_the_sample_routes_name_and_a_solutions_help_centre(
    desk: RunningFreshdesk,
) -> None:
    result = invoke("seed", "--count", "4")
    assert result.exit_code == 0, result.output
    assert "Groups with agents for routing: Billing, Security, Technical, Shipping" in (
        result.output
    )
    assert "Created a sample help centre of 34 articles" in result.output
    groups = {g["name"]: g for g in desk.store.directory.groups()}
    assert set(groups) == {"Billing", "Security", "Technical", "Shipping"}
    emails = {a["id"]: a["contact"]["email"] for a in desk.store.directory.agents()}
    technical = {emails[a] for a in groups["Technical"]["agent_ids"]}
    assert technical == {"tess.tech@example.com", "lee.lead@example.com"}
    # Freshdesk's shapes: category -> folders (visibility per folder) -> published articles.
    (category,) = desk.store.solutions.categories()
    folders = desk.store.solutions.folders(category["id"])
    assert {f["visibility"] for f in folders} == {1, 2, 3}
    articles = [a for f in folders for a in desk.store.solutions.articles(f["id"])]
    assert len(articles) == 34
    assert {a["status"] for a in articles} == {2}

    routes = invoke("routes", "check", str(SAMPLE_ROUTES))
    assert routes.exit_code == 0, routes.output
    assert "Billing" in routes.output
    assert "none" not in routes.output.lower()
    synced = invoke("kb", "sync")
    assert synced.exit_code == 0, synced.output
    assert "34 listed; 34 indexed (new or changed)" in synced.output
    # Solutions lists everything each time: the second sync says why none was indexed again.
    again = invoke("kb", "sync")
    assert "34 listed; 34 unchanged since the last sync, kept as indexed" in again.output

    # A second seed reuses what is there: no second group, agent or help centre.
    again = invoke("seed", "--count", "1")
    assert again.exit_code == 0, again.output
    assert "help centre" not in again.output
    assert len(desk.store.directory.groups()) == 4
    assert len(desk.store.solutions.categories()) == 1


def test_seed_refuses_a_freshdesk_that_is_not_a_sandbox_without_yes(
    desk: RunningFreshdesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Answers without X-Ticketbot-Sandbox, as a real account gives them.
    monkeypatch.setattr(serving._Handler, "identifies", lambda self: False)
    refused = invoke("seed", "--count", "2")
    assert refused.exit_code == 2, refused.output
    assert "not a ticketbot sandbox" in refused.output
    assert desk.store.count() == 0
    allowed = invoke("seed", "--count", "2", "--yes")
    assert allowed.exit_code == 0, allowed.output
    assert desk.store.count() == 2


def test_demo_with_freshdesk_seeds_runs_and_shows_what_it_read_back(isolated_env: Path) -> None:
    result = invoke("demo", "--helpdesk", "freshdesk", "--count", "8")
    assert result.exit_code == 0, result.output
    assert "Seeded 8 sample tickets and a help centre of 34 articles into a local Freshdesk" in (
        result.output
    )
    assert "triaged=8 failed=0" in result.output
    shown = [line for line in result.output.splitlines() if line.startswith("ticket ")]
    assert len(shown) == 8
    assert all("added ai_processed" in line and "(no note)" not in line for line in shown)
    assert not (isolated_env / "logs").exists()  # the demo keeps to its own directory
    # The sample routes resolve against the seeded groups, and the notes cite articles.
    assert any(re.search(r"group (Billing|Security|Technical|Shipping)", s) for s in shown)
    assert any("ai_kb_suggested" in line for line in shown)


def test_demo_refuses_an_unknown_helpdesk() -> None:
    result = invoke("demo", "--helpdesk", "jira")
    assert result.exit_code == 2
    assert "--helpdesk must be zendesk, freshdesk or servicenow" in result.output


def test_report_and_health_read_a_freshdesk_run(desk: RunningFreshdesk) -> None:
    assert invoke("seed", "--count", "10").exit_code == 0
    ran = invoke("run", "--engine", "rules")
    assert ran.exit_code == 0, ran.output

    report = invoke("report", "--json")
    assert report.exit_code == 0, report.output
    figures = json.loads(report.stdout)
    assert figures["runs"] == 1, figures
    assert figures["tickets_triaged"] == figures["distinct_tickets"] == 10
    assert figures["tickets_failed"] == 0
    assert figures["engines"] == {"rules": 10}

    health = invoke("health", "--json")
    verdict = json.loads(health.stdout)
    checks = {c["name"]: c for c in verdict["checks"]}
    assert checks["freshdesk"]["status"] == "healthy", checks
    assert f"freshdesk at {desk.url}" in checks["freshdesk"]["reason"]
    assert checks["last run"]["status"] == "healthy", checks
    assert health.exit_code == 0, health.output
    assert desk.config.api_key not in health.stdout

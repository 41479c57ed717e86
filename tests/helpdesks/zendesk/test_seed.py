"""``ticketbot seed`` against the sandbox over HTTP, and the pure parts of ``seed.py``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
from support.cli import invoke

from ticket_processor.helpdesks.sample_replies import sample_replies
from ticket_processor.helpdesks.samples import SeedTicket, cycle, load_samples, parse_lines
from ticket_processor.helpdesks.zendesk.client import ZendeskClient
from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox
from ticket_processor.helpdesks.zendesk.seed import create_tickets, customer, to_zendesk

EMAIL = "agent@example.com"
TOKEN = "sandbox-token"
# The sample macros' solved history, seeded beside the sample tickets
# (``samples/ready_replies.jsonl``).
HISTORY = len(sample_replies()[1])


def sample_tickets(sandbox: RunningSandbox) -> list[dict[str, Any]]:
    """The seeded sample tickets, the macros' solved history left out."""
    return [t for t in sandbox.store.all_tickets() if t["status"] != "solved"]


@pytest.fixture
def zendesk_env(monkeypatch: pytest.MonkeyPatch, sandbox: RunningSandbox) -> RunningSandbox:
    monkeypatch.setenv("ZENDESK_URL", sandbox.url)
    monkeypatch.setenv("ZENDESK_EMAIL", EMAIL)
    monkeypatch.setenv("ZENDESK_API_TOKEN", TOKEN)
    return sandbox


def seed(*args: str) -> tuple[int, str]:
    """``ticketbot seed ARGS...``: its exit code and output."""
    result = invoke("seed", *args, catch_exceptions=True)
    return result.exit_code, result.output


def test_seed_count_creates_distinct_tickets_in_batches(zendesk_env: RunningSandbox) -> None:
    code, output = seed("--count", "120")
    assert code == 0, output
    assert "Created 120 tickets" in output
    assert "ids 1-120" in output
    tickets = sample_tickets(zendesk_env)
    assert len(tickets) == 120
    assert len({(t["subject"], t["description"]) for t in tickets}) == 120
    assert {t["status"] for t in tickets} == {"new"}
    # Samples keep what agents had set before ticketbot ever saw them.
    assert any("vip" in t["tags"] for t in tickets)
    assert any(t["priority"] == "urgent" for t in tickets)
    stats = zendesk_env.stats()
    assert stats["jobs"] == 2  # 100 + 20
    assert stats["requests"].get("POST /api/v2/tickets/create_many") == 2


def test_seeded_tickets_are_asked_by_end_users_not_the_api_admin(
    zendesk_env: RunningSandbox,
) -> None:
    code, output = seed("--count", "3")
    assert code == 0, output
    tickets = sample_tickets(zendesk_env)
    auth = (f"{EMAIL}/token", TOKEN)
    me = requests.get(f"{zendesk_env.url}/api/v2/users/me.json", auth=auth, timeout=10)
    me_id = me.json()["user"]["id"]
    requesters = {t["requester_id"] for t in tickets}
    assert me_id not in requesters
    assert len(requesters) == 3  # one customer each, as real tickets come from many
    for ticket in tickets:  # the first comment is the customer's, as a real ticket's is
        url = f"{zendesk_env.url}/api/v2/tickets/{ticket['id']}/comments.json"
        comments = requests.get(url, auth=auth, timeout=10)
        assert comments.json()["comments"][0]["author_id"] == ticket["requester_id"]


def test_seed_default_is_fifty(zendesk_env: RunningSandbox) -> None:
    code, output = seed()
    assert code == 0, output
    assert zendesk_env.store.count() == 50 + HISTORY
    assert len(sample_tickets(zendesk_env)) == 50


def test_seed_from_file_skips_bad_lines_with_their_number(
    zendesk_env: RunningSandbox, tmp_path: Path
) -> None:
    lines = [
        json.dumps({"id": "a-1", "subject": "", "description": "want help retrieving my key"}),
        "{not json",
        json.dumps({"subject": "Order late", "description": "Where is order 55?"}),
        json.dumps(["a", "list"]),
        json.dumps({"subject": "x", "description": 42}),
        "",
        json.dumps({"subject": "Card", "description": "Charged twice", "tags": ["vip"]}),
    ]
    source = tmp_path / "tickets.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, output = seed("--from", str(source))
    assert code == 0, output
    assert "line 2" in output
    assert "line 4" in output
    assert "line 5" in output
    assert "Created 3 tickets" in output
    subjects = [t["subject"] for t in zendesk_env.store.all_tickets()]
    assert "Order late" in subjects
    assert "Card" in subjects


def test_seed_from_file_with_count_takes_the_first(
    zendesk_env: RunningSandbox, tmp_path: Path
) -> None:
    source = tmp_path / "t.jsonl"
    source.write_text(
        "\n".join(json.dumps({"subject": f"s{i}", "description": f"d{i}"}) for i in range(5)),
        encoding="utf-8",
    )
    code, _ = seed("--from", str(source), "--count", "2")
    assert code == 0
    assert sorted(t["subject"] for t in zendesk_env.store.all_tickets()) == ["s0", "s1"]


def test_bad_credentials_exit_1_without_the_token(
    monkeypatch: pytest.MonkeyPatch, sandbox: RunningSandbox
) -> None:
    monkeypatch.setenv("ZENDESK_URL", sandbox.url)
    monkeypatch.setenv("ZENDESK_EMAIL", EMAIL)
    monkeypatch.setenv("ZENDESK_API_TOKEN", "s3cret-wrong-token")
    code, output = seed("--count", "5")
    assert code == 1
    assert "ZENDESK_API_TOKEN" in output
    assert "401" in output
    assert "s3cret-wrong-token" not in output
    assert sandbox.store.count() == 0
    assert sandbox.stats()["requests_total"] == 1


def test_missing_setting_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch, sandbox: RunningSandbox
) -> None:
    monkeypatch.setenv("ZENDESK_URL", sandbox.url)
    monkeypatch.setenv("ZENDESK_EMAIL", EMAIL)
    code, output = seed()
    assert code == 2
    assert "ZENDESK_API_TOKEN is not set" in output
    assert sandbox.stats()["requests_total"] == 0


def test_a_ticket_zendesk_refuses_is_reported(sandbox: RunningSandbox) -> None:
    tickets = [SeedTicket("fine", "a body"), SeedTicket("odd", "b body", priority="whenever")]
    with ZendeskClient(sandbox.url, email=EMAIL, api_token=TOKEN) as zd:
        result = create_tickets(zd, tickets)
    assert len(result.created_ids) == 1
    assert [(t.subject, "Priority" in why) for t, why in result.failed] == [("odd", True)]


def test_ticket_text_is_not_rich_markup(zendesk_env: RunningSandbox, tmp_path: Path) -> None:
    source = tmp_path / "odd[red].jsonl"
    source.write_text('{"subject": "[red]x[/", "description": 1}\n{"subject": "ok"}\n')
    code, output = seed("--from", str(source))
    assert code == 0, output
    assert "odd[red].jsonl line 1" in output


# --- pure parts ---------------------------------------------------------------------------


def test_cycling_keeps_every_ticket_distinct_and_the_empty_body_empty() -> None:
    samples = load_samples()
    many = cycle(samples, 4 * len(samples))
    assert len(many) == 4 * len(samples)
    assert len({(t.subject, t.description) for t in many}) == len(many)
    empty = [t for t in many if t.subject.startswith("Call me back please")]
    assert len(empty) == 4
    assert {t.description for t in empty} == {""}
    assert cycle(samples, 5) == samples[:5]


def test_parse_lines_reports_problems_by_line_number() -> None:
    found = parse_lines(
        [
            '{"subject": "a", "description": "b", "priority": "high"}',
            '{"subject": "", "description": ""}',
            '{"subject": "c", "description": "d", "priority": "soon"}',
            '{"subject": "e", "description": "f", "tags": "vip"}',
            "[1]",
        ]
    )
    assert [t.subject for t in found.tickets] == ["a"]
    assert [p.split(":")[0] for p in found.problems] == ["line 2", "line 3", "line 4", "line 5"]


def test_seed_ticket_becomes_a_create_many_object() -> None:
    ticket = to_zendesk(SeedTicket("Subj", "Body", ("vip",), "high"))
    assert ticket == {
        "subject": "Subj",
        "comment": {"body": "Body", "public": True},
        "status": "new",
        "tags": ["vip"],
        "priority": "high",
    }
    assert "subject" not in to_zendesk(SeedTicket("", "only a body"))
    asked = to_zendesk(SeedTicket("S", "B"), requester=customer(7))
    assert asked["requester"] == {"name": "Sample Customer 7", "email": "customer7@example.com"}


def test_seed_refuses_a_helpdesk_that_is_not_a_sandbox_without_yes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A real Zendesk says nothing of being a sandbox: seed must not fill it with samples."""
    from ticket_processor.helpdesks.zendesk.sandbox.config import SandboxConfig
    from ticket_processor.helpdesks.zendesk.sandbox.server import serve_in_thread

    with serve_in_thread(SandboxConfig(identify=False)) as sandbox:
        monkeypatch.setenv("ZENDESK_URL", sandbox.url)
        monkeypatch.setenv("ZENDESK_EMAIL", sandbox.config.email)
        monkeypatch.setenv("ZENDESK_API_TOKEN", sandbox.config.token)
        refused = invoke("seed", "--count", "2", catch_exceptions=True)
        assert refused.exit_code == 2, refused.output
        assert "not a ticketbot sandbox" in refused.output
        assert sandbox.store.count() == 0
        allowed = invoke("seed", "--count", "2", "--yes", catch_exceptions=True)
        assert allowed.exit_code == 0, allowed.output
        assert sandbox.store.count() == 2

"""`ticketbot run` against the Freshdesk sandbox: every open ticket gets its marker
and exactly one private note, no tag is lost (an agent's concurrent edit included), no
priority is lowered, a rerun changes nothing, a dry run writes nothing, and a run killed
between a note and its update does not post a second note."""

from __future__ import annotations

import dataclasses
import json
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from support.cli import invoke
from support.e2e import events

from ticket_processor.helpdesks.freshdesk.adapter import FreshdeskHelpdesk
from ticket_processor.helpdesks.freshdesk.sandbox.serving import RunningFreshdesk
from ticket_processor.helpdesks.freshdesk.wire import FreshdeskTransport
from ticket_processor.run import connect as helpdesk_factory
from ticket_processor.tags import NOTE_HEADER

TEXTS = [
    ("Refund please", "<p>I returned the blender and still have no refund.</p>"),
    ("App crashes", "<p>Since the update the app crashes at login. Error 500.</p>"),
    ("Invoice question", "<p>Why was I charged twice on my March invoice?</p>"),
    ("Where is my parcel", "<p>My order has not arrived, tracking shows nothing.</p>"),
]

# ``desk``: the Freshdesk sandbox itself (``configure`` below sets the environment).
pytestmark = pytest.mark.desk(kinds=("freshdesk",), seed=4, raw=True)


def configure(monkeypatch: pytest.MonkeyPatch, root: Path, desk: RunningFreshdesk) -> Path:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ZENDESK_URL"):
        monkeypatch.delenv(name, raising=False)
    env = {
        "TICKETBOT_HELPDESK": "freshdesk",
        "FRESHDESK_URL": desk.url,
        "FRESHDESK_API_KEY": desk.config.api_key,
        "TICKETBOT_STATE_DIR": str(root / "state"),
        "TICKETBOT_LOG_DIR": str(root / "logs"),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return root / "logs"


def seed(desk: RunningFreshdesk, count: int) -> dict[int, dict[str, Any]]:
    created = {}
    for i in range(count):
        subject, body = TEXTS[i % len(TEXTS)]
        fields: dict[str, Any] = {
            "subject": f"{subject} #{i}",
            "description": body,
            "email": f"customer{i}@example.com",
            "priority": 4 if i % 5 == 0 else 1,  # some a person marked urgent
            "status": 2,
        }
        if i % 3 == 0:
            fields["tags"] = ["vip", f"legacy_{i}"]
        ticket = desk.store.create(fields)
        created[ticket["id"]] = dict(ticket)
    return created


def our_notes(desk: RunningFreshdesk, ticket_id: int) -> list[dict[str, Any]]:
    return [
        c
        for c in desk.store.conversations(ticket_id)
        if c.get("private") and NOTE_HEADER in str(c.get("body_text") or c.get("body"))
    ]


def assert_triaged_once(desk: RunningFreshdesk, before: dict[int, dict[str, Any]]) -> None:
    for ticket_id, original in before.items():
        now = desk.store.find(ticket_id)
        assert "ai_processed" in now["tags"], ticket_id
        assert set(original["tags"]) <= set(now["tags"]), f"ticket {ticket_id} lost a tag"
        assert now["priority"] >= original["priority"], f"ticket {ticket_id}: priority lowered"
        assert len(our_notes(desk, ticket_id)) == 1, ticket_id


def test_run_triages_every_ticket_once_and_a_rerun_changes_nothing(
    desk: RunningFreshdesk, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    log_dir = configure(monkeypatch, tmp_path, desk)
    before = seed(desk, 30)
    dry = invoke("run", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert all("ai_processed" not in desk.store.find(i)["tags"] for i in before)
    assert not (tmp_path / "state").exists() or not any((tmp_path / "state").iterdir())

    first = invoke("run")
    assert first.exit_code == 0, first.output
    assert_triaged_once(desk, before)
    requests = desk.stats()["requests"]
    # A fresh read, a note and one update a ticket, plus the list page and, on a first run,
    # one page of the recent tickets for the rising categories' baseline, and one read of the
    # first batch's last note (for a second installation's copy): about three requests.
    assert requests.get("GET /api/v2/tickets/{id}/conversations") == 1, requests
    per_ticket = (sum(requests.values()) - 1) / len(before)
    assert per_ticket <= 3.25, requests

    snapshot = {i: dict(desk.store.find(i)) for i in before}
    second = invoke("run")
    assert second.exit_code == 0, second.output
    assert {i: dict(desk.store.find(i)) for i in before} == snapshot
    finished = [e for e in events(log_dir) if e["event"] == "run_finished"]
    assert [e["helpdesk"] for e in finished] == ["freshdesk"] * 3
    assert finished[-1]["triaged"] == 0


def test_an_agents_edit_before_the_write_survives(
    desk: RunningFreshdesk, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Freshdesk's tags replace the list: the fresh read right before the write must keep a tag
    an agent added after ticketbot's discovery read."""
    configure(monkeypatch, tmp_path, desk)
    before = seed(desk, 12)
    # Four edits, each landing on a ticket right before ticketbot's fresh read of it.
    desk.config.faults = ["edit GET /api/v2/tickets/{id}"] * 4
    result = invoke("run")
    assert result.exit_code == 0, result.output
    assert desk.stats()["concurrent_edits"] == 4
    assert_triaged_once(desk, before)
    kept = [i for i in before if "agent_edit" in desk.store.find(i)["tags"]]
    assert len(kept) == 4, "an agent's tag was lost to the write"


def test_a_run_killed_after_a_note_does_not_post_a_second_one(
    desk: RunningFreshdesk, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The journal names the ticket before its note; the next run finds the note and only
    finishes the update."""
    configure(monkeypatch, tmp_path, desk)
    # A run that left writes unsettled makes the next one wait the helpdesk's timeout before
    # it looks for them (``run_recovery_wait``): 8 s here rather than the default 30.
    monkeypatch.setenv("TICKETBOT_HTTP_TIMEOUT", "8")
    before = seed(desk, 6)
    victim = sorted(before)[2]
    # The update after the note fails for good: as if the run died between the two.
    desk.config.invalid_ticket_ids = [victim]
    first = invoke("run")
    assert first.exit_code == 3, first.output
    assert len(our_notes(desk, victim)) == 1
    assert "ai_processed" not in desk.store.find(victim)["tags"]
    state = tmp_path / "state"
    (state / "inflight.json").write_text(f'{{"ticket_ids": [{victim}]}}')

    desk.config.invalid_ticket_ids = []
    second = invoke("run")
    assert second.exit_code == 0, second.output
    assert_triaged_once(desk, before)


def test_routing_and_escalation_work_through_the_freshdesk_api(
    desk: RunningFreshdesk, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Groups created through Freshdesk's API; the routes resolve them by name; a ticket that
    already has an agent keeps its group and agent, as on Zendesk."""
    import requests

    configure(monkeypatch, tmp_path, desk)
    auth = (desk.config.api_key, "X")
    groups = {}
    for name in ("Billing", "Shipping"):
        answer = requests.post(
            f"{desk.url}/api/v2/groups", auth=auth, json={"name": name}, timeout=10
        )
        assert answer.status_code == 201, answer.text
        groups[name] = answer.json()["id"]
    routes = tmp_path / "routes.toml"
    routes.write_text(
        '[[route]]\nname = "money"\nwhen = { category = ["billing", "refund"] }\n'
        'group = "Billing"\n\n'
        '[[route]]\nname = "parcels"\nwhen = { category = "shipping" }\ngroup = "Shipping"\n\n'
        '[[route]]\nname = "hot"\nwhen = { urgency = "critical" }\nescalate = true\n'
    )
    monkeypatch.setenv("TICKETBOT_ROUTES", str(routes))
    refund = desk.store.create(
        {
            "subject": "Refund please",
            "description": "<p>I want a refund for my order.</p>",
            "email": "a@example.com",
            "priority": 1,
            "status": 2,
        }
    )
    parcel = desk.store.create(
        {
            "subject": "Where is my parcel",
            "description": "<p>The parcel never arrived, tracking shows no movement.</p>",
            "email": "b@example.com",
            "priority": 1,
            "status": 2,
        }
    )
    assigned = desk.store.create(
        {
            "subject": "Refund please",
            "description": "<p>Refund my order.</p>",
            "email": "c@example.com",
            "priority": 1,
            "status": 2,
            "group_id": groups["Shipping"],
        }
    )
    checked = invoke("routes", "check")
    assert checked.exit_code == 0, checked.output
    assert "Billing" in checked.output
    result = invoke("run", "--engine", "rules")
    assert result.exit_code == 0, result.output
    assert desk.store.find(refund["id"])["group_id"] == groups["Billing"]
    assert desk.store.find(parcel["id"])["group_id"] == groups["Shipping"]
    assert desk.store.find(assigned["id"])["group_id"] == groups["Shipping"]  # kept


def test_an_edit_between_the_fresh_read_and_the_put_is_overwritten(
    desk: RunningFreshdesk, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The limit the README states: Freshdesk has no conditional update, so an agent's tag
    added in the moment between ticketbot's fresh read and its PUT is replaced away. If this
    test fails, the limit is gone: update the README's Freshdesk section."""
    configure(monkeypatch, tmp_path, desk)
    before = seed(desk, 3)
    desk.config.faults = ["edit PUT /api/v2/tickets/{id}"]
    result = invoke("run")
    assert result.exit_code == 0, result.output
    assert desk.stats()["concurrent_edits"] == 1
    assert_triaged_once(desk, before)
    assert not any("agent_edit" in desk.store.find(i)["tags"] for i in before)


def test_a_run_killed_after_recovering_a_note_leaves_no_second_note(
    desk: RunningFreshdesk, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Run 1 posts a note and dies before its update; run 2 recovers (the journal keeps what
    ``recover`` returns, as ``Upkeep.recover`` does) and dies too, before it wrote the ticket;
    run 3 must still know the note is there."""
    configure(monkeypatch, tmp_path, desk)
    # A run that left writes unsettled makes the next one wait the helpdesk's timeout before
    # it looks for them (``run_recovery_wait``): 8 s here rather than the default 30.
    monkeypatch.setenv("TICKETBOT_HTTP_TIMEOUT", "8")
    before = seed(desk, 6)
    victim = sorted(before)[2]
    desk.config.invalid_ticket_ids = [victim]  # the update after the note fails, as if killed
    assert invoke("run").exit_code == 3
    assert len(our_notes(desk, victim)) == 1
    desk.config.invalid_ticket_ids = []
    recovering = FreshdeskHelpdesk(
        FreshdeskTransport(desk.url, api_key=desk.config.api_key), marker="ai_processed"
    )
    with closing(recovering):  # run 2: recover, then killed before writing anything
        kept = recovering.recover({}, [victim])
    assert kept == [victim]
    (tmp_path / "state" / "inflight.json").write_text(json.dumps({"ticket_ids": kept}))

    third = invoke("run")
    assert third.exit_code == 0, third.output
    assert_triaged_once(desk, before)


def test_an_agent_edit_while_an_update_waits_out_a_503_is_kept(
    desk: RunningFreshdesk, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The sandbox answers a ticket's update 503 and an agent adds a tag and sets urgent right
    then: the retried update is planned from a fresh read, so both are kept."""
    monkeypatch.setattr(
        helpdesk_factory,
        "HELPDESK_RETRY",
        dataclasses.replace(helpdesk_factory.HELPDESK_RETRY, base_delay=0.01, max_delay=0.05),
    )
    configure(monkeypatch, tmp_path, desk)
    before = seed(desk, 4)
    desk.config.edit_priority = 4
    desk.config.faults = ["edit-503 PUT /api/v2/tickets/{id}"]
    result = invoke("run")
    assert result.exit_code == 0, result.output
    assert desk.stats()["concurrent_edits"] == 1
    edited = [desk.store.find(i) for i in before if "agent_edit" in desk.store.find(i)["tags"]]
    assert len(edited) == 1, "the agent's tag was lost"
    assert edited[0]["priority"] == 4  # urgent, as the agent set it
    assert_triaged_once(desk, before)

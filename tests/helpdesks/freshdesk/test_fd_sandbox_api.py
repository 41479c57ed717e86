"""The Freshdesk sandbox over HTTP: knobs, concurrent edits, memberships, paging, jobs, state."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from support.clock import FakeClock
from support.freshdesk_sandbox import freshdesk_auth

from ticket_processor.helpdesks.freshdesk.discovery import ticket_pages
from ticket_processor.helpdesks.freshdesk.sandbox.config import FreshdeskConfig
from ticket_processor.helpdesks.freshdesk.sandbox.serving import RunningFreshdesk
from ticket_processor.helpdesks.freshdesk.wire import FreshdeskTransport
from ticket_processor.helpdesks.zendesk.sandbox.config import SandboxConfig
from ticket_processor.helpdesks.zendesk.sandbox.server import serve_in_thread

Factory = Callable[..., RunningFreshdesk]

START = 1_795_000_040.0  # 20 s into a minute, 2026


def session(sb: RunningFreshdesk) -> requests.Session:
    s = requests.Session()
    s.auth = freshdesk_auth(sb)
    return s


def create(s: requests.Session, sb: RunningFreshdesk, **fields: Any) -> dict[str, Any]:
    body = {"subject": "s", "description": "d", "email": "a@example.com", **fields}
    r = s.post(f"{sb.url}/api/v2/tickets", json=body, timeout=5)
    assert r.status_code == 201, r.text
    ticket: dict[str, Any] = r.json()
    return ticket


def test_fresh_read_then_merge_keeps_a_concurrent_agent_tag(
    freshdesk_sandbox: RunningFreshdesk,
) -> None:
    sb, s = freshdesk_sandbox, session(freshdesk_sandbox)
    ticket = create(s, sb, tags=["vip"])
    url = f"{sb.url}/api/v2/tickets/{ticket['id']}"
    stale = s.get(f"{sb.url}/api/v2/tickets", timeout=5).json()[0]["tags"]
    # While ticketbot analyses, an agent tags the ticket: just before ticketbot's fresh read.
    s.post(f"{sb.url}/sandbox/config", json={"faults": ["edit GET /api/v2/tickets/{id}"]})
    fresh = s.get(url, timeout=5).json()["tags"]
    assert stale == ["vip"]
    assert fresh == ["vip", "agent_edit"]
    merged = fresh + [t for t in ["ai_processed"] if t not in fresh]
    assert s.put(url, json={"tags": merged}, timeout=5).json()["tags"] == [
        "vip",
        "agent_edit",
        "ai_processed",
    ]
    assert sb.stats()["concurrent_edits"] == 1


def test_an_edit_between_read_and_put_is_lost_as_on_real_freshdesk(
    freshdesk_sandbox: RunningFreshdesk,
) -> None:
    sb, s = freshdesk_sandbox, session(freshdesk_sandbox)
    ticket = create(s, sb, tags=["vip"])
    url = f"{sb.url}/api/v2/tickets/{ticket['id']}"
    tags = s.get(url, timeout=5).json()["tags"]
    sb.config.apply({"edit_tag": "escalated_by_hand", "faults": ["edit PUT /api/v2/tickets/{id}"]})
    put = s.put(url, json={"tags": [*tags, "ai_processed"]}, timeout=5).json()
    # No conditional update on Freshdesk: the PUT replaces the list the agent just changed.
    assert put["tags"] == ["vip", "ai_processed"]
    assert sb.stats()["concurrent_edits"] == 1


def test_edit_rate_and_the_direct_edit(freshdesk_factory: Factory) -> None:
    sb = freshdesk_factory(FreshdeskConfig(edit_rate=1.0, seed=1))
    s = session(sb)
    ticket = create(s, sb)
    got = s.get(f"{sb.url}/api/v2/tickets/{ticket['id']}", timeout=5).json()
    assert got["tags"] == ["agent_edit"]
    sb.config.edit_rate = 0
    assert sb.agent_edit(ticket["id"], "by_hand")
    r = s.post(f"{sb.url}/sandbox/agent_edit", json={"ticket_id": ticket["id"], "tag": "x"})
    assert r.json()["tags"] == ["agent_edit", "by_hand", "x"]
    assert not sb.agent_edit(999)
    assert sb.stats()["concurrent_edits"] == 3


def test_an_assignee_must_be_a_member_of_the_group(freshdesk_sandbox: RunningFreshdesk) -> None:
    sb, s = freshdesk_sandbox, session(freshdesk_sandbox)
    api = f"{sb.url}/api/v2"
    billing = s.post(f"{api}/groups", json={"name": "Billing"}, timeout=5).json()
    ana = s.post(
        f"{api}/agents",
        json={"email": "ana@example.com", "ticket_scope": 1, "group_ids": [billing["id"]]},
        timeout=5,
    ).json()
    bob = s.post(f"{api}/agents", json={"email": "bob@example.com", "ticket_scope": 2}).json()
    assert s.get(f"{api}/groups/{billing['id']}").json()["agent_ids"] == [ana["id"]]
    ticket = create(s, sb)
    url = f"{api}/tickets/{ticket['id']}"
    r = s.put(url, json={"group_id": billing["id"], "responder_id": bob["id"]}, timeout=5)
    assert r.status_code == 400
    assert r.json() == {
        "description": "Validation failed",
        "errors": [
            {
                "field": "responder_id",
                "message": "The agent is not a member of the group given in group_id",
                "code": "invalid_value",
            }
        ],
    }
    ok = s.put(url, json={"group_id": billing["id"], "responder_id": ana["id"]}, timeout=5)
    assert (ok.json()["group_id"], ok.json()["responder_id"]) == (billing["id"], ana["id"])
    # The ticket's group stays the reference when only the assignee changes.
    assert s.put(url, json={"responder_id": bob["id"]}, timeout=5).status_code == 400
    dup = s.post(f"{api}/groups", json={"name": "billing"}, timeout=5)
    assert dup.status_code == 409
    assert dup.json()["errors"][0]["code"] == "duplicate_value"


def test_growth_plan_limits_lists_and_updates_per_minute(freshdesk_factory: Factory) -> None:
    clock = FakeClock(START)
    sb = freshdesk_factory(FreshdeskConfig(plan="growth", clock=clock))
    s = session(sb)
    ticket = create(s, sb)
    lists = [s.get(f"{sb.url}/api/v2/tickets", timeout=5) for _ in range(20)]
    assert {r.status_code for r in lists} == {200}
    assert lists[-1].headers["X-RateLimit-Total"] == "200"
    assert lists[-1].headers["X-RateLimit-Remaining"] == str(200 - 21)
    refused = s.get(f"{sb.url}/api/v2/tickets", timeout=5)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "40"
    # Other requests still pass: only the ticket-list category is used up.
    assert s.get(f"{sb.url}/api/v2/tickets/{ticket['id']}", timeout=5).status_code == 200
    url = f"{sb.url}/api/v2/tickets/{ticket['id']}"
    codes = [s.put(url, json={"priority": 2}, timeout=5).status_code for _ in range(81)]
    assert codes.count(200) == 80
    assert codes[-1] == 429
    clock.now += 40
    assert s.get(f"{sb.url}/api/v2/tickets", timeout=5).status_code == 200
    stats = sb.stats()
    assert stats["rate_limited"] == 2
    assert stats["requests"]["GET /api/v2/tickets"] == 22


def test_include_description_costs_three_credits(freshdesk_factory: Factory) -> None:
    sb = freshdesk_factory(FreshdeskConfig(plan="trial", clock=FakeClock(START)))
    s = session(sb)
    create(s, sb)
    r = s.get(f"{sb.url}/api/v2/tickets", params={"include": "description"}, timeout=5)
    assert r.headers["X-RateLimit-Used-CurrentRequest"] == "3"
    assert r.headers["X-RateLimit-Remaining"] == str(50 - 1 - 3)
    assert r.json()[0]["description"] == "d"
    assert sb.stats()["credits_used"] == 4


def test_a_storm_answers_429_with_retry_after(freshdesk_factory: Factory) -> None:
    clock = FakeClock(START)
    sb = freshdesk_factory(FreshdeskConfig(clock=clock))
    s = session(sb)
    assert s.post(f"{sb.url}/sandbox/config", json={"storm_seconds": 5}).status_code == 200
    r = s.get(f"{sb.url}/api/v2/tickets", timeout=5)
    assert (r.status_code, r.headers["Retry-After"]) == (429, "5")
    clock.now += 5
    assert s.get(f"{sb.url}/api/v2/tickets", timeout=5).status_code == 200


def test_paging_link_and_the_deep_paging_cap(freshdesk_factory: Factory) -> None:
    sb = freshdesk_factory(FreshdeskConfig(max_list_page=2))
    s = session(sb)
    for i in range(3):
        create(s, sb, subject=f"t{i}")
    params: dict[str, str | int] = {
        "updated_since": "2020-01-01T00:00:00Z",
        "order_by": "updated_at",
        "order_type": "asc",
    }
    first = s.get(f"{sb.url}/api/v2/tickets", params={**params, "per_page": 1}, timeout=5)
    assert [t["subject"] for t in first.json()] == ["t0"]
    second = s.get(first.links["next"]["url"], timeout=5)
    assert [t["subject"] for t in second.json()] == ["t1"]
    assert "updated_since=2020-01-01T00%3A00%3A00Z" in second.links["next"]["url"]
    beyond = s.get(f"{sb.url}/api/v2/tickets", params={**params, "per_page": 1, "page": 3})
    assert beyond.status_code == 400
    assert beyond.json()["errors"][0]["field"] == "page"
    big = s.get(f"{sb.url}/api/v2/tickets", params={"per_page": 101}, timeout=5)
    assert big.status_code == 400


def test_without_updated_since_only_the_last_30_days(freshdesk_factory: Factory) -> None:
    clock = FakeClock(START)
    sb = freshdesk_factory(FreshdeskConfig(clock=clock))
    s = session(sb)
    old = create(s, sb)
    clock.now += 31 * 86400
    new = create(s, sb)
    assert [t["id"] for t in s.get(f"{sb.url}/api/v2/tickets", timeout=5).json()] == [new["id"]]
    since = s.get(f"{sb.url}/api/v2/tickets", params={"updated_since": "2020-01-01"}, timeout=5)
    assert sorted(t["id"] for t in since.json()) == [old["id"], new["id"]]


def test_search_pages_and_query_errors(freshdesk_sandbox: RunningFreshdesk) -> None:
    sb, s = freshdesk_sandbox, session(freshdesk_sandbox)
    for i in range(31):
        create(s, sb, priority=1 + i % 2, tags=["bulk"])
    url = f"{sb.url}/api/v2/search/tickets"
    page1 = s.get(url, params={"query": "\"tag:'bulk'\""}, timeout=5).json()
    assert (len(page1["results"]), page1["total"]) == (30, 31)
    page2 = s.get(url, params={"query": "\"tag:'bulk'\"", "page": "2"}, timeout=5).json()
    assert len(page2["results"]) == 1
    low = s.get(url, params={"query": '"(priority:1) AND status:2"'}, timeout=5).json()
    assert low["total"] == 16
    for bad in ("priority:1", '"subject:x"', '"priority:1 AND"', '"(priority:1"'):
        r = s.get(url, params={"query": bad}, timeout=5)
        assert r.status_code == 400, bad
        assert r.json()["errors"][0]["field"] == "query"
    assert s.get(url, params={"query": '"priority:1"', "page": "11"}).status_code == 400


def test_a_search_whose_tickets_change_under_it_misses_none(
    freshdesk_sandbox: RunningFreshdesk,
) -> None:
    """Freshdesk pages a search by offset: a run tagging the tickets it was given while it
    reads the next page would shift the rest and skip 30, unless every page is read first."""
    sb, s = freshdesk_sandbox, session(freshdesk_sandbox)
    made = [create(s, sb, tags=["new"])["id"] for _ in range(75)]
    http = FreshdeskTransport(sb.url, api_key=sb.config.api_key)
    seen: list[int] = []
    for page in ticket_pages(http, None, since=0, query="tag:'new'"):
        for ticket in page.tickets:
            seen.append(ticket.id)
            sb.store.update(ticket.id, {"tags": ["done"]})  # the run's write
    assert sorted(seen) == sorted(made)


def test_bulk_update_is_a_job_reporting_each_ticket(freshdesk_factory: Factory) -> None:
    sb = freshdesk_factory(FreshdeskConfig(invalid_ticket_ids=[2]))
    s = session(sb)
    a, b = create(s, sb), create(s, sb)
    r = s.post(
        f"{sb.url}/api/v2/tickets/bulk_update",
        json={"bulk_action": {"ids": [a["id"], b["id"]], "properties": {"priority": 4}}},
        timeout=5,
    )
    assert r.status_code == 202
    job_url = f"{sb.url}/api/v2/jobs/{r.json()['job_id']}"
    job = s.get(job_url, timeout=5).json()
    for _ in range(100):
        if job["status"] != "IN PROGRESS":
            break
        time.sleep(0.01)
        job = s.get(job_url, timeout=5).json()
    assert job["status"] == "PARTIAL"
    assert [(d["id"], d["success"]) for d in job["data"]] == [(a["id"], True), (b["id"], False)]
    assert s.get(f"{sb.url}/api/v2/tickets/{a['id']}").json()["priority"] == 4
    bad = s.post(
        f"{sb.url}/api/v2/tickets/bulk_update",
        json={"bulk_action": {"ids": [a["id"]], "properties": {"priority": 9}}},
    )
    assert bad.status_code == 400
    assert s.get(f"{sb.url}/api/v2/jobs/nope").status_code == 404


def test_solutions_categories_folders_articles(freshdesk_sandbox: RunningFreshdesk) -> None:
    sb, s = freshdesk_sandbox, session(freshdesk_sandbox)
    api = f"{sb.url}/api/v2/solutions"
    cat = s.post(f"{api}/categories", json={"name": "Billing"}, timeout=5).json()
    folder = s.post(
        f"{api}/categories/{cat['id']}/folders", json={"name": "Cards", "visibility": 1}
    ).json()
    assert (
        s.post(
            f"{api}/categories/{cat['id']}/folders", json={"name": "x", "visibility": 9}
        ).status_code
        == 400
    )
    article = s.post(
        f"{api}/folders/{folder['id']}/articles",
        json={"title": "Declined cards", "description": "<p>Check the <b>CVC</b></p>", "status": 2},
    ).json()
    assert article["description_text"] == "Check the CVC"
    assert article["category_id"] == cat["id"]
    assert [a["id"] for a in s.get(f"{api}/folders/{folder['id']}/articles").json()] == [
        article["id"]
    ]
    assert s.get(f"{api}/categories/{cat['id']}/folders").json()[0]["visibility"] == 1
    assert s.get(f"{api}/articles/{article['id'] + 1}").status_code == 404


def test_faults_counters_and_the_control_endpoints(freshdesk_sandbox: RunningFreshdesk) -> None:
    sb, s = freshdesk_sandbox, session(freshdesk_sandbox)
    s.post(f"{sb.url}/sandbox/config", json={"faults": ["503", "drop"]})
    assert s.get(f"{sb.url}/api/v2/tickets", timeout=5).status_code == 503
    with pytest.raises(requests.ConnectionError):
        s.get(f"{sb.url}/api/v2/tickets", timeout=5)
    bad = s.post(f"{sb.url}/sandbox/config", json={"faults": ["boom"]})
    assert bad.status_code == 400
    assert s.post(f"{sb.url}/sandbox/config", json={"plan": "gold"}).status_code == 400
    stats = s.get(f"{sb.url}/sandbox/stats").json()
    assert (stats["errors_injected"], stats["dropped"], stats["requests_total"]) == (1, 1, 2)
    assert s.post(f"{sb.url}/sandbox/reset_stats").json()["requests_total"] == 0
    r = s.post(f"{sb.url}/api/v2/tickets", data=b"{not json", timeout=5)
    assert (r.status_code, r.json()["code"]) == (400, "invalid_json")


def test_both_sandboxes_say_what_they_are() -> None:
    with serve_in_thread(SandboxConfig()) as zd:
        assert (
            requests.get(f"{zd.url}/api/v2/users/me", timeout=5).headers["X-Ticketbot-Sandbox"]
            == "zendesk"
        )
    from ticket_processor.helpdesks.freshdesk.sandbox.serving import (
        serve_in_thread as serve_freshdesk,
    )

    with serve_freshdesk() as fd:
        for path in ("/api/v2/tickets", "/sandbox/stats", "/nowhere"):
            assert (
                requests.get(f"{fd.url}{path}", timeout=5).headers["X-Ticketbot-Sandbox"]
                == "freshdesk"
            )


def test_state_file_keeps_tickets_notes_groups_and_articles(
    freshdesk_factory: Factory, tmp_path: Path
) -> None:
    state = tmp_path / "fd.json"
    sb = freshdesk_factory(FreshdeskConfig(state_file=state))
    s = session(sb)
    ticket = create(s, sb, tags=["kept"])
    s.post(f"{sb.url}/api/v2/tickets/{ticket['id']}/notes", json={"body": "n", "private": True})
    s.post(f"{sb.url}/api/v2/groups", json={"name": "Billing"})
    s.post(f"{sb.url}/api/v2/solutions/categories", json={"name": "FAQ"})
    sb.close()
    again = freshdesk_factory(FreshdeskConfig(state_file=state))
    s2 = session(again)
    assert s2.get(f"{again.url}/api/v2/tickets/{ticket['id']}").json()["tags"] == ["kept"]
    notes = s2.get(f"{again.url}/api/v2/tickets/{ticket['id']}/conversations").json()
    assert [n["body"] for n in notes] == ["n"]
    assert [g["name"] for g in s2.get(f"{again.url}/api/v2/groups").json()] == ["Billing"]
    assert [c["name"] for c in s2.get(f"{again.url}/api/v2/solutions/categories").json()] == ["FAQ"]
    assert create(s2, again)["id"] == ticket["id"] + 1


def test_cli_serves_freshdesk_until_terminated_and_keeps_state(tmp_path: Path) -> None:
    state = tmp_path / "fd.json"
    command = [sys.executable, "-m", "ticket_processor", "sandbox", "--helpdesk", "freshdesk"]
    flags = ["--port", "0", "--api-key", "k3y", "--plan", "growth", "--state", str(state)]
    proc = subprocess.Popen([*command, *flags], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert url, line
        assert line.startswith("Freshdesk sandbox listening on")  # its lines to paste follow
        body = {"subject": "kept", "description": "d", "email": "a@example.com"}
        r = requests.post(f"{url.group(0)}/api/v2/tickets", json=body, auth=("k3y", "X"), timeout=5)
        assert r.status_code == 201
        assert r.headers["X-RateLimit-Total"] == "200"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert json.loads(state.read_text())["tickets"][0]["subject"] == "kept"


def test_cli_refuses_a_zendesk_plan_for_freshdesk() -> None:
    command = [sys.executable, "-m", "ticket_processor", "sandbox", "--helpdesk", "freshdesk"]
    done = subprocess.run(
        [*command, "--port", "0", "--plan", "team"], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 2
    assert "--plan must be one of trial, growth, pro, enterprise" in done.stdout + done.stderr


def test_cli_refuses_a_state_file_that_is_not_freshdesks(tmp_path: Path) -> None:
    state = tmp_path / "zendesk.json"
    state.write_text('{"version": 1, "tickets": []}')
    command = [sys.executable, "-m", "ticket_processor", "sandbox", "--helpdesk", "freshdesk"]
    done = subprocess.run(
        [*command, "--port", "0", "--state", str(state)], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 2
    assert "not a Freshdesk sandbox state file" in done.stdout + done.stderr
    assert "Traceback" not in done.stderr


def test_spam_is_left_out_of_the_list_and_shown_with_its_flag(
    freshdesk_sandbox: RunningFreshdesk,
) -> None:
    """As Freshdesk: a ticket an agent marked as spam is in the list only with ``filter=spam``;
    read alone it says ``spam: true``, and the list's ``include=requester`` names its sender."""
    s = session(freshdesk_sandbox)
    kept = create(s, freshdesk_sandbox, email="anna@example.com")
    marked = create(s, freshdesk_sandbox, email="no-reply@offers.example")
    freshdesk_sandbox.store.mark_spam(marked["id"])
    url = f"{freshdesk_sandbox.url}/api/v2/tickets"
    listed = s.get(url, params={"include": "requester"}, timeout=5).json()
    assert [t["id"] for t in listed] == [kept["id"]]
    assert listed[0]["requester"]["email"] == "anna@example.com"
    spam = s.get(url, params={"filter": "spam", "include": "requester"}, timeout=5).json()
    assert [(t["id"], t["spam"]) for t in spam] == [(marked["id"], True)]
    assert spam[0]["requester"]["email"] == "no-reply@offers.example"
    assert s.get(f"{url}/{marked['id']}", timeout=5).json()["spam"] is True

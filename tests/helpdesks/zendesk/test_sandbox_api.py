"""The sandbox over real HTTP: every endpoint, Zendesk's error bodies, knobs, state, concurrency."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from support.zendesk_sandbox import sandbox_auth

from ticket_processor.helpdesks.zendesk.sandbox.config import SandboxConfig
from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox

Factory = Callable[..., RunningSandbox]


def session(sb: RunningSandbox) -> requests.Session:
    s = requests.Session()
    s.auth = sandbox_auth(sb)
    return s


def create(s: requests.Session, sb: RunningSandbox, **fields: Any) -> dict[str, Any]:
    fields.setdefault("subject", "Printer on fire")
    fields.setdefault("comment", {"body": "It is very colourful."})
    r = s.post(f"{sb.url}/api/v2/tickets.json", json={"ticket": fields}, timeout=5)
    assert r.status_code == 201, r.text
    ticket: dict[str, Any] = r.json()["ticket"]
    return ticket


def wait_job(s: requests.Session, url: str) -> dict[str, Any]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        job: dict[str, Any] = s.get(url, timeout=5).json()["job_status"]
        if job["status"] in ("completed", "failed"):
            return job
        time.sleep(0.005)
    raise AssertionError(f"job {url} did not finish")


# --- auth and basics ---------------------------------------------------------------


def test_users_me_with_token_auth_and_rate_headers(sandbox: RunningSandbox) -> None:
    r = session(sandbox).get(f"{sandbox.url}/api/v2/users/me.json", timeout=5)
    assert r.status_code == 200
    assert r.json()["user"]["email"] == "agent@example.com"
    assert r.headers["X-Rate-Limit"] == "700"
    assert r.headers["X-Rate-Limit-Remaining"] == "699"


@pytest.mark.parametrize(
    "auth",
    [None, ("agent@example.com/token", "wrong"), ("other@example.com/token", "sandbox-token")],
)
def test_bad_credentials_get_zendesk_401(
    sandbox: RunningSandbox, auth: tuple[str, str] | None
) -> None:
    r = requests.get(f"{sandbox.url}/api/v2/users/me", auth=auth, timeout=5)
    assert r.status_code == 401
    assert r.json() == {"error": "Couldn't authenticate you"}


def test_bearer_token_only_when_configured(sandbox_factory: Factory) -> None:
    plain = sandbox_factory(SandboxConfig())
    oauth = sandbox_factory(SandboxConfig(oauth_token="oauth-abc"))
    headers = {"Authorization": "Bearer oauth-abc"}
    assert (
        requests.get(f"{plain.url}/api/v2/users/me", headers=headers, timeout=5).status_code == 401
    )
    assert (
        requests.get(f"{oauth.url}/api/v2/users/me", headers=headers, timeout=5).status_code == 200
    )


def test_unknown_ticket_and_endpoint(sandbox: RunningSandbox) -> None:
    s = session(sandbox)
    r = s.get(f"{sandbox.url}/api/v2/tickets/999.json", timeout=5)
    assert (r.status_code, r.json()) == (
        404,
        {"error": "RecordNotFound", "description": "Not found"},
    )
    r = s.get(f"{sandbox.url}/api/v2/nothing", timeout=5)
    assert r.status_code == 404
    assert r.json()["error"] == "InvalidEndpoint"


# --- tickets -----------------------------------------------------------------------


def test_create_then_show_with_and_without_json(sandbox: RunningSandbox) -> None:
    s = session(sandbox)
    ticket = create(
        s,
        sandbox,
        priority="high",
        tags=["Billing Issue", "vip", "VIP"],
        requester={"name": "Ana", "email": "ana@example.com"},
    )
    assert ticket["status"] == "new"
    assert ticket["priority"] == "high"
    assert ticket["tags"] == ["billing_issue", "vip"]
    assert ticket["description"] == "It is very colourful."
    assert ticket["requester_id"] != ticket["submitter_id"]
    assert ticket["url"] == f"{sandbox.url}/api/v2/tickets/{ticket['id']}.json"
    for path in (f"/api/v2/tickets/{ticket['id']}", f"/api/v2/tickets/{ticket['id']}.json"):
        assert s.get(sandbox.url + path, timeout=5).json()["ticket"] == ticket
    assert sandbox.store.get(ticket["id"]) == ticket


def test_create_rejects_invalid_fields_with_record_invalid(sandbox: RunningSandbox) -> None:
    s = session(sandbox)
    r = s.post(
        f"{sandbox.url}/api/v2/tickets",
        json={"ticket": {"subject": "x", "comment": {"body": "y"}, "priority": "asap"}},
        timeout=5,
    )
    assert r.status_code == 422
    assert r.json() == {
        "error": "RecordInvalid",
        "description": "Record validation errors",
        "details": {
            "priority": [{"description": "Priority: is not valid", "error": "InvalidValue"}]
        },
    }
    r = s.post(f"{sandbox.url}/api/v2/tickets", json={"ticket": {"subject": "x"}}, timeout=5)
    assert r.status_code == 422
    assert sandbox.store.all_tickets() == []


def test_update_tags_replace_merge_and_internal_note(sandbox: RunningSandbox) -> None:
    s = session(sandbox)
    ticket = create(s, sandbox, tags=["keep", "drop"])
    url = f"{sandbox.url}/api/v2/tickets/{ticket['id']}.json"
    r = s.put(url, json={"ticket": {"additional_tags": ["New One"], "remove_tags": ["drop"]}})
    assert r.json()["ticket"]["tags"] == ["keep", "new_one"]
    r = s.put(
        url,
        json={
            "ticket": {"priority": "urgent", "comment": {"body": "AI: billing", "public": False}}
        },
    )
    assert r.status_code == 200
    assert r.json()["ticket"]["priority"] == "urgent"
    assert r.json()["audit"]["events"][0]["type"] == "Comment"
    r = s.put(url, json={"ticket": {"tags": ["only"]}})
    assert r.json()["ticket"]["tags"] == ["only"]
    comments = s.get(f"{sandbox.url}/api/v2/tickets/{ticket['id']}/comments", timeout=5).json()
    assert [(c["body"], c["public"]) for c in comments["comments"]] == [
        ("It is very colourful.", True),
        ("AI: billing", False),
    ]
    note = comments["comments"][1]
    assert {"author_id", "created_at", "html_body", "plain_body", "type"} <= set(note)


def test_every_write_changes_updated_at_and_stale_stamp_is_409(sandbox: RunningSandbox) -> None:
    s = session(sandbox)
    ticket = create(s, sandbox)
    url = f"{sandbox.url}/api/v2/tickets/{ticket['id']}"
    stamps = [ticket["updated_at"]]
    for priority in ("low", "normal", "high"):  # all within the same second
        r = s.put(
            url,
            json={
                "ticket": {"priority": priority, "safe_update": True, "updated_stamp": stamps[-1]}
            },
            timeout=5,
        )
        assert r.status_code == 200, r.text
        stamps.append(r.json()["ticket"]["updated_at"])
    assert len(set(stamps)) == 4
    r = s.put(
        url,
        json={"ticket": {"priority": "urgent", "safe_update": True, "updated_stamp": stamps[1]}},
        timeout=5,
    )
    assert r.status_code == 409
    assert r.json()["error"] == "UpdateConflict"
    assert sandbox.store.get(ticket["id"])["priority"] == "high"
    # without safe_update the stamp is not checked
    r = s.put(url, json={"ticket": {"priority": "urgent", "updated_stamp": stamps[0]}}, timeout=5)
    assert r.status_code == 200


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"priority": "p1"}, "priority"), ({"status": "done"}, "status"), ({"type": "bug"}, "type")],
)
def test_update_validates_values(
    sandbox: RunningSandbox, changes: dict[str, str], field: str
) -> None:
    s = session(sandbox)
    ticket = create(s, sandbox)
    r = s.put(f"{sandbox.url}/api/v2/tickets/{ticket['id']}", json={"ticket": changes}, timeout=5)
    assert r.status_code == 422
    assert r.json()["error"] == "RecordInvalid"
    assert list(r.json()["details"]) == [field]


def test_closed_ticket_cannot_be_updated(sandbox: RunningSandbox) -> None:
    s = session(sandbox)
    ticket = create(s, sandbox, status="closed")
    r = s.put(f"{sandbox.url}/api/v2/tickets/{ticket['id']}", json={"ticket": {"tags": ["x"]}})
    assert r.status_code == 422


def test_tags_endpoints_add_set_remove(sandbox: RunningSandbox) -> None:
    s = session(sandbox)
    ticket = create(s, sandbox, tags=["a"])
    url = f"{sandbox.url}/api/v2/tickets/{ticket['id']}/tags.json"
    r = s.put(url, json={"tags": ["B", "c"]}, timeout=5)
    assert (r.status_code, r.json()) == (200, {"tags": ["a", "b", "c"]})
    r = s.delete(url, json={"tags": ["b"]}, timeout=5)
    assert r.json() == {"tags": ["a", "c"]}
    r = s.delete(url, params={"tags": "c"}, timeout=5)
    assert r.json() == {"tags": ["a"]}
    r = s.post(url, json={"tags": ["x", "y"]}, timeout=5)
    assert (r.status_code, r.json()) == (201, {"tags": ["x", "y"]})
    assert s.get(url, timeout=5).json() == {"tags": ["x", "y"]}
    stale = {"tags": ["z"], "safe_update": "true", "updated_stamp": "2019-09-12T21:45:16Z"}
    assert s.put(url, json=stale, timeout=5).status_code == 409


def test_show_many_and_its_limit(sandbox: RunningSandbox) -> None:
    s = session(sandbox)
    ids = [create(s, sandbox)["id"] for _ in range(3)]
    r = s.get(
        f"{sandbox.url}/api/v2/tickets/show_many.json", params={"ids": f"{ids[0]},{ids[2]},77"}
    )
    assert [t["id"] for t in r.json()["tickets"]] == [ids[0], ids[2]]
    many = ",".join(str(i) for i in range(1, 102))
    r = s.get(f"{sandbox.url}/api/v2/tickets/show_many", params={"ids": many}, timeout=5)
    assert r.status_code == 400
    assert r.json()["error"] == "TooManyValues"


def test_list_cursor_pagination_links_point_back(sandbox: RunningSandbox) -> None:
    s = session(sandbox)
    ids = [sandbox.store.create({"subject": f"t{i}", "comment": "b"})["id"] for i in range(5)]
    seen: list[int] = []
    url: str | None = f"{sandbox.url}/api/v2/tickets.json?page[size]=2"
    while url:
        body = s.get(url, timeout=5).json()
        seen += [t["id"] for t in body["tickets"]]
        url = body["links"]["next"] if body["meta"]["has_more"] else None
        if url:
            assert url.startswith(f"{sandbox.url}/api/v2/tickets.json?")
    assert seen == ids
    back = s.get(body["links"]["prev"], timeout=5).json()  # from the last page (ids[4])
    assert [t["id"] for t in back["tickets"]] == ids[2:4]
    r = s.get(f"{sandbox.url}/api/v2/tickets", params={"page[size]": 101}, timeout=5)
    assert r.status_code == 400
    offset = s.get(f"{sandbox.url}/api/v2/tickets", params={"per_page": 2}, timeout=5).json()
    assert offset["count"] == 5
    assert offset["next_page"].startswith(sandbox.url)


# --- jobs --------------------------------------------------------------------------


def test_create_many_then_job_status(sandbox: RunningSandbox) -> None:
    s = session(sandbox)
    tickets = [{"subject": f"s{i}", "comment": {"body": "b"}} for i in range(3)]
    tickets.append({"subject": "bad", "comment": {"body": "b"}, "priority": "nope"})
    r = s.post(f"{sandbox.url}/api/v2/tickets/create_many.json", json={"tickets": tickets})
    job = r.json()["job_status"]
    assert (r.status_code, job["status"]) == (200, "queued")
    assert job["url"] == f"{sandbox.url}/api/v2/job_statuses/{job['id']}.json"
    done = wait_job(s, job["url"])
    assert done["status"] == "completed"
    assert [(x.get("index"), x.get("success", True)) for x in done["results"]] == [
        (0, True),
        (1, True),
        (2, True),
        (3, False),
    ]
    assert {x["id"] for x in done["results"][:3]} == {t["id"] for t in sandbox.store.all_tickets()}
    too_many = {"tickets": [{"subject": "x", "comment": "y"}] * 101}
    r = s.post(f"{sandbox.url}/api/v2/tickets/create_many", json=too_many, timeout=5)
    assert (r.status_code, r.json()["error"]) == (400, "TooManyValues")


def test_update_many_both_forms_with_per_ticket_results(sandbox: RunningSandbox) -> None:
    s = session(sandbox)
    a, b = (create(s, sandbox, tags=["old"])["id"] for _ in range(2))
    url = f"{sandbox.url}/api/v2/tickets/update_many.json"
    r = s.put(url, params={"ids": f"{a},{b}"}, json={"ticket": {"additional_tags": ["ai"]}})
    done = wait_job(s, r.json()["job_status"]["url"])
    assert done["results"] == [
        {"id": a, "action": "update", "success": True, "status": "Updated"},
        {"id": b, "action": "update", "success": True, "status": "Updated"},
    ]
    payload = {
        "tickets": [
            {
                "id": a,
                "remove_tags": ["old"],
                "priority": "high",
                "comment": {"body": "n", "public": False},
            },
            {"id": b, "priority": "sky-high"},
            {"id": 4242, "priority": "low"},
        ]
    }
    done = wait_job(s, s.put(url, json=payload, timeout=5).json()["job_status"]["url"])
    assert [(x["id"], x["success"]) for x in done["results"]] == [
        (a, True),
        (b, False),
        (4242, False),
    ]
    assert done["results"][1]["details"] == "Priority: is not valid"
    assert done["results"][2]["error"] == "RecordNotFound"
    assert sandbox.store.get(a)["tags"] == ["ai"]
    assert sandbox.store.get(a)["priority"] == "high"
    assert sandbox.store.get(b)["priority"] is None
    assert sandbox.store.comments(a)[-1]["public"] is False
    r = s.put(url, params={"ids": ",".join(str(i) for i in range(101))}, json={"ticket": {}})
    assert r.status_code == 400


def test_job_waits_for_delay_and_unknown_job_is_404(sandbox_factory: Factory) -> None:
    sb = sandbox_factory(SandboxConfig(job_delay_ms=150))
    s = session(sb)
    tid = create(s, sb)["id"]
    r = s.put(
        f"{sb.url}/api/v2/tickets/update_many",
        params={"ids": tid},
        json={"ticket": {"status": "open"}},
    )
    job_url = r.json()["job_status"]["url"]
    assert s.get(job_url, timeout=5).json()["job_status"]["status"] == "queued"
    assert sb.store.get(tid)["status"] == "new"
    assert wait_job(s, job_url)["status"] == "completed"
    assert sb.store.get(tid)["status"] == "open"
    assert s.get(f"{sb.url}/api/v2/job_statuses/nope", timeout=5).status_code == 404


# --- search and incremental export ---------------------------------------------------------


def test_search_query_forms(sandbox: RunningSandbox) -> None:
    store = sandbox.store
    new = store.create({"subject": "refund please", "comment": "money", "tags": ["billing"]})
    opened = store.create({"subject": "login broken", "comment": "x", "status": "open"})
    solved = store.create({"subject": "thanks", "comment": "x", "status": "solved"})
    done = store.create(
        {"subject": "old", "comment": "x", "status": "open", "tags": ["ai_processed"]}
    )
    s = session(sandbox)

    def ids(query: str, **params: str) -> list[int]:
        r = s.get(f"{sandbox.url}/api/v2/search.json", params={"query": query, **params}, timeout=5)
        assert r.status_code == 200, r.text
        assert all(x["result_type"] == "ticket" for x in r.json()["results"])
        return [x["id"] for x in r.json()["results"]]

    asc = {"sort_by": "created_at", "sort_order": "asc"}
    assert ids("type:ticket status<solved -tags:ai_processed", **asc) == [new["id"], opened["id"]]
    assert ids("type:ticket status:new") == [new["id"]]
    assert ids("tags:billing") == [new["id"]]
    assert ids("status>=solved") == [solved["id"]]
    assert ids("type:ticket created>2020-01-01", **asc) == [
        t["id"] for t in (new, opened, solved, done)
    ]
    assert ids("created<2020-01-01") == []
    assert ids("type:ticket created>1hours", sort_by="created_at") == [
        t["id"] for t in (done, solved, opened, new)
    ]
    assert ids("refund") == [new["id"]]
    assert ids("type:user") == []


def test_search_pages_count_and_result_limit(sandbox: RunningSandbox) -> None:
    for i in range(150):
        sandbox.store.create({"subject": f"t{i}", "comment": "b"})
    s = session(sandbox)
    body = s.get(f"{sandbox.url}/api/v2/search", params={"query": "type:ticket"}, timeout=5).json()
    assert (body["count"], len(body["results"])) == (150, 100)
    assert body["next_page"].startswith(f"{sandbox.url}/api/v2/search.json?query=type%3Aticket")
    second = s.get(body["next_page"], timeout=5).json()
    assert len(second["results"]) == 50
    assert second["next_page"] is None
    r = s.get(f"{sandbox.url}/api/v2/search", params={"query": "type:ticket", "page": "11"})
    assert r.status_code == 422
    assert r.json()["error"] == "invalid"


def test_incremental_cursor_export_pages_and_reappears(sandbox: RunningSandbox) -> None:
    ids = [sandbox.store.create({"subject": f"t{i}", "comment": "b"})["id"] for i in range(5)]
    s = session(sandbox)
    url = f"{sandbox.url}/api/v2/incremental/tickets/cursor.json"
    body = s.get(url, params={"start_time": 0, "per_page": 2}, timeout=5).json()
    seen = [t["id"] for t in body["tickets"]]
    while not body["end_of_stream"]:
        assert body["after_url"].startswith(url)
        body = s.get(body["after_url"], timeout=5).json()
        seen += [t["id"] for t in body["tickets"]]
    assert seen == ids
    # a later write shows the ticket again after the saved cursor
    sandbox.store.update(ids[1], {"priority": "high"})
    again = s.get(url, params={"cursor": body["after_cursor"]}, timeout=5).json()
    assert [t["id"] for t in again["tickets"]] == [ids[1]]
    assert again["tickets"][0]["priority"] == "high"
    assert again["end_of_stream"] is True
    future = s.get(url, params={"start_time": int(time.time()) + 3600}, timeout=5)
    assert future.status_code == 422
    assert s.get(url, params={"cursor": "!!!"}, timeout=5).status_code == 400


def test_incremental_export_needs_admin(sandbox_factory: Factory) -> None:
    sb = sandbox_factory(SandboxConfig(admin=False))
    r = session(sb).get(f"{sb.url}/api/v2/incremental/tickets/cursor", params={"start_time": 0})
    assert r.status_code == 403
    assert r.json()["error"] == "Forbidden"


# --- knobs, stats, state, concurrency ---------------------------------------------------


def test_fault_knobs_and_counters(sandbox_factory: Factory) -> None:
    sb = sandbox_factory(SandboxConfig(seed=1))
    s = session(sb)
    tid = create(s, sb)["id"]
    sb.config.error_rate = 1.0
    r = s.get(f"{sb.url}/api/v2/tickets/{tid}", timeout=5)
    assert r.status_code in (500, 503)
    sb.config.error_rate = 0.0
    sb.config.conflict_rate = 1.0
    r = s.put(f"{sb.url}/api/v2/tickets/{tid}", json={"ticket": {"priority": "low"}}, timeout=5)
    assert r.status_code == 409
    assert sb.store.get(tid)["priority"] is None
    sb.config.conflict_rate = 0.0
    sb.config.drop_rate = 1.0
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{sb.url}/api/v2/tickets/{tid}", auth=sandbox_auth(sb), timeout=5)
    sb.config.drop_rate = 0.0
    sb.config.latency_ms = 80
    started = time.monotonic()
    assert s.get(f"{sb.url}/api/v2/tickets/{tid}", timeout=5).status_code == 200
    assert time.monotonic() - started >= 0.08
    stats = requests.get(f"{sb.url}/sandbox/stats", timeout=5).json()
    assert stats == sb.stats()
    assert stats["errors_injected"] == 1
    assert stats["dropped"] == 1
    assert stats["conflicts_injected"] == 1
    assert stats["requests"]["GET /api/v2/tickets/{id}"] == 3
    assert stats["requests"]["PUT /api/v2/tickets/{id}"] == 1


def test_control_endpoints_change_config_and_reset_stats(sandbox: RunningSandbox) -> None:
    r = requests.post(
        f"{sandbox.url}/sandbox/config", json={"plan": "team", "latency_ms": 0}, timeout=5
    )
    assert r.status_code == 200
    assert r.json()["plan"] == "team"
    assert (
        requests.post(f"{sandbox.url}/sandbox/config", json={"bogus": 1}, timeout=5).status_code
        == 400
    )
    r = session(sandbox).get(f"{sandbox.url}/api/v2/users/me", timeout=5)
    assert r.headers["X-Rate-Limit"] == "200"
    assert sandbox.stats()["requests_total"] == 1
    requests.post(f"{sandbox.url}/sandbox/reset_stats", timeout=5)
    assert sandbox.stats()["requests_total"] == 0


def test_state_file_survives_restart(sandbox_factory: Factory, tmp_path: Path) -> None:
    state = tmp_path / "sandbox.json"
    first = sandbox_factory(SandboxConfig(state_file=state))
    s = session(first)
    ticket = create(s, first, tags=["kept"])
    s.put(
        f"{first.url}/api/v2/tickets/{ticket['id']}",
        json={"ticket": {"comment": {"body": "n", "public": False}}},
    )
    first.close()
    assert json.loads(state.read_text())["tickets"][0]["tags"] == ["kept"]
    assert [p.name for p in tmp_path.iterdir()] == ["sandbox.json"]  # no temp files left
    second = sandbox_factory(SandboxConfig(state_file=state))
    again = session(second).get(f"{second.url}/api/v2/tickets/{ticket['id']}", timeout=5).json()
    assert again["ticket"]["tags"] == ["kept"]
    assert again["ticket"]["url"].startswith(second.url)
    assert len(second.store.comments(ticket["id"])) == 2
    assert create(session(second), second)["id"] == ticket["id"] + 1


def test_64_concurrent_clients_all_get_correct_answers(sandbox_factory: Factory) -> None:
    # 960 requests, 320 updates: above Enterprise's per-minute limits, so lift them
    sandbox = sandbox_factory(SandboxConfig(plan="high_volume", update_limit_per_min=1000))

    def client(n: int) -> bool:
        s = session(sandbox)
        ok = True
        for i in range(5):
            ticket = create(s, sandbox, subject=f"client {n} #{i}", tags=[f"c{n}"])
            r = s.put(
                f"{sandbox.url}/api/v2/tickets/{ticket['id']}",
                json={"ticket": {"additional_tags": [f"round{i}"]}},
                timeout=10,
            )
            got = s.get(f"{sandbox.url}/api/v2/tickets/{ticket['id']}", timeout=10).json()["ticket"]
            ok &= r.status_code == 200 and got["subject"] == f"client {n} #{i}"
            ok &= got["tags"] == [f"c{n}", f"round{i}"]
        return ok

    with ThreadPoolExecutor(max_workers=64) as pool:
        results = list(pool.map(client, range(64)))
    assert all(results)
    assert len(sandbox.store.all_tickets()) == 64 * 5
    assert len({t["id"] for t in sandbox.store.all_tickets()}) == 64 * 5


def test_string_false_makes_an_internal_note(sandbox: RunningSandbox) -> None:
    s = session(sandbox)
    ticket = create(s, sandbox)
    note = {"ticket": {"comment": {"body": "n", "public": "false"}}}
    s.put(f"{sandbox.url}/api/v2/tickets/{ticket['id']}", json=note, timeout=5)
    assert sandbox.store.comments(ticket["id"])[-1]["public"] is False


def test_cli_serves_until_interrupted_and_keeps_state(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    command = [sys.executable, "-m", "ticket_processor", "sandbox", "--port", "0"]
    proc = subprocess.Popen(
        [*command, "--state", str(state), "--token", "t0k"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert url, line
        r = requests.post(
            f"{url.group(0)}/api/v2/tickets.json",
            json={"ticket": {"subject": "kept", "comment": {"body": "b"}}},
            auth=("agent@example.com/token", "t0k"),
            timeout=5,
        )
        assert r.status_code == 201
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert json.loads(state.read_text())["tickets"][0]["subject"] == "kept"


def test_conflict_knob_fails_update_many_tickets_one_by_one(sandbox_factory: Factory) -> None:
    sb = sandbox_factory(SandboxConfig(conflict_rate=1.0, seed=3))
    s = session(sb)
    tid = sb.store.create({"subject": "x", "comment": "y"})["id"]
    r = s.put(
        f"{sb.url}/api/v2/tickets/update_many",
        json={"tickets": [{"id": tid, "priority": "high"}]},
        timeout=5,
    )
    results = wait_job(s, r.json()["job_status"]["url"])["results"]
    outcome = [(x["id"], x["success"], x["error"]) for x in results]
    assert outcome == [(tid, False, "UpdateConflict")]
    assert sb.store.get(tid)["priority"] is None
    assert sb.stats()["conflicts_injected"] == 1

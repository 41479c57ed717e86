"""Every response shape the Freshdesk sandbox serves validates against its OpenAPI description.

Freshdesk publishes no OpenAPI file, so the package ships one for exactly the subset the sandbox
serves (``ticket_processor/helpdesks/freshdesk/sandbox/openapi.yaml``). Responses are validated with
openapi-schema-validator's *read* validator with format checks; ticket objects may only carry
properties the description documents, and the description lists exactly the routes served.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from importlib import resources
from typing import Any

import pytest
import requests
import yaml
from openapi_schema_validator import OAS30ReadValidator, oas30_format_checker

from ticket_processor.helpdesks.freshdesk.sandbox.api import ROUTES
from ticket_processor.helpdesks.freshdesk.sandbox.config import FreshdeskConfig
from ticket_processor.helpdesks.freshdesk.sandbox.serving import RunningFreshdesk, serve_in_thread

Exchange = tuple[int, Any]


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    text = resources.files("ticket_processor.helpdesks.freshdesk.sandbox").joinpath("openapi.yaml")
    loaded: dict[str, Any] = yaml.safe_load(text.read_text(encoding="utf-8"))
    return loaded


def errors_against(
    spec: dict[str, Any], path: str, method: str, status: int, body: Any
) -> list[str]:
    response = spec["paths"][path][method.lower()]["responses"][str(status)]
    if "$ref" in response:
        response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    content = response.get("content")
    if content is None:
        return [] if body is None else [f"documented without a body, got {body!r}"]
    schema = content["application/json"]["schema"]
    validator = OAS30ReadValidator(
        {**schema, "components": spec["components"]}, format_checker=oas30_format_checker
    )
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
        for e in validator.iter_errors(body)
    ]


# name -> (spec path, method)
EXCHANGES: dict[str, tuple[str, str]] = {
    "create": ("/api/v2/tickets", "POST"),
    "list": ("/api/v2/tickets", "GET"),
    "list_described": ("/api/v2/tickets", "GET"),
    "show": ("/api/v2/tickets/{id}", "GET"),
    "show_included": ("/api/v2/tickets/{id}", "GET"),
    "update": ("/api/v2/tickets/{id}", "PUT"),
    "note": ("/api/v2/tickets/{id}/notes", "POST"),
    "note_incoming": ("/api/v2/tickets/{id}/notes", "POST"),
    "reply": ("/api/v2/tickets/{id}/reply", "POST"),
    "conversations": ("/api/v2/tickets/{id}/conversations", "GET"),
    "search": ("/api/v2/search/tickets", "GET"),
    "bulk": ("/api/v2/tickets/bulk_update", "POST"),
    "job": ("/api/v2/jobs/{job_id}", "GET"),
    "group_create": ("/api/v2/groups", "POST"),
    "group_duplicate": ("/api/v2/groups", "POST"),
    "groups": ("/api/v2/groups", "GET"),
    "group": ("/api/v2/groups/{id}", "GET"),
    "agent_create": ("/api/v2/agents", "POST"),
    "agents": ("/api/v2/agents", "GET"),
    "agent": ("/api/v2/agents/{id}", "GET"),
    "me": ("/api/v2/agents/me", "GET"),
    "contact": ("/api/v2/contacts/{id}", "GET"),
    "contact_delete": ("/api/v2/contacts/{id}", "DELETE"),
    "contacts_deleted": ("/api/v2/contacts", "GET"),
    "contact_deleted": ("/api/v2/contacts/{id}", "GET"),
    "deleted": ("/api/v2/tickets", "GET"),
    "category_create": ("/api/v2/solutions/categories", "POST"),
    "categories": ("/api/v2/solutions/categories", "GET"),
    "category": ("/api/v2/solutions/categories/{id}", "GET"),
    "folder_create": ("/api/v2/solutions/categories/{id}/folders", "POST"),
    "folders": ("/api/v2/solutions/categories/{id}/folders", "GET"),
    "folder": ("/api/v2/solutions/folders/{id}", "GET"),
    "article_create": ("/api/v2/solutions/folders/{id}/articles", "POST"),
    "articles": ("/api/v2/solutions/folders/{id}/articles", "GET"),
    "article": ("/api/v2/solutions/articles/{id}", "GET"),
    "canned_folder_create": ("/api/v2/canned_response_folders", "POST"),
    "canned_folders": ("/api/v2/canned_response_folders", "GET"),
    "canned_folder": ("/api/v2/canned_response_folders/{id}", "GET"),
    "canned_create": ("/api/v2/canned_responses", "POST"),
    "canned_listed": ("/api/v2/canned_response_folders/{id}/responses", "GET"),
    "canned": ("/api/v2/canned_responses/{id}", "GET"),
    "error_400": ("/api/v2/tickets/{id}", "PUT"),
    "error_400_search": ("/api/v2/search/tickets", "GET"),
    "error_401": ("/api/v2/tickets", "GET"),
    "error_404": ("/api/v2/tickets/{id}", "GET"),
    "error_429": ("/api/v2/tickets", "GET"),
}


def _body(r: requests.Response) -> Exchange:
    return r.status_code, (r.json() if r.content else None)


@pytest.fixture(scope="module")
def served() -> Iterator[dict[str, Exchange]]:
    """Run every exchange once against one sandbox: name -> (status code, JSON body)."""
    with serve_in_thread(FreshdeskConfig(plan="trial")) as sb:
        served = _exchange(sb)
    with serve_in_thread(FreshdeskConfig(plan="trial")) as sb:  # a rate limit of its own
        yield {**served, **_deletions(sb)}


def _deletions(sb: RunningFreshdesk) -> dict[str, Exchange]:
    """A ticket and a contact deleted, and the lists that name them."""
    s = requests.Session()
    s.auth = (sb.config.api_key, "X")
    api = f"{sb.url}/api/v2"
    body = {"subject": "Spam", "description": "<p>x</p>", "email": "d@example.com", "priority": 1}
    made = s.post(f"{api}/tickets", json=body).json()
    s.delete(f"{api}/tickets/{made['id']}")
    requester = made["requester_id"]
    return {
        "deleted": _body(s.get(f"{api}/tickets", params={"filter": "deleted"})),
        "contact_delete": _body(s.delete(f"{api}/contacts/{requester}")),
        "contacts_deleted": _body(s.get(f"{api}/contacts", params={"state": "deleted"})),
        "contact_deleted": _body(s.get(f"{api}/contacts/{requester}")),
    }


def _exchange(sb: RunningFreshdesk) -> dict[str, Exchange]:
    s = requests.Session()
    s.auth = (sb.config.api_key, "X")
    api = f"{sb.url}/api/v2"
    out: dict[str, Exchange] = {}
    out["group_create"] = _body(s.post(f"{api}/groups", json={"name": "Billing"}))
    group = out["group_create"][1]["id"]
    out["group_duplicate"] = _body(s.post(f"{api}/groups", json={"name": "Billing"}))
    agent_body = {"email": "ana@example.com", "ticket_scope": 2, "group_ids": [group]}
    out["agent_create"] = _body(s.post(f"{api}/agents", json=agent_body))
    agent = out["agent_create"][1]["id"]
    ticket_body = {
        "subject": "Card declined",
        "description": "<p>Help</p>",
        "email": "c@example.com",
        "priority": 3,
        "tags": ["billing"],
    }
    out["create"] = _body(s.post(f"{api}/tickets", json=ticket_body))
    tid = out["create"][1]["id"]
    out["note"] = _body(s.post(f"{api}/tickets/{tid}/notes", json={"body": "<b>n</b>"}))
    requester = out["create"][1]["requester_id"]
    incoming = {"body": "<p>Still declined</p>", "incoming": True, "user_id": requester}
    out["note_incoming"] = _body(
        s.post(f"{api}/tickets/{tid}/notes", json={**incoming, "private": False})
    )
    out["reply"] = _body(s.post(f"{api}/tickets/{tid}/reply", json={"body": "<p>On it</p>"}))
    changes = {"tags": ["billing", "ai"], "group_id": group, "responder_id": agent}
    out["update"] = _body(s.put(f"{api}/tickets/{tid}", json=changes))
    out["list"] = _body(s.get(f"{api}/tickets"))
    out["list_described"] = _body(s.get(f"{api}/tickets", params={"include": "description"}))
    out["show"] = _body(s.get(f"{api}/tickets/{tid}"))
    show_params = {"include": "conversations,requester,stats"}
    out["show_included"] = _body(s.get(f"{api}/tickets/{tid}", params=show_params))
    out["conversations"] = _body(s.get(f"{api}/tickets/{tid}/conversations"))
    out["search"] = _body(s.get(f"{api}/search/tickets", params={"query": "\"tag:'ai'\""}))
    bulk = {"bulk_action": {"ids": [tid, tid + 50], "properties": {"status": 3}}}
    out["bulk"] = _body(s.post(f"{api}/tickets/bulk_update", json=bulk))
    job_url = f"{api}/jobs/{out['bulk'][1]['job_id']}"
    for _ in range(200):
        out["job"] = _body(s.get(job_url))
        if out["job"][1]["status"] != "IN PROGRESS":
            break
        time.sleep(0.005)
    out["groups"] = _body(s.get(f"{api}/groups"))
    out["group"] = _body(s.get(f"{api}/groups/{group}"))
    out["agents"] = _body(s.get(f"{api}/agents"))
    out["agent"] = _body(s.get(f"{api}/agents/{agent}"))
    out["me"] = _body(s.get(f"{api}/agents/me"))
    out["contact"] = _body(s.get(f"{api}/contacts/{requester}"))
    out["category_create"] = _body(s.post(f"{api}/solutions/categories", json={"name": "FAQ"}))
    cat = out["category_create"][1]["id"]
    out["categories"] = _body(s.get(f"{api}/solutions/categories"))
    out["category"] = _body(s.get(f"{api}/solutions/categories/{cat}"))
    folder_body = {"name": "Partners", "visibility": 4, "company_ids": [7]}
    out["folder_create"] = _body(
        s.post(f"{api}/solutions/categories/{cat}/folders", json=folder_body)
    )
    folder = out["folder_create"][1]["id"]
    out["folders"] = _body(s.get(f"{api}/solutions/categories/{cat}/folders"))
    out["folder"] = _body(s.get(f"{api}/solutions/folders/{folder}"))
    article_body = {"title": "Cards", "description": "<p>CVC</p>", "status": 1}
    out["article_create"] = _body(
        s.post(f"{api}/solutions/folders/{folder}/articles", json=article_body)
    )
    out["articles"] = _body(s.get(f"{api}/solutions/folders/{folder}/articles"))
    article = out["article_create"][1]["id"]
    out["article"] = _body(s.get(f"{api}/solutions/articles/{article}"))
    out["canned_folder_create"] = _body(
        s.post(f"{api}/canned_response_folders", json={"name": "B"})
    )
    canned_folder = out["canned_folder_create"][1]["id"]
    canned_body = {"title": "Refund", "content_html": "<p>Sent.</p>", "folder_id": canned_folder}
    out["canned_create"] = _body(s.post(f"{api}/canned_responses", json=canned_body))
    out["canned_folders"] = _body(s.get(f"{api}/canned_response_folders"))
    out["canned_folder"] = _body(s.get(f"{api}/canned_response_folders/{canned_folder}"))
    out["canned_listed"] = _body(s.get(f"{api}/canned_response_folders/{canned_folder}/responses"))
    out["canned"] = _body(s.get(f"{api}/canned_responses/{out['canned_create'][1]['id']}"))
    out["error_400"] = _body(s.put(f"{api}/tickets/{tid}", json={"priority": 5, "colour": "red"}))
    out["error_400_search"] = _body(s.get(f"{api}/search/tickets", params={"query": "nope"}))
    out["error_401"] = _body(requests.get(f"{api}/tickets", auth=("wrong", "X"), timeout=5))
    out["error_404"] = _body(s.get(f"{api}/tickets/{tid + 99}"))
    sb.config.start_storm(30)
    out["error_429"] = _body(s.get(f"{api}/tickets"))
    return out


@pytest.mark.parametrize("name", sorted(EXCHANGES))
def test_response_matches_the_description(
    spec: dict[str, Any], served: dict[str, Exchange], name: str
) -> None:
    path, method = EXCHANGES[name]
    status, body = served[name]
    problems = errors_against(spec, path, method, status, body)
    assert not problems, f"{method} {path} {status}: {problems}"


def test_the_description_can_fail(spec: dict[str, Any]) -> None:
    bad_ticket = {"id": "7", "subject": "x", "status": 9, "priority": 5}
    assert errors_against(spec, "/api/v2/tickets/{id}", "GET", 200, bad_ticket)
    assert errors_against(spec, "/api/v2/tickets/{id}", "GET", 404, {"error": "x"})
    assert errors_against(spec, "/api/v2/agents/me", "GET", 200, {"id": 1, "extra": True})


def test_tickets_carry_only_documented_fields(
    spec: dict[str, Any], served: dict[str, Exchange]
) -> None:
    documented = set(spec["components"]["schemas"]["TicketFields"]["properties"])
    tickets = [served["show_included"][1], *served["list_described"][1]]
    tickets += served["search"][1]["results"]
    for ticket in tickets:
        assert set(ticket) <= documented, set(ticket) - documented
    assert "description" not in served["list"][1][0]
    assert served["job"][1]["status"] == "PARTIAL"
    assert served["error_429"][0] == 429


def test_deleted_tickets_and_contacts_are_listed(served: dict[str, Exchange]) -> None:
    assert served["contact_delete"][0] == 204
    assert [c["deleted"] for c in served["contacts_deleted"][1]] == [True]
    assert served["contact_deleted"][1]["deleted"] is True
    assert [t["subject"] for t in served["deleted"][1]] == ["Spam"]


def test_the_description_lists_exactly_the_routes_served(spec: dict[str, Any]) -> None:
    documented = {
        (method.upper(), re.sub(r"\{[a-z_]+\}", "{}", path))
        for path, item in spec["paths"].items()
        for method in item
        if method in ("get", "post", "put", "delete")
    }
    served = {(r.method, re.sub(r"\{[a-z_]+\}", "{}", r.pattern)) for r in ROUTES}
    assert documented == served

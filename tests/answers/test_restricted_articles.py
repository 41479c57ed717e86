"""An article only some signed-in customers may read (a Zendesk user segment narrowed by
``or_tags``; a Freshdesk folder for chosen companies; a ServiceNow article whose Can Read names
a user criteria) is never quoted in a public reply, and the triage API names each article's
visibility. On each sandbox, through ``kb sync``, a real run in send mode and ``serve``'s
triage API."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from support.answers_desk import (
    ServiceNowApi,
    create_tickets,
    outbox,
    publish_servicenow,
    rows,
)
from support.cli import invoke
from support.e2e import events
from support.serving import TOKEN, serve_env, serving

from ticket_processor.helpdesks.zendesk.help_centre import parse_articles, publish
from ticket_processor.sandbox.desks import Desk


class _Zendesk:
    def __init__(self, desk: Desk) -> None:
        config = desk.sandbox.config
        self.url = desk.url
        self.auth = (f"{config.email}/token", config.token)

    def request(self, method: str, path: str, *, params: Any = None, json: Any = None) -> Any:
        answer = requests.request(
            method, self.url + path, params=params, json=json, auth=self.auth, timeout=10
        )
        answer.raise_for_status()
        return answer.json() if answer.content else {}


def publish_restricted(desk: Desk) -> list[int]:
    """The answers' help centre, every article readable only by some signed-in customers."""
    return _RESTRICTED[desk.kind](desk, rows("answers_articles.jsonl"))


def _restricted_zendesk(desk: Desk, found: list[dict[str, Any]]) -> list[int]:
    api = _Zendesk(desk)
    made = publish(api, parse_articles(json.dumps(a) for a in found))
    body = {
        "user_segment": {
            "name": "Beta customers",
            "user_type": "signed_in_users",
            "or_tags": ["beta", "vip"],
        }
    }
    segment = api.request("POST", "/api/v2/help_center/user_segments.json", json=body)
    for article in set(made):
        api.request(
            "PUT",
            f"/api/v2/help_center/articles/{article}.json",
            json={"article": {"user_segment_id": segment["user_segment"]["id"]}},
        )
    return made


def _restricted_freshdesk(desk: Desk, found: list[dict[str, Any]]) -> list[int]:
    auth = (desk.sandbox.config.api_key, "X")

    def post(path: str, body: dict[str, Any]) -> int:
        answer = requests.post(f"{desk.url}{path}", json=body, auth=auth, timeout=10)
        assert answer.status_code == 201, answer.text
        return int(answer.json()["id"])

    category = post("/api/v2/solutions/categories", {"name": "Help"})
    folder = {"name": "Beta", "visibility": 4, "company_ids": [1]}  # chosen companies only
    folder_id = post(f"/api/v2/solutions/categories/{category}/folders", folder)
    return [
        post(
            f"/api/v2/solutions/folders/{folder_id}/articles",
            {"title": a["title"], "description": a["body"], "status": 2},
        )
        for a in found
    ]


def _restricted_servicenow(desk: Desk, found: list[dict[str, Any]]) -> list[int]:
    """Each article's Can Read names a user criteria (the beta customers), as Knowledge
    Management v3 restricts an article."""
    criteria = ServiceNowApi(desk).request("POST", "user_criteria", {"name": "Beta customers"})
    return publish_servicenow(desk, found, {"can_read_user_criteria": criteria["sys_id"]})


_RESTRICTED: dict[str, Callable[[Desk, list[dict[str, Any]]], list[int]]] = {
    "zendesk": _restricted_zendesk,
    "freshdesk": _restricted_freshdesk,
    "servicenow": _restricted_servicenow,
}


@pytest.mark.desk(configure=True)
def test_an_article_for_some_customers_is_never_quoted(desk: Desk, tmp_path: Path) -> None:
    publish_restricted(desk)
    cases = [c for c in rows("answers_tickets.jsonl") if c["kind"] == "answerable"][:4]
    ids = create_tickets(desk, cases)
    synced = invoke("kb", "sync")
    assert synced.exit_code == 0, synced.output
    ran = invoke("run", "--engine", "rules", env={"TICKETBOT_ANSWER_MODE": "send"})
    assert ran.exit_code == 0, ran.output
    assert outbox(desk) == []
    logged = events(tmp_path / "logs")
    assert not [e for e in logged if e["event"] == "answer_sent"]
    assert all("ai_answered" not in desk.snapshot(i).tags for i in ids)

    with serving(serve_env(desk.env(), tmp_path)) as server:
        answer = server.client.post(
            f"{server.url}/api/v1/triage",
            json={"subject": cases[0]["subject"], "description": cases[0]["description"]},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
    assert answer.status_code == 200, answer.text
    articles = answer.json()["articles"]
    assert articles, "the restricted article still helps the agent"
    assert {a["visibility"] for a in articles} == {"internal"}

"""The answers' fixture on a desk: the help centre published through each helpdesk's own
API (Zendesk's Help Center, Freshdesk's Solutions), the 60 tickets created, the outbox read.

Data: ``tests/data/answers_articles.jsonl`` (10 articles, three with a translation) and
``tests/data/answers_tickets.jsonl`` (60 tickets: 30 answerable, 20 needing a person, 5 angry,
5 assigned) — the project's own writing (see tests/data/README.md).
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import requests

from ticket_processor.helpdesks.zendesk.help_centre import parse_articles, publish
from ticket_processor.sandbox.desks import Desk, NewTicket

DATA = Path(__file__).resolve().parents[1] / "data"


def rows(name: str) -> list[dict[str, Any]]:
    text = (DATA / name).read_text("utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


class _ZendeskApi:
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


def publish_help_centre(desk: Desk, name: str = "answers_articles.jsonl") -> dict[str, set[int]]:
    """The articles of ``name`` (in tests/data) published; each key's article ids (a
    translation is its own id)."""
    found = rows(name)
    ids: dict[str, set[int]] = {}
    if desk.kind == "zendesk":
        articles = parse_articles(json.dumps(a) for a in found)
        made = publish(_ZendeskApi(desk), articles)
    else:
        auth = (desk.sandbox.config.api_key, "X")

        def post(path: str, body: dict[str, Any]) -> int:
            answer = requests.post(f"{desk.url}{path}", json=body, auth=auth, timeout=10)
            assert answer.status_code == 201, answer.text
            return int(answer.json()["id"])

        category = post("/api/v2/solutions/categories", {"name": "Help"})
        folder = post(
            f"/api/v2/solutions/categories/{category}/folders", {"name": "FAQ", "visibility": 1}
        )
        made = [
            post(
                f"/api/v2/solutions/folders/{folder}/articles",
                {"title": a["title"], "description": a["body"], "status": 2},
            )
            for a in found
        ]
    for article, article_id in zip(found, made, strict=True):
        ids.setdefault(article["key"], set()).add(article_id)
    return ids


def create_tickets(
    desk: Desk,
    cases: list[dict[str, Any]],
    requester_name: str | None = None,
    status: str = "open",
) -> list[int]:
    """The cases as tickets; ``status`` in ticketbot's words (``new`` is ``open`` on Freshdesk)."""
    ids = desk.create(
        [
            NewTicket(c["subject"], c["description"], requester_name=requester_name, status=status)
            for c in cases
        ]
    )
    for ticket_id, case in zip(ids, cases, strict=True):
        if case["kind"] == "assigned":
            assign(desk, ticket_id)
    return ids


def assign(desk: Desk, ticket_id: int) -> None:
    store = desk.sandbox.store
    if desk.kind == "zendesk":
        directory = store.directory
        agent = next(
            (uid for uid, a in directory.agents.items() if a["email"] == "alex@example.com"),
            None,
        )
        if agent is None:
            made = directory.create_agent(
                {"name": "Alex Agent", "email": "alex@example.com", "role": "agent"}, desk.url
            )
            agent = int(made["id"])
        store.update(ticket_id, {"assignee_id": agent})
    else:
        agents = {a["contact"]["email"]: a["id"] for a in store.directory.agents()}
        agent = agents.get("alex@example.com")
        if agent is None:
            made = store.directory.create_agent(
                {"email": "alex@example.com", "name": "Alex Agent", "ticket_scope": 1}
            )
            agent = int(made["id"])
        store.update(ticket_id, {"responder_id": agent})


def outbox(desk: Desk) -> list[dict[str, Any]]:
    answer = requests.get(f"{desk.url}/sandbox/outbox", timeout=10)
    answer.raise_for_status()
    return list(answer.json()["outbox"])


def status(desk: Desk, ticket_id: int) -> str:
    if desk.kind == "zendesk":
        return str(desk.sandbox.store.get(ticket_id)["status"])
    code = desk.sandbox.store.find(ticket_id)["status"]
    return {2: "open", 3: "pending", 4: "solved", 5: "closed"}[code]


def plain(text: str) -> str:
    return html.unescape(text)


def public_comments(desk: Desk, ticket_id: int) -> list[str]:
    """The ticket's public comments (Zendesk) or public replies (Freshdesk), read through the
    helpdesk's own API, the customer's first message excluded."""
    return _comments(desk, ticket_id, public=True)


def private_notes(desk: Desk, ticket_id: int) -> list[str]:
    """Every internal note on the ticket (not only ticketbot's triage notes, as ``snapshot``
    gives), read through the helpdesk's own API."""
    return _comments(desk, ticket_id, public=False)


def _comments(desk: Desk, ticket_id: int, *, public: bool) -> list[str]:
    if desk.kind == "zendesk":
        config = desk.sandbox.config
        answer = requests.get(
            f"{desk.url}/api/v2/tickets/{ticket_id}/comments.json",
            auth=(f"{config.email}/token", config.token),
            timeout=10,
        )
        answer.raise_for_status()
        comments: list[dict[str, Any]] = answer.json()["comments"]
        return [str(c["body"]) for c in comments[1:] if c["public"] is public]
    answer = requests.get(
        f"{desk.url}/api/v2/tickets/{ticket_id}/conversations",
        auth=(desk.sandbox.config.api_key, "X"),
        timeout=10,
    )
    answer.raise_for_status()
    return [
        str(c.get("body_text") or c["body"]) for c in answer.json() if c["private"] is not public
    ]

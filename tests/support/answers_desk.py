"""The answers' fixture on a desk: the help centre published through each helpdesk's own
API (Zendesk's Help Center, Freshdesk's Solutions, ServiceNow's ``kb_knowledge``), the 60
tickets created, the outbox read, the articles a reply links found whichever helpdesk's link
form it uses (``linked_articles``).

Data: ``tests/data/answers_articles.jsonl`` (10 articles, three with a translation) and
``tests/data/answers_tickets.jsonl`` (60 tickets: 30 answerable, 20 needing a person, 5 angry,
5 assigned) — the project's own writing (see tests/data/README.md).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from ticket_processor.helpdesks.zendesk.help_centre import parse_articles, publish
from ticket_processor.sandbox.desks import Desk, NewTicket

DATA = Path(__file__).resolve().parents[1] / "data"
# An article link as each helpdesk words it: Zendesk's ``/hc/en-us/articles/123-slug``,
# Freshdesk's ``/support/solutions/articles/123``, ServiceNow's
# ``kb_view.do?sysparm_article=KB0010001`` (the id: the number's digits).
_ARTICLE_LINK = re.compile(r"/articles?/(\d+)|sysparm_article=KB(\d+)")
_ARTICLE_URL = re.compile(r"https?://\S+(?:/articles?/\d+|sysparm_article=KB\d+)\S*")


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


def linked_articles(text: str) -> set[int]:
    """The ids of the help-centre articles ``text`` links."""
    return {int(a or b) for a, b in _ARTICLE_LINK.findall(text)}


def article_url(text: str) -> str | None:
    """The first help-centre article's address in ``text`` (None: it links none)."""
    found = _ARTICLE_URL.search(text)
    return found.group(0) if found else None


def publish_help_centre(desk: Desk, name: str = "answers_articles.jsonl") -> dict[str, set[int]]:
    """The articles of ``name`` (in tests/data) published; each key's article ids (a
    translation is its own id)."""
    found = rows(name)
    made = _PUBLISHERS[desk.kind](desk, found)
    ids: dict[str, set[int]] = {}
    for article, article_id in zip(found, made, strict=True):
        ids.setdefault(article["key"], set()).add(article_id)
    return ids


def _publish_zendesk(desk: Desk, found: list[dict[str, Any]]) -> list[int]:
    return publish(_ZendeskApi(desk), parse_articles(json.dumps(a) for a in found))


def _publish_freshdesk(desk: Desk, found: list[dict[str, Any]]) -> list[int]:
    auth = (desk.sandbox.config.api_key, "X")

    def post(path: str, body: dict[str, Any]) -> int:
        answer = requests.post(f"{desk.url}{path}", json=body, auth=auth, timeout=10)
        assert answer.status_code == 201, answer.text
        return int(answer.json()["id"])

    category = post("/api/v2/solutions/categories", {"name": "Help"})
    folder = post(
        f"/api/v2/solutions/categories/{category}/folders", {"name": "FAQ", "visibility": 1}
    )
    return [
        post(
            f"/api/v2/solutions/folders/{folder}/articles",
            {"title": a["title"], "description": a["body"], "status": 2},
        )
        for a in found
    ]


def _publish_servicenow(desk: Desk, found: list[dict[str, Any]]) -> list[int]:
    return publish_servicenow(desk, found)


def publish_servicenow(
    desk: Desk, found: list[dict[str, Any]], fields: dict[str, str] | None = None
) -> list[int]:
    """Published ``kb_knowledge`` articles in a knowledge base of their own, each translation
    its own article in its language, with ``fields`` besides; the sandbox's sample articles
    retired first, so the help centre is the file's alone, as on the other sandboxes."""
    api = ServiceNowApi(desk)
    for article in api.rows("kb_knowledge", "workflow_state=published"):
        api.request("PATCH", f"kb_knowledge/{article['sys_id']}", {"workflow_state": "retired"})
    base = api.request("POST", "kb_knowledge_base", {"title": "Help"})["sys_id"]
    made = []
    for a in found:
        body = {
            "short_description": a["title"],
            "text": a["body"],
            "workflow_state": "published",
            "kb_knowledge_base": base,
            "language": a["locale"].split("-")[0],
            **(fields or {}),
        }
        number = api.request("POST", "kb_knowledge", body)["number"]
        made.append(int("".join(c for c in number if c.isdigit())))
    return made


class ServiceNowApi:
    """The sandbox's Table API as its API user: ``request`` one record, ``rows`` of a query."""

    def __init__(self, desk: Desk) -> None:
        config = desk.sandbox.config
        self.url = f"{desk.url}/api/now/table/"
        self.auth = (config.user, config.password)

    def request(self, method: str, path: str, body: Any = None) -> Any:
        params = {"sysparm_exclude_reference_link": "true"}
        answer = requests.request(
            method, self.url + path, params=params, json=body, auth=self.auth, timeout=10
        )
        answer.raise_for_status()
        return answer.json()["result"] if answer.content else {}

    def rows(self, table: str, query: str) -> list[dict[str, Any]]:
        answer = requests.get(
            self.url + table,
            params={"sysparm_query": query, "sysparm_exclude_reference_link": "true"},
            auth=self.auth,
            timeout=10,
        )
        answer.raise_for_status()
        return list(answer.json()["result"])


_PUBLISHERS: dict[str, Callable[[Desk, list[dict[str, Any]]], list[int]]] = {
    "zendesk": _publish_zendesk,
    "freshdesk": _publish_freshdesk,
    "servicenow": _publish_servicenow,
}


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
    """The ticket assigned to the agent Alex (made once), as a person on the team would."""
    _ASSIGNERS[desk.kind](desk, ticket_id)


def _assign_zendesk(desk: Desk, ticket_id: int) -> None:
    store = desk.sandbox.store
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


def _assign_freshdesk(desk: Desk, ticket_id: int) -> None:
    store = desk.sandbox.store
    agents = {a["contact"]["email"]: a["id"] for a in store.directory.agents()}
    agent = agents.get("alex@example.com")
    if agent is None:
        made = store.directory.create_agent(
            {"email": "alex@example.com", "name": "Alex Agent", "ticket_scope": 1}
        )
        agent = int(made["id"])
    store.update(ticket_id, {"responder_id": agent})


def _assign_servicenow(desk: Desk, ticket_id: int) -> None:
    api = ServiceNowApi(desk)
    found = api.rows("sys_user", "user_name=alex.agent")
    agent = found[0] if found else None
    if agent is None:
        body = {"user_name": "alex.agent", "name": "Alex Agent", "email": "alex@example.com"}
        agent = api.request("POST", "sys_user", body)
    (incident,) = api.rows("incident", f"number={_number(desk, ticket_id)}")
    api.request("PATCH", f"incident/{incident['sys_id']}", {"assigned_to": agent["sys_id"]})


_ASSIGNERS: dict[str, Callable[[Desk, int], None]] = {
    "zendesk": _assign_zendesk,
    "freshdesk": _assign_freshdesk,
    "servicenow": _assign_servicenow,
}


def _number(desk: Desk, ticket_id: int) -> str:
    """A ServiceNow incident's number from its id (the number's digits)."""
    sys_id = desk.sandbox.sandbox.record_of("incident", ticket_id)
    return str(desk.sandbox.store.find("incident", sys_id)["number"])


def outbox(desk: Desk) -> list[dict[str, Any]]:
    answer = requests.get(f"{desk.url}/sandbox/outbox", timeout=10)
    answer.raise_for_status()
    return list(answer.json()["outbox"])


def status(desk: Desk, ticket_id: int) -> str:
    """The ticket's status in ticketbot's words (``new``, ``open``, ``pending``, ``solved``,
    ``closed``), read from the sandbox's store."""
    return _STATUSES[desk.kind](desk, ticket_id)


def _status_zendesk(desk: Desk, ticket_id: int) -> str:
    return str(desk.sandbox.store.get(ticket_id)["status"])


def _status_freshdesk(desk: Desk, ticket_id: int) -> str:
    code = desk.sandbox.store.find(ticket_id)["status"]
    return {2: "open", 3: "pending", 4: "solved", 5: "closed"}[code]


def _status_servicenow(desk: Desk, ticket_id: int) -> str:
    sys_id = desk.sandbox.sandbox.record_of("incident", ticket_id)
    state = str(desk.sandbox.store.find("incident", sys_id)["state"])
    # Incident states: 1 New, 2 In Progress, 3 On Hold, 6 Resolved, 7 Closed, 8 Canceled.
    return {"1": "new", "2": "open", "3": "pending", "6": "solved", "7": "closed"}.get(state, state)


_STATUSES: dict[str, Callable[[Desk, int], str]] = {
    "zendesk": _status_zendesk,
    "freshdesk": _status_freshdesk,
    "servicenow": _status_servicenow,
}


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
    return _COMMENTS[desk.kind](desk, ticket_id, public)


def _comments_zendesk(desk: Desk, ticket_id: int, public: bool) -> list[str]:
    config = desk.sandbox.config
    answer = requests.get(
        f"{desk.url}/api/v2/tickets/{ticket_id}/comments.json",
        auth=(f"{config.email}/token", config.token),
        timeout=10,
    )
    answer.raise_for_status()
    comments: list[dict[str, Any]] = answer.json()["comments"]
    return [str(c["body"]) for c in comments[1:] if c["public"] is public]


def _comments_freshdesk(desk: Desk, ticket_id: int, public: bool) -> list[str]:
    answer = requests.get(
        f"{desk.url}/api/v2/tickets/{ticket_id}/conversations",
        auth=(desk.sandbox.config.api_key, "X"),
        timeout=10,
    )
    answer.raise_for_status()
    return [
        str(c.get("body_text") or c["body"]) for c in answer.json() if c["private"] is not public
    ]


def _comments_servicenow(desk: Desk, ticket_id: int, public: bool) -> list[str]:
    """Additional comments (public) or work notes (internal), oldest first; the caller's
    first message is the incident's description, not a journal entry."""
    api = ServiceNowApi(desk)
    (incident,) = api.rows("incident", f"number={_number(desk, ticket_id)}")
    element = "comments" if public else "work_notes"
    query = f"element_id={incident['sys_id']}^element={element}^ORDERBYsys_created_on"
    return [str(e["value"]) for e in api.rows("sys_journal_field", query)]


_COMMENTS: dict[str, Callable[[Desk, int, bool], list[str]]] = {
    "zendesk": _comments_zendesk,
    "freshdesk": _comments_freshdesk,
    "servicenow": _comments_servicenow,
}

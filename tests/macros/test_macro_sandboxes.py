"""Each sandbox serves macros in its helpdesk's own shapes, and each adapter reads the shared,
active ones back as ``ReadyReply`` values: Zendesk's ``/api/v2/macros`` (create, list, show,
``/active``; ``comment_value`` as a string or ``[channel, text]``, ``comment_value_html``,
``comment_mode_is_public``), Freshdesk's canned-response folders and responses, ServiceNow's
record templates of the ticket table (``sys_template``). A ticket
imported into Zendesk keeps each comment's ``author_id`` and ``public``."""

from __future__ import annotations

import os
import time
from typing import Any

import pytest
import requests
from support.freshdesk_sandbox import freshdesk_auth
from support.macros_desk import add_macros
from support.zendesk_sandbox import sandbox_auth

from ticket_processor.helpdesks.freshdesk.sandbox.serving import RunningFreshdesk
from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox
from ticket_processor.models.ready_reply import ReadyReply
from ticket_processor.run.connect import connect, load_settings
from ticket_processor.sandbox.desks import Desk, NewTicket

TIMEOUT = (5, 30)


def zendesk_macro(sb: RunningSandbox, macro: dict[str, Any]) -> dict[str, Any]:
    answer = requests.post(
        f"{sb.url}/api/v2/macros.json",
        json={"macro": macro},
        auth=sandbox_auth(sb),
        timeout=TIMEOUT,
    )
    assert answer.status_code == 200, answer.text
    made: dict[str, Any] = answer.json()["macro"]
    return made


def test_zendesk_macros_are_created_listed_and_shown_in_zendesk_shapes(
    sandbox: RunningSandbox,
) -> None:
    plain = zendesk_macro(
        sandbox,
        {
            "title": "Refund on its way",
            "actions": [{"field": "comment_value", "value": "Your refund is on its way."}],
        },
    )
    channel = zendesk_macro(
        sandbox,
        {
            "title": "Password reset",
            "actions": [
                {"field": "comment_value", "value": ["channel:all", "Use the reset link."]},
                {"field": "status", "value": "solved"},
            ],
        },
    )
    zendesk_macro(
        sandbox,
        {"title": "Old one", "active": False, "actions": [{"field": "status", "value": "open"}]},
    )
    assert plain["id"] != channel["id"]
    assert plain["restriction"] is None
    assert plain["active"] is True
    assert plain["url"].endswith(f"/api/v2/macros/{plain['id']}.json")
    auth = sandbox_auth(sandbox)
    listed = requests.get(f"{sandbox.url}/api/v2/macros.json", auth=auth, timeout=TIMEOUT).json()
    assert listed["count"] == 3
    assert set(listed) >= {"macros", "next_page", "previous_page"}
    active = requests.get(
        f"{sandbox.url}/api/v2/macros/active.json", auth=auth, timeout=TIMEOUT
    ).json()
    assert [m["title"] for m in active["macros"]] == ["Refund on its way", "Password reset"]
    shown = requests.get(
        f"{sandbox.url}/api/v2/macros/{channel['id']}.json", auth=auth, timeout=TIMEOUT
    ).json()["macro"]
    assert shown["actions"][0]["value"] == ["channel:all", "Use the reset link."]
    refused = requests.post(
        f"{sandbox.url}/api/v2/macros.json",
        json={"macro": {"title": "", "actions": []}},
        auth=auth,
        timeout=TIMEOUT,
    )
    assert refused.status_code == 422
    assert refused.json()["error"] == "RecordInvalid"
    missing = requests.get(f"{sandbox.url}/api/v2/macros/999.json", auth=auth, timeout=TIMEOUT)
    assert missing.status_code == 404


def test_freshdesk_canned_responses_in_freshdesk_shapes(
    freshdesk_sandbox: RunningFreshdesk,
) -> None:
    url, auth = freshdesk_sandbox.url, freshdesk_auth(freshdesk_sandbox)
    folder = requests.post(
        f"{url}/api/v2/canned_response_folders",
        json={"name": "Billing"},
        auth=auth,
        timeout=TIMEOUT,
    )
    assert folder.status_code == 201, folder.text
    folder_id = folder.json()["id"]
    made = requests.post(
        f"{url}/api/v2/canned_responses",
        json={
            "title": "Refund",
            "content_html": "<p>Your refund is on its way.</p>",
            "folder_id": folder_id,
        },
        auth=auth,
        timeout=TIMEOUT,
    )
    assert made.status_code == 201, made.text
    response = made.json()
    assert response["content"] == "Your refund is on its way."
    assert response["folder_id"] == folder_id
    folders = requests.get(
        f"{url}/api/v2/canned_response_folders", auth=auth, timeout=TIMEOUT
    ).json()
    assert {f["name"]: f["responses_count"] for f in folders}["Billing"] == 1
    assert any(f["personal"] for f in folders)
    listed = requests.get(
        f"{url}/api/v2/canned_response_folders/{folder_id}/responses", auth=auth, timeout=TIMEOUT
    ).json()
    assert [r["id"] for r in listed] == [response["id"]]
    shown = requests.get(
        f"{url}/api/v2/canned_responses/{response['id']}", auth=auth, timeout=TIMEOUT
    ).json()
    assert shown["title"] == "Refund"
    bad = requests.post(
        f"{url}/api/v2/canned_responses", json={"title": "x"}, auth=auth, timeout=TIMEOUT
    )
    assert bad.status_code == 400


@pytest.mark.desk(configure=True)
def test_each_adapter_reads_the_shared_active_macros(desk_kind: str, desk: Desk) -> None:
    shared = add_macros(desk_kind, desk)
    helpdesk = connect(load_settings(dict(os.environ)))
    try:
        found: list[ReadyReply] = helpdesk.macros()  # type: ignore[attr-defined]
    finally:
        helpdesk.close()
    shown = {m.title: (m.text, m.public) for m in found}
    assert {title: shown.get(title) for title in shared} == shared
    # A personal folder's response is one agent's own; another table's template is not one
    # for the tickets ticketbot reads.
    assert "My own draft" not in shown


def test_a_zendesk_import_keeps_each_comments_author_and_public(sandbox: RunningSandbox) -> None:
    ticket = {
        "subject": "Refund",
        "requester": {"email": "asker@example.com"},
        "status": "solved",
        "comments": [
            {"value": "Where is my refund?"},
            {"value": "Refund sent.", "author_id": 4242, "public": True},
            {"value": "checked with billing", "author_id": 4242, "public": False},
        ],
    }
    auth = sandbox_auth(sandbox)
    made = requests.post(
        f"{sandbox.url}/api/v2/imports/tickets.json",
        json={"ticket": ticket},
        auth=auth,
        timeout=TIMEOUT,
    )
    assert made.status_code == 201, made.text
    ticket_id = made.json()["ticket"]["id"]
    comments = requests.get(
        f"{sandbox.url}/api/v2/tickets/{ticket_id}/comments.json", auth=auth, timeout=TIMEOUT
    ).json()["comments"]
    assert [(c["author_id"], c["public"]) for c in comments[1:]] == [(4242, True), (4242, False)]


@pytest.mark.desk(kinds=("zendesk",), configure=True)
def test_a_macro_applied_on_zendesk_is_learned_from_the_audit_not_only_the_words(
    desk: Desk,
) -> None:
    env = desk.env()
    auth = (f"{env['ZENDESK_EMAIL']}/token", env["ZENDESK_API_TOKEN"])
    macro = requests.post(
        f"{desk.url}/api/v2/macros.json",
        json={
            "macro": {
                "title": "Refund on its way",
                "actions": [{"field": "comment_value", "value": "Your refund was sent today."}],
            }
        },
        auth=auth,
        timeout=TIMEOUT,
    ).json()["macro"]
    [ticket_id] = desk.create([NewTicket("Refund", "Where is my refund?")])
    update = {
        "comment": {"body": "Done, all sorted for you.", "public": True, "author_id": 4242},
        "macro_ids": [macro["id"], 999],  # 999: no macro of the account, not recorded
        "status": "solved",
    }
    answer = requests.put(
        f"{desk.url}/api/v2/tickets/{ticket_id}.json",
        json={"ticket": update},
        auth=auth,
        timeout=TIMEOUT,
    )
    assert answer.status_code == 200, answer.text
    audits = requests.get(
        f"{desk.url}/api/v2/tickets/{ticket_id}/audits.json", auth=auth, timeout=TIMEOUT
    ).json()["audits"]
    references = [e for a in audits for e in a["events"] if e["type"] == "AgentMacroReference"]
    assert references == [
        {
            "id": references[0]["id"],
            "type": "AgentMacroReference",
            "macro_id": str(macro["id"]),
            "macro_title": "Refund on its way",
            "macro_deleted": False,
        }
    ]
    helpdesk = connect(load_settings(dict(os.environ)))
    try:
        [(solved, applied)] = list(helpdesk.macro_history(int(time.time()) - 86400))  # type: ignore[attr-defined]
    finally:
        helpdesk.close()
    assert applied == (macro["id"],)
    assert [r.body for r in solved.replies] == ["Done, all sorted for you."]


def test_zendesk_macros_are_updated_and_deleted_as_zendesk_does(sandbox: RunningSandbox) -> None:
    """``PUT`` and ``DELETE /api/v2/macros/{id}`` answered 404; Zendesk's Macros API updates
    (200, the macro) and deletes (204) them."""
    made = zendesk_macro(
        sandbox,
        {"title": "Old title", "actions": [{"field": "comment_value", "value": "Old text."}]},
    )
    url = f"{sandbox.url}/api/v2/macros/{made['id']}.json"
    auth = sandbox_auth(sandbox)
    changed = requests.put(
        url,
        json={"macro": {"title": "New title", "active": False}},
        auth=auth,
        timeout=TIMEOUT,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["macro"]["title"] == "New title"
    assert changed.json()["macro"]["active"] is False
    assert changed.json()["macro"]["actions"] == made["actions"]
    blank = requests.put(url, json={"macro": {"title": " "}}, auth=auth, timeout=TIMEOUT)
    assert blank.status_code == 422
    gone = requests.delete(url, auth=auth, timeout=TIMEOUT)
    assert gone.status_code == 204
    assert requests.get(url, auth=auth, timeout=TIMEOUT).status_code == 404
    assert requests.delete(url, auth=auth, timeout=TIMEOUT).status_code == 404

"""The Freshdesk sandbox's webhook rules (``/sandbox/webhooks``, as an admin's automation rules)
and the requests it sends, over HTTP, to a receiver on port 0.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import pytest
import requests
from support.freshdesk_sandbox import freshdesk_auth
from support.hook_receiver import Answer, HookReceiver

from ticket_processor.helpdesks.freshdesk.sandbox.serving import RunningFreshdesk

SECRET = "shared-secret-the-admin-typed"


def _rule(sb: RunningFreshdesk, **rule: Any) -> requests.Response:
    return requests.post(f"{sb.url}/sandbox/webhooks", json=rule, timeout=5)


def _create_ticket(sb: RunningFreshdesk) -> dict[str, Any]:
    ticket = {"subject": "Refund", "description": "<p>Please</p>", "email": "a@example.com"}
    answer = requests.post(
        f"{sb.url}/api/v2/tickets",
        json={**ticket, "priority": 1, "status": 2},
        auth=freshdesk_auth(sb),
        timeout=5,
    )
    assert answer.status_code == 201
    created: dict[str, Any] = answer.json()
    return created


def _note(sb: RunningFreshdesk, ticket_id: int, **note: Any) -> None:
    url = f"{sb.url}/api/v2/tickets/{ticket_id}/notes"
    assert requests.post(url, json={"body": "x", **note}, auth=freshdesk_auth(sb), timeout=5).ok


def _deliveries(sb: RunningFreshdesk) -> dict[str, Any]:
    deadline = time.monotonic() + 5
    while True:
        view: dict[str, Any] = requests.get(f"{sb.url}/sandbox/deliveries", timeout=5).json()
        idle = view["pending"] == 0 and view["retries_scheduled"] == 0
        if idle or time.monotonic() > deadline:
            return view
        time.sleep(0.01)


def test_rules_are_listed_without_their_secret_and_cleared(
    freshdesk_sandbox: RunningFreshdesk,
) -> None:
    made = _rule(freshdesk_sandbox, url="http://127.0.0.1:9/in", secret=SECRET, sign=True)
    assert made.status_code == 201
    assert made.json()["webhook"]["events"] == ["created", "reply"]
    listed = requests.get(f"{freshdesk_sandbox.url}/sandbox/webhooks", timeout=5).json()
    assert [r["id"] for r in listed["webhooks"]] == [made.json()["webhook"]["id"]]
    assert SECRET not in json.dumps(listed)
    cleared = requests.delete(f"{freshdesk_sandbox.url}/sandbox/webhooks", timeout=5)
    assert cleared.status_code == 204
    assert requests.get(f"{freshdesk_sandbox.url}/sandbox/webhooks", timeout=5).json() == {
        "webhooks": []
    }


@pytest.mark.parametrize(
    "rule",
    [
        {"url": "ftp://x/in", "secret": SECRET},
        {"url": "http://x/in"},  # no secret: the custom header is the only authentication
        {"url": "http://x/in", "secret": SECRET, "events": ["deleted"]},
        {"url": "http://x/in", "secret": SECRET, "sign": "yes"},
        {"url": "http://x/in", "secret": SECRET, "colour": "red"},
    ],
)
def test_a_bad_rule_is_refused_with_the_reason(
    freshdesk_sandbox: RunningFreshdesk, rule: dict[str, Any]
) -> None:
    answer = _rule(freshdesk_sandbox, **rule)
    assert answer.status_code == 400
    assert answer.json()["message"]


def test_creation_and_the_requesters_reply_are_delivered(
    freshdesk_sandbox: RunningFreshdesk, hook_receiver: HookReceiver
) -> None:
    sb = freshdesk_sandbox
    assert _rule(sb, url=hook_receiver.url, secret=SECRET, sign=True).ok
    ticket = _create_ticket(sb)
    tid = ticket["id"]
    hook_receiver.wait_for(1)
    _note(sb, tid, private=True)  # an agent's internal note (ticketbot's, for one)
    _note(sb, tid, private=False)  # an agent's public note
    reply = {"body": "Thanks", "user_id": 2}
    assert requests.post(
        f"{sb.url}/api/v2/tickets/{tid}/reply", json=reply, auth=freshdesk_auth(sb), timeout=5
    ).ok
    _note(sb, tid, private=False, incoming=True, user_id=ticket["requester_id"])  # the customer
    got = hook_receiver.wait_for(2)
    view = _deliveries(sb)
    assert [json.loads(r.body) for r in got] == [
        {"ticket_id": tid, "event": "created"},
        {"ticket_id": tid, "event": "reply"},
    ]
    for received in got:
        assert received.headers["X-Ticketbot-Secret"] == SECRET
        digest = hmac.new(SECRET.encode(), received.body, hashlib.sha256).hexdigest()
        assert received.headers["X-Ticketbot-Signature"] == f"sha256={digest}"
    assert [d["event"] for d in view["deliveries"]] == ["created", "reply"]
    assert len(view["tickets"][str(tid)]["internal_notes"]) == 1


def test_an_unsigned_rule_sends_only_the_secret_and_only_its_events(
    freshdesk_sandbox: RunningFreshdesk, hook_receiver: HookReceiver
) -> None:
    sb = freshdesk_sandbox
    assert _rule(sb, url=hook_receiver.url, secret=SECRET, events=["reply"]).ok
    ticket = _create_ticket(sb)
    _note(sb, ticket["id"], private=False, incoming=True, user_id=ticket["requester_id"])
    (got,) = hook_receiver.wait_for(1)
    assert json.loads(got.body)["event"] == "reply"
    assert "X-Ticketbot-Signature" not in got.headers
    assert len(_deliveries(sb)["deliveries"]) == 1


def test_a_failed_call_is_retried_on_the_rules_schedule(
    freshdesk_sandbox: RunningFreshdesk, hook_receiver: HookReceiver
) -> None:
    sb = freshdesk_sandbox
    rule = {"url": hook_receiver.url, "secret": SECRET, "retry_delays": [0.05, 0.05]}
    assert _rule(sb, **rule).ok
    hook_receiver.script = [Answer(500), Answer(503)]
    _create_ticket(sb)
    hook_receiver.wait_for(3)
    view = _deliveries(sb)
    assert [d["status"] for d in view["deliveries"]] == [500, 503, 200]
    assert [d["final"] for d in view["deliveries"]] == [False, False, True]


def test_a_receiver_that_is_down_is_retried_then_given_up(
    freshdesk_sandbox: RunningFreshdesk,
) -> None:
    sb = freshdesk_sandbox
    assert _rule(sb, url="http://127.0.0.1:9/in", secret=SECRET, retry_delays=[0.01]).ok
    _create_ticket(sb)
    view = _deliveries(sb)
    assert [d["error"] for d in view["deliveries"]] == ["connection", "connection"]
    assert view["deliveries"][-1]["final"] is True

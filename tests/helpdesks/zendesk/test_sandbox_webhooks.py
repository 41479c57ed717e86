"""The Zendesk sandbox's Webhooks and Triggers APIs, and the signed requests it sends, over HTTP.

An admin creates a webhook (``conditional_ticket_events``), reads its signing secret, and creates
the triggers "ticket is created" and "public comment by the requester" whose action calls the
webhook with a JSON body; the sandbox then POSTs to a receiver on port 0, signed as Zendesk signs,
retried as Zendesk retries, and records every attempt at ``GET /sandbox/deliveries``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import pytest
import requests
from support.hook_receiver import Answer, HookReceiver, Received
from support.zendesk_sandbox import sandbox_auth

from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox

CREATED_BODY = '{"ticket_id": "{{ticket.id}}", "event": "created"}'
REPLY_BODY = '{"ticket_id": "{{ticket.id}}", "event": "reply"}'
ON_CREATE = {"all": [{"field": "update_type", "operator": "is", "value": "Create"}]}
ON_REPLY = {
    "all": [
        {"field": "update_type", "operator": "is", "value": "Change"},
        {"field": "comment_is_public", "operator": "is", "value": "true"},
        {"field": "role", "operator": "is", "value": "end_user"},
    ]
}


def _session(sb: RunningSandbox) -> requests.Session:
    s = requests.Session()
    s.auth = sandbox_auth(sb)
    return s


def _webhook(url: str, **extra: Any) -> dict[str, Any]:
    return {
        "webhook": {
            "name": "ticketbot",
            "endpoint": url,
            "http_method": "POST",
            "request_format": "json",
            "status": "active",
            "subscriptions": ["conditional_ticket_events"],
            **extra,
        }
    }


def _trigger(title: str, conditions: dict[str, Any], webhook_id: str, body: str) -> dict[str, Any]:
    action = {"field": "notification_webhook", "value": [webhook_id, body]}
    return {"trigger": {"title": title, "conditions": conditions, "actions": [action]}}


def _setup(sb: RunningSandbox, url: str, **webhook: Any) -> tuple[str, str]:
    """A webhook to ``url`` and both triggers; returns (webhook id, signing secret)."""
    s = _session(sb)
    api = f"{sb.url}/api/v2"
    hook = s.post(f"{api}/webhooks", json=_webhook(url, **webhook), timeout=5).json()["webhook"]
    secret = s.get(f"{api}/webhooks/{hook['id']}/signing_secret", timeout=5).json()
    for title, conditions, body in (
        ("ticketbot: ticket created", ON_CREATE, CREATED_BODY),
        ("ticketbot: requester replied", ON_REPLY, REPLY_BODY),
    ):
        answer = s.post(f"{api}/triggers", json=_trigger(title, conditions, hook["id"], body))
        assert answer.status_code == 201, answer.text
    return str(hook["id"]), str(secret["signing_secret"]["secret"])


def _create_ticket(sb: RunningSandbox, subject: str = "Card charged twice") -> int:
    ticket = {"subject": subject, "comment": {"body": "Please refund."}, "requester": "a@ex.com"}
    answer = _session(sb).post(f"{sb.url}/api/v2/tickets", json={"ticket": ticket}, timeout=5)
    assert answer.status_code == 201
    return int(answer.json()["ticket"]["id"])


def _comment(sb: RunningSandbox, ticket_id: int, author: int, public: bool) -> None:
    comment = {"body": "More details", "public": public, "author_id": author}
    url = f"{sb.url}/api/v2/tickets/{ticket_id}"
    assert _session(sb).put(url, json={"ticket": {"comment": comment}}, timeout=5).ok


def _deliveries(sb: RunningSandbox, *, settle: float = 5.0) -> dict[str, Any]:
    """``GET /sandbox/deliveries`` once nothing is queued, being sent or due to be retried."""
    deadline = time.monotonic() + settle
    while True:
        view: dict[str, Any] = requests.get(f"{sb.url}/sandbox/deliveries", timeout=5).json()
        idle = view["pending"] == 0 and view["retries_scheduled"] == 0
        if idle or time.monotonic() > deadline:
            return view
        time.sleep(0.01)


def _valid(received: Received, secret: str) -> bool:
    stamp = received.headers["X-Zendesk-Webhook-Signature-Timestamp"]
    mac = hmac.new(secret.encode(), stamp.encode() + received.body, hashlib.sha256).digest()
    return hmac.compare_digest(
        base64.b64encode(mac).decode(), received.headers["X-Zendesk-Webhook-Signature"]
    )


# --- the admin's API ---------------------------------------------------------------------


def test_webhook_has_a_string_id_and_a_signing_secret(sandbox: RunningSandbox) -> None:
    s, api = _session(sandbox), f"{sandbox.url}/api/v2"
    created = s.post(f"{api}/webhooks", json=_webhook("https://example.com/in"), timeout=5)
    assert created.status_code == 201
    hook = created.json()["webhook"]
    assert isinstance(hook["id"], str)
    assert len(hook["id"]) == 26
    assert hook["subscriptions"] == ["conditional_ticket_events"]
    assert [w["id"] for w in s.get(f"{api}/webhooks", timeout=5).json()["webhooks"]] == [hook["id"]]
    secret = s.get(f"{api}/webhooks/{hook['id']}/signing_secret", timeout=5).json()
    assert secret["signing_secret"]["algorithm"] == "SHA256"
    assert len(secret["signing_secret"]["secret"]) >= 32
    reset = s.post(f"{api}/webhooks/{hook['id']}/signing_secret", timeout=5).json()
    assert reset["signing_secret"]["secret"] != secret["signing_secret"]["secret"]
    assert s.delete(f"{api}/webhooks/{hook['id']}", timeout=5).status_code == 204
    missing = s.get(f"{api}/webhooks/{hook['id']}", timeout=5)
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["code"] == "WebhookNotFound"


def test_webhook_authentication_is_sent_but_never_shown(
    sandbox: RunningSandbox, hook_receiver: HookReceiver
) -> None:
    auth = {"type": "bearer_token", "data": {"token": "t0k3n"}, "add_position": "header"}
    hook_id, _ = _setup(sandbox, hook_receiver.url, authentication=auth)
    shown = _session(sandbox).get(f"{sandbox.url}/api/v2/webhooks/{hook_id}", timeout=5).json()
    assert shown["webhook"]["authentication"] == {"type": "bearer_token", "add_position": "header"}
    assert "t0k3n" not in json.dumps(shown)
    _create_ticket(sandbox)
    assert hook_receiver.wait_for(1)[0].headers["Authorization"] == "Bearer t0k3n"


@pytest.mark.parametrize(
    ("field", "value", "pointer"),
    [
        ("endpoint", "ftp://example.com", "/webhook/endpoint"),
        ("subscriptions", ["zen:event-type:user.created"], "/webhook/subscriptions"),
        ("request_format", "xml", "/webhook/request_format"),
        ("name", "", "/webhook/name"),
    ],
)
def test_a_webhook_the_sandbox_cannot_send_is_refused(
    sandbox: RunningSandbox, field: str, value: object, pointer: str
) -> None:
    body = _webhook("https://example.com/in")
    body["webhook"][field] = value
    answer = _session(sandbox).post(f"{sandbox.url}/api/v2/webhooks", json=body, timeout=5)
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["source"]["pointer"] == pointer


def test_triggers_are_checked_listed_and_deleted(sandbox: RunningSandbox) -> None:
    s, api = _session(sandbox), f"{sandbox.url}/api/v2"
    hook = s.post(f"{api}/webhooks", json=_webhook("https://example.com/in")).json()["webhook"]
    unknown_field = {"all": [{"field": "satisfaction_score", "operator": "is", "value": "bad"}]}
    for bad in (
        _trigger("t", unknown_field, hook["id"], CREATED_BODY),
        _trigger("t", ON_CREATE, "01NOSUCHWEBHOOK0000000000", CREATED_BODY),
        _trigger("t", ON_CREATE, hook["id"], '{"ticket_id": {{ticket.id}'),  # not JSON
        {"trigger": {"title": "t", "conditions": ON_CREATE, "actions": []}},
    ):
        answer = s.post(f"{api}/triggers", json=bad, timeout=5)
        assert answer.status_code == 422, bad
        assert answer.json()["error"] == "RecordInvalid"
    made = s.post(f"{api}/triggers", json=_trigger("t", ON_CREATE, hook["id"], CREATED_BODY))
    trigger = made.json()["trigger"]
    assert isinstance(trigger["id"], int)
    assert trigger["conditions"]["all"] == ON_CREATE["all"]
    listed = s.get(f"{api}/triggers", timeout=5).json()
    assert [t["id"] for t in listed["triggers"]] == [trigger["id"]]
    assert s.delete(f"{api}/triggers/{trigger['id']}", timeout=5).status_code == 204
    assert s.get(f"{api}/triggers", timeout=5).json()["triggers"] == []


def test_an_agent_without_admin_rights_is_refused(sandbox: RunningSandbox) -> None:
    sandbox.config.admin = False
    answer = _session(sandbox).get(f"{sandbox.url}/api/v2/webhooks", timeout=5)
    assert answer.status_code == 403


# --- deliveries ----------------------------------------------------------------------------


def test_a_created_ticket_is_delivered_signed(
    sandbox: RunningSandbox, hook_receiver: HookReceiver
) -> None:
    hook_id, secret = _setup(sandbox, hook_receiver.url)
    ticket_id = _create_ticket(sandbox)
    (got,) = hook_receiver.wait_for(1)
    assert json.loads(got.body) == {"ticket_id": str(ticket_id), "event": "created"}
    assert _valid(got, secret)
    assert not _valid(got, secret + "x")
    assert got.headers["X-Zendesk-Webhook-Id"] == hook_id
    assert got.headers["Content-Type"].startswith("application/json")
    stamp = got.headers["X-Zendesk-Webhook-Signature-Timestamp"]
    assert time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")
    view = _deliveries(sandbox)
    (attempt,) = view["deliveries"]
    assert (attempt["ticket_id"], attempt["status"], attempt["final"]) == (ticket_id, 200, True)
    assert attempt["invocation_id"] == got.headers["X-Zendesk-Webhook-Invocation-Id"]
    created = view["tickets"][str(ticket_id)]["created_at"]
    assert len(created) == len("2026-11-25T04:20:00.123Z")


def test_tickets_created_in_bulk_are_each_delivered(
    sandbox: RunningSandbox, hook_receiver: HookReceiver
) -> None:
    _setup(sandbox, hook_receiver.url)
    batch = [{"subject": f"t{i}", "comment": {"body": "b"}} for i in range(3)]
    s = _session(sandbox)
    assert s.post(f"{sandbox.url}/api/v2/tickets/create_many", json={"tickets": batch}).ok
    got = hook_receiver.wait_for(3)
    assert sorted(json.loads(r.body)["ticket_id"] for r in got) == ["1", "2", "3"]


def test_only_the_requesters_public_comment_is_delivered(
    sandbox: RunningSandbox, hook_receiver: HookReceiver
) -> None:
    _setup(sandbox, hook_receiver.url)
    ticket_id = _create_ticket(sandbox)
    hook_receiver.wait_for(1)
    requester = int(sandbox.store.get(ticket_id)["requester_id"])
    _comment(sandbox, ticket_id, author=2, public=True)  # an agent's public reply
    _comment(sandbox, ticket_id, author=2, public=False)  # an agent's internal note
    _comment(sandbox, ticket_id, author=requester, public=False)  # not public: no trigger
    _comment(sandbox, ticket_id, author=requester, public=True)  # the requester replies
    view = _deliveries(sandbox)
    bodies = [json.loads(r.body) for r in hook_receiver.received]
    assert bodies == [
        {"ticket_id": str(ticket_id), "event": "created"},
        {"ticket_id": str(ticket_id), "event": "reply"},
    ]
    assert len(view["deliveries"]) == 2
    # The agent's internal note is recorded to the millisecond, for latency figures.
    assert len(view["tickets"][str(ticket_id)]["internal_notes"]) == 1


def test_placeholders_are_escaped_for_json(
    sandbox: RunningSandbox, hook_receiver: HookReceiver
) -> None:
    s, api = _session(sandbox), f"{sandbox.url}/api/v2"
    hook = s.post(f"{api}/webhooks", json=_webhook(hook_receiver.url)).json()["webhook"]
    body = '{"id": {{ticket.id}}, "title": "{{ticket.title}}", "x": "{{ticket.nothing}}"}'
    assert s.post(f"{api}/triggers", json=_trigger("t", ON_CREATE, hook["id"], body)).ok
    ticket_id = _create_ticket(sandbox, subject='He said "refund" \\ now')
    (got,) = hook_receiver.wait_for(1)
    assert json.loads(got.body) == {"id": ticket_id, "title": 'He said "refund" \\ now', "x": ""}


def test_inactive_webhooks_and_triggers_send_nothing(
    sandbox: RunningSandbox, hook_receiver: HookReceiver
) -> None:
    s, api = _session(sandbox), f"{sandbox.url}/api/v2"
    hook = s.post(f"{api}/webhooks", json=_webhook(hook_receiver.url, status="inactive"))
    hook_id = hook.json()["webhook"]["id"]
    assert s.post(f"{api}/triggers", json=_trigger("t", ON_CREATE, hook_id, CREATED_BODY)).ok
    _create_ticket(sandbox)
    assert _deliveries(sandbox)["deliveries"] == []
    assert s.put(f"{api}/webhooks/{hook_id}", json=_webhook(hook_receiver.url)).status_code == 204
    _create_ticket(sandbox)
    assert len(hook_receiver.wait_for(1)) == 1


# --- retries, as Zendesk retries -------------------------------------------------------------


def _statuses(view: dict[str, Any]) -> list[int | str | None]:
    return [a["status"] or a["error"] for a in view["deliveries"]]


def test_503_with_a_short_retry_after_is_retried_after_that_wait(
    sandbox: RunningSandbox, hook_receiver: HookReceiver
) -> None:
    _, secret = _setup(sandbox, hook_receiver.url)
    hook_receiver.script = [Answer(503, {"Retry-After": "1"}), Answer(429, {"Retry-After": "0"})]
    _create_ticket(sandbox)
    first, second, third = hook_receiver.wait_for(3)
    assert second.at - first.at >= 0.95  # the Retry-After was honoured
    # A retry is the same invocation, signed the same: a receiver can tell it is one.
    assert {r.headers["X-Zendesk-Webhook-Invocation-Id"] for r in (first, second, third)} == {
        first.headers["X-Zendesk-Webhook-Invocation-Id"]
    }
    assert first.body == third.body
    assert _valid(third, secret)
    assert _statuses(_deliveries(sandbox)) == [503, 429, 200]


@pytest.mark.parametrize(
    "answer",
    [
        Answer(503),  # no Retry-After
        Answer(429, {"Retry-After": "60"}),  # a minute or more: Zendesk gives up
        Answer(500),
        Answer(401),
    ],
)
def test_other_failures_are_not_retried(
    sandbox: RunningSandbox, hook_receiver: HookReceiver, answer: Answer
) -> None:
    _setup(sandbox, hook_receiver.url)
    hook_receiver.script = [answer]
    _create_ticket(sandbox)
    view = _deliveries(sandbox)
    assert _statuses(view) == [answer.status]
    assert view["deliveries"][0]["final"] is True


def test_409_is_retried_three_times(sandbox: RunningSandbox, hook_receiver: HookReceiver) -> None:
    sandbox.config.webhook_backoff = 0.01
    _setup(sandbox, hook_receiver.url)
    hook_receiver.script = [Answer(409)] * 5
    _create_ticket(sandbox)
    assert _statuses(_deliveries(sandbox)) == [409, 409, 409, 409]


def test_a_timeout_is_retried(sandbox: RunningSandbox, hook_receiver: HookReceiver) -> None:
    sandbox.config.webhook_timeout = 0.2
    sandbox.config.webhook_backoff = 0.01
    _setup(sandbox, hook_receiver.url)
    hook_receiver.script = [Answer(hang=0.6)]
    _create_ticket(sandbox)
    assert _statuses(_deliveries(sandbox)) == ["timeout", 200]


def test_creating_a_ticket_never_waits_for_the_webhook(
    sandbox: RunningSandbox, hook_receiver: HookReceiver
) -> None:
    _setup(sandbox, hook_receiver.url)
    hook_receiver.script = [Answer(hang=1.0)]
    started = time.monotonic()
    _create_ticket(sandbox)
    assert time.monotonic() - started < 0.5
    hook_receiver.wait_for(1)


def test_zenpy_creates_the_webhook_and_the_trigger(
    sandbox: RunningSandbox, hook_receiver: HookReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zenpy import Zenpy
    from zenpy.lib.api_objects import Trigger, Webhook

    monkeypatch.setenv("ZENPY_FORCE_NETLOC", f"127.0.0.1:{sandbox.port}")
    monkeypatch.setenv("ZENPY_FORCE_SCHEME", "http")
    zp = Zenpy(subdomain="x", email=sandbox.config.email, token=sandbox.config.token)
    hook = zp.webhooks.create(
        Webhook(
            name="ticketbot",
            endpoint=hook_receiver.url,
            http_method="POST",
            request_format="json",
            status="active",
            subscriptions=["conditional_ticket_events"],
        )
    )
    assert isinstance(hook.id, str)
    assert [w.id for w in zp.webhooks.list()] == [hook.id]
    secret = zp.webhooks.show_secret(hook)
    action = {"field": "notification_webhook", "value": [hook.id, CREATED_BODY]}
    trigger = zp.triggers.create(Trigger(title="created", conditions=ON_CREATE, actions=[action]))
    assert trigger.id
    ticket_id = _create_ticket(sandbox)
    (got,) = hook_receiver.wait_for(1)
    assert json.loads(got.body)["ticket_id"] == str(ticket_id)
    assert _valid(got, secret["secret"] if isinstance(secret, dict) else secret.secret)

"""``serve``'s helpdesk set-up: the webhook and triggers (Zendesk) or automation rules (Freshdesk)
are described, and made through the helpdesk's API where it allows, idempotently; once made, the
sandboxes call the endpoint as the real helpdesks would.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from pydantic import SecretStr
from support.hook_receiver import HookReceiver
from support.zendesk_sandbox import sandbox_auth

from ticket_processor.helpdesks.freshdesk.kind import FreshdeskSettings
from ticket_processor.helpdesks.freshdesk.sandbox.serving import RunningFreshdesk
from ticket_processor.helpdesks.registry import KINDS
from ticket_processor.helpdesks.webhook_setup import SetupNotPossible, endpoint_url
from ticket_processor.helpdesks.zendesk.kind import ZendeskSettings
from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox
from ticket_processor.helpdesks.zendesk.webhooks import CREATED_TITLE, REPLY_TITLE

SECRET = "a-long-shared-secret-for-the-tests"


def _zendesk(sb: RunningSandbox) -> ZendeskSettings:
    return ZendeskSettings(
        zendesk_url=sb.url,
        zendesk_email=sb.config.email,
        zendesk_api_token=SecretStr(sb.config.token),
    )


def _freshdesk(sb: RunningFreshdesk) -> FreshdeskSettings:
    return FreshdeskSettings(freshdesk_url=sb.url, freshdesk_api_key=SecretStr(sb.config.api_key))


def test_every_kind_names_its_setup() -> None:
    for kind in KINDS.values():
        text = kind.webhook_setup().instructions("https://tb.example.com/x", secret_set=False)
        assert "https://tb.example.com/x" in text
        assert "TICKETBOT_SERVE_SECRET" in text
    assert endpoint_url("https://tb.example.com/", "zendesk") == (
        "https://tb.example.com/webhooks/zendesk"
    )


def test_zendesk_instructions_carry_the_request_bodies() -> None:
    text = (
        KINDS["zendesk"]
        .webhook_setup()
        .instructions("https://tb/webhooks/zendesk", secret_set=True)
    )
    assert '"subscriptions": [\n      "conditional_ticket_events"\n    ]' in text
    assert '{\\"ticket_id\\": \\"{{ticket.id}}\\", \\"event\\": \\"created\\"}' in text
    assert '"value": "end_user"' in text
    assert "POST /api/v2/triggers" in text


def test_freshdesk_instructions_name_the_header_and_body() -> None:
    text = KINDS["freshdesk"].webhook_setup().instructions("https://tb/wh", secret_set=False)
    assert '{"X-Ticketbot-Secret": "<the value of TICKETBOT_SERVE_SECRET>"}' in text
    assert 'Body: {"ticket_id": {{ticket.id}}, "event": "reply"}' in text
    assert "Reply is sent" in text


def test_zendesk_apply_creates_once_then_keeps_then_moves(
    sandbox: RunningSandbox, hook_receiver: HookReceiver
) -> None:
    setup = KINDS["zendesk"].webhook_setup()
    first = setup.apply(_zendesk(sandbox), hook_receiver.url, None)
    assert [line.rsplit(": ", 1)[1].split()[0] for line in first.done] == ["created"] * 3
    assert first.secret is not None
    assert first.secret_matches is None
    again = setup.apply(_zendesk(sandbox), hook_receiver.url, first.secret)
    assert all(": kept (" in line for line in again.done), again.done
    assert again.secret_matches is True
    assert setup.apply(_zendesk(sandbox), hook_receiver.url, "wrong").secret_matches is False
    moved = setup.apply(_zendesk(sandbox), hook_receiver.url + "/v2", None)
    assert "updated" in moved.done[0]
    s = requests.Session()
    s.auth = sandbox_auth(sandbox)
    hooks = s.get(f"{sandbox.url}/api/v2/webhooks", timeout=5).json()["webhooks"]
    assert [h["endpoint"] for h in hooks] == [hook_receiver.url + "/v2"]
    triggers = s.get(f"{sandbox.url}/api/v2/triggers", timeout=5).json()["triggers"]
    assert sorted(t["title"] for t in triggers) == sorted([CREATED_TITLE, REPLY_TITLE])
    assert "signing_secret" not in json.dumps(moved.done)


def test_a_trigger_changed_by_hand_is_put_back(
    sandbox: RunningSandbox, hook_receiver: HookReceiver
) -> None:
    setup = KINDS["zendesk"].webhook_setup()
    setup.apply(_zendesk(sandbox), hook_receiver.url, None)
    s = requests.Session()
    s.auth = sandbox_auth(sandbox)
    api = f"{sandbox.url}/api/v2/triggers"
    (created,) = [
        t for t in s.get(api, timeout=5).json()["triggers"] if t["title"] == CREATED_TITLE
    ]
    changed = {**created, "active": False}
    assert s.put(f"{api}/{created['id']}", json={"trigger": changed}, timeout=5).ok
    again = setup.apply(_zendesk(sandbox), hook_receiver.url, None)
    assert any(line.startswith(f"trigger {CREATED_TITLE!r}: updated") for line in again.done)
    assert s.get(f"{api}/{created['id']}", timeout=5).json()["trigger"]["active"] is True


def test_zendesk_after_apply_a_new_ticket_calls_the_endpoint(
    sandbox: RunningSandbox, hook_receiver: HookReceiver
) -> None:
    report = KINDS["zendesk"].webhook_setup().apply(_zendesk(sandbox), hook_receiver.url, None)
    ticket = sandbox.store.create({"subject": "s", "comment": {"body": "b"}, "requester": "c@x.io"})
    sandbox.store.update(
        ticket["id"], {"comment": {"body": "more", "author_id": ticket["requester_id"]}}
    )
    got = hook_receiver.wait_for(2)
    # Zendesk promises no order between two invocations; nor do the sandbox's senders.
    assert sorted(json.dumps(json.loads(r.body), sort_keys=True) for r in got) == [
        json.dumps({"event": "created", "ticket_id": str(ticket["id"])}, sort_keys=True),
        json.dumps({"event": "reply", "ticket_id": str(ticket["id"])}, sort_keys=True),
    ]
    assert report.secret is not None


def test_zendesk_apply_needs_an_admin(sandbox: RunningSandbox) -> None:
    from ticket_processor.errors import AuthError

    sandbox.config.admin = False
    with pytest.raises(AuthError, match="403"):
        KINDS["zendesk"].webhook_setup().apply(_zendesk(sandbox), "https://tb/x", None)


def test_freshdesk_apply_sets_the_sandbox_rule(
    freshdesk_sandbox: RunningFreshdesk, hook_receiver: HookReceiver
) -> None:
    setup = KINDS["freshdesk"].webhook_setup()
    with pytest.raises(SetupNotPossible, match="TICKETBOT_SERVE_SECRET"):
        setup.apply(_freshdesk(freshdesk_sandbox), hook_receiver.url, None)
    for _ in range(2):  # twice: still one rule
        setup.apply(_freshdesk(freshdesk_sandbox), hook_receiver.url, SECRET)
    rules = requests.get(f"{freshdesk_sandbox.url}/sandbox/webhooks", timeout=5).json()
    assert len(rules["webhooks"]) == 1
    freshdesk_sandbox.store.create({"subject": "s", "description": "d", "email": "c@x.io"})
    (got,) = hook_receiver.wait_for(1)
    assert got.headers["X-Ticketbot-Secret"] == SECRET
    assert json.loads(got.body) == {"ticket_id": 1, "event": "created"}


@pytest.fixture
def plain_freshdesk() -> Iterator[str]:
    """A server that answers like a Freshdesk that is not ticketbot's sandbox."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_freshdesk_apply_on_a_real_freshdesk_points_at_the_admin_ui(plain_freshdesk: str) -> None:
    desk = FreshdeskSettings(freshdesk_url=plain_freshdesk, freshdesk_api_key=SecretStr("k" * 20))
    with pytest.raises(SetupNotPossible, match="Admin > Workflows > Automations"):
        KINDS["freshdesk"].webhook_setup().apply(desk, "https://tb/x", SECRET)

"""The ServiceNow sandbox's business rule webhooks (``/sandbox/webhooks``): the shared body,
signed as ``helpdesks/deliveries.py`` checks it, for an insert, a caller's comment and an
agent's edit, and nothing for an agent's internal note or the API user's own writes."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests
from support.hook_receiver import HookReceiver

from ticket_processor.helpdesks.deliveries import body_signature
from ticket_processor.helpdesks.servicenow.sandbox.desk import ServiceNowDesk, serve
from ticket_processor.sandbox.desks import NewTicket

SECRET = "the-key-the-business-rule-signs-with"


@pytest.fixture
def sn_desk() -> Iterator[ServiceNowDesk]:
    with serve() as served:
        yield served


def test_rules_are_listed_without_their_secret_and_refused_when_malformed(
    sn_desk: ServiceNowDesk,
) -> None:
    hooks = f"{sn_desk.url}/sandbox/webhooks"
    made = requests.post(hooks, json={"url": "http://127.0.0.1:9/in", "secret": SECRET}, timeout=5)
    assert made.status_code == 201
    listed = requests.get(hooks, timeout=5).json()["webhooks"]
    assert listed == [made.json()["webhook"]]
    assert "secret" not in listed[0]
    assert listed[0]["events"] == ["created", "reply", "updated"]
    bad = requests.post(hooks, json={"url": "ftp://x", "secret": SECRET}, timeout=5)
    assert bad.status_code == 400
    assert "url" in bad.json()["error"]["message"]
    assert requests.delete(hooks, timeout=5).status_code == 204
    assert requests.get(hooks, timeout=5).json()["webhooks"] == []


def test_writes_post_the_shared_body_signed(
    sn_desk: ServiceNowDesk, hook_receiver: HookReceiver
) -> None:
    rule = {"url": hook_receiver.url, "secret": SECRET}
    assert requests.post(f"{sn_desk.url}/sandbox/webhooks", json=rule, timeout=5).ok
    (ticket,) = sn_desk.create([NewTicket("VPN", "Down")])  # raised by its caller
    sn_desk.agent_notes(ticket, "Looking into it")  # an internal note alone: no post
    sn_desk.requester_says(ticket, "Still down")
    sn_desk.agent_edit(ticket, "vip", "high")
    # A label is a label_entry row: the incident's rule sees only the impact and urgency.
    got = hook_receiver.wait_for(3)
    # The rule's posts go out on the sandbox's sender threads: in any order.
    bodies = sorted((json.loads(r.body) for r in got), key=lambda b: str(b["event"]))
    assert [(b["ticket_id"], b["event"], b["table"]) for b in bodies] == [
        (ticket, "created", "incident"),
        (ticket, "reply", "incident"),
        (ticket, "updated", "incident"),
    ]
    for received in got:
        assert received.headers["X-Ticketbot-Signature"] == body_signature(SECRET, received.body)
    view = requests.get(f"{sn_desk.url}/sandbox/deliveries", timeout=5).json()
    assert str(ticket) in view["tickets"]
    # Every post was queued by the writes above: three, none for the note.
    assert len(view["deliveries"]) + view["pending"] == 3, view


def test_a_caller_made_incident_is_created(
    sn_desk: ServiceNowDesk, hook_receiver: HookReceiver
) -> None:
    rule = {"url": hook_receiver.url, "secret": SECRET, "events": ["created"]}
    assert requests.post(f"{sn_desk.url}/sandbox/webhooks", json=rule, timeout=5).ok
    sn_desk.sandbox.store.insert("incident", {"short_description": "From the portal"}, "bea")
    (got,) = hook_receiver.wait_for(1)
    assert json.loads(got.body)["event"] == "created"

"""ServiceNow's deliveries to ``serve``: the sandbox's business rule (as ``serve
--print-setup`` describes it, set with ``--apply``'s sandbox path) POSTs the shared body signed
with the shared secret, and ``serve`` triages the incident it names; a caller's comment is a
``reply``; an unsigned or mis-signed post is refused. The receiver and the set-up's
instructions are checked on their own too.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from support.serving import SECRET, serve_env, serving

from ticket_processor.helpdesks.deliveries import Refused, body_signature
from ticket_processor.helpdesks.servicenow.deliveries import RECEIVER
from ticket_processor.helpdesks.servicenow.sandbox.desk import ServiceNowDesk, serve
from ticket_processor.helpdesks.servicenow.webhooks import SETUP
from ticket_processor.run.connect import load_settings


@pytest.fixture
def sn() -> Iterator[ServiceNowDesk]:
    with serve(seed=5) as running:
        yield running


def delivered(sn: ServiceNowDesk, timeout: float = 30.0) -> None:
    """Wait until the sandbox's rule has posted what it queued (a real thread sends it)."""
    dispatcher = sn.sandbox.sandbox.rules.dispatcher
    deadline = time.monotonic() + timeout
    while dispatcher.view()["pending"] or not dispatcher.view()["deliveries"]:
        assert time.monotonic() < deadline, dispatcher.view()
        time.sleep(0.05)


def test_the_business_rule_wakes_serve_which_triages_the_incident(
    sn: ServiceNowDesk, tmp_path: Path
) -> None:
    env = serve_env(sn.env(), tmp_path)
    with serving(env) as running:
        endpoint = f"{running.url}/webhooks/servicenow"
        settings = load_settings(env, env_file=None)
        report = SETUP.apply(settings.desk, endpoint, SECRET)
        assert report.done
        # A caller opens an incident in the portal: the rule posts ``created``.
        store = sn.sandbox.store
        made = store.insert("incident", {"short_description": "VPN drops every hour"}, "abel.tuter")
        ticket_id = int(made["number"].removeprefix("INC"))
        delivered(sn)
        sent = sn.sandbox.sandbox.rules.dispatcher.view()["deliveries"]
        assert [(d["ticket_id"], d["event"], d["status"]) for d in sent] == [
            (ticket_id, "created", 200)
        ]
        running.drained()
        assert len(sn.snapshot(ticket_id).notes) == 1, sn.snapshot(ticket_id)
        body = orjson.dumps({"ticket_id": ticket_id, "event": "created"})
        refused = running.deliver("servicenow", body, {"Content-Type": "application/json"})
        assert refused.status_code == 401, refused.text
        forged = {"X-Ticketbot-Signature": body_signature("not-the-secret", body)}
        assert running.deliver("servicenow", body, forged).status_code == 401


def test_the_receiver_believes_only_a_signed_body() -> None:
    body = orjson.dumps({"ticket_id": 10001, "event": "reply", "table": "incident"})
    signed = {"x-ticketbot-signature": body_signature(SECRET, body)}
    delivery = RECEIVER.verify(signed, body, secret=SECRET, now=1.0)
    assert (delivery.source, delivery.ticket_id, delivery.event) == ("servicenow", 10001, "reply")
    with pytest.raises(Refused):
        RECEIVER.verify({}, body, secret=SECRET, now=1.0)
    with pytest.raises(Refused):
        RECEIVER.verify(signed, body + b" ", secret=SECRET, now=1.0)


def test_the_instructions_give_the_business_rule_script() -> None:
    said = SETUP.instructions("https://bot.example.com/webhooks/servicenow", secret_set=False)
    assert "sn_ws.RESTMessageV2" in said
    assert "X-Ticketbot-Signature" in said
    assert "HmacSHA256" in said
    assert "https://bot.example.com/webhooks/servicenow" in said
    assert "TICKETBOT_SERVE_SECRET is not set" in said

"""A ``fields.toml`` the helpdesk no longer matches, on each sandbox: an admin renamed the
drop-down option an entry names. Runs go on (that field is left alone, the rest of every ticket
is triaged and written, the other field is still filled), one alert says so whatever the number
of runs, and ``health`` is unhealthy with a ``fields`` row naming the field; once the file is
fixed the field is filled again and health has nothing to say about it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
from support.cli import invoke
from support.e2e import events
from support.webhook import Receiver

from ticket_processor.sandbox.desks import Desk, NewTicket

pytestmark = pytest.mark.desk(configure=True)

STALE_TOML = """
[[field]]
name = "Order number"
pattern = 'ORD-\\d{6}'

[[field]]
name = "Product"
synonyms = { "Mobile app" = ["iphone app", "android app"] }
"""
# The admin renamed "Mobile app" to "Phone app": the file's option is gone.
OPTIONS = [("Phone app", "product_phone_app"), ("Web app", "product_web")]


def make_fields(desk: Desk) -> tuple[requests.Session, str, dict[str, str]]:
    """The two fields, made through the helpdesk's own admin API; (session, base, keys)."""
    env = desk.env()
    session = requests.Session()
    keys: dict[str, str] = {}
    if desk.kind == "zendesk":
        base = env["ZENDESK_URL"]
        session.auth = (f"{env['ZENDESK_EMAIL']}/token", env["ZENDESK_API_TOKEN"])
        specs: list[dict[str, Any]] = [
            {"type": "text", "title": "Order number"},
            {
                "type": "tagger",
                "title": "Product",
                "custom_field_options": [{"name": n, "value": v} for n, v in OPTIONS],
            },
        ]
        for spec in specs:
            made = session.post(f"{base}/api/v2/ticket_fields.json", json={"ticket_field": spec})
            assert made.status_code == 201, made.text
            keys[spec["title"]] = str(made.json()["ticket_field"]["id"])
    else:
        base = env["FRESHDESK_URL"]
        session.auth = (env["FRESHDESK_API_KEY"], "X")
        specs = [
            {"label": "Order number", "label_for_customers": "Order number", "type": "custom_text"},
            {
                "label": "Product",
                "label_for_customers": "Product",
                "type": "custom_dropdown",
                "choices": [{"value": n, "position": i} for i, (n, _) in enumerate(OPTIONS, 1)],
            },
        ]
        for spec in specs:
            made = session.post(f"{base}/api/v2/admin/ticket_fields", json=spec)
            assert made.status_code == 201, made.text
            keys[str(spec["label"])] = str(made.json()["name"])
    return session, base, keys


def values(desk: Desk, session: requests.Session, base: str, ticket_id: int) -> dict[str, Any]:
    if desk.kind == "zendesk":
        ticket = session.get(f"{base}/api/v2/tickets/{ticket_id}.json").json()["ticket"]
        return {str(f["id"]): f["value"] for f in ticket["custom_fields"]}
    return dict(session.get(f"{base}/api/v2/tickets/{ticket_id}").json()["custom_fields"])


def test_a_stale_fields_file_leaves_that_field_alone_alerts_once_and_health_names_it(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, receiver: Receiver
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.setenv("TICKETBOT_ALERT_WEBHOOK", receiver.url)
    session, base, keys = make_fields(desk)
    path = tmp_path / "fields.toml"
    path.write_text(STALE_TOML, "utf-8")
    monkeypatch.setenv("TICKETBOT_FIELDS", str(path))

    first = desk.create([NewTicket("Order ORD-123456 late", "Bought in the iPhone app.")])
    ran = invoke("run", "--engine", "rules")
    assert ran.exit_code in (0, 3), ran.output
    assert "Product" in " ".join(ran.stderr.split())  # said on stderr too
    second = desk.create([NewTicket("Order ORD-654321 broken", "The android app crashes.")])
    again = invoke("run", "--engine", "rules")
    assert again.exit_code in (0, 3), again.output

    for ticket_id, order in ((first[0], "ORD-123456"), (second[0], "ORD-654321")):
        snap = desk.snapshot(ticket_id)
        assert len(snap.notes) == 1, snap.notes  # triaged and written
        found = values(desk, session, base, ticket_id)
        assert found.get(keys["Order number"]) == order  # the other field is still filled
        assert found.get(keys["Product"]) in (None, "")  # the stale one is left alone
    stale = [e for e in events(tmp_path / "logs") if e["event"] == "field_stale"]
    assert [e["field"] for e in stale] == ["Product", "Product"]  # said every run
    alerts = [b["text"] for b in receiver.bodies if "Product" in b["text"]]
    assert len(alerts) == 1, receiver.bodies  # alerted once
    assert "Mobile app" in alerts[0]

    health = invoke("health", "--json")
    assert health.exit_code == 2, health.output
    [row] = [c for c in json.loads(health.stdout)["checks"] if c["name"] == "fields"]
    assert row["status"] == "unhealthy"
    assert "Product" in row["reason"]
    assert "Mobile app" in row["reason"]

    # Fixed: the field is filled again and health's fields row is healthy.
    path.write_text(STALE_TOML.replace('"Mobile app"', '"Phone app"'), "utf-8")
    third = desk.create([NewTicket("Order ORD-111222", "The iphone app logs me out.")])
    fixed = invoke("run", "--engine", "rules")
    assert fixed.exit_code == 0, fixed.output
    filled = values(desk, session, base, third[0]).get(keys["Product"])
    assert filled in ("product_phone_app", "Phone app")
    healthy = invoke("health", "--json")
    [row] = [c for c in json.loads(healthy.stdout)["checks"] if c["name"] == "fields"]
    assert row["status"] == "healthy", row

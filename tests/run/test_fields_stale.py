"""A ``fields.toml`` the helpdesk no longer matches, on each sandbox: an admin renamed the
drop-down option an entry names. Runs go on (that field is left alone, the rest of every ticket
is triaged and written, the other field is still filled), one alert says so whatever the number
of runs, and ``health`` is unhealthy with a ``fields`` row naming the field; once the file is
fixed the field is filled again and health has nothing to say about it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.cli import invoke
from support.e2e import events
from support.fields_admin import FieldsAdmin
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


def test_a_stale_fields_file_leaves_that_field_alone_alerts_once_and_health_names_it(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, receiver: Receiver
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.setenv("TICKETBOT_ALERT_WEBHOOK", receiver.url)
    admin = FieldsAdmin(desk)
    keys = {title: admin.key_of(field) for title, field in admin.order_and_product(OPTIONS).items()}
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
        found = admin.custom_fields(ticket_id)
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
    filled = admin.custom_fields(third[0]).get(keys["Product"])
    assert filled in ("product_phone_app", "Phone app")
    healthy = invoke("health", "--json")
    [row] = [c for c in json.loads(healthy.stdout)["checks"] if c["name"] == "fields"]
    assert row["status"] == "healthy", row

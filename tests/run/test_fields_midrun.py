"""A drop-down option an admin removes while a run is under way loses no note, on each sandbox.

The run plans ``Product = Mobile app`` for every ticket; between the planning and the write the
admin deletes that option through the helpdesk's own admin API (Zendesk: ``DELETE
/api/v2/ticket_fields/{id}/options/{option_id}``; Freshdesk: ``PUT
/api/v2/admin/ticket_fields/{id}`` with the choice ``deleted``). The helpdesk then refuses the
writes that set it (Zendesk: the job's per-ticket ``RecordInvalid``, then a PUT's 422;
Freshdesk: the update's 400 after the note went out) and those tickets were failed: no note on
Zendesk, a note without its tags and marker on Freshdesk. Here every ticket is written once,
with its note, its other field and its marker; the removed option's field is left alone; one
alert names the field, and ``health`` does too.

The moment is made exact, not timed: on Zendesk the write's job is held queued until the option
is gone; on Freshdesk the first ticket's update is held (the sandbox's ``slow`` fault) until
after its note, and the option goes as soon as the note is in.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from support.cli import invoke
from support.e2e import events
from support.fields_admin import FieldsAdmin
from support.webhook import Receiver
from typer.testing import Result

from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.tags import marker_tag

pytestmark = pytest.mark.desk(configure=True)

FIELDS_TOML = """
[[field]]
name = "Order number"
pattern = 'ORD-\\d{6}'

[[field]]
name = "Product"
synonyms = { "Mobile app" = ["iphone app", "android app"] }
"""
OPTIONS = [("Mobile app", "product_mobile_app"), ("Web app", "product_web")]


def remove_mobile_app(
    desk: Desk, session: requests.Session, base: str, field: dict[str, Any]
) -> None:
    """The admin's change: the "Mobile app" option is gone."""
    if desk.kind == "zendesk":
        [option] = [o for o in field["custom_field_options"] if o["name"] == "Mobile app"]
        gone = session.delete(f"{base}/api/v2/ticket_fields/{field['id']}/options/{option['id']}")
        assert gone.status_code == 204, gone.text
        return
    [choice] = [c for c in field["choices"] if c["value"] == "Mobile app"]
    gone = session.put(
        f"{base}/api/v2/admin/ticket_fields/{field['id']}",
        json={"choices": [{"id": choice["id"], "deleted": True}]},
    )
    assert gone.status_code == 200, gone.text


def answered(desk: Desk, key: str) -> bool:
    return any(endpoint == key for _, endpoint, _ in desk.history())


def test_an_option_removed_mid_run_loses_no_note_and_is_named_once(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, receiver: Receiver
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.setenv("TICKETBOT_ALERT_WEBHOOK", receiver.url)
    admin = FieldsAdmin(desk)
    product = admin.order_and_product(OPTIONS)["Product"]
    path = tmp_path / "fields.toml"
    path.write_text(FIELDS_TOML, "utf-8")
    monkeypatch.setenv("TICKETBOT_FIELDS", str(path))
    ids = desk.create(
        [
            NewTicket(f"Order ORD-{100000 + n} late", f"Bought in the iPhone app, item {n}.")
            for n in range(3)
        ]
    )
    config = desk.sandbox.config
    if desk.kind == "zendesk":
        config.hold_jobs = True  # the write's job waits, queued, until the option is gone
        held = desk.ops["write"]
    else:
        config.slow_ms = 1500.0  # the first update waits while the option goes
        desk.faults().append(f"slow {desk.ops['write']}")
        held = desk.ops["note"]

    outcome: list[Result] = []
    runner = threading.Thread(target=lambda: outcome.append(invoke("run", "--engine", "rules")))
    runner.start()
    latest = time.monotonic() + 60
    while not answered(desk, held):
        assert runner.is_alive(), "the run ended before it wrote"
        assert time.monotonic() < latest, "the run never wrote"
        time.sleep(0.01)
    remove_mobile_app(desk, admin.session, admin.base, product)
    config.hold_jobs = False
    runner.join(60)
    assert not runner.is_alive()
    [ran] = outcome
    assert ran.exit_code == 0, ran.output
    assert "Product" in " ".join(ran.stderr.split())  # said on stderr

    for ticket_id in ids:
        snap = desk.snapshot(ticket_id)
        assert len(snap.notes) == 1, snap.notes  # written, once
        assert marker_tag("ai_") in snap.tags  # the whole change, marker included
        found = admin.custom_fields(ticket_id)
        assert found.get(admin.key_of(product)) in (None, "")
        assert any(str(v).startswith("ORD-") for v in found.values())  # the other field is filled
    stale = [e for e in events(tmp_path / "logs") if e["event"] == "field_stale"]
    assert [e["field"] for e in stale] == ["Product"]
    alerts = [b["text"] for b in receiver.bodies if "Product" in b["text"]]
    assert len(alerts) == 1, receiver.bodies
    assert "Mobile app" in alerts[0]

    health = invoke("health", "--json")
    assert health.exit_code == 2, health.output
    [row] = [c for c in json.loads(health.stdout)["checks"] if c["name"] == "fields"]
    assert row["status"] == "unhealthy"
    assert "Product" in row["reason"]

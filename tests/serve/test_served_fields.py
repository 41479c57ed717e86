"""``serve`` loads ``fields.toml`` as a run does: an entry the helpdesk no longer matches is left
alone and said (``field_stale``), and the server still starts and triages."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.e2e import events
from support.serving import delivery_for, serve_env, serving

from ticket_processor.sandbox.desks import Desk, NewTicket

pytestmark = pytest.mark.desk(seed=None, unlimited=True)

STALE_TOML = """
[[field]]
name = "Product"
synonyms = { "Mobile app" = ["iphone app"] }
"""  # the helpdesk has no "Product" field (any more)


def test_a_stale_fields_file_does_not_stop_serve(desk: Desk, tmp_path: Path) -> None:
    path = tmp_path / "fields.toml"
    path.write_text(STALE_TOML, "utf-8")
    [ticket] = desk.create([NewTicket("Refund not received", "Charged twice in the iphone app.")])
    env = serve_env(desk.env(), tmp_path, TICKETBOT_FIELDS=str(path))
    with serving(env) as server:  # ready: the stale entry did not stop the start
        body, headers = delivery_for(desk.kind, ticket)
        assert server.deliver(desk.kind, body, headers).status_code == 200
        server.drained()
    assert len(desk.snapshot(ticket).notes) == 1  # triaged and written, the field left alone
    stale = [e for e in events(tmp_path / "logs") if e["event"] == "field_stale"]
    assert [(e["field"], e["source"]) for e in stale] == [("Product", "serve")]
    assert "no such field" in stale[0]["detail"]

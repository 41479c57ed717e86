"""The triage API: a bearer token or 401; with it, what a run would decide, at the top level,
and nothing read from or written to the helpdesk. ``/openapi.json`` describes the answers."""

from __future__ import annotations

from pathlib import Path

import pytest
from openapi_schema_validator import OAS31Validator
from support.serving import TOKEN, serve_env, serving

from ticket_processor.sandbox.desks import Desk, NewTicket

pytestmark = pytest.mark.desk(seed=None, unlimited=True)

ASK = {
    "subject": "Charged twice",
    "description": "My card 4111 1111 1111 1111 was charged twice, mail me at ann@example.com",
}


def test_the_triage_api_needs_its_token_and_leaves_the_helpdesk_alone(
    desk: Desk, tmp_path: Path
) -> None:
    ticket = desk.create([NewTicket("Printer", "It is on fire")])[0]
    before = desk.snapshot(ticket)
    with serving(serve_env(desk.env(), tmp_path)) as server:
        desk.reset_stats()
        url = f"{server.url}/api/v1/triage"
        missing = server.client.post(url, json=ASK)
        assert missing.status_code == 401
        assert "is needed" in missing.text
        wrong = server.client.post(url, json=ASK, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        assert wrong.headers["www-authenticate"] == "Bearer"
        # A wrong token is told apart from none, and never echoed.
        assert "is not TICKETBOT_SERVE_TOKEN" in wrong.text
        assert "nope" not in wrong.text
        auth = {"Authorization": f"Bearer {TOKEN}"}
        answer = server.client.post(url, json={**ASK, "language": "en"}, headers=auth)
        assert answer.status_code == 200, answer.text
        found = answer.json()
        for key in ("category", "subcategory", "urgency", "sentiment", "language", "confidence"):
            assert key in found
        assert found["category"] == "billing"
        assert found["language"] == "en"
        assert found["fields"]["category"]["decision"] in ("apply", "suggest", "abstain")
        assert "routes" in found["route"]
        schema = server.client.get(f"{server.url}/openapi.json").json()
        OAS31Validator(
            {**schema["components"]["schemas"]["TriageAnswer"], "components": schema["components"]}
        ).validate(found)
        # Capped and checked before anything is analysed.
        big = {"subject": "x", "description": "y" * 70_000}
        assert server.client.post(url, json=big, headers=auth).status_code == 413
        assert server.client.post(url, json={"subject": 1}, headers=auth).status_code == 400
        asked_helpdesk = desk.history()
    assert asked_helpdesk == []  # not one request reached the helpdesk
    assert desk.snapshot(ticket) == before

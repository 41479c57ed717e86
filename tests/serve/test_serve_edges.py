"""What serve shows at its edges, on each helpdesk: ``/readyz`` tells anyone only whether it is
ready (the health checks, which name the agent, the helpdesk's address and the state's paths,
only with the API's token); a delivery to the other helpdesk's route is refused by naming this
installation's helpdesk, not as a bad signature; an event serve does not take (``deleted``)
is refused as what it is, never stored as ``updated``; and the terminal hears one line when
serve is ready and one per refused delivery."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from support.serving import TOKEN, delivery_for, serve_env, serving

from ticket_processor.helpdesks.registry import KINDS
from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.serve.limits import Rate, SourceLimits

pytestmark = pytest.mark.desk(seed=None, unlimited=True)


def test_readyz_tells_anyone_only_whether_it_is_ready(desk: Desk, tmp_path: Path) -> None:
    with serving(serve_env(desk.env(), tmp_path)) as server:
        bare = server.client.get(f"{server.url}/readyz")
        detailed = server.client.get(
            f"{server.url}/readyz", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        typo = server.client.get(
            f"{server.url}/readyz", headers={"Authorization": "Bearer not-the-token"}
        )
    assert bare.status_code == 200, bare.text
    assert bare.json() == {"ready": True, "status": "ready"}
    assert str(tmp_path) not in bare.text
    assert "@" not in bare.text
    # With the token, the checks themselves (what an operator debugs with).
    assert detailed.status_code == 200
    assert {c["name"] for c in detailed.json()["health"]["checks"]} >= {desk.kind, "llm"}
    # A monitor with a typo'd token hears so rather than getting less.
    assert typo.status_code == 401
    assert "TICKETBOT_SERVE_TOKEN" in typo.json()["error"]


def test_an_unready_server_tells_anyone_where_the_detail_is(desk: Desk, tmp_path: Path) -> None:
    with serving(serve_env(desk.env(), tmp_path)) as server:
        desk.sandbox.config.apply({"error_rate": 1.0})  # every check of the helpdesk fails
        try:
            down = server.client.get(f"{server.url}/readyz")
        finally:
            desk.sandbox.config.apply({"error_rate": 0.0})
    assert down.status_code == 503, down.text
    assert set(down.json()) == {"ready", "status", "reason"}
    assert down.json()["status"] == "unhealthy"
    assert "ticketbot health" in down.json()["reason"]
    assert str(tmp_path) not in down.text


def test_the_other_helpdesks_route_says_which_helpdesk_this_is(desk: Desk, tmp_path: Path) -> None:
    [ticket] = desk.create([NewTicket("Refund", "Refund me please")])
    other = next(kind for kind in KINDS if kind != desk.kind)  # any other helpdesk's route
    told: list[str] = []
    with serving(serve_env(desk.env(), tmp_path), tell=told.append) as server:
        before = server.server.state.queue.counts()
        # Signed as the other helpdesk signs, with this installation's secret: only the route
        # is wrong, and the answer must say so rather than blame the signature.
        refused = server.deliver(other, *delivery_for(other, ticket))
        after = server.server.state.queue.counts()
    assert refused.status_code == 404, refused.text
    error = refused.json()["error"]
    assert f"helpdesk is {KINDS[desk.kind].label}" in error
    assert f"/webhooks/{desk.kind}" in error
    assert "signature" not in error.lower()
    assert after == before
    [line] = [t for t in told if "refused a delivery" in t]
    assert f"/webhooks/{other}" in line
    assert "404" in line


def test_an_event_serve_does_not_take_is_refused_not_stored_as_updated(
    desk: Desk, tmp_path: Path
) -> None:
    [ticket] = desk.create([NewTicket("Refund", "Refund me please")])
    body = orjson.dumps({"ticket_id": ticket, "event": "deleted"})
    told: list[str] = []
    with serving(serve_env(desk.env(), tmp_path), tell=told.append) as server:
        before = server.server.state.queue.counts()
        refused = server.deliver(desk.kind, *delivery_for(desk.kind, ticket, body=body))
        after = server.server.state.queue.counts()
        accepted = server.deliver(desk.kind, *delivery_for(desk.kind, ticket, "updated"))
    assert refused.status_code == 400, refused.text
    assert "'deleted'" in refused.json()["error"]
    assert after == before
    assert accepted.status_code == 200  # the events serve takes still go in
    refusals = [t for t in told if "refused a delivery" in t]
    assert len(refusals) == 1
    assert "'deleted'" in refusals[0]


def test_the_terminal_says_once_when_serve_is_ready(desk: Desk, tmp_path: Path) -> None:
    told: list[str] = []
    with serving(serve_env(desk.env(), tmp_path), tell=told.append) as server:
        url = server.url
    ready = [t for t in told if " ready " in t]
    assert len(ready) == 1, told
    assert url in ready[0]
    assert KINDS[desk.kind].label in ready[0]
    assert f"/webhooks/{desk.kind}" in ready[0]


def test_a_rate_limited_delivery_is_one_line_on_the_terminal(desk: Desk, tmp_path: Path) -> None:
    [ticket] = desk.create([NewTicket("Refund", "Refund me please")])
    told: list[str] = []
    with serving(serve_env(desk.env(), tmp_path), tell=told.append) as server:
        server.server.state.limits = SourceLimits({desk.kind: Rate(0.001, 1)})
        codes = [
            server.deliver(desk.kind, *delivery_for(desk.kind, ticket, event)).status_code
            for event in ("created", "reply")
        ]
    assert codes == [200, 429]
    [line] = [t for t in told if "refused a delivery" in t]
    assert f"/webhooks/{desk.kind}" in line
    assert "429" in line

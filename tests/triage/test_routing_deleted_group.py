"""A routed group deleted in the helpdesk mid-life: runs go on, one alert, checks fail.

Each helpdesk deletes the group through its own API (``DELETE /api/v2/groups/{id}``: Zendesk
marks it ``deleted``, Freshdesk removes it). The next runs still triage every new ticket and
apply the rest of the route; the webhook hears of it once; ``health`` and ``routes check``
fail naming the route and the group until the group is back.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
from support.cli import invoke
from support.webhook import Receiver

from ticket_processor.sandbox.desks import Desk, NewTicket

pytestmark = pytest.mark.desk(configure=True)

ROUTES = """
[[route]]
name = "money"
when = { category = "billing" }
group = "Money Desk"
add_tags = ["money"]

[[route]]
name = "everyone"
add_tags = ["seen"]
"""
TICKET = NewTicket("Charged twice", "I was charged twice for my invoice, please refund.")


def _auth(desk: Desk) -> tuple[str, str]:
    env = desk.env()
    if desk.kind == "zendesk":
        return f"{env['ZENDESK_EMAIL']}/token", env["ZENDESK_API_TOKEN"]
    return env["FRESHDESK_API_KEY"], "X"


def _api(desk: Desk, method: str, path: str, body: Any = None) -> requests.Response:
    return requests.request(
        method, f"{desk.url}/api/v2/{path}", json=body, auth=_auth(desk), timeout=5
    )


def _create_group(desk: Desk, name: str) -> int:
    body = {"group": {"name": name}} if desk.kind == "zendesk" else {"name": name}
    answer = _api(desk, "POST", "groups", body)
    assert answer.status_code == 201, answer.text
    found = answer.json()
    return int((found["group"] if desk.kind == "zendesk" else found)["id"])


def _ticket(desk: Desk, ticket_id: int) -> dict[str, Any]:
    answer = _api(desk, "GET", f"tickets/{ticket_id}")
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found["ticket"] if desk.kind == "zendesk" else found


def _run(env: dict[str, str]) -> tuple[int, str]:
    result = invoke("run", "--engine", "rules", env=env)
    return result.exit_code, result.output


def test_a_deleted_group_skips_its_route_alerts_once_and_fails_the_checks(
    desk: Desk, receiver: Receiver, tmp_path: Path
) -> None:
    routes = tmp_path / "routes.toml"
    routes.write_text(ROUTES, encoding="utf-8")
    env = {"TICKETBOT_ROUTES": str(routes), "TICKETBOT_ALERT_WEBHOOK": receiver.url}
    group_id = _create_group(desk, "Money Desk")

    [first] = desk.create([TICKET])
    code, output = _run(env)
    assert code == 0, output
    assert _ticket(desk, first)["group_id"] == group_id
    assert invoke("routes", "check", env=env).exit_code == 0

    assert _api(desk, "DELETE", f"groups/{group_id}").status_code == 204
    if desk.kind == "zendesk":  # marked deleted, still served by id
        shown = _api(desk, "GET", f"groups/{group_id}").json()["group"]
        assert shown["deleted"] is True
    else:  # removed
        assert _api(desk, "GET", f"groups/{group_id}").status_code == 404

    for _ in range(2):  # two scheduled runs after the deletion
        [new] = desk.create([TICKET])
        code, output = _run(env)
        assert code == 0, output
        assert "route \"money\": group 'Money Desk'" in output  # the warning names both
        ticket = _ticket(desk, new)
        assert ticket["group_id"] is None  # not placed: the group is gone
        tags = set(ticket["tags"])
        assert {"ai_money", "ai_seen"} <= tags  # the rest of the route, and the other route
        assert "ai_processed" in tags

    missing = [b["text"] for b in receiver.bodies if "Money Desk" in b["text"]]
    assert len(missing) == 1, receiver.bodies  # once, not every run
    assert 'route "money"' in missing[0]

    logged = [
        json.loads(line)
        for path in sorted((tmp_path / "logs").glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    warned = [e for e in logged if e["event"] == "route_group_missing"]
    assert [e["group"] for e in warned] == ["Money Desk", "Money Desk"]

    health = invoke("health", "--json", env=env)
    assert health.exit_code == 2, health.output
    verdict = json.loads(health.stdout)
    [routes_check] = [c for c in verdict["checks"] if c["name"] == "routes"]
    assert routes_check["status"] == "unhealthy"
    assert "route \"money\": group 'Money Desk'" in routes_check["reason"]

    checked = invoke("routes", "check", env=env)
    assert checked.exit_code == 2
    assert "route \"money\": group 'Money Desk'" in checked.output

    # The group is back (recreated under the same name): the checks pass, and a later loss
    # would alert anew.
    _create_group(desk, "Money Desk")
    assert invoke("routes", "check", env=env).exit_code == 0
    code, output = _run(env)
    assert code == 0, output
    state = json.loads((tmp_path / "state" / "alerts.json").read_text(encoding="utf-8"))
    assert not [k for k in state if k.startswith("group_missing:")]

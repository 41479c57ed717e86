"""A routed group deleted in the helpdesk mid-life: runs go on, one alert, checks fail.

Each helpdesk's admin deletes the group (``Desk.delete_group``: Zendesk marks it ``deleted``,
Freshdesk and ServiceNow remove it). The next runs still triage every new ticket and
apply the rest of the route; the webhook hears of it once; ``health`` and ``routes check``
fail naming the route and the group until the group is back.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.cli import invoke
from support.connected import connected
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


def _listed(desk: Desk) -> set[int]:
    """The ids of the groups ticketbot reads from the helpdesk now."""
    helpdesk = connected(desk)
    try:
        return {group.id for group in helpdesk.groups()}
    finally:
        helpdesk.close()


def _run(env: dict[str, str]) -> tuple[int, str]:
    result = invoke("run", "--engine", "rules", env=env)
    return result.exit_code, result.output


def test_a_deleted_group_skips_its_route_alerts_once_and_fails_the_checks(
    desk: Desk, receiver: Receiver, tmp_path: Path
) -> None:
    routes = tmp_path / "routes.toml"
    routes.write_text(ROUTES, encoding="utf-8")
    env = {"TICKETBOT_ROUTES": str(routes), "TICKETBOT_ALERT_WEBHOOK": receiver.url}
    group_id = desk.group("Money Desk")

    [first] = desk.create([TICKET])
    code, output = _run(env)
    assert code == 0, output
    assert desk.group_of(first) == group_id
    assert invoke("routes", "check", env=env).exit_code == 0

    assert group_id in _listed(desk)
    desk.delete_group(group_id)
    # Gone from the groups ticketbot reads (Zendesk's marked deleted, the others' removed).
    assert group_id not in _listed(desk)

    for _ in range(2):  # two scheduled runs after the deletion
        [new] = desk.create([TICKET])
        code, output = _run(env)
        assert code == 0, output
        assert "route \"money\": group 'Money Desk'" in output  # the warning names both
        assert desk.group_of(new) is None  # not placed: the group is gone
        tags = set(desk.snapshot(new).tags)
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
    desk.group("Money Desk")
    assert invoke("routes", "check", env=env).exit_code == 0
    code, output = _run(env)
    assert code == 0, output
    state = json.loads((tmp_path / "state" / "alerts.json").read_text(encoding="utf-8"))
    assert not [k for k in state if k.startswith("group_missing:")]

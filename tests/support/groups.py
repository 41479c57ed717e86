"""Helpdesk groups for routing tests, made through each sandbox's own API."""

from __future__ import annotations

import requests

from ticket_processor.helpdesks.freshdesk.sandbox.desk import FreshdeskDesk
from ticket_processor.helpdesks.zendesk.sandbox.desk import ZendeskDesk
from ticket_processor.sandbox.desks import Desk


def create_groups(desk: Desk, names: tuple[str, ...] = ("Billing", "Shipping")) -> dict[str, int]:
    """Groups made through each sandbox's own API: name -> id."""
    ids = {}
    for name in names:
        if isinstance(desk, ZendeskDesk):
            zd = desk.sandbox
            answer = requests.post(
                f"{desk.url}/api/v2/groups.json",
                json={"group": {"name": name}},
                auth=(f"{zd.config.email}/token", zd.config.token),
                timeout=10,
            )
            assert answer.status_code == 201, answer.text
            ids[name] = int(answer.json()["group"]["id"])
        else:
            assert isinstance(desk, FreshdeskDesk)
            answer = requests.post(
                f"{desk.url}/api/v2/groups",
                json={"name": name},
                auth=(desk.sandbox.config.api_key, "X"),
                timeout=10,
            )
            assert answer.status_code == 201, answer.text
            ids[name] = int(answer.json()["id"])
    return ids

"""What a test does with ticket fields as the helpdesk's admin or an agent, through the
helpdesk's own API: make a field, read and write a ticket's custom fields.

A field's key is what a ticket's ``custom_fields`` names it by: its id on Zendesk, its ``cf_``
name on Freshdesk."""

from __future__ import annotations

from typing import Any

import requests

from ticket_processor.sandbox.desks import Desk


class FieldsAdmin:
    def __init__(self, desk: Desk) -> None:
        env = desk.env()
        self.kind = desk.kind
        self.session = requests.Session()
        if desk.kind == "zendesk":
            self.base = env["ZENDESK_URL"]
            self.session.auth = (f"{env['ZENDESK_EMAIL']}/token", env["ZENDESK_API_TOKEN"])
        else:
            self.base = env["FRESHDESK_URL"]
            self.session.auth = (env["FRESHDESK_API_KEY"], "X")

    def create(self, zendesk: dict[str, Any], freshdesk: dict[str, Any]) -> dict[str, Any]:
        """A new field from the helpdesk's own spec of it; the field as the helpdesk made it."""
        if self.kind == "zendesk":
            url = f"{self.base}/api/v2/ticket_fields.json"
            made = self.session.post(url, json={"ticket_field": zendesk})
            assert made.status_code == 201, made.text
            return dict(made.json()["ticket_field"])
        made = self.session.post(f"{self.base}/api/v2/admin/ticket_fields", json=freshdesk)
        assert made.status_code == 201, made.text
        return dict(made.json())

    def order_and_product(self, options: list[tuple[str, str]]) -> dict[str, dict[str, Any]]:
        """The fields of the fields tests: an "Order number" text and a "Product" drop-down of
        ``options`` (name, Zendesk tag value); each field by its title."""
        text = self.create(
            {"type": "text", "title": "Order number"},
            {"label": "Order number", "label_for_customers": "Order number", "type": "custom_text"},
        )
        drop = self.create(
            {
                "type": "tagger",
                "title": "Product",
                "custom_field_options": [{"name": n, "value": v} for n, v in options],
            },
            {
                "label": "Product",
                "label_for_customers": "Product",
                "type": "custom_dropdown",
                "choices": [{"value": n, "position": i} for i, (n, _) in enumerate(options, 1)],
            },
        )
        return {"Order number": text, "Product": drop}

    def key_of(self, field: dict[str, Any]) -> str:
        """What a ticket's ``custom_fields`` names the field by."""
        return str(field["id"] if self.kind == "zendesk" else field["name"])

    def custom_fields(self, ticket_id: int) -> dict[str, Any]:
        """A ticket's custom fields, by key."""
        if self.kind == "zendesk":
            got = self.session.get(f"{self.base}/api/v2/tickets/{ticket_id}.json")
            return {str(f["id"]): f["value"] for f in got.json()["ticket"]["custom_fields"]}
        got = self.session.get(f"{self.base}/api/v2/tickets/{ticket_id}")
        return dict(got.json()["custom_fields"])

    def agent_sets(self, ticket_id: int, values: dict[str, Any]) -> None:
        """An agent writes these fields (by key) on a ticket."""
        if self.kind == "zendesk":
            fields = [{"id": int(k), "value": v} for k, v in values.items()]
            body: dict[str, Any] = {"ticket": {"custom_fields": fields}}
            done = self.session.put(f"{self.base}/api/v2/tickets/{ticket_id}.json", json=body)
        else:
            body = {"custom_fields": values}
            done = self.session.put(f"{self.base}/api/v2/tickets/{ticket_id}", json=body)
        assert done.status_code == 200, done.text

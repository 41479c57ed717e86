"""What a test does with ticket fields as the helpdesk's admin or an agent, through the
helpdesk's own API: make a field, read and write a ticket's custom fields.

A field's key is what a ticket's ``custom_fields`` names it by: its id on Zendesk, its ``cf_``
name on Freshdesk, its ``u_`` column on ServiceNow (a ``sys_dictionary`` row made by the admin
adds the column to the incident table; a choice column's options are its ``sys_choice`` rows)."""

from __future__ import annotations

from typing import Any

import requests

from ticket_processor.sandbox.desks import Desk

# Whether a ticket holds a drop-down option's value (Zendesk's tag, ServiceNow's choice value)
# rather than its name (Freshdesk's choice label).
HOLDS_OPTION_VALUE = {"zendesk": True, "freshdesk": False, "servicenow": True}
TABLE = "/api/now/table"  # ServiceNow's Table API


class FieldsAdmin:
    def __init__(self, desk: Desk) -> None:
        env = desk.env()
        self.kind = desk.kind
        self.session = requests.Session()
        self.holds_option_value = HOLDS_OPTION_VALUE[desk.kind]
        if desk.kind == "zendesk":
            self.base = env["ZENDESK_URL"]
            self.session.auth = (f"{env['ZENDESK_EMAIL']}/token", env["ZENDESK_API_TOKEN"])
        elif desk.kind == "freshdesk":
            self.base = env["FRESHDESK_URL"]
            self.session.auth = (env["FRESHDESK_API_KEY"], "X")
        else:
            self.base = env["SERVICENOW_URL"]
            self.session.auth = desk.api_auth()

    def create(self, specs: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """A new field from the helpdesk's own spec of it (``specs`` by kind); the field as the
        helpdesk made it."""
        spec = specs[self.kind]
        if self.kind == "zendesk":
            url = f"{self.base}/api/v2/ticket_fields.json"
            made = self.session.post(url, json={"ticket_field": spec})
            assert made.status_code == 201, made.text
            return dict(made.json()["ticket_field"])
        if self.kind == "servicenow":
            return self._column(spec)
        made = self.session.post(f"{self.base}/api/v2/admin/ticket_fields", json=spec)
        assert made.status_code == 201, made.text
        return dict(made.json())

    def _column(self, spec: dict[str, Any]) -> dict[str, Any]:
        """ServiceNow: the column's dictionary row on ``incident``, then its choices (``spec``'s
        ``choices``: (label, value) pairs) as ``sys_choice`` rows, in order."""
        choices = spec.get("choices", [])
        entry = {"name": "incident", "internal_type": "string", **spec, "choice": "0"}
        entry.pop("choices", None)
        if choices:
            entry["choice"] = "3"  # a drop-down with its own options
        made = self.session.post(f"{self.base}{TABLE}/sys_dictionary", json=entry)
        assert made.status_code == 201, made.text
        column = dict(made.json()["result"])
        column["choices"] = []
        for sequence, (label, value) in enumerate(choices, 1):
            choice = {
                "name": "incident",
                "element": column["element"],
                "label": label,
                "value": value,
                "sequence": str(sequence),
            }
            made = self.session.post(f"{self.base}{TABLE}/sys_choice", json=choice)
            assert made.status_code == 201, made.text
            column["choices"].append(made.json()["result"])
        return column

    def order_and_product(self, options: list[tuple[str, str]]) -> dict[str, dict[str, Any]]:
        """The fields of the fields tests: an "Order number" text and a "Product" drop-down of
        ``options`` (name, Zendesk tag value, also ServiceNow's choice value); each field by
        its title."""
        text = self.create(
            {
                "zendesk": {"type": "text", "title": "Order number"},
                "freshdesk": {
                    "label": "Order number",
                    "label_for_customers": "Order number",
                    "type": "custom_text",
                },
                "servicenow": {"element": "u_order_number", "column_label": "Order number"},
            }
        )
        drop = self.create(
            {
                "zendesk": {
                    "type": "tagger",
                    "title": "Product",
                    "custom_field_options": [{"name": n, "value": v} for n, v in options],
                },
                "freshdesk": {
                    "label": "Product",
                    "label_for_customers": "Product",
                    "type": "custom_dropdown",
                    "choices": [{"value": n, "position": i} for i, (n, _) in enumerate(options, 1)],
                },
                "servicenow": {
                    "element": "u_product",
                    "column_label": "Product",
                    "choices": list(options),
                },
            }
        )
        return {"Order number": text, "Product": drop}

    def key_of(self, field: dict[str, Any]) -> str:
        """What a ticket's ``custom_fields`` names the field by."""
        key = {"zendesk": "id", "freshdesk": "name", "servicenow": "element"}[self.kind]
        return str(field[key])

    def _incident(self, ticket_id: int) -> dict[str, Any]:
        """ServiceNow: the incident whose number's digits are ``ticket_id``."""
        query = {"sysparm_query": f"number=INC{ticket_id:07d}", "sysparm_limit": "1"}
        got = self.session.get(f"{self.base}{TABLE}/incident", params=query)
        [row] = got.json()["result"]
        return dict(row)

    def custom_fields(self, ticket_id: int) -> dict[str, Any]:
        """A ticket's custom fields, by key (ServiceNow's empty column, "", as None)."""
        if self.kind == "zendesk":
            got = self.session.get(f"{self.base}/api/v2/tickets/{ticket_id}.json")
            return {str(f["id"]): f["value"] for f in got.json()["ticket"]["custom_fields"]}
        if self.kind == "servicenow":
            row = self._incident(ticket_id)
            return {k: v or None for k, v in row.items() if k.startswith("u_")}
        got = self.session.get(f"{self.base}/api/v2/tickets/{ticket_id}")
        return dict(got.json()["custom_fields"])

    def agent_sets(self, ticket_id: int, values: dict[str, Any]) -> None:
        """An agent writes these fields (by key) on a ticket."""
        if self.kind == "zendesk":
            fields = [{"id": int(k), "value": v} for k, v in values.items()]
            body: dict[str, Any] = {"ticket": {"custom_fields": fields}}
            done = self.session.put(f"{self.base}/api/v2/tickets/{ticket_id}.json", json=body)
        elif self.kind == "servicenow":
            sys_id = self._incident(ticket_id)["sys_id"]
            done = self.session.patch(f"{self.base}{TABLE}/incident/{sys_id}", json=values)
        else:
            body = {"custom_fields": values}
            done = self.session.put(f"{self.base}/api/v2/tickets/{ticket_id}", json=body)
        assert done.status_code == 200, done.text

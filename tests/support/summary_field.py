"""The summary field of the running-summary tests, made and read through each helpdesk's own
API (its admin's spec of a long-text field, by kind)."""

from __future__ import annotations

from typing import Any

from support.fields_admin import FieldsAdmin
from ticket_processor.sandbox.desks import Desk


class SummaryField(FieldsAdmin):
    """The summary field, made and read through the helpdesk's own API (as an admin, an agent);
    ``shown``: the helpdesk shows it to the customer, ``editable``: the customer may write it
    (the admin's choice, ``Desk.field_audience``)."""

    def __init__(self, desk: Desk, *, shown: bool = False, editable: bool = False) -> None:
        super().__init__(desk)
        made = self.create(
            {
                "zendesk": {"type": "textarea", "title": "Summary"},
                "freshdesk": {
                    "label": "Summary",
                    "label_for_customers": "Summary",
                    "type": "custom_paragraph",
                },
                "servicenow": {
                    "element": "u_summary",
                    "column_label": "Summary",
                    "max_length": "4000",
                },
            }
        )
        self.key = self.key_of(made)
        desk.field_audience(self.key, shown=shown or editable, editable=editable)

    def value(self, ticket_id: int) -> Any:
        return self.custom_fields(ticket_id).get(self.key)

    def agent_writes(self, ticket_id: int, text: str) -> None:
        self.agent_sets(ticket_id, {self.key: text})

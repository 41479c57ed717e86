"""The Freshdesk sandbox's custom ticket fields, and the check of a ticket's ``custom_fields``.

``POST /api/v2/admin/ticket_fields`` creates one (``label``, ``type``; a drop-down's ``choices``
as ``[{"value", "position"}]``); its ``name`` is ``cf_`` and the label in lower case with
underscores, as Freshdesk names them. ``GET /api/v2/admin/ticket_fields`` lists them with the
admin API's choice objects, ``GET /api/v2/ticket_fields`` with a drop-down's choices as plain
labels. ``PUT /api/v2/admin/ticket_fields/{id}`` changes a drop-down's ``choices`` as an admin
does: ``{"id", "deleted": true}`` removes one, ``{"id", "value"}`` renames it, a choice without
an ``id`` is added. A ticket's ``custom_fields`` holds labels: a name that is no field is refused
(``invalid_field``), a drop-down value that is none of its choices too (``invalid_value``).
Thread-safe on its own.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

from .config import field_error, invalid_value, not_found, validation_failed
from .records import iso

TYPES = ("custom_text", "custom_paragraph", "custom_checkbox", "custom_number", "custom_dropdown")
FIRST_ID = 60_000_001
FIRST_CHOICE = 60_100_001


def field_name(label: str) -> str:
    """Freshdesk's API name of a custom field: ``cf_`` + the label, lower case, underscores."""
    return "cf_" + re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")


class TicketFields:
    def __init__(self, *, now: Callable[[], float], on_write: Callable[[], None]) -> None:
        self._now = now
        self._on_write = on_write
        self._lock = threading.Lock()
        self._fields: dict[int, dict[str, Any]] = {}
        self._next_id = FIRST_ID
        self._next_choice = FIRST_CHOICE

    def create(self, spec: dict[str, Any]) -> dict[str, Any]:
        stamp = iso(self._now())
        label = spec.get("label")
        if not isinstance(label, str) or not label.strip():
            raise invalid_value("label", "It should be a/an String")
        kind = spec.get("type", "custom_text")
        if kind not in TYPES:
            raise invalid_value("type", f"It should be one of these values: '{','.join(TYPES)}'")
        raw_choices = spec.get("choices") or []
        if kind == "custom_dropdown" and not raw_choices:
            raise invalid_value("choices", "It should not be blank as this is a mandatory field")
        with self._lock:
            name = field_name(label)
            if any(f["name"] == name for f in self._fields.values()):
                raise validation_failed(
                    field_error("label", "has already been taken", "duplicate_value")
                )
            choices = []
            for position, raw in enumerate(raw_choices, start=1):
                value = raw.get("value") if isinstance(raw, dict) else raw
                if not isinstance(value, str) or not value.strip():
                    raise invalid_value("choices", "each choice needs a value")
                choices.append(
                    {
                        "id": self._next_choice,
                        "label": value,
                        "value": value,
                        "position": position,
                        "parent_choice_id": None,
                    }
                )
                self._next_choice += 1
            record: dict[str, Any] = {
                "id": self._next_id,
                "name": name,
                "label": label.strip(),
                "label_for_customers": str(spec.get("label_for_customers") or label).strip(),
                "description": spec.get("description"),
                "position": len(self._fields) + 20,
                "type": kind,
                "default": False,
                "required_for_closure": False,
                "required_for_agents": False,
                "required_for_customers": False,
                "customers_can_edit": bool(spec.get("customers_can_edit", False)),
                "displayed_to_customers": bool(spec.get("displayed_to_customers", False)),
                "created_at": stamp,
                "updated_at": stamp,
            }
            if kind == "custom_dropdown":
                record["choices"] = choices
            self._fields[self._next_id] = record
            self._next_id += 1
        self._on_write()
        return dict(record)

    def update(self, field_id: int, spec: dict[str, Any]) -> dict[str, Any]:
        """An admin's change of a drop-down's choices (see the module's docstring) or of who
        among customers sees and edits the field."""
        changes = spec.get("choices")
        with self._lock:
            field = self._fields.get(field_id)
            if field is None:
                raise not_found()
            if changes is not None:
                if not isinstance(changes, list) or "choices" not in field:
                    raise invalid_value("choices", "It should be an Array of choices")
                field["choices"] = self._changed_choices(field["choices"], changes)
            for flag in ("displayed_to_customers", "customers_can_edit"):
                if flag in spec:
                    field[flag] = bool(spec[flag])
            field["updated_at"] = iso(self._now())
            record = dict(field)
        self._on_write()
        return record

    def _changed_choices(self, choices: list[dict[str, Any]], changes: list[Any]) -> list[Any]:
        by_id = {c["id"]: dict(c) for c in choices}
        for raw in changes:
            if not isinstance(raw, dict):
                raise invalid_value("choices", "each choice must be an object")
            value = raw.get("value")
            if "id" in raw:
                if raw["id"] not in by_id:
                    raise invalid_value("choices", f"no choice with id {raw['id']}")
                if raw.get("deleted") is True:
                    del by_id[raw["id"]]
                elif isinstance(value, str) and value.strip():
                    by_id[raw["id"]].update(label=value, value=value)
            elif isinstance(value, str) and value.strip():
                position = len(by_id) + 1
                by_id[self._next_choice] = {"id": self._next_choice, "label": value,
                                            "value": value, "position": position,
                                            "parent_choice_id": None}  # fmt: skip
                self._next_choice += 1
        return list(by_id.values())

    def admin_listing(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(f) for f in self._fields.values()]

    def listing(self) -> list[dict[str, Any]]:
        """``GET /ticket_fields``: a drop-down's choices as its labels."""
        out = []
        for field in self.admin_listing():
            if "choices" in field:
                field["choices"] = [c["value"] for c in field["choices"]]
            out.append(field)
        return out

    def check(self, custom: object) -> None:
        """Freshdesk's 400 for a ``custom_fields`` that names no field or no choice."""
        if not isinstance(custom, dict):
            return
        with self._lock:
            by_name = {f["name"]: f for f in self._fields.values()}
        errors = []
        for name, value in custom.items():
            field = by_name.get(name)
            if field is None:
                errors.append(
                    field_error(name, "Unexpected/invalid field in request", "invalid_field")
                )
                continue
            choices = [c["value"] for c in field.get("choices", [])]
            if field["type"] == "custom_dropdown" and value is not None and value not in choices:
                message = f"It should be one of these values: '{','.join(choices)}'"
                errors.append(field_error(name, message))
        if errors:
            raise validation_failed(*errors)

    def to_state(self) -> dict[str, Any]:
        with self._lock:
            return {
                "fields": list(self._fields.values()),
                "next_id": self._next_id,
                "next_choice": self._next_choice,
            }

    def load_state(self, state: dict[str, Any]) -> None:
        with self._lock:
            self._fields = {int(f["id"]): f for f in state.get("fields", [])}
            self._next_id = int(state.get("next_id", FIRST_ID))
            self._next_choice = int(state.get("next_choice", FIRST_CHOICE))

"""The sandbox's custom ticket fields, and what Zendesk does when a ticket's fields change.

Fields are created and listed through ``/api/v2/ticket_fields`` (``fields_api.py``); a ticket
carries every active custom field in ``custom_fields`` as ``{"id", "value"}`` (null when unset).
An update's ``custom_fields`` changes only the fields it names. A drop-down (``tagger``) is also
a tag, as in Zendesk: its option's ``value`` *is* the tag, so setting the option adds the tag
(and takes the previous option's off), clearing the field takes it off, adding an option's tag
sets the field and removing it clears the field. An option that is not the field's is refused
with Zendesk's 422. Not thread-safe on its own: the ticket book calls it under the store's lock.
"""

from __future__ import annotations

from typing import Any

from .config import bad_request, invalid_field, record_invalid
from .records import iso, normalize_tags

TYPES = ("text", "textarea", "checkbox", "date", "integer", "decimal", "regexp", "tagger")
FIRST_FIELD_ID = 360_000_001
FIRST_OPTION_ID = 360_100_001


class FieldBook:
    """Custom ticket fields by id, in creation order."""

    def __init__(self) -> None:
        self.fields: dict[int, dict[str, Any]] = {}
        self._next_id = FIRST_FIELD_ID
        self._next_option = FIRST_OPTION_ID

    # --- the fields themselves ----------------------------------------------------

    def create(self, spec: dict[str, Any], now: float, base: str) -> dict[str, Any]:
        title = spec.get("title")
        if not isinstance(title, str) or not title.strip():
            raise record_invalid(
                {"title": [invalid_field("title", "cannot be blank", "BlankValue")]}
            )
        kind = spec.get("type", "text")
        if kind not in TYPES:
            raise record_invalid({"type": [invalid_field("type", "is invalid")]})
        field_id = self._next_id
        self._next_id += 1
        options = []
        for position, raw in enumerate(spec.get("custom_field_options") or []):
            if not isinstance(raw, dict) or not raw.get("name") or not raw.get("value"):
                raise bad_request("InvalidValue", "each custom_field_option needs a name and value")
            options.append(
                {
                    "id": self._next_option,
                    "name": str(raw["name"]),
                    "raw_name": str(raw["name"]),
                    "value": normalize_tags([str(raw["value"])])[0],
                    "position": position,
                    "default": False,
                    "url": f"{base}/api/v2/ticket_fields/{field_id}/options/"
                    f"{self._next_option}.json",
                }
            )
            self._next_option += 1
        if kind == "tagger" and not options:
            raise record_invalid(
                {"custom_field_options": [invalid_field("custom_field_options", "cannot be blank")]}
            )
        stamp = iso(now)
        record: dict[str, Any] = {
            "id": field_id,
            "url": f"{base}/api/v2/ticket_fields/{field_id}.json",
            "type": kind,
            "title": title.strip(),
            "raw_title": title.strip(),
            "description": str(spec.get("description") or ""),
            "raw_description": str(spec.get("description") or ""),
            "position": len(self.fields),
            "active": True,
            "required": False,
            "visible_in_portal": spec.get("visible_in_portal") is True,
            "editable_in_portal": spec.get("editable_in_portal") is True,
            "required_in_portal": False,
            "regexp_for_validation": spec.get("regexp_for_validation"),
            "tag": None,
            "removable": True,
            "agent_description": "",
            "created_at": stamp,
            "updated_at": stamp,
        }
        if kind == "tagger":
            record["custom_field_options"] = options
        self.fields[field_id] = record
        return record

    def listing(self) -> list[dict[str, Any]]:
        return list(self.fields.values())

    def delete_option(self, field_id: int, option_id: int) -> bool:
        """Remove a drop-down's option (an admin's change); False when there is no such one.
        Tickets keep the value they hold; a write that sets it is refused from now on."""
        field = self.fields.get(field_id)
        if field is None or not isinstance(field.get("custom_field_options"), list):
            return False
        options = field["custom_field_options"]
        kept = [o for o in options if o["id"] != option_id]
        if len(kept) == len(options):
            return False
        field["custom_field_options"] = kept
        return True

    # --- tickets --------------------------------------------------------------------

    def blank(self) -> list[dict[str, Any]]:
        """A new ticket's ``custom_fields``: every active field, unset."""
        return [{"id": fid, "value": None} for fid, f in self.fields.items() if f["active"]]

    def apply(self, before: dict[str, Any], after: dict[str, Any], changes: dict[str, Any]) -> None:
        """Zendesk's field rules on ``after`` (the ticket as ``changes`` left it, tags
        included): merge ``custom_fields`` by id, then keep drop-downs and their tags in step."""
        values = {int(f["id"]): f.get("value") for f in before.get("custom_fields") or []}
        for fid in self.fields:
            values.setdefault(fid, None)
        named = _named(changes.get("custom_fields"))
        tags = list(after["tags"])
        for fid, value in named.items():
            field = self.fields.get(fid)
            if field is None:
                continue  # Zendesk ignores a field id it does not have
            if field["type"] == "tagger":
                tags = self._set_option(field, value, values.get(fid), tags)
            values[fid] = value
        # Tags changed by the update itself move drop-downs they belong to.
        removed = set(before["tags"]) - set(tags)
        added = set(tags) - set(before["tags"])
        for fid, field in self.fields.items():
            if field["type"] != "tagger" or fid in named:
                continue
            options = {o["value"] for o in field["custom_field_options"]}
            if values.get(fid) in removed:
                values[fid] = None
            chosen = sorted(options & added)
            if chosen:
                values[fid] = chosen[0]
        after["tags"] = tags
        after["custom_fields"] = [{"id": fid, "value": values[fid]} for fid in sorted(values)]
        after["fields"] = list(after["custom_fields"])

    def _set_option(
        self, field: dict[str, Any], value: object, previous: object, tags: list[str]
    ) -> list[str]:
        options = {o["value"] for o in field["custom_field_options"]}
        if value is not None and value not in options:
            raise record_invalid(
                {
                    "base": [
                        invalid_field(
                            field["title"], f"{value!r} is not a valid option", "InvalidValue"
                        )
                    ]
                }
            )
        tags = [t for t in tags if t != previous]
        if isinstance(value, str) and value not in tags:
            tags.append(value)
        return tags

    # --- state ------------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        return {
            "fields": list(self.fields.values()),
            "next_id": self._next_id,
            "next_option": self._next_option,
        }

    def load_state(self, state: dict[str, Any]) -> None:
        self.fields = {int(f["id"]): f for f in state.get("fields", [])}
        self._next_id = int(state.get("next_id", FIRST_FIELD_ID))
        self._next_option = int(state.get("next_option", FIRST_OPTION_ID))


def _named(raw: object) -> dict[int, object]:
    """An update's ``custom_fields`` (a list of ``{"id", "value"}``) by field id."""
    named: dict[int, object] = {}
    if not isinstance(raw, list):
        return named
    for item in raw:
        if isinstance(item, dict) and str(item.get("id", "")).isdigit():
            named[int(item["id"])] = item.get("value")
    return named

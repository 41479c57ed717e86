"""The Zendesk sandbox's routing attributes, values, agents' states and organisations, as it
keeps them (``routing_api`` serves them)."""

from __future__ import annotations

import threading
import uuid
from typing import Any

from ....sandbox.httpbase import not_found
from .config import bad_request

FIRST_ORGANISATION_ID = 370_000_001


class RoutingBook:
    """Attributes, values, instance values, agents' states and organisations; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.attributes: dict[str, dict[str, Any]] = {}
        self.values: dict[str, dict[str, Any]] = {}
        self.agent_values: dict[int, list[str]] = {}
        self.ticket_values: dict[int, list[str]] = {}
        self.status: dict[int, str] = {}  # agent id -> online, away, offline
        self.capacity: dict[int, int] = {}  # agent id -> tickets they may hold
        # False: an account without omnichannel routing, which keeps no agent availability.
        self.omnichannel = True
        self.organisations: dict[int, dict[str, Any]] = {}

    def attribute(self, name: str, base: str, stamp: str) -> dict[str, Any]:
        with self._lock:
            for found in self.attributes.values():
                if found["name"].casefold() == name.casefold():
                    return dict(found)
            aid = str(uuid.uuid4())
            url = f"{base}/api/v2/routing/attributes/{aid}.json"
            record = {"id": aid, "name": name, "created_at": stamp, "updated_at": stamp, "url": url}
            self.attributes[aid] = record
            return dict(record)

    def value(self, attribute_id: str, name: str, base: str, stamp: str) -> dict[str, Any]:
        with self._lock:
            if attribute_id not in self.attributes:
                raise not_found()
            for found in self.values.values():
                same = found["name"].casefold() == name.casefold()
                if same and found["attribute_id"] == attribute_id:
                    return dict(found)
            vid = str(uuid.uuid4())
            record = {
                "id": vid,
                "name": name,
                "attribute_id": attribute_id,
                "created_at": stamp,
                "updated_at": stamp,
                "url": f"{base}/api/v2/routing/attributes/{attribute_id}/values/{vid}.json",
            }
            self.values[vid] = record
            return dict(record)

    def set_values(self, holder: dict[int, list[str]], key: int, ids: object) -> list[str]:
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise bad_request("InvalidValue", "attribute_value_ids must be a list of ids")
        with self._lock:
            # Invalid or deleted values are ignored, as Zendesk documents.
            holder[key] = [i for i in dict.fromkeys(ids) if i in self.values]
            return list(holder[key])

    def shown(self, ids: list[str]) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(self.values[i]) for i in ids if i in self.values]

    def add_organisation(self, fields: dict[str, Any], base: str, stamp: str) -> dict[str, Any]:
        with self._lock:
            oid = FIRST_ORGANISATION_ID + len(self.organisations)
            record = {
                "id": oid,
                "url": f"{base}/api/v2/organizations/{oid}.json",
                "name": str(fields.get("name") or f"Organisation {oid}"),
                "tags": [str(t) for t in fields.get("tags") or ()],
                "organization_fields": dict(fields.get("organization_fields") or {}),
                "domain_names": [],
                "details": "",
                "notes": "",
                "group_id": None,
                "shared_tickets": False,
                "shared_comments": False,
                "external_id": None,
                "created_at": stamp,
                "updated_at": stamp,
            }
            self.organisations[oid] = record
            return dict(record)

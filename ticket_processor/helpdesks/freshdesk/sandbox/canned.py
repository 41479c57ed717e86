"""The Freshdesk sandbox's canned responses, in the Canned Responses API's shapes.

Folders (``/api/v2/canned_response_folders``: list, show, create) and the responses in them
(``/canned_response_folders/{id}/responses``; ``/canned_responses``: create; ``/{id}``: show).
Two folders are built in as on Freshdesk: "General" (shared) and "Personal" (``personal``
true: each agent's own). A response's ``visibility`` is 0 all agents, 1 personal, 2 the
agents of ``group_ids``; ``content`` is ``content_html`` without its tags.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from .config import field_error, not_found, validation_failed
from .directory import one_of, require
from .records import html_text, iso

GENERAL_FOLDER = 9001
PERSONAL_FOLDER = 9002


class CannedResponses:
    """Folders and their responses; thread-safe, saved with the store (``to_state``)."""

    def __init__(self, *, now: Callable[[], float], on_write: Callable[[], None]) -> None:
        self._now = now
        self._on_write = on_write
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        built_in = iso(0)
        self._folders: dict[int, dict[str, Any]] = {
            GENERAL_FOLDER: _folder(GENERAL_FOLDER, "General", False, built_in),
            PERSONAL_FOLDER: _folder(PERSONAL_FOLDER, "Personal", True, built_in),
        }
        self._responses: dict[int, dict[str, Any]] = {}
        self._next = 70_000

    def _with_count(self, folder: dict[str, Any]) -> dict[str, Any]:
        count = sum(1 for r in self._responses.values() if r["folder_id"] == folder["id"])
        return {**folder, "responses_count": count}

    def folders(self) -> list[dict[str, Any]]:
        with self._lock:
            return [self._with_count(f) for f in self._folders.values()]

    def folder(self, folder_id: int) -> dict[str, Any]:
        with self._lock:
            if folder_id not in self._folders:
                raise not_found()
            shown = self._with_count(self._folders[folder_id])
            listed = [r for r in self._responses.values() if r["folder_id"] == folder_id]
        shown["canned_responses"] = [
            {"id": r["id"], "title": r["title"], "folder_id": folder_id} for r in listed
        ]
        return shown

    def create_folder(self, body: dict[str, Any]) -> dict[str, Any]:
        require(body, {"name": str}, ("name",))
        with self._lock:
            self._next += 1
            folder = _folder(self._next, body["name"], False, iso(self._now()))
            self._folders[folder["id"]] = folder
            shown = self._with_count(folder)
        self._on_write()
        return shown

    def responses(self, folder_id: int) -> list[dict[str, Any]]:
        with self._lock:
            if folder_id not in self._folders:
                raise not_found()
            return [dict(r) for r in self._responses.values() if r["folder_id"] == folder_id]

    def response(self, response_id: int) -> dict[str, Any]:
        with self._lock:
            if response_id not in self._responses:
                raise not_found()
            return dict(self._responses[response_id])

    def create_response(self, body: dict[str, Any]) -> dict[str, Any]:
        spec: dict[str, type | tuple[type, ...]] = {
            "title": str,
            "content_html": str,
            "folder_id": int,
            "visibility": int,
            "group_ids": list,
        }
        require(body, spec, ("title", "content_html", "folder_id"))
        one_of(body, "visibility", (0, 1, 2))
        if body.get("visibility") == 2 and not body.get("group_ids"):
            raise validation_failed(
                field_error(
                    "group_ids", "It should not be blank as visibility is 2", "missing_field"
                )
            )
        with self._lock:
            if body["folder_id"] not in self._folders:
                raise validation_failed(
                    field_error("folder_id", "There is no folder matching the given folder_id")
                )
            self._next += 1
            stamp = iso(self._now())
            response = {
                "id": self._next,
                "title": body["title"],
                "folder_id": body["folder_id"],
                "content": html_text(body["content_html"]),
                "content_html": body["content_html"],
                "visibility": int(body.get("visibility", 0)),
                "group_ids": [int(g) for g in body.get("group_ids") or []],
                "attachments": [],
                "created_at": stamp,
                "updated_at": stamp,
            }
            self._responses[response["id"]] = response
        self._on_write()
        return dict(response)

    def remove_response(self, response_id: int) -> None:
        """A canned response deleted, as an agent deletes one in Freshdesk's admin pages."""
        with self._lock:
            if self._responses.pop(response_id, None) is None:
                raise not_found()
        self._on_write()

    def to_state(self) -> dict[str, Any]:
        with self._lock:
            return {
                "next": self._next,
                "folders": [f for f in self._folders.values() if f["id"] > PERSONAL_FOLDER],
                "responses": list(self._responses.values()),
            }

    def load_state(self, state: dict[str, Any] | None) -> None:
        with self._lock:
            self._reset()
            if not state:
                return
            self._next = int(state["next"])
            self._folders.update({int(f["id"]): f for f in state["folders"]})
            self._responses = {int(r["id"]): r for r in state["responses"]}


def _folder(folder_id: int, name: str, personal: bool, stamp: str) -> dict[str, Any]:
    return {
        "id": folder_id,
        "name": name,
        "personal": personal,
        "created_at": stamp,
        "updated_at": stamp,
    }

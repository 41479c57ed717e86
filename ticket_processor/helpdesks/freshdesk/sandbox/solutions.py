"""The Freshdesk sandbox's help centre: Solutions categories → folders → articles.

Folder ``visibility``: 1 all users, 2 logged-in users, 3 agents only, 4 selected companies (then
``company_ids`` is required). Article ``status``: 1 draft, 2 published; ``type`` 1 permanent,
2 workaround. There is no changed-since filter: a sync lists everything and compares
``updated_at``, as on the real Freshdesk.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from .config import field_error, not_found, validation_failed
from .directory import one_of, require
from .records import html_text, iso

_SANDBOX_AGENT = 1


class Solutions:
    """Categories, folders and articles; thread-safe."""

    def __init__(self, *, now: Callable[[], float], on_write: Callable[[], None]) -> None:
        self._now = now
        self._on_write = on_write
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self._categories: dict[int, dict[str, Any]] = {}
        self._folders: dict[int, dict[str, Any]] = {}
        self._articles: dict[int, dict[str, Any]] = {}
        self._next = 10_000

    def _new_id(self) -> int:
        self._next += 1
        return self._next

    def categories(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(c) for c in self._categories.values()]

    def category(self, category_id: int) -> dict[str, Any]:
        with self._lock:
            if category_id not in self._categories:
                raise not_found()
            return dict(self._categories[category_id])

    def create_category(self, body: dict[str, Any]) -> dict[str, Any]:
        require(
            body,
            {"name": str, "description": (str, type(None)), "visible_in_portals": list},
            ("name",),
        )
        with self._lock:
            stamp = iso(self._now())
            category = {
                "id": self._new_id(),
                "name": body["name"],
                "description": body.get("description"),
                "visible_in_portals": list(body.get("visible_in_portals", [])),
                "created_at": stamp,
                "updated_at": stamp,
            }
            self._categories[category["id"]] = category
        self._on_write()
        return dict(category)

    def folders(self, category_id: int) -> list[dict[str, Any]]:
        self.category(category_id)
        with self._lock:
            return [dict(f) for f in self._folders.values() if f["category_id"] == category_id]

    def folder(self, folder_id: int) -> dict[str, Any]:
        with self._lock:
            if folder_id not in self._folders:
                raise not_found()
            return dict(self._folders[folder_id])

    def create_folder(self, category_id: int, body: dict[str, Any]) -> dict[str, Any]:
        self.category(category_id)
        spec: dict[str, Any] = {
            "name": str,
            "description": (str, type(None)),
            "visibility": int,
            "company_ids": list,
        }
        require(body, spec, ("name", "visibility"))
        one_of(body, "visibility", (1, 2, 3, 4))
        if body["visibility"] == 4 and not body.get("company_ids"):
            raise validation_failed(
                field_error("company_ids", "It should be a/an Array", "missing_field")
            )
        with self._lock:
            stamp = iso(self._now())
            folder = {
                "id": self._new_id(),
                "name": body["name"],
                "description": body.get("description"),
                "visibility": body["visibility"],
                "category_id": category_id,
                "created_at": stamp,
                "updated_at": stamp,
            }
            if body["visibility"] == 4:
                folder["company_ids"] = list(body["company_ids"])
            self._folders[folder["id"]] = folder
        self._on_write()
        return dict(folder)

    def articles(self, folder_id: int) -> list[dict[str, Any]]:
        self.folder(folder_id)
        with self._lock:
            return [dict(a) for a in self._articles.values() if a["folder_id"] == folder_id]

    def article(self, article_id: int) -> dict[str, Any]:
        with self._lock:
            if article_id not in self._articles:
                raise not_found()
            return dict(self._articles[article_id])

    def create_article(self, folder_id: int, body: dict[str, Any]) -> dict[str, Any]:
        folder = self.folder(folder_id)
        spec: dict[str, Any] = {
            "title": str,
            "description": str,
            "status": int,
            "type": int,
            "tags": list,
            "seo_data": dict,
        }
        require(body, spec, ("title", "description", "status"))
        one_of(body, "status", (1, 2))
        one_of(body, "type", (1, 2))
        with self._lock:
            stamp = iso(self._now())
            article = {
                "id": self._new_id(),
                "type": body.get("type", 1),
                "category_id": folder["category_id"],
                "folder_id": folder_id,
                "title": body["title"],
                "description": body["description"],
                "description_text": html_text(body["description"]),
                "status": body["status"],
                "agent_id": _SANDBOX_AGENT,
                "thumbs_up": 0,
                "thumbs_down": 0,
                "hits": 0,
                "tags": list(body.get("tags", [])),
                "seo_data": dict(body.get("seo_data", {})),
                "created_at": stamp,
                "updated_at": stamp,
            }
            self._articles[article["id"]] = article
        self._on_write()
        return dict(article)

    def to_state(self) -> dict[str, Any]:
        with self._lock:
            return {
                "categories": list(self._categories.values()),
                "folders": list(self._folders.values()),
                "articles": list(self._articles.values()),
                "next": self._next,
            }

    def load_state(self, state: dict[str, Any]) -> None:
        with self._lock:
            self._reset()
            for name in ("categories", "folders", "articles"):
                getattr(self, f"_{name}").update({int(r["id"]): r for r in state[name]})
            self._next = int(state["next"])

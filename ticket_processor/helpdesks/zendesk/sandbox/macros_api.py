"""``/api/v2/macros``: the sandbox's macros, in the Macros API's shapes.

Create (``POST``, 200 ``{"macro": …}`` as Zendesk's own description has it), list
(``GET /macros``, ``?active=true|false``, ``?access=shared``), the active ones
(``GET /macros/active``), show (``GET /macros/{id}``), update (``PUT /macros/{id}``: the fields
given replace the macro's, 200 ``{"macro": …}``) and delete (``DELETE /macros/{id}``: 204, the
macro gone; 404 for an unknown id), as Zendesk's Macros API does.
A macro's ``actions`` are kept as given: a reply is the action whose ``field`` is
``comment_value`` (its ``value`` a string, or ``[channel, text]`` as Zendesk also writes it) or
``comment_value_html``, and ``comment_mode_is_public`` (``"false"`` or ``false``) makes it an
internal note. A macro with ``restriction`` null is shared with every agent; a restricted one
(``{"type": "User", "id": …}``) is one agent's own. Lists page by offset as Zendesk's do.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from ....sandbox.httpbase import not_found
from .config import bad_request, invalid_field, record_invalid
from .records import iso

if TYPE_CHECKING:
    from .routes import Call, Handler, Services


class SandboxMacros:
    """The account's macros; thread-safe, saved with the store (``to_state``)."""

    def __init__(self, *, now: Callable[[], float], on_change: Callable[[], None]) -> None:
        self._now = now
        self._on_change = on_change
        self._lock = threading.Lock()
        self._macros: dict[int, dict[str, Any]] = {}
        self._next_id = 360010000

    def use_clock(self, now: Callable[[], float]) -> None:
        self._now = now

    def create(self, fields: dict[str, Any], base: str) -> dict[str, Any]:
        title = fields.get("title")
        actions = fields.get("actions")
        details: dict[str, list[dict[str, str]]] = {}
        if not isinstance(title, str) or not title.strip():
            details["title"] = [invalid_field("title", "cannot be blank", "BlankValue")]
        if not isinstance(actions, list) or not actions:
            details["actions"] = [invalid_field("actions", "cannot be blank", "BlankValue")]
        elif not all(isinstance(a, dict) and isinstance(a.get("field"), str) for a in actions):
            details["actions"] = [invalid_field("actions", "each needs a field and a value")]
        if details:
            raise record_invalid(details)
        assert isinstance(title, str)
        assert isinstance(actions, list)
        with self._lock:
            self._next_id += 1
            stamp = iso(self._now())
            macro_id = self._next_id
            macro: dict[str, Any] = {
                "id": macro_id,
                "url": f"{base}/api/v2/macros/{self._next_id}.json",
                "title": title,
                "raw_title": title,
                "description": fields.get("description"),
                "active": bool(fields.get("active", True)),
                "position": int(fields.get("position") or 0),
                "restriction": fields.get("restriction"),
                "default": False,
                "actions": [dict(a) for a in actions],
                "created_at": stamp,
                "updated_at": stamp,
            }
            self._macros[macro_id] = macro
        self._on_change()
        return macro

    def listed(
        self, *, active: bool | None = None, shared_only: bool = False
    ) -> list[dict[str, Any]]:
        with self._lock:
            found = [dict(m) for m in self._macros.values()]
        if active is not None:
            found = [m for m in found if m["active"] is active]
        if shared_only:
            found = [m for m in found if m["restriction"] is None]
        return sorted(found, key=lambda m: (m["position"], m["id"]))

    def title_of(self, macro_id: int) -> str | None:
        with self._lock:
            macro = self._macros.get(macro_id)
        return str(macro["title"]) if macro is not None else None

    def get(self, macro_id: int) -> dict[str, Any]:
        with self._lock:
            macro = self._macros.get(macro_id)
        if macro is None:
            raise not_found()
        return dict(macro)

    def update(self, macro_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        """The macro with ``fields`` (title, actions, active, description, position,
        restriction) replacing its own; 404 for an unknown id."""
        details: dict[str, list[dict[str, str]]] = {}
        title = fields.get("title")
        if "title" in fields and (not isinstance(title, str) or not title.strip()):
            details["title"] = [invalid_field("title", "cannot be blank", "BlankValue")]
        actions = fields.get("actions")
        if "actions" in fields and (
            not isinstance(actions, list)
            or not actions
            or not all(isinstance(a, dict) and isinstance(a.get("field"), str) for a in actions)
        ):
            details["actions"] = [invalid_field("actions", "each needs a field and a value")]
        if details:
            raise record_invalid(details)
        with self._lock:
            macro = self._macros.get(macro_id)
            if macro is None:
                raise not_found()
            for key in ("title", "description", "position", "restriction"):
                if key in fields:
                    macro[key] = fields[key]
            if "title" in fields:
                macro["raw_title"] = fields["title"]
            if "active" in fields:
                macro["active"] = bool(fields["active"])
            if "actions" in fields:
                macro["actions"] = [dict(a) for a in fields["actions"]]
            macro["updated_at"] = iso(self._now())
            found = dict(macro)
        self._on_change()
        return found

    def delete(self, macro_id: int) -> None:
        with self._lock:
            if self._macros.pop(macro_id, None) is None:
                raise not_found()
        self._on_change()

    def to_state(self) -> dict[str, Any]:
        with self._lock:
            return {"next_id": self._next_id, "macros": list(self._macros.values())}

    def load_state(self, state: dict[str, Any] | None) -> None:
        with self._lock:
            self._macros = {}
            self._next_id = 360010000
            if state:
                self._next_id = int(state["next_id"])
                self._macros = {int(m["id"]): m for m in state["macros"]}


def macros_of(svc: Services) -> SandboxMacros:
    """The macro book of a sandbox's store (one without a help centre has none: 404)."""
    book = getattr(svc.store, "macros", None)
    if not isinstance(book, SandboxMacros):
        raise not_found()
    return book


def _page(call: Call, found: list[dict[str, Any]]) -> tuple[int, Any]:
    try:
        per_page = min(max(int(call.query.get("per_page") or 100), 1), 100)
        page = max(int(call.query.get("page") or 1), 1)
    except ValueError:
        raise bad_request("InvalidValue", "page and per_page must be integers") from None
    pages = max((len(found) + per_page - 1) // per_page, 1)

    def link(number: int) -> str:
        query = {**call.query, "page": str(number), "per_page": str(per_page)}
        return f"{call.base}{call.path}?{urlencode(query)}"

    return 200, {
        "macros": found[(page - 1) * per_page : page * per_page],
        "count": len(found),
        "next_page": link(page + 1) if page < pages else None,
        "previous_page": link(page - 1) if page > 1 else None,
    }


def _active_filter(call: Call) -> bool | None:
    raw = call.query.get("active")
    if raw is None or raw == "":
        return None
    if raw not in ("true", "false"):
        raise bad_request("InvalidValue", "active must be true or false")
    return raw == "true"


def list_macros(svc: Services, call: Call) -> tuple[int, Any]:
    shared = call.query.get("access") == "shared"
    return _page(call, macros_of(svc).listed(active=_active_filter(call), shared_only=shared))


def list_active(svc: Services, call: Call) -> tuple[int, Any]:
    shared = call.query.get("access") == "shared"
    return _page(call, macros_of(svc).listed(active=True, shared_only=shared))


def show_macro(svc: Services, call: Call) -> tuple[int, Any]:
    return 200, {"macro": macros_of(svc).get(int(call.args[0]))}


def create_macro(svc: Services, call: Call) -> tuple[int, Any]:
    body = call.body
    if not isinstance(body, dict) or not isinstance(body.get("macro"), dict):
        raise bad_request("InvalidValue", "request body must be a JSON object with 'macro'")
    # Zendesk's own description answers a created macro with 200 (not 201, as tickets are).
    return 200, {"macro": macros_of(svc).create(body["macro"], call.base)}


def update_macro(svc: Services, call: Call) -> tuple[int, Any]:
    body = call.body
    if not isinstance(body, dict) or not isinstance(body.get("macro"), dict):
        raise bad_request("InvalidValue", "request body must be a JSON object with 'macro'")
    return 200, {"macro": macros_of(svc).update(int(call.args[0]), body["macro"])}


def delete_macro(svc: Services, call: Call) -> tuple[int, Any]:
    macros_of(svc).delete(int(call.args[0]))
    return 204, None


MACRO_ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/api/v2/macros", list_macros),
    ("POST", "/api/v2/macros", create_macro),
    ("GET", "/api/v2/macros/active", list_active),
    ("GET", "/api/v2/macros/{id}", show_macro),
    ("PUT", "/api/v2/macros/{id}", update_macro),
    ("DELETE", "/api/v2/macros/{id}", delete_macro),
]

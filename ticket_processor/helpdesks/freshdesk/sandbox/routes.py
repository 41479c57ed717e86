"""What every Freshdesk endpoint handler gets and returns, paging, and the routing table's shape.

Handlers take a parsed ``FreshdeskCall`` and the ``FreshdeskServices`` and return
``(status, body, headers)`` or raise ``ApiError``; HTTP, auth, limits and fault knobs are
``server.py``'s business. Lists are bare JSON arrays paged by ``page`` / ``per_page`` with a
``Link: <…>; rel="next"`` header when more follow, pointing back at the server the client called.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from ....sandbox.httpbase import ApiError
from ....sandbox.jobs import JobQueue
from .config import FreshdeskConfig, field_error, validation_failed
from .store import FreshdeskStore

Answer = tuple[int, Any, dict[str, str]]


@dataclass
class FreshdeskCall:
    """One API request as the handlers see it."""

    method: str
    path: str
    query: dict[str, str]  # the last value of each parameter
    body: Any
    base: str  # scheme://host:port the sandbox is bound to (never the client's Host header)
    args: tuple[str, ...] = ()

    def int_arg(self, index: int = 0) -> int:
        return int(self.args[index])


@dataclass
class FreshdeskServices:
    """What the handlers work on."""

    config: FreshdeskConfig
    store: FreshdeskStore
    jobs: JobQueue
    rng: random.Random
    job_created: dict[str, str]


Handler = Callable[[FreshdeskServices, FreshdeskCall], Answer]


@dataclass(frozen=True)
class FreshdeskEndpoint:
    method: str
    pattern: str  # the stats key, e.g. "/api/v2/tickets/{id}"
    regex: re.Pattern[str]
    handler: Handler
    kind: str = ""  # "update" or "list": the plan's category limit it also counts against


def compile_route(method: str, pattern: str, handler: Handler, kind: str = "") -> FreshdeskEndpoint:
    regex = pattern.replace("{id}", r"(\d+)").replace("{job_id}", r"([0-9A-Za-z_-]+)")
    return FreshdeskEndpoint(method, pattern, re.compile(f"^{regex}$"), handler, kind)


def positive_int(call: FreshdeskCall, name: str, default: int, maximum: int | None = None) -> int:
    raw = call.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1 or (maximum is not None and value > maximum):
        limit = f" less than or equal to {maximum}" if maximum is not None else ""
        raise validation_failed(
            field_error(name, f"It should be a Positive Integer{limit}", "datatype_mismatch")
        )
    return value


def body_object(call: FreshdeskCall) -> dict[str, Any]:
    if not isinstance(call.body, dict):
        raise ApiError(
            400, {"code": "invalid_json", "message": "Request body must be a JSON object"}
        )
    return call.body


def paged(
    call: FreshdeskCall,
    items: list[Any],
    *,
    per_page_default: int = 30,
    max_page: int | None = None,
) -> Answer:
    """One page of ``items`` as a bare array, with ``Link`` when more follow."""
    per_page = positive_int(call, "per_page", per_page_default, 100)
    page = positive_int(call, "page", 1)
    if max_page is not None and page > max_page:
        raise validation_failed(
            field_error(
                "page",
                f"You cannot access pages beyond {max_page}. Please narrow down your results "
                "using updated_since",
                "invalid_value",
            )
        )
    chunk = items[(page - 1) * per_page : page * per_page]
    headers: dict[str, str] = {}
    if page * per_page < len(items):
        params = {**call.query, "page": str(page + 1), "per_page": str(per_page)}
        headers["Link"] = f'<{call.base}{call.path}?{urlencode(params)}>; rel="next"'
    return 200, chunk, headers

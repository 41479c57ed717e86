"""The Table API's endpoints (``/api/now/table/{table}[/{sys_id}]``) and the Batch API
(``POST /api/now/v1/batch``, which pysnc sends for long queries and multiple updates/deletes).

Each endpoint takes a ``TableCall`` and answers ``(status, body, headers)`` or raises the
shared kit's ``ApiError`` with ServiceNow's body. Lists page with ``sysparm_limit`` (an
instance's default 10000) and ``sysparm_offset`` and carry ``X-Total-Count`` and, unless
``sysparm_suppress_pagination_header=true``, ``Link`` (first, prev, next, last).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import orjson

from ....sandbox.httpbase import ApiError
from .audit_delete import record_deletion
from .config import bad_request, failure, invalid_table, no_record, not_authorized
from .query import QueryError, parse
from .shape import Shape
from .store import BadValue, ServiceNowStore
from .tables import NUMBERING, TASK_TABLES

_TABLE_PATH = re.compile(r"^/api/now(?:/v[12])?/table/([A-Za-z0-9_]+)(?:/([^/]+))?/?$")
BATCH_PATH = re.compile(r"^/api/now(?:/v1)?/batch/?$")
DEFAULT_LIMIT = 10_000

Answer = tuple[int, Any, dict[str, str]]


@dataclass(frozen=True)
class TableCall:
    method: str
    table: str
    sys_id: str | None
    query: dict[str, str]
    body: Any
    user: str
    base_url: str


def table_route(path: str) -> tuple[str, str | None] | None:
    """``(table, sys_id or None)`` of a Table API path, None for any other path."""
    found = _TABLE_PATH.match(path)
    return (found.group(1), found.group(2)) if found else None


def endpoint_key(method: str, path: str) -> str:
    """The stats and faults key of a request: ``GET /api/now/table/incident/{sys_id}``."""
    route = table_route(path)
    if route is not None:
        table, sys_id = route
        return f"{method} /api/now/table/{table}" + ("/{sys_id}" if sys_id else "")
    if BATCH_PATH.match(path):
        return f"{method} /api/now/v1/batch"
    return f"{method} {path}"


# Tables only an admin may change: the data dictionary alters the tables themselves, and the
# access controls say who reads and writes them. The access controls only an admin may read
# too (an instance answers anyone else's list 403).
ADMIN_TABLES = frozenset({"sys_dictionary", "sys_security_acl", "sys_security_acl_role"})
ADMIN_READ_TABLES = frozenset({"sys_security_acl", "sys_security_acl_role", "sys_audit_delete"})


def handle_table(
    store: ServiceNowStore, call: TableCall, refused: Callable[[str, dict[str, str]], bool]
) -> Answer:
    """Answer one Table API call; ``refused(table, record)``: whether a data policy refuses
    an update of that record (the ``invalid_ticket_ids`` knob)."""
    if not store.has_table(call.table):
        raise invalid_table(call.table)
    admin_only = ADMIN_TABLES if call.method != "GET" else ADMIN_READ_TABLES
    if call.table in admin_only and not store.has_role(call.user, "admin"):
        raise not_authorized(call.table)
    shape = Shape(store, call.base_url, call.query, call.table)
    if call.sys_id is None:
        if call.method == "GET":
            return _list(store, call, shape)
        if call.method == "POST":
            made = store.insert(call.table, _body(call.body), call.user)
            return 201, {"result": shape.render(made)}, {"Location": _link(call, made["sys_id"])}
        raise bad_request("Method not Supported", f"{call.method} needs a record's sys_id")
    row = store.find(call.table, call.sys_id)
    if row is None:
        raise no_record()
    if store.hidden(call.sys_id):
        raise not_authorized(call.table)
    if call.method == "GET":
        return 200, {"result": shape.render(row)}, {}
    if call.method in ("PATCH", "PUT"):
        body = _body(call.body)
        if refused(call.table, row):
            # An instance answers a data policy's (or a business rule's) refusal with 403.
            raise failure(
                403,
                "Operation Failed",
                "Data Policy Exception: the following fields are read only: state",
            )
        updated = store.update(call.table, call.sys_id, body, call.user)
        if updated is None:
            raise no_record()
        return 200, {"result": shape.render(updated)}, {}
    if call.method == "DELETE":
        store.delete(call.table, call.sys_id)
        record_deletion(store, call.table, row, call.user)
        return 204, None, {}
    raise bad_request("Method not Supported", call.method)


def _body(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise bad_request("Exception while reading request", "The payload is not a JSON object")
    for name, value in body.items():
        if isinstance(value, list) or (isinstance(value, dict) and "value" not in value):
            raise bad_request("Exception while reading request", f"Invalid value for {name}")
    return body


def _list(store: ServiceNowStore, call: TableCall, shape: Shape) -> Answer:
    try:
        query = parse(call.query.get("sysparm_query", ""))
        limit = int(call.query.get("sysparm_limit") or DEFAULT_LIMIT)
        offset = int(call.query.get("sysparm_offset") or 0)
    except QueryError as exc:
        raise bad_request(str(exc), call.query.get("sysparm_query")) from None
    except ValueError:
        raise bad_request("Invalid sysparm_limit or sysparm_offset") from None
    if offset < 0:
        raise bad_request(f"offset is {offset}", "Negative offset is not supported")
    if limit < 1:
        raise bad_request(f"limit is {limit}", "sysparm_limit must be positive")
    try:
        rows = store.select(call.table, query)
    except BadValue as exc:
        raise bad_request(str(exc)) from None
    page = rows[offset : offset + limit]
    headers: dict[str, str] = {}
    if call.query.get("sysparm_no_count", "false").lower() != "true":
        headers["X-Total-Count"] = str(len(rows))
    if call.query.get("sysparm_suppress_pagination_header", "false").lower() != "true":
        headers["Link"] = _pages(call, len(rows), limit, offset)
    return 200, {"result": [shape.render(row) for row in page]}, headers


def _link(call: TableCall, sys_id: str) -> str:
    return f"{call.base_url}/api/now/table/{call.table}/{sys_id}"


def _pages(call: TableCall, total: int, limit: int, offset: int) -> str:
    """The ``Link`` header an instance sends: first, prev and next when there are, last."""
    last = max(0, (total - 1) // limit * limit)

    def at(where: int, rel: str) -> str:
        params = {**call.query, "sysparm_limit": str(limit), "sysparm_offset": str(where)}
        return f'<{call.base_url}/api/now/table/{call.table}?{urlencode(params)}>;rel="{rel}"'

    links = [at(0, "first")]
    if offset > 0:
        links.append(at(max(0, offset - limit), "prev"))
    if offset + limit < total:
        links.append(at(offset + limit, "next"))
    links.append(at(last, "last"))
    return ",".join(links)


def refuses(invalid_ids: list[int]) -> Callable[[str, dict[str, str]], bool]:
    """Whether a data policy refuses the update of a task whose number's digits are listed."""

    def check(table: str, row: dict[str, str]) -> bool:
        if table not in TASK_TABLES or table not in NUMBERING or not invalid_ids:
            return False
        digits = "".join(c for c in row.get("number", "") if c.isdigit())
        return bool(digits) and int(digits) in invalid_ids

    return check


# --- the Batch API ---------------------------------------------------------------------


def run_batch(body: Any, serve_one: Callable[[str, str, Any], Answer]) -> dict[str, Any]:
    """Answer a batch: each ``rest_requests`` item served by ``serve_one(method, url, body)``
    and given back base64-encoded, as ``serviced_requests``."""
    if not isinstance(body, dict) or not isinstance(body.get("rest_requests"), list):
        raise bad_request("Exception while reading request", "rest_requests is required")
    serviced = []
    for item in body["rest_requests"]:
        if not isinstance(item, dict) or not isinstance(item.get("url"), str):
            raise bad_request("Exception while reading request", "each request needs a url")
        method = str(item.get("method", "GET")).upper()
        try:
            raw = base64.b64decode(str(item.get("body") or ""), validate=True)
            inner = orjson.loads(raw) if raw.strip() else None
        except (binascii.Error, orjson.JSONDecodeError):
            raise bad_request("Exception while reading request", "a body is not JSON") from None
        try:
            status, payload, headers = serve_one(method, item["url"], inner)
        except ApiError as exc:
            status, payload, headers = exc.status, exc.body, exc.headers
        data = b"" if payload is None else orjson.dumps(payload)
        answer_headers = [{"name": "Content-Type", "value": "application/json;charset=UTF-8"}]
        answer_headers += [{"name": name, "value": value} for name, value in headers.items()]
        serviced.append(
            {
                "id": item.get("id"),
                "status_code": status,
                "status_text": "OK" if status < 400 else "Error",
                "headers": answer_headers,
                "body": base64.b64encode(data).decode(),
                "execution_time": 1,
            }
        )
    return {
        "batch_request_id": str(body.get("batch_request_id", "")),
        "serviced_requests": serviced,
        "unserviced_requests": [],
    }


def split_url(url: str) -> tuple[str, dict[str, str]]:
    """A batch item's relative URL as (path, query parameters)."""
    parts = urlsplit(url)
    return parts.path, dict(parse_qsl(parts.query, keep_blank_values=True))

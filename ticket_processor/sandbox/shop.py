"""The shop stand-in: a local Shopify Admin REST API (orders, their fulfillments, refunds) that
``ticketbot sandbox --shop`` serves, so a team tries its actions (``actions.toml``) and the tests
and benchmark call a shop without an account.

It speaks what a real shop answers under ``/admin/api/<version>/``: ``orders.json`` (list with
``name``, ``email``, ``status`` filters; ``POST`` creates an order as on a real shop),
``orders/<id>.json`` (``PUT`` sets its ``tags`` or ``note``), ``orders/<id>/refunds.json``
(list and create) and ``orders/<id>/refunds/calculate.json``; the ``X-Shopify-Access-Token``
header (401 without the right one, in Shopify's words); ``X-Shopify-Shop-Api-Call-Limit`` on
every answer and 429 with ``Retry-After`` past the bucket; Shopify's error bodies
(``{"errors": ...}``). A refund created with an ``Idempotency-Key`` header seen before answers
the refund it made then, not a second one. ``/openapi.json`` describes its orders and refunds
endpoints (``shop_openapi``).

Knobs for bad days (``faults``, one per request, in order; ``"hang POST"`` only for a ``POST``):
``429``, ``500``, ``garbage`` (a 200 whose body is not JSON), ``hang`` (no answer, nothing done,
for ``hang_seconds`` or until ``release`` is set), ``hold`` (the request done, its answer held
as long), ``stall`` (half the body, then nothing as long), ``trickle`` (the body a byte at a
time, ``trickle_seconds`` apart). ``calls`` records
every request (method, path, key) so a test counts what reached the shop.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from .httpbase import JsonHandler, JsonServer, close_server, start_thread
from .shop_openapi import shop_openapi

API_PATH = re.compile(r"^/admin/api/(?P<version>\d{4}-\d{2}|unstable)/(?P<rest>.+)$")
BUCKET_SIZE = 40  # Shopify's standard plan: a bucket of 40 calls, leaking 2 a second
LEAK_PER_SECOND = 2.0
INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"  # noqa: S105
SHOP_FAULTS = ("429", "500", "garbage", "hang", "hold", "stall", "trickle")


@dataclass
class ShopConfig:
    token: str = "sandbox-shop-token"  # noqa: S105 - the stand-in's documented default
    bucket: int = BUCKET_SIZE
    hang_seconds: float = 60.0
    trickle_seconds: float = 1.0
    retry_after: float = 2.0


@dataclass
class ShopCall:
    method: str
    path: str
    idempotency_key: str | None
    at: float = field(default_factory=time.monotonic)
    status: int = 0  # what it was answered (0: not yet, or never)


@dataclass
class ShopState:
    """The shop's orders and refunds, the scripted faults and the calls seen; one lock."""

    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    refunds_by_key: dict[str, dict[str, Any]] = field(default_factory=dict)
    faults: list[str] = field(default_factory=list)
    calls: list[ShopCall] = field(default_factory=list)
    next_id: int = 450789469
    bucket_level: float = 0.0
    bucket_at: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    release: threading.Event = field(default_factory=threading.Event)  # ends hangs and holds

    def take_fault(self, method: str) -> str | None:
        """The first scripted fault for a request of ``method`` (under the lock)."""
        for index, item in enumerate(self.faults):
            fault, _, only = item.partition(" ")
            if not only or only == method:
                del self.faults[index]
                return fault
        return None

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def refunds(self, order_id: int | None = None) -> list[dict[str, Any]]:
        """Every refund made (of one order when given)."""
        with self.lock:
            found = [
                r
                for o in self.orders.values()
                for r in o["refunds"]
                if order_id is None or o["id"] == order_id
            ]
        return found


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _money(value: object) -> str:
    try:
        return f"{float(str(value)):.2f}"
    except ValueError:
        return "0.00"


def _tags(value: object) -> str:
    """Tags as a shop keeps them: comma-separated, each trimmed, blanks dropped."""
    return ", ".join(t.strip() for t in str(value or "").split(",") if t.strip())


def make_order(state: ShopState, given: dict[str, Any]) -> dict[str, Any]:
    """An order as a shop keeps it, from ``POST orders.json``'s ``order`` (under the lock)."""
    order_id = state.new_id()
    number = 1000 + len(state.orders) + 1
    lines = given.get("line_items") or []
    total = given.get("total_price")
    if total is None:
        total = sum(
            float(str(i.get("price", 0))) * int(i.get("quantity", 1))
            for i in lines
            if isinstance(i, dict)
        )
    tracking = given.get("fulfillments") or []
    fulfillments = [
        {
            "id": state.new_id(),
            "order_id": order_id,
            "status": "success",
            "created_at": _now(),
            "tracking_company": f.get("tracking_company"),
            "tracking_number": f.get("tracking_number"),
            "tracking_numbers": [f["tracking_number"]] if f.get("tracking_number") else [],
            "tracking_url": f.get("tracking_url"),
            "tracking_urls": [f["tracking_url"]] if f.get("tracking_url") else [],
            "shipment_status": f.get("shipment_status"),
        }
        for f in tracking
        if isinstance(f, dict)
    ]
    order = {
        "id": order_id,
        "name": given.get("name") or f"#{number}",
        "order_number": number,
        "email": given.get("email") or "",
        "created_at": _now(),
        "updated_at": _now(),
        "currency": given.get("currency") or "USD",
        "total_price": _money(total),
        "financial_status": given.get("financial_status") or "paid",
        "fulfillment_status": "fulfilled" if fulfillments else given.get("fulfillment_status"),
        "cancelled_at": None,
        "tags": _tags(given.get("tags")),
        "note": given.get("note"),
        "line_items": lines,
        "fulfillments": fulfillments,
        "refunds": [],
    }
    state.orders[order_id] = order
    return order


class _Answer(Exception):
    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


class ShopHandler(JsonHandler):
    server: ShopServer

    def handle_request(self) -> None:
        shop = self.server
        parts = urlsplit(self.path)
        key = self.headers.get("Idempotency-Key")
        call = ShopCall(self.command, self.path, key)  # the query too: which order
        with shop.state.lock:
            shop.state.calls.append(call)
            fault = shop.state.take_fault(self.command)
        if parts.path == "/openapi.json":  # the description is public, as a published one is
            self.send_json(200, shop_openapi())
            return
        try:
            if self.headers.get("X-Shopify-Access-Token") != shop.config.token:
                raise _Answer(401, {"errors": INVALID_TOKEN})
            level = self._leak()
            if fault == "429" or level > shop.config.bucket:
                after = str(shop.config.retry_after)
                msg = "Exceeded 2 calls per second for api client. Reduce request rates to resume."
                raise _Answer(429, {"errors": msg}, {"Retry-After": after})
            if fault == "500":
                raise _Answer(500, {"errors": "Internal Server Error"})
            if fault == "hang":
                shop.state.release.wait(shop.config.hang_seconds)
            match = API_PATH.match(parts.path)
            if match is None:
                raise _Answer(404, {"errors": "Not Found"})
            status, body = self._route(match["rest"], parse_qs(parts.query), key)
            if fault == "hold":  # done, and the answer lost on its way for a while
                shop.state.release.wait(shop.config.hang_seconds)
            limit = {"X-Shopify-Shop-Api-Call-Limit": f"{int(level)}/{shop.config.bucket}"}
            if fault == "garbage":
                self._raw(200, b"<html><body>Shop is busy</body></html>", "text/html")
            elif fault == "trickle":
                self._trickle(orjson.dumps(body))
            elif fault == "stall":
                self._stall(orjson.dumps(body))
            else:
                self.send_json(status, body, limit)
            call.status = status
        except _Answer as answer:
            self.send_json(answer.status, answer.body, answer.headers)
            call.status = answer.status

    def _leak(self) -> float:
        state, now = self.server.state, time.monotonic()
        with state.lock:
            leaked = (now - state.bucket_at) * LEAK_PER_SECOND if state.bucket_at else 0.0
            state.bucket_level = max(0.0, state.bucket_level - leaked) + 1
            state.bucket_at = now
            return state.bucket_level

    def _raw(self, status: int, payload: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _stall(self, payload: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload[: len(payload) // 2])
        self.wfile.flush()
        self.server.state.release.wait(self.server.config.hang_seconds)

    def _trickle(self, payload: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        for byte in payload:
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
            time.sleep(self.server.config.trickle_seconds)

    def _route(self, rest: str, query: dict[str, list[str]], key: str | None) -> tuple[int, Any]:
        state = self.server.state
        if rest == "orders.json":
            if self.command == "POST":
                given = self._body().get("order")
                if not isinstance(given, dict):
                    raise _Answer(400, {"errors": {"order": "Required parameter missing"}})
                with state.lock:
                    return 201, {"order": make_order(state, given)}
            return 200, {"orders": self._listed(query)}
        found = re.fullmatch(r"orders/(\d+)(\.json|/refunds\.json|/refunds/calculate\.json)", rest)
        if found is None:
            raise _Answer(404, {"errors": "Not Found"})
        with state.lock:
            order = state.orders.get(int(found[1]))
        if order is None:
            raise _Answer(404, {"errors": "Not Found"})
        if found[2] == ".json" and self.command == "PUT":
            return self._update(order)
        if found[2] == ".json":
            return 200, {"order": order}
        if found[2] == "/refunds.json" and self.command == "GET":
            return 200, {"refunds": order["refunds"]}
        if found[2] == "/refunds.json" and self.command == "POST":
            return self._refund(order, key)
        return 200, {"refund": {"order_id": order["id"], "transactions": self._lines(order)}}

    def _update(self, order: dict[str, Any]) -> tuple[int, Any]:
        """``PUT orders/<id>.json``: its ``tags`` (all of them: a shop replaces the list) and
        ``note`` set as given."""
        given = self._body().get("order")
        if not isinstance(given, dict):
            raise _Answer(400, {"errors": {"order": "Required parameter missing"}})
        with self.server.state.lock:
            if "tags" in given:
                order["tags"] = _tags(given["tags"])
            if "note" in given:
                order["note"] = given["note"]
            order["updated_at"] = _now()
        return 200, {"order": order}

    def _body(self) -> dict[str, Any]:
        try:
            body = self.read_json()
        except ValueError:
            raise _Answer(400, {"errors": "The request body is not JSON"}) from None
        return body if isinstance(body, dict) else {}

    def _listed(self, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        name = (query.get("name") or [""])[0].lstrip("#")
        email = (query.get("email") or [""])[0].casefold()
        with self.server.state.lock:
            orders = list(self.server.state.orders.values())
        return [
            o
            for o in orders
            if (not name or o["name"].lstrip("#") == name)
            and (not email or o["email"].casefold() == email)
        ]

    def _lines(self, order: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"kind": "suggested_refund", "amount": order["total_price"], "gateway": "manual"}]

    def _refund(self, order: dict[str, Any], key: str | None) -> tuple[int, Any]:
        state = self.server.state
        given = self._body().get("refund")
        if not isinstance(given, dict):
            raise _Answer(400, {"errors": {"refund": "Required parameter missing"}})
        with state.lock:
            if key and key in state.refunds_by_key:
                return 201, {"refund": state.refunds_by_key[key]}
            refunded = sum(
                float(t["amount"]) for r in order["refunds"] for t in r.get("transactions", [])
            )
            asked = given.get("transactions") or []
            amount = sum(float(_money(t.get("amount"))) for t in asked if isinstance(t, dict))
            if amount <= 0 or refunded + amount > float(order["total_price"]) + 1e-9:
                raise _Answer(422, {"errors": {"base": ["Amount cannot exceed the order total"]}})
            refund = {
                "id": state.new_id(),
                "order_id": order["id"],
                "created_at": _now(),
                "note": given.get("note"),
                "transactions": [
                    {
                        "id": state.new_id(),
                        "kind": "refund",
                        "status": "success",
                        "amount": _money(amount),
                        "currency": order["currency"],
                        "gateway": "manual",
                    }
                ],
            }
            order["refunds"].append(refund)
            whole = refunded + amount >= float(order["total_price"]) - 1e-9
            order["financial_status"] = "refunded" if whole else "partially_refunded"
            if key:
                state.refunds_by_key[key] = refund
        return 201, {"refund": refund}


class ShopServer(JsonServer):
    flavour = "shop"

    def __init__(self, address: tuple[str, int], config: ShopConfig) -> None:
        super().__init__(address, ShopHandler)
        self.config = config
        self.state = ShopState()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else host
        return f"http://{name}:{port}"


@contextmanager
def serve_shop(
    config: ShopConfig | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> Iterator[ShopServer]:
    """The shop stand-in serving in a thread (port 0: a free one), closed on leaving."""
    server = ShopServer((host, port), config or ShopConfig())
    thread = start_thread(server)
    try:
        yield server
    finally:
        server.shutdown()
        close_server(server, lambda: None)
        thread.join(timeout=5)


def seed_orders(state: ShopState, orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Orders made as ``POST orders.json`` makes them (the ``sandbox --shop`` samples, tests)."""
    with state.lock:
        return [make_order(state, given) for given in orders]


SAMPLE_ORDERS: list[dict[str, Any]] = [
    {
        "email": "customer1@example.com",
        "total_price": "59.90",
        "fulfillments": [
            {
                "tracking_company": "UPS",
                "tracking_number": "1Z999AA10123456784",
                "tracking_url": "https://www.ups.com/track?tracknum=1Z999AA10123456784",
                "shipment_status": "in_transit",
            }
        ],
    },
    {"email": "customer2@example.com", "total_price": "24.00"},
    {"email": "customer3@example.com", "total_price": "320.00", "financial_status": "paid"},
]

"""Actions declared by an operation of an OpenAPI description (``openapi`` + ``operation``)
instead of a method and URL: the description the shop stand-in serves and the docs ship, read
into the same calls as the hand-written example's; what the reader cannot resolve refused at
start-up with the reason; and, on every helpdesk, the operation-declared lookup and refund doing
what the hand-written ones do."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
import requests
from support.cli import invoke
from support.shop import EXAMPLE, notes_of, pointed_at, three_orders

from ticket_processor.actions.book import load_actions, parse_actions
from ticket_processor.errors import ConfigError
from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.sandbox.shop import ShopConfig, ShopServer
from ticket_processor.sandbox.shop_openapi import shop_openapi

TOKEN = "shpat_openapi_0123456789abcdef"
DOCS = EXAMPLE.parent
BY_OPERATION = DOCS / "actions-shopify-openapi.toml"
ENV = {"SHOPIFY_SHOP_URL": "https://s.example", "SHOPIFY_ACCESS_TOKEN": TOKEN}


@pytest.fixture
def shop(monkeypatch: pytest.MonkeyPatch) -> Iterator[ShopServer]:
    with pointed_at(monkeypatch, ShopConfig(token=TOKEN, retry_after=0.1)) as server:
        monkeypatch.setenv("TICKETBOT_ACTIONS", str(BY_OPERATION))
        yield server


def test_the_shipped_description_is_the_one_the_stand_in_serves(shop: ShopServer) -> None:
    shipped = json.loads((DOCS / "shopify-openapi.json").read_text("utf-8"))
    assert shipped == shop_openapi()
    assert requests.get(f"{shop.url}/openapi.json", timeout=10).json() == shipped


def test_an_operation_reads_into_the_call_a_team_would_write_by_hand() -> None:
    by_hand, by_operation = load_actions(EXAMPLE, ENV), load_actions(BY_OPERATION, ENV)
    for name in ("order_status", "refund_order"):
        hand, read = by_hand.named(name), by_operation.named(name)
        assert hand is not None
        assert read is not None
        wanted = hand.request.model_dump(include={"method", "url", "headers", "body"})
        assert read.request.model_dump(include={"method", "url", "headers", "body"}) == wanted


def test_a_description_is_read_from_a_url(shop: ShopServer, tmp_path: Path) -> None:
    text = BY_OPERATION.read_text("utf-8").replace(
        '"shopify-openapi.json"', json.dumps(f"{shop.url}/openapi.json")
    )
    lookup = parse_actions(text, tmp_path).named("order_status")
    assert lookup is not None
    assert lookup.request.url.endswith("/orders.json?name={order}&status=any")


LOOKUP = """
[[action]]
name = "x"
kind = "lookup"
owner = "email"
categories = ["a"]
inputs = { order = "order_number", order_id = "order_number" }
[action.request]
openapi = "d.json"
"""


@pytest.mark.parametrize(
    ("request_lines", "edit", "said"),
    [
        ('operation = "listOrder"', None, "operation 'listOrder' is not in the description"),
        ('operation = "listOrders"\nparams = { nme = "x" }', None, "params.nme is not a param"),
        ('operation = "listOrders"\nmethod = "GET"', None, "method: an operation's method"),
        ('operation = "createOrder"', None, "takes a JSON body; give it"),
        ('operation = "getOrder"\nbody = { a = 1 }', None, "takes no body"),
        ("", None, "openapi needs operation"),
        ('operation = "getOrder"', "cookie", "only path, query and header parameters"),
        ('operation = "getOrder"', "external", "only local #/components/parameters/"),
        ('operation = "getOrder"', "relative", "is not a full URL: give base_url"),
        ('operation = "getOrder"', "required", "give params.since: it is required"),
    ],
)
def test_what_the_reader_cannot_resolve_is_refused_at_start_up(
    tmp_path: Path, request_lines: str, edit: str | None, said: str
) -> None:
    description = shop_openapi()
    item = description["paths"]["/admin/api/2024-10/orders/{order_id}.json"]
    if edit == "cookie":
        item["get"]["parameters"] = [{"name": "session", "in": "cookie"}]
    elif edit == "external":
        item["parameters"] = [{"$ref": "other.json#/components/parameters/OrderId"}]
    elif edit == "relative":
        description["servers"] = [{"url": "/admin"}]
    elif edit == "required":
        item["get"]["parameters"] = [{"name": "since", "in": "query", "required": True}]
    (tmp_path / "d.json").write_bytes(orjson.dumps(description))
    with pytest.raises(ConfigError) as raised:
        parse_actions(LOOKUP + request_lines + "\n", tmp_path)
    assert said in str(raised.value)
    assert 'action "x": request' in str(raised.value)


def test_a_description_that_is_not_there_or_not_one_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the OpenAPI description"):
        parse_actions(LOOKUP + 'operation = "getOrder"\n', tmp_path)
    (tmp_path / "d.json").write_text('{"openapi": "3.0.3"}', "utf-8")
    with pytest.raises(ConfigError, match="is no OpenAPI description"):
        parse_actions(LOOKUP + 'operation = "getOrder"\n', tmp_path)


@pytest.mark.desk(configure=True)
def test_operation_declared_actions_look_up_and_refund_once(desk: Desk, shop: ShopServer) -> None:
    orders = three_orders(shop)
    alice, dave = orders["alice"]["name"], orders["dave"]["name"]
    found, refund = desk.create(
        [
            NewTicket(
                "Where is my order?", f"Where is my order {alice}?", sender="alice@example.com"
            ),
            NewTicket(
                "Refund please", f"Please refund my order {dave}.", sender="dave@example.com"
            ),
        ]
    )
    assert invoke("run", "--engine", "rules").exit_code == 0
    assert "1Z999AA10123456784" in notes_of(desk, found)
    assert "Proposed change refund_order" in notes_of(desk, refund)
    desk.agent_edit(refund, "ai_approve_refund_order", "normal")
    for _ in range(2):
        assert invoke("run", "--engine", "rules").exit_code == 0
    assert len(shop.state.refunds(int(str(orders["dave"]["id"])))) == 1
    assert os.environ["TICKETBOT_ACTIONS"] == str(BY_OPERATION)

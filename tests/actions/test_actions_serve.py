"""An agent approves a proposed change through ``serve``'s API (behind its token), on every
helpdesk; the run after makes it, once. A second approval, an unknown proposal and a missing
token are refused."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.cli import invoke
from support.serving import TOKEN, serve_env, serving
from support.shop import pointed_at

from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.sandbox.shop import ShopConfig, ShopServer, seed_orders

SHOP_TOKEN = "shpat_serve_0123456789abcdef"


@pytest.fixture
def shop(monkeypatch: pytest.MonkeyPatch) -> Iterator[ShopServer]:
    with pointed_at(monkeypatch, ShopConfig(token=SHOP_TOKEN)) as server:
        yield server


@pytest.mark.desk(configure=True)
def test_an_approval_through_serves_api_is_made_once(
    desk: Desk, shop: ShopServer, tmp_path: Path
) -> None:
    [order] = seed_orders(shop.state, [{"email": "dave@example.com", "total_price": "24.00"}])
    [ticket] = desk.create(
        [NewTicket("Refund", f"Please refund order {order['name']}.", sender="dave@example.com")]
    )
    assert invoke("run", "--engine", "rules").exit_code == 0
    env = serve_env(
        desk.env(),
        tmp_path,
        **{
            k: os.environ[k]
            for k in ("TICKETBOT_ACTIONS", "SHOPIFY_SHOP_URL", "SHOPIFY_ACCESS_TOKEN")
        },
    )
    asked = {"ticket_id": ticket, "action": "refund_order", "approver": "lena@example.com"}
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with serving(env) as server:
        url = f"{server.url}/api/v1/actions/approve"
        assert server.client.post(url, json=asked).status_code == 401
        unknown = server.client.post(url, json={**asked, "ticket_id": 999999}, headers=auth)
        assert unknown.status_code == 404
        approved = server.client.post(url, json=asked, headers=auth)
        assert approved.status_code == 202, approved.text
        again = server.client.post(url, json=asked, headers=auth)
        assert again.status_code == 409
    assert shop.state.refunds(int(str(order["id"]))) == []  # the run makes it, not the API
    for _ in range(2):
        assert invoke("run", "--engine", "rules").exit_code == 0
    assert len(shop.state.refunds(int(str(order["id"])))) == 1
    assert "approved by lena@example.com" in str(desk.held(ticket))

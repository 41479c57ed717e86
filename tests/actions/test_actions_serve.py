"""An agent approves a proposed change through ``serve``'s API (behind its token), on every
helpdesk; the run after makes it, once. A second approval, an unknown proposal and a missing
token are refused; with no token set at all, the API says so (503) rather than asking for one."""

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


@pytest.mark.desk(configure=True)
def test_an_approval_with_no_token_set_says_the_setting_is_missing(
    desk: Desk, tmp_path: Path
) -> None:
    """Before, the caller was told to send a bearer token (401), though none could be right;
    the triage API and serve's start-up warning already said 503, the setting not set."""
    env = serve_env(desk.env(), tmp_path, TICKETBOT_SERVE_TOKEN="")
    asked = {"ticket_id": 1, "action": "refund_order", "approver": "lena@example.com"}
    with serving(env) as server:
        url = f"{server.url}/api/v1/actions/approve"
        for headers in ({}, {"Authorization": "Bearer guessed-token-0123456789"}):
            refused = server.client.post(url, json=asked, headers=headers)
            assert refused.status_code == 503, refused.text
            assert "TICKETBOT_SERVE_TOKEN is not set" in refused.text

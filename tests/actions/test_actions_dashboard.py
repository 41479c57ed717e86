"""An agent signed in to the dashboard approves a proposed change from the ticket's page (its
CSRF token, its own origin), on every helpdesk; the next run makes it, once, naming who
approved. A post without the token or from another origin is refused."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from support.cli import invoke
from support.dashboard import TOKEN, bearer, csrf_of, start_dashboard
from support.shop import pointed_at

from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.sandbox.shop import ShopConfig, ShopServer, seed_orders

SHOP_TOKEN = "shpat_dash_0123456789abcdef"


@pytest.fixture
def shop(monkeypatch: pytest.MonkeyPatch) -> Iterator[ShopServer]:
    with pointed_at(monkeypatch, ShopConfig(token=SHOP_TOKEN)) as server:
        yield server


@pytest.mark.desk(configure=True)
def test_the_ticket_pages_approve_button_makes_the_change_once(
    desk: Desk, shop: ShopServer
) -> None:
    [order] = seed_orders(shop.state, [{"email": "dave@example.com", "total_price": "24.00"}])
    [ticket] = desk.create(
        [NewTicket("Refund", f"Please refund order {order['name']}.", sender="dave@example.com")]
    )
    assert invoke("run", "--engine", "rules").exit_code == 0
    with (
        start_dashboard(env={"TICKETBOT_DASHBOARD_TOKEN": TOKEN}) as url,
        httpx.Client(base_url=url, headers=bearer(), timeout=30) as client,
    ):
        page = client.get(f"/tickets/{ticket}")
        assert page.status_code == 200
        assert 'data-approve="refund_order"' in page.text
        form = {"action": "refund_order", "csrf": csrf_of(page.text)}
        target = f"/tickets/{ticket}/approve"
        assert client.post(target, data={"action": "refund_order"}).status_code == 403
        evil = client.post(target, data=form, headers={"origin": "http://evil.example"})
        assert evil.status_code == 403
        approved = client.post(target, data=form, headers={"origin": url})
        assert approved.status_code == 303
        assert "approved" in approved.headers["location"]
        assert "refused" not in approved.headers["location"]
        again = client.post(target, data=form, headers={"origin": url})
        assert "refused=1" in again.headers["location"]
    assert shop.state.refunds(int(str(order["id"]))) == []
    for _ in range(2):
        assert invoke("run", "--engine", "rules").exit_code == 0
    assert len(shop.state.refunds(int(str(order["id"])))) == 1
    assert "done, approved by" in str(desk.held(ticket))

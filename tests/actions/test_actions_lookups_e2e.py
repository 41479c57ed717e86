"""Lookups end to end on every helpdesk, against the shop stand-in (Shopify's Admin REST API),
on a bad day and with answers on: ``ticketbot run`` with the docs' example
``actions-shopify.toml``. (The changes' end to end tests: ``test_actions_e2e.py``.)

A shop that hangs leaves the ticket a note saying its lookup failed, within the run's bound;
with answers on, the customer's reply is drafted from the team's template for their own order
only.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.cli import invoke

from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.sandbox.shop import ShopConfig, ShopServer, seed_orders, serve_shop

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "actions-shopify.toml"
TOKEN = "shpat_test_0123456789abcdef"


@pytest.fixture
def shop(monkeypatch: pytest.MonkeyPatch) -> Iterator[ShopServer]:
    with serve_shop(ShopConfig(token=TOKEN, retry_after=0.1)) as server:
        monkeypatch.setenv("SHOPIFY_SHOP_URL", server.url)
        monkeypatch.setenv("SHOPIFY_ACCESS_TOKEN", TOKEN)
        monkeypatch.setenv("TICKETBOT_ACTIONS", str(EXAMPLE))
        yield server


def _orders(shop: ShopServer) -> dict[str, dict[str, object]]:
    made = seed_orders(
        shop.state,
        [
            {
                "email": "alice@example.com",
                "total_price": "59.90",
                "fulfillments": [
                    {
                        "tracking_company": "UPS",
                        "tracking_number": "1Z999AA10123456784",
                        "tracking_url": "https://www.ups.com/track?tracknum=1Z999AA10123456784",
                    }
                ],
            },
            {"email": "dave@example.com", "total_price": "24.00"},
            {"email": "carol@example.com", "total_price": "320.00"},
        ],
    )
    return {str(o["email"]).split("@")[0]: o for o in made}


def _notes(desk: Desk, ticket_id: int) -> str:
    return "\n".join(desk.snapshot(ticket_id).notes)


@pytest.mark.desk(configure=True)
def test_a_hanging_shop_is_a_failed_lookup_within_the_runs_bound(
    desk: Desk, shop: ShopServer
) -> None:
    orders = _orders(shop)
    shop.config.hang_seconds = 120
    shop.state.faults.extend(["hang"] * 20)
    try:
        [ticket] = desk.create(
            [
                NewTicket(
                    "Where is my order?",
                    f"Where is my order {orders['alice']['name']}?",
                    sender="alice@example.com",
                ),
            ]
        )
        result = invoke("run", "--engine", "rules", "--max-runtime", "3")
        assert result.exit_code == 0, result.output
    finally:
        shop.state.release.set()
    note = _notes(desk, ticket)
    assert "Lookup order_status failed (no answer" in note
    assert "1Z999AA10123456784" not in note


@pytest.mark.desk(configure=True)
def test_with_answers_on_the_teams_template_drafts_the_reply(
    desk: Desk, shop: ShopServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETBOT_ANSWER_MODE", "draft")
    orders = _orders(shop)
    alice = orders["alice"]["name"]
    ids = desk.create(
        [
            NewTicket(
                "Where is my order?", f"Where is my order {alice}?", sender="alice@example.com"
            ),
            NewTicket(
                "Where is my order?", f"Where is my order {alice}?", sender="mallory@example.com"
            ),
        ]
    )
    result = invoke("run", "--engine", "rules")
    assert result.exit_code == 0, result.output
    said = f"Your order {alice} is fulfilled: UPS tracking number 1Z999AA10123456784"
    assert said in _notes(desk, ids[0])
    assert "Your order" not in str(desk.held(ids[1]))  # nothing of it for someone else

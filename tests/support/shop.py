"""The Shopify stand-in as the actions' tests use it: served, with ticketbot pointed at it
through the example file (``docs/examples/actions-shopify.toml``) and its two settings; three
customers' orders; a ticket's notes as one text."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ticket_processor.sandbox.desks import Desk
from ticket_processor.sandbox.shop import ShopConfig, ShopServer, seed_orders, serve_shop

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "actions-shopify.toml"


@contextmanager
def pointed_at(monkeypatch: pytest.MonkeyPatch, config: ShopConfig) -> Iterator[ShopServer]:
    """A shop served with ``config``, the example actions reading it (its URL and token)."""
    with serve_shop(config) as server:
        monkeypatch.setenv("SHOPIFY_SHOP_URL", server.url)
        monkeypatch.setenv("SHOPIFY_ACCESS_TOKEN", config.token)
        monkeypatch.setenv("TICKETBOT_ACTIONS", str(EXAMPLE))
        yield server


def three_orders(shop: ShopServer) -> dict[str, dict[str, object]]:
    """Alice's shipped order (UPS tracking), Dave's and Carol's unshipped ones, by first name."""
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


def notes_of(desk: Desk, ticket_id: int) -> str:
    """The ticket's internal notes, one text."""
    return "\n".join(desk.snapshot(ticket_id).notes)

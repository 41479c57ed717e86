"""Lookups end to end on every helpdesk, against the shop stand-in (Shopify's Admin REST API),
on a bad day and with answers on: ``ticketbot run`` with the docs' example
``actions-shopify.toml``. (The changes' end to end tests: ``test_actions_e2e.py``.)

A shop that hangs leaves the ticket a note saying its lookup failed, within the run's bound;
with answers on, the customer's reply is drafted from the team's template for their own order
only, and with answers sent it is sent to them (once, never over an agent's reply).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.answers_desk import public_comments
from support.cli import invoke
from support.shop import notes_of, pointed_at, three_orders

from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.sandbox.shop import ShopConfig, ShopServer

TOKEN = "shpat_test_0123456789abcdef"


@pytest.fixture
def shop(monkeypatch: pytest.MonkeyPatch) -> Iterator[ShopServer]:
    with pointed_at(monkeypatch, ShopConfig(token=TOKEN, retry_after=0.1)) as server:
        yield server


@pytest.mark.desk(configure=True)
def test_a_hanging_shop_is_a_failed_lookup_within_the_runs_bound(
    desk: Desk, shop: ShopServer
) -> None:
    orders = three_orders(shop)
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
    note = notes_of(desk, ticket)
    assert "Lookup order_status failed (no answer" in note
    assert "1Z999AA10123456784" not in note


@pytest.mark.desk(configure=True)
def test_with_answers_on_the_teams_template_drafts_the_reply(
    desk: Desk, shop: ShopServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETBOT_ANSWER_MODE", "draft")
    orders = three_orders(shop)
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
    assert said in notes_of(desk, ids[0])
    assert "Your order" not in str(desk.held(ids[1]))  # nothing of it for someone else
    assert public_comments(desk, ids[0]) == []  # a draft: the customer is sent nothing


@pytest.mark.desk(configure=True)
def test_with_answers_sent_the_customer_receives_their_own_orders_status(
    desk: Desk, shop: ShopServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETBOT_ANSWER_MODE", "send")
    orders = three_orders(shop)
    alice, dave = orders["alice"]["name"], orders["dave"]["name"]
    ids = desk.create(
        [
            NewTicket(
                "Where is my order?", f"Where is my order {alice}?", sender="alice@example.com"
            ),
            NewTicket(
                "Where is my order?", f"Where is my order {alice}?", sender="mallory@example.com"
            ),
            NewTicket("Order status", f"Any news of my order {dave}?", sender="dave@example.com"),
            NewTicket(
                "Where is my order?",
                f"Where is my order {orders['carol']['name']}?",
                sender="carol@example.com",
            ),
            NewTicket("Where is my order?", "Where is my order #9999?", sender="erin@example.com"),
        ]
    )
    desk.agent_replies(ids[3], "Let me check that for you.")
    for _ in range(2):  # the second run sends nothing again
        result = invoke("run", "--engine", "rules")
        assert result.exit_code == 0, result.output
    [sent] = public_comments(desk, ids[0])
    assert (
        f"Your order {alice} is fulfilled: UPS tracking number 1Z999AA10123456784 "
        "(https://www.ups.com/track?tracknum=1Z999AA10123456784)." in sent
    )
    assert public_comments(desk, ids[1]) == []  # someone else's order: no reply at all
    assert "not the requester's" in notes_of(desk, ids[1])
    [pending] = public_comments(desk, ids[2])
    assert f"Your order {dave} has not shipped yet (payment: paid)." in pending
    # An agent answered first: the reply stays the agents' draft; no such order: no reply.
    assert [c for c in public_comments(desk, ids[3]) if "Your order" in c] == []
    assert "Your order" in notes_of(desk, ids[3])
    assert [c for c in public_comments(desk, ids[4]) if "Your order" in c] == []


@pytest.mark.desk(configure=True)
def test_a_token_the_shop_refuses_is_said_once_for_the_run(
    desk: Desk, shop: ShopServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wrong or expired token fails every ticket's lookup alike: each note says its lookup
    failed, and the run says once what to check, not a ticket at a time."""
    orders = three_orders(shop)
    monkeypatch.setenv("SHOPIFY_ACCESS_TOKEN", "shpat_expired_token_0000")
    tickets = desk.create(
        [
            NewTicket(
                "Where is my order?",
                f"Where is my order {orders[name]['name']}?",
                sender=f"{name}@example.com",
            )
            for name in ("alice", "dave")
        ]
    )
    result = invoke("run", "--engine", "rules")
    assert result.exit_code == 0, result.output
    for ticket in tickets:
        assert "Lookup order_status failed (HTTP 401" in notes_of(desk, ticket)
    said = [
        line for line in result.output.splitlines() if "refused ticketbot's credentials" in line
    ]
    assert len(said) == 1, result.output
    assert "order_status" in said[0]
    assert "HTTP 401" in said[0]
    assert "on 2 lookup(s)" in said[0]
    assert "shpat_expired_token_0000" not in result.output

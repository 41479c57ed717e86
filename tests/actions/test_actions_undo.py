"""``ticketbot revert --run`` of a run that made changes, on every helpdesk, against the shop
stand-in: the example's ``hold_order`` (a tag on the order) declares its undo, which revert calls
once, putting back the tags the lookup saw; ``refund_order`` declares none, and revert says so
and leaves the refund made. An undo the shop did not answer stays owed and the same revert run
again makes it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.answers_desk import private_notes
from support.cli import invoke
from support.e2e import events
from support.shop import pointed_at

from ticket_processor.actions.owed import ChangeStore
from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.sandbox.shop import ShopConfig, ShopServer, seed_orders

TOKEN = "shpat_undo_0123456789abcdef"


@pytest.fixture
def shop(monkeypatch: pytest.MonkeyPatch) -> Iterator[ShopServer]:
    # A 429's Retry-After longer than a change's bound: the call is left owed, not waited out.
    with pointed_at(monkeypatch, ShopConfig(token=TOKEN, retry_after=120)) as server:
        yield server


def _approving_run(desk: Desk, shop: ShopServer) -> tuple[str, dict[str, int], dict[str, int]]:
    """Alice's order held (tagged) and Dave's refunded by one run, each approved by an agent:
    (that run's id, ticket by first name, order id by first name)."""
    alice, dave = seed_orders(
        shop.state,
        [
            {"email": "alice@example.com", "total_price": "59.90", "tags": "vip"},
            {"email": "dave@example.com", "total_price": "24.00"},
        ],
    )
    held, refunded = desk.create(
        [
            NewTicket(
                "Moving house",
                f"Please hold my order {alice['name']}, I am moving next week.",
                sender="alice@example.com",
            ),
            NewTicket("Refund", f"Please refund order {dave['name']}.", sender="dave@example.com"),
        ]
    )
    assert invoke("run", "--engine", "rules").exit_code == 0
    desk.agent_edit(held, "ai_approve_hold_order", "normal")
    desk.agent_edit(refunded, "ai_approve_refund_order", "normal")
    assert invoke("run", "--engine", "rules").exit_code == 0
    log_dir = Path(os.environ["TICKETBOT_LOG_DIR"])
    made = [e for e in events(log_dir) if e["event"] == "action_called" and e["kind"] == "change"]
    assert {(e["action"], e["status"]) for e in made} == {
        ("hold_order", "done"),
        ("refund_order", "done"),
    }
    ids = {"alice": int(str(alice["id"])), "dave": int(str(dave["id"]))}
    return str(made[0]["run_id"]), {"alice": held, "dave": refunded}, ids


def _puts(shop: ShopServer, order_id: int) -> int:
    return sum(1 for c in shop.state.calls if c.method == "PUT" and f"/{order_id}.json" in c.path)


@pytest.mark.desk(configure=True)
def test_revert_calls_a_declared_undo_once_and_names_a_change_without_one(
    desk: Desk, shop: ShopServer
) -> None:
    run_id, tickets, orders = _approving_run(desk, shop)
    assert shop.state.orders[orders["alice"]]["tags"] == "vip, hold"

    dry = invoke("revert", "--run", run_id, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert f"ticket {tickets['alice']}: change hold_order" in dry.output
    assert "its undo would be called" in dry.output
    assert shop.state.orders[orders["alice"]]["tags"] == "vip, hold"

    reverted = invoke("revert", "--run", run_id)
    assert reverted.exit_code == 0, reverted.output
    assert f"ticket {tickets['alice']}: change hold_order" in reverted.output
    assert "undone" in reverted.output
    assert f"ticket {tickets['dave']}: change refund_order" in reverted.output
    assert "has no undo declared: it stays made" in reverted.output
    assert shop.state.orders[orders["alice"]]["tags"] == "vip"  # the tags the lookup saw
    assert len(shop.state.refunds(orders["dave"])) == 1  # a refund stays made
    said = [n for n in private_notes(desk, tickets["alice"]) if "undone by ticketbot revert" in n]
    assert len(said) == 1

    again = invoke("revert", "--run", run_id)
    assert "was undone before" in again.output, again.output
    assert _puts(shop, orders["alice"]) == 2  # the hold, and its undo once
    assert len([n for n in private_notes(desk, tickets["alice"]) if "undone by" in n]) == 1


@pytest.mark.desk(configure=True)
def test_an_undo_the_shop_did_not_answer_stays_owed_and_is_made_by_the_next_revert(
    desk: Desk, shop: ShopServer
) -> None:
    run_id, tickets, orders = _approving_run(desk, shop)
    shop.state.faults.append("429 PUT")
    first = invoke("revert", "--run", run_id)
    assert first.exit_code != 0
    assert "run this revert again" in first.output, first.output
    store = ChangeStore(Path(os.environ["TICKETBOT_STATE_DIR"]))
    assert store.owe_undo(tickets["alice"], "hold_order", run_id).status == "owed"
    assert shop.state.orders[orders["alice"]]["tags"] == "vip, hold"

    second = invoke("revert", "--run", run_id)
    assert second.exit_code == 0, second.output
    assert f"ticket {tickets['alice']}: change hold_order" in second.output
    assert shop.state.orders[orders["alice"]]["tags"] == "vip"

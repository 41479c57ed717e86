"""Actions end to end on every helpdesk, against the shop stand-in (Shopify's Admin REST API):
``ticketbot run`` with the docs' example ``actions-shopify.toml``.

A customer asking where their order is gets its status in the note; one naming another
customer's order gets nothing of it, and the note says so. A refund is proposed and nothing
reaches the shop until an agent adds ``ai_approve_refund_order``; then exactly one refund is
made, however many runs follow; a refund over the ceiling is refused with its reason, approved
or not.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.cli import invoke
from support.shop import EXAMPLE, notes_of, pointed_at, three_orders

from ticket_processor.helpdesks.capabilities import TagAuthors
from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.sandbox.shop import ShopConfig, ShopServer, seed_orders

TOKEN = "shpat_test_0123456789abcdef"


@pytest.fixture
def shop(monkeypatch: pytest.MonkeyPatch) -> Iterator[ShopServer]:
    with pointed_at(monkeypatch, ShopConfig(token=TOKEN, retry_after=0.1)) as server:
        yield server


def _refund_posts(shop: ShopServer) -> int:
    return sum(1 for c in shop.state.calls if c.method == "POST" and "refunds" in c.path)


@pytest.mark.desk(configure=True)
def test_lookup_answers_only_the_owner_and_a_refund_waits_for_an_agent(
    desk: Desk, shop: ShopServer
) -> None:
    orders = three_orders(shop)
    alice, dave, carol = (orders[n]["name"] for n in ("alice", "dave", "carol"))
    ids = desk.create(
        [
            NewTicket(
                "Where is my order?", f"Hi, where is my order {alice}?", sender="alice@example.com"
            ),
            NewTicket(
                "Where is my order?",
                f"Where is my order {alice}? It is late.",
                sender="mallory@example.com",
            ),
            NewTicket(
                "Refund please",
                f"Please refund my order {dave}, it never came.",
                sender="dave@example.com",
            ),
            NewTicket(
                "Refund please", f"I want a refund for order {carol}.", sender="carol@example.com"
            ),
        ]
    )
    first = invoke("run", "--engine", "rules")
    assert first.exit_code == 0, first.output

    owner = notes_of(desk, ids[0])
    assert "1Z999AA10123456784" in owner
    assert "Lookup order_status" in owner
    stranger = notes_of(desk, ids[1])
    assert "not the requester's" in stranger
    assert "1Z999AA10123456784" not in stranger
    assert "59.90" not in stranger
    assert "Proposed change refund_order" in notes_of(desk, ids[2])
    assert "ai_approve_refund_order" in notes_of(desk, ids[2])
    assert "over the ceiling" in notes_of(desk, ids[3])
    assert _refund_posts(shop) == 0  # nothing before an approval
    assert TOKEN not in owner + stranger

    for ticket_id in (ids[2], ids[3]):
        desk.agent_edit(ticket_id, "ai_approve_refund_order", "normal")
    for _ in range(2):  # approved once; a later run repeats nothing
        again = invoke("run", "--engine", "rules")
        assert again.exit_code == 0, again.output
    assert len(shop.state.refunds(int(str(orders["dave"]["id"])))) == 1
    assert shop.state.refunds(int(str(orders["carol"]["id"]))) == []
    assert _refund_posts(shop) == 1
    assert "Change refund_order" in str(desk.held(ids[2]))
    assert "done, approved by" in str(desk.held(ids[2]))
    assert "over the ceiling" in str(desk.held(ids[3]))
    with sqlite3.connect(Path(os.environ["TICKETBOT_STATE_DIR"]) / "audit.sqlite3") as db:
        stored = db.execute(
            "SELECT ticket_id, kind, ok, fields, error FROM writes WHERE kind = 'action'"
        ).fetchall()
    [(ticket_id, _, ok, fields, _)] = stored  # the one refund, in the audit store
    assert (ticket_id, ok) == (ids[2], 1)
    assert json.loads(fields)["status"] == "done"
    assert json.loads(fields)["approver"]  # who approved it, as the helpdesk names them
    assert json.loads(fields)["inputs"] == ["amount", "order_id"]  # names, never the values
    report = invoke("report", "--json")
    assert report.exit_code == 0, report.output
    counted = json.loads(report.output)["actions"]
    assert counted["lookups_found"] == 3  # alice's, and the two refunds' own orders
    assert counted["lookups_not_theirs"] == 1
    assert counted["changes_proposed"] == 1
    assert counted["changes_done"] == 1
    assert counted["changes_refused"] == 1  # over the ceiling: refused as it was proposed


def test_a_kind_that_names_a_tags_author_is_asked() -> None:
    """The capability is a runtime protocol: a helpdesk without it is not taken for one."""
    assert not isinstance(object(), TagAuthors)


@pytest.mark.desk(configure=True)
def test_a_customers_own_approval_tag_is_refused(desk: Desk, shop: ShopServer) -> None:
    orders = three_orders(shop)
    [ticket] = desk.create(
        [
            NewTicket(
                "Refund please",
                f"Please refund my order {orders['dave']['name']}.",
                sender="dave@example.com",
            ),
        ]
    )
    assert invoke("run", "--engine", "rules").exit_code == 0
    if not desk.customer_tags(ticket, "ai_approve_refund_order"):
        # No channel lets a customer tag a ticket here; a tag there before the proposal
        # (on a ticket a customer opened with it) is refused instead.
        [tagged] = desk.create(
            [
                NewTicket(
                    "Refund please",
                    f"Please refund my order {orders['dave']['name']}.",
                    sender="dave@example.com",
                    tags=("ai_approve_refund_order",),
                ),
            ]
        )
        assert invoke("run", "--engine", "rules").exit_code == 0
        assert "was on the ticket before the proposal" in notes_of(desk, tagged)
    for _ in range(2):
        assert invoke("run", "--engine", "rules").exit_code == 0
    assert _refund_posts(shop) == 0
    if "not an agent" not in str(desk.held(ticket)):  # refused, and said so, where tagged
        assert desk.customer_tags(ticket, "ai_approve_refund_order") is False


@pytest.mark.desk(configure=True)
def test_a_changes_rate_leaves_the_rest_for_the_next_run(
    desk: Desk, shop: ShopServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    capped = EXAMPLE.read_text("utf-8").replace(
        "max_amount = 200.0", "max_amount = 200.0\nmax_per_run = 1"
    )
    assert "max_per_run = 1" in capped
    (tmp_path / "actions.toml").write_text(capped, "utf-8")
    monkeypatch.setenv("TICKETBOT_ACTIONS", str(tmp_path / "actions.toml"))
    orders = seed_orders(
        shop.state,
        [{"email": f"buyer{n}@example.com", "total_price": "10.00"} for n in range(2)],
    )
    ids = desk.create(
        [
            NewTicket("Refund", f"Please refund order {o['name']}.", sender=str(o["email"]))
            for o in orders
        ]
    )
    assert invoke("run", "--engine", "rules").exit_code == 0
    for ticket in ids:
        desk.agent_edit(ticket, "ai_approve_refund_order", "normal")
    assert invoke("run", "--engine", "rules").exit_code == 0
    assert len(shop.state.refunds()) == 1
    assert invoke("run", "--engine", "rules").exit_code == 0
    assert len(shop.state.refunds()) == 2

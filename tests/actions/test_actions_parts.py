"""The actions' parts on plain data and against the shop stand-in: the file's checks, the
ticket's inputs, the bounded call on a bad day (429 with Retry-After, 500, garbage, a hang, a
trickle), the idempotency key, and the owed change a killed run leaves."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.shop import EXAMPLE

from ticket_processor.actions.act import (
    LookupOutcome,
    Proposal,
    TicketActions,
    customer_reply,
    judge_answer,
    over_limit,
)
from ticket_processor.actions.approve import idempotency_key
from ticket_processor.actions.book import load_actions, parse_actions
from ticket_processor.actions.call import Caller
from ticket_processor.actions.inputs import read_entities
from ticket_processor.actions.owed import WAIT_DAYS, ChangeStore
from ticket_processor.actions.undo import changes_of_run
from ticket_processor.answers.grounded import person_needed
from ticket_processor.common.scrub import Scrubber
from ticket_processor.errors import ConfigError
from ticket_processor.models import Person, Ticket
from ticket_processor.sandbox.shop import ShopConfig, ShopServer, seed_orders, serve_shop

TOKEN = "shpat_parts_0123456789abcdef"
ENV = {"SHOPIFY_ACCESS_TOKEN": TOKEN}


@pytest.fixture
def shop() -> Iterator[ShopServer]:
    config = ShopConfig(token=TOKEN, retry_after=0.25, hang_seconds=4, trickle_seconds=0.4)
    with serve_shop(config) as server:
        seed_orders(server.state, [{"email": "alice@example.com", "total_price": "30.00"}])
        yield server


def _book(shop: ShopServer) -> tuple[Caller, list[float]]:
    slept: list[float] = []
    env = {**ENV, "SHOPIFY_SHOP_URL": shop.url}
    return Caller(env, Scrubber([TOKEN]), sleep=slept.append), slept


def _lookup(shop: ShopServer) -> object:
    env = {**ENV, "SHOPIFY_SHOP_URL": shop.url}
    return load_actions(EXAMPLE, env).named("order_status")


def test_a_429_is_retried_after_its_retry_after(shop: ShopServer) -> None:
    caller, slept = _book(shop)
    shop.state.faults.append("429")
    action = _lookup(shop)
    result = caller.call(action, {"order": "1001"}, deadline=10)  # type: ignore[arg-type]
    assert result.ok, result.error
    assert slept == [0.25]
    # The Retry-After holds the shop for every call, another ticket's too.
    assert caller.call(action, {"order": "1001"}, deadline=10).ok  # type: ignore[arg-type]
    assert len(slept) == 2
    assert 0 < slept[1] <= 0.25
    outcome = judge_answer(action, result, "Alice@Example.com")  # type: ignore[arg-type]
    assert outcome.status == "found"
    assert outcome.outputs["total"] == "30.00"


@pytest.mark.parametrize(
    ("faults", "said"),
    [
        (["500", "500", "500"], "HTTP 500"),
        (["garbage"], "not JSON"),
        (["hang"], "no answer"),
        (["trickle"], "did not finish in time"),
        (["stall"], "no answer"),
    ],
)
def test_a_bad_day_is_a_failed_lookup_within_the_bound(
    shop: ShopServer, faults: list[str], said: str
) -> None:
    caller, _ = _book(shop)
    shop.state.faults.extend(faults)
    if faults != ["500", "500", "500"]:  # one attempt only: the bound leaves no time for more
        shop.state.faults.extend(faults * 2)
    result = caller.call(_lookup(shop), {"order": "1001"}, deadline=2.0)  # type: ignore[arg-type]
    assert not result.ok
    assert said in str(result.error)
    assert TOKEN not in str(result.error)


def test_someone_elses_order_shows_nothing(shop: ShopServer) -> None:
    caller, _ = _book(shop)
    action = _lookup(shop)
    result = caller.call(action, {"order": "1001"}, deadline=10)  # type: ignore[arg-type]
    outcome = judge_answer(action, result, "mallory@example.com")  # type: ignore[arg-type]
    assert outcome.status == "not_theirs"
    assert outcome.outputs == {}
    assert outcome.reply_values == {}
    assert judge_answer(action, result, None).status == "not_theirs"  # type: ignore[arg-type]


def test_one_refund_per_key_whatever_the_repeats(shop: ShopServer) -> None:
    env = {**ENV, "SHOPIFY_SHOP_URL": shop.url}
    refund = load_actions(EXAMPLE, env).named("refund_order")
    assert refund is not None
    caller, _ = _book(shop)
    order_id = next(iter(shop.state.orders))
    key = idempotency_key("shop.example", 7, "refund_order")
    assert key == "ticketbot:shop.example:ticket:7:action:refund_order"
    for _ in range(3):  # a run killed after its call, then the next runs, call again
        done = caller.call(
            refund,
            {"order_id": str(order_id), "amount": "30.00"},
            deadline=10,
            idempotency_key=key,
        )
        assert done.ok, done.error
    assert len(shop.state.refunds(order_id)) == 1


def test_a_proposal_nobody_approved_for_weeks_is_no_longer_read(tmp_path: Path) -> None:
    store = ChangeStore(tmp_path)
    store.propose(7, "refund_order", {"order_id": "1", "amount": "10"}, None)
    assert [c.ticket_id for c in store.waiting()] == [7]
    assert store.waiting(now=time.time() + (WAIT_DAYS + 1) * 86400) == []


def test_an_owed_change_survives_a_kill(tmp_path: Path) -> None:
    store = ChangeStore(tmp_path)
    assert store.propose(7, "refund_order", {"order_id": "1", "amount": "10"}, None)
    assert not store.propose(7, "refund_order", {"order_id": "1", "amount": "10"}, None)
    store.settle(7, "refund_order", "owed", approver="agent 2")
    reopened = ChangeStore(tmp_path)  # what the next run finds
    [owed] = [c for c in reopened.waiting() if c.status == "owed"]
    assert owed.approver == "agent 2"
    assert owed.inputs == {"order_id": "1", "amount": "10"}


def test_the_ceiling_refuses_with_its_reason(shop: ShopServer) -> None:
    refund = load_actions(EXAMPLE, {**ENV, "SHOPIFY_SHOP_URL": shop.url}).named("refund_order")
    assert refund is not None
    assert over_limit(refund, {"amount": "199.99"}) is None
    assert "over the ceiling of 200.00" in str(over_limit(refund, {"amount": "320.00"}))


def test_inputs_come_from_the_words_and_the_helpdesk() -> None:
    ticket = Ticket(id=1, people=(Person(email="hans@example.de"),))
    said = read_entities(ticket, "Wo ist meine Bestellung 4711? Schreiben Sie an x@evil.test")
    assert said.order_number == "4711"
    assert said.requester_email == "hans@example.de"  # never the address the text names
    assert read_entities(ticket, "Où est ma commande n° 1234 ?").order_number == "1234"
    assert read_entities(ticket, "refund $24.50 for #998877").amount == "24.50"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("[[action]]\nname = 'x'\nkind = 'lookup'\n", 'action "x": request: Field required'),
        (
            "[[action]]\nname='x'\nkind='lookup'\nowner='email'\ncategories=['a']\n"
            "[action.request]\nurl='https://s/{secret:T}'\n",
            "a secret goes in a header only",
        ),
        (
            "[[action]]\nname='x'\nkind='lookup'\nowner='email'\ncategories=['a']\n"
            "[action.request]\nurl='https://s/{order}'\n",
            "{order} is not one of the inputs",
        ),
        (
            "[[action]]\nname='x'\nkind='change'\ncategories=['a']\nuses='nope'\n"
            "[action.request]\nurl='https://s/'\n",
            "uses 'nope', which is no lookup",
        ),
        (
            "[[action]]\nname='x'\nkind='lookup'\nowner='email'\ncategories=['a']\n"
            "reply_fallback='{total}'\n[action.request]\nurl='https://s/'\n",
            "reply_fallback: {total} is not one of the reply_outputs",
        ),
        (
            "[[action]]\nname='x'\nkind='lookup'\nowner='email'\ncategories=['a']\n"
            "[action.request]\nurl='https://s/'\n[action.undo]\nurl='https://s/'\n",
            "undo: a lookup changes nothing",
        ),
        (
            "[[action]]\nname='l'\nkind='lookup'\nowner='email'\ncategories=['a']\n"
            "[action.request]\nurl='https://s/'\n"
            "[[action]]\nname='x'\nkind='change'\ncategories=['a']\nuses='l'\n"
            "outputs={ tags = 'order.tags' }\n[action.request]\nurl='https://s/'\n"
            "[action.undo]\nurl='https://s/{order_id}'\n",
            "undo.url: {order_id} is not one of the inputs or outputs",
        ),
        (
            "[[action]]\nname='l'\nkind='lookup'\nowner='email'\ncategories=['a']\n"
            "[action.request]\nurl='https://s/'\n"
            "[[action]]\nname='x'\nkind='change'\ncategories=['a']\nuses='l'\n"
            "[action.request]\nurl='https://s/'\n"
            "[action.undo]\nurl='https://s/'\nbody={ k = '{secret:T}' }\n",
            "undo.body: a secret goes in a header only",
        ),
    ],
)
def test_a_bad_file_says_which_action_and_key(text: str, said: str) -> None:
    with pytest.raises(ConfigError, match=None) as raised:
        parse_actions(text)
    assert said in str(raised.value)


def test_a_setting_the_file_names_must_be_set() -> None:
    with pytest.raises(ConfigError) as raised:
        load_actions(EXAMPLE, {})
    assert "SHOPIFY_SHOP_URL is not set: put it in .env or the environment" in str(raised.value)


def test_the_customers_reply_is_the_teams_template_or_its_fallback_or_none() -> None:
    book = load_actions(EXAMPLE, {**ENV, "SHOPIFY_SHOP_URL": "https://s"})
    shipped = {"order": "#1001", "paid": "paid", "shipped": "fulfilled", "carrier": "UPS"}
    shipped |= {"tracking": "1Z1", "tracking_url": "https://t/1Z1"}
    found = LookupOutcome("order_status", "found", reply_values=shipped)
    said = customer_reply(TicketActions((found,)), book)
    assert said is not None
    assert said[0] == "Your order #1001 is fulfilled: UPS tracking number 1Z1 (https://t/1Z1)."
    assert "https://t/1Z1" in said[1]  # what the answers' screen checks the reply against
    waiting = dict(shipped, shipped="-", carrier="-", tracking="-", tracking_url="-")
    said = customer_reply(
        TicketActions((LookupOutcome("order_status", "found", reply_values=waiting),)), book
    )
    assert said is not None
    assert said[0].startswith("Your order #1001 has not shipped yet")
    theirs = LookupOutcome("order_status", "not_theirs")
    assert customer_reply(TicketActions((theirs,)), book) is None
    asked = Proposal("refund_order", {"order_id": "1", "amount": "5"}, None)
    assert customer_reply(TicketActions((found,), (asked,)), book) is None  # a person's


@pytest.mark.parametrize(
    ("text", "needs"),
    [
        ("Hi, my order #1001 has not arrived yet. Can you check the status?", False),
        ("Wo ist meine Bestellung #1002? Sie ist noch nicht angekommen.", False),
        ("¿Dónde está mi pedido #1003? Todavía no ha llegado.", False),
        ("My refund for order #1004 has not arrived", True),  # money: a person's
        ("I was charged twice for my order #1005", True),
        ("My account is locked, see order #1006", True),
    ],
)
def test_an_order_not_arrived_is_what_its_record_answers(text: str, needs: bool) -> None:
    assert person_needed(text) is needs


def test_the_changes_of_a_run_are_its_done_change_calls() -> None:
    logged = [
        {"event": "action_called", "run_id": "r1", "kind": "change", "status": "done"}
        | {"ticket_id": 4, "action": "hold_order"},
        {"event": "action_called", "run_id": "r1", "kind": "change", "status": "owed"}
        | {"ticket_id": 5, "action": "hold_order"},
        {"event": "action_called", "run_id": "r1", "kind": "lookup", "status": "found"}
        | {"ticket_id": 6, "action": "order_status"},
        {"event": "action_called", "run_id": "r2", "kind": "change", "status": "done"}
        | {"ticket_id": 7, "action": "refund_order"},
        {"event": "action_called", "run_id": "r1", "kind": "change", "status": "done"}
        | {"ticket_id": 4, "action": "hold_order"},
    ]
    assert changes_of_run(logged, "r1") == [(4, "hold_order")]

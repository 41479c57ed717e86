"""``actions_bench``: the actions on each helpdesk's sandbox and the shop stand-in, with the docs'
``actions-shopify.toml`` and the keyword rules, ``ticketbot run`` as its own process: order
lookups, orders not the requester's, refunds with approval (one approval run killed with
kill -9), a hanging shop and a 429 (what it counts: docs/how-to/actions.md, "Measured").
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from scripts import command_parser
from ticket_processor.helpdesks.registry import KINDS
from ticket_processor.sandbox.desks import Desk, NewTicket, serve_desk
from ticket_processor.sandbox.shop import ShopConfig, ShopServer, seed_orders, serve_shop

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "docs" / "examples" / "actions-shopify.toml"
TOKEN = "shpat_bench_0123456789abcdef"
TAG = "ai_approve_refund_order"

WISMO = (
    "Where is my order {n}?",
    "Hi, my order {n} has not arrived yet. Can you check the status?",
    "Could you send me the tracking number for order {n}?",
    "Any update on my order {n}? It has been a week.",
    "Wo ist meine Bestellung {n}? Sie ist noch nicht angekommen.",
    "Hallo, wann kommt meine Bestellung {n}?",
    "Où est ma commande {n} ? Elle n'est toujours pas arrivée.",
    "Bonjour, pouvez-vous vérifier ma commande {n} ?",
    "¿Dónde está mi pedido {n}? Todavía no ha llegado.",
    "Waar is mijn bestelling {n}? Ik wacht al een week.",
)


def _run(env: dict[str, str], *args: str, timeout: float = 600) -> float:
    """``ticketbot run --engine rules ARGS`` as a process: its seconds."""
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "ticket_processor", "run", "--engine", "rules", *args],
        env=env,
        cwd=env["TICKETBOT_STATE_DIR"],
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    return time.monotonic() - started


def _killed_run(env: dict[str, str], shop: ShopServer) -> bool:
    """A run SIGKILLed once its first refund call reached the shop (held there)."""
    before = sum(1 for c in shop.state.calls if c.method == "POST")
    shop.state.faults.append("hold POST")
    process = subprocess.Popen(
        [sys.executable, "-m", "ticket_processor", "run", "--engine", "rules"],
        env=env,
        cwd=env["TICKETBOT_STATE_DIR"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    end = time.monotonic() + 300
    while sum(1 for c in shop.state.calls if c.method == "POST") == before:
        if process.poll() is not None or time.monotonic() > end:
            break
        time.sleep(0.05)
    time.sleep(0.2)
    landed = process.poll() is None
    if landed:
        os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    shop.state.release.set()
    return landed


def _orders(shop: ShopServer) -> list[dict[str, Any]]:
    given = []
    for n in range(50):
        order: dict[str, Any] = {"email": f"buyer{n}@example.com", "total_price": f"{20 + n}.00"}
        if n % 3 != 2:
            order["fulfillments"] = [
                {
                    "tracking_company": "UPS",
                    "tracking_number": f"1Z{n:016d}",
                    "tracking_url": f"https://www.ups.com/track?tracknum=1Z{n:016d}",
                }
            ]
        given.append(order)
    given[49]["total_price"] = "320.00"  # the refund over the ceiling
    return seed_orders(shop.state, given)


def bench_kind(kind: str, root: Path) -> dict[str, Any]:
    with (
        serve_desk(KINDS[kind], unlimited=True) as desk,
        serve_shop(
            ShopConfig(token=TOKEN, hang_seconds=120, retry_after=2.0, bucket=100_000)
        ) as shop,
    ):
        env = {
            **os.environ,
            **desk.env(),
            "PYTHONPATH": str(ROOT),
            "TICKETBOT_STATE_DIR": str(root / kind / "state"),
            "TICKETBOT_LOG_DIR": str(root / kind / "logs"),
            "TICKETBOT_ACTIONS": str(EXAMPLE),
            "SHOPIFY_SHOP_URL": shop.url,
            "SHOPIFY_ACCESS_TOKEN": TOKEN,
        }
        Path(env["TICKETBOT_STATE_DIR"]).mkdir(parents=True)
        orders = _orders(shop)
        found = _lookups(desk, env, orders)
        found.update(_refunds(desk, env, shop, orders))
        found.update(_bad_days(desk, env, shop, orders))
        return found


def _note(desk: Desk, ticket: int) -> str:
    return "\n".join(desk.snapshot(ticket).notes)


def _lookups(desk: Desk, env: dict[str, str], orders: list[dict[str, Any]]) -> dict[str, Any]:
    from support.answers_desk import public_comments

    own = [
        NewTicket(
            "Order",
            WISMO[n % len(WISMO)].format(n=orders[n]["name"]),
            sender=str(orders[n]["email"]),
        )
        for n in range(30)
    ]
    theirs = [
        NewTicket(
            "Order",
            WISMO[n % len(WISMO)].format(n=orders[n]["name"]),
            sender=f"stranger{n}@example.com",
        )
        for n in range(10)
    ]
    ids = desk.create(own + theirs)
    _run({**env, "TICKETBOT_ANSWER_MODE": "send"})
    right = wrong = noted_right = disclosed = noted = replied = 0
    for n, ticket in enumerate(ids[:30]):
        note = _note(desk, ticket)
        status = orders[n]["fulfillment_status"] or "-"
        noted_right += f"order: {orders[n]['name']}; paid: paid" in note and (
            f"shipped: {status}" in note
        )
        said = "\n".join(public_comments(desk, ticket))
        name = orders[n]["name"]
        right += (
            f"Your order {name} is fulfilled: UPS tracking number 1Z{n:016d}" in said
            if status == "fulfilled"
            else f"Your order {name} has not shipped yet" in said
        )
        wrong += any(re.search(rf"{o['name']}\b", said) for i, o in enumerate(orders) if i != n)
    for n, ticket in enumerate(ids[30:]):
        held = str(desk.held(ticket))
        said = "\n".join(public_comments(desk, ticket))
        disclosed += any(
            str(orders[n][k]) in held + said for k in ("email", "total_price", "id")
        ) or (f"1Z{n:016d}" in held + said)
        replied += bool(said)
        noted += "not the requester's" in held
    return {
        "wismo": 30,
        "wismo_answered_right": right,
        "wismo_answered_other_order": wrong,
        "wismo_noted_right": noted_right,
        "not_theirs": 10,
        "disclosures": disclosed,
        "not_theirs_replied": replied,
        "not_theirs_noted": noted,
    }


def _refunds(
    desk: Desk, env: dict[str, str], shop: ShopServer, orders: list[dict[str, Any]]
) -> dict[str, Any]:
    chosen = list(range(40, 50))  # 40-47 agent, 48 its customer, 49 over the ceiling
    tickets = [
        NewTicket(
            "Refund",
            f"Please refund my order {orders[n]['name']}, it arrived broken.",
            sender=str(orders[n]["email"]),
        )
        for n in chosen
    ]
    ids = desk.create(tickets)
    _run(env)
    proposed = sum("refund_order (" in _note(desk, t) for t in ids)
    if not desk.customer_tags(ids[8], TAG):
        [ids[8]] = desk.create(
            [
                NewTicket(
                    "Refund",
                    f"Please refund my order {orders[48]['name']}.",
                    sender=str(orders[48]["email"]),
                    tags=(TAG,),
                )
            ]
        )
    _run(env)  # the customer's tag judged; no agent approved anything yet
    before = sum(1 for c in shop.state.calls if c.method == "POST")
    for ticket in [*ids[:8], ids[9]]:
        desk.agent_edit(ticket, TAG, "normal")
    killed = _killed_run(env, shop)
    _run(env)
    _run(env)
    made = [len(shop.state.refunds(int(orders[n]["id"]))) for n in chosen]
    return {
        "refund_requests": 10,
        "proposals": proposed,
        "calls_before_approval": before,
        "killed_while_the_shop_held_a_refund": killed,
        "refunds_per_approved_order": made[:8],
        "over_ceiling_refunds": made[9],
        "over_ceiling_noted": "over the ceiling" in str(desk.held(ids[9])),
        "customer_approved_refunds": made[8],
        "customer_approval_noted": any(
            w in str(desk.held(ids[8])) for w in ("not an agent", "before the proposal")
        ),
    }


def _bad_days(
    desk: Desk, env: dict[str, str], shop: ShopServer, orders: list[dict[str, Any]]
) -> dict[str, Any]:
    shop.state.release.clear()
    shop.state.faults.extend(["hang"] * 200)
    desk.create(
        [
            NewTicket(
                "Order", f"Where is my order {orders[n]['name']}?", sender=str(orders[n]["email"])
            )
            for n in range(10)
        ]
    )
    hung = _run(env, "--max-runtime", "20")
    shop.state.release.set()
    shop.state.faults.clear()
    shop.state.faults.append("429")
    [ticket] = desk.create(
        [
            NewTicket(
                "Order", f"Where is my order {orders[0]['name']}?", sender=str(orders[0]["email"])
            )
        ]
    )
    start = len(shop.state.calls)
    _run(env)
    calls = shop.state.calls[start:]
    first = next((c for c in calls if c.status == 429), None)
    # The same request again (tickets the hanging run left are looked up in this run too).
    after = next(
        (c for c in calls if first is not None and c.at > first.at and c.path == first.path),
        None,
    )
    waited = round(after.at - first.at, 2) if first and after else None
    return {
        "max_runtime_20_seconds": round(hung, 1),
        "retry_after": 2.0,
        "waited_after_429": waited,
        "answered_after_429": "order: " + str(orders[0]["name"]) in _note(desk, ticket),
    }


def actions_bench(argv: list[str]) -> int:
    """The actions' benchmark on each helpdesk (or one)."""
    parser = command_parser("actions_bench")
    parser.add_argument("--helpdesk", choices=list(KINDS), action="append")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        for kind in args.helpdesk or list(KINDS):
            print(json.dumps({"helpdesk": kind, **bench_kind(kind, Path(tmp))}), flush=True)
    return 0

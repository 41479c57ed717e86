"""An approved refund is made exactly once across a kill -9 of the run that makes it, on every
helpdesk, wherever the kill lands: at each point of the approval run in turn (``support.kill_at``:
the change recorded owed, its first byte about to go, the shop's answer in and the change not
marked, the change done and its note not begun, the note begun, the note written and not
recorded), while its call waits for the shop (nothing made yet), and after the shop made it but
before the answer came back. The change is on disk as owed before the first byte;
the next run calls again under the same idempotency key, which the shop answers with the refund
it made. Its result note is written once too: killed between the change's ``done`` and its
note's record, the next run finds the note's marker on the ticket before writing it again. The
fast tests replay the states a kill leaves without a process, and kill two points; the other
kills are ``slow``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from support.answers_desk import private_notes
from support.cli import ROOT, invoke
from support.kill_at import POINTS
from support.shop import EXAMPLE, pointed_at

from ticket_processor.actions.approve import idempotency_key
from ticket_processor.actions.book import load_actions
from ticket_processor.actions.call import Caller
from ticket_processor.actions.owed import ChangeStore
from ticket_processor.common.scrub import Scrubber
from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.sandbox.shop import ShopConfig, ShopServer, seed_orders

TOKEN = "shpat_kill_0123456789abcdef"
TAG = "ai_approve_refund_order"


@pytest.fixture
def shop(monkeypatch: pytest.MonkeyPatch) -> Iterator[ShopServer]:
    with pointed_at(monkeypatch, ShopConfig(token=TOKEN, hang_seconds=120)) as server:
        yield server
        server.state.release.set()


def _approved(desk: Desk, shop: ShopServer) -> tuple[int, int]:
    """A refund proposed by a run and approved by an agent: (ticket, order id)."""
    [order] = seed_orders(shop.state, [{"email": "dave@example.com", "total_price": "24.00"}])
    [ticket] = desk.create(
        [NewTicket("Refund", f"Please refund order {order['name']}.", sender="dave@example.com")]
    )
    assert invoke("run", "--engine", "rules").exit_code == 0
    desk.agent_edit(ticket, TAG, "normal")
    return ticket, int(str(order["id"]))


def _status(ticket: int) -> str | None:
    found = ChangeStore(Path(os.environ["TICKETBOT_STATE_DIR"])).get(ticket, "refund_order")
    return found.status if found else None


@pytest.mark.desk(configure=True)
def test_a_refund_made_before_a_kill_is_not_made_again(desk: Desk, shop: ShopServer) -> None:
    ticket, order_id = _approved(desk, shop)
    # What a run killed after the shop made the refund leaves: the change owed, the refund made.
    store = ChangeStore(Path(os.environ["TICKETBOT_STATE_DIR"]))
    store.settle(ticket, "refund_order", "owed", approver="user 1")
    refund = load_actions(EXAMPLE).named("refund_order")
    assert refund is not None
    account = urlsplit(desk.url).hostname or ""
    made = Caller(dict(os.environ), Scrubber([TOKEN])).call(
        refund,
        {"order_id": str(order_id), "amount": "24.00"},
        deadline=10,
        idempotency_key=idempotency_key(account, ticket, "refund_order"),
    )
    assert made.ok, made.error
    assert invoke("run", "--engine", "rules").exit_code == 0
    assert _status(ticket) == "done"
    assert len(shop.state.refunds(order_id)) == 1
    assert "done, approved by user 1" in str(desk.held(ticket))


def _posts(shop: ShopServer) -> int:
    return sum(1 for c in shop.state.calls if c.method == "POST")


def _run_process(cwd: Path) -> subprocess.Popen[bytes]:
    """``ticketbot run`` as a process of its own, to be killed."""
    return subprocess.Popen(
        [sys.executable, "-m", "ticket_processor", "run", "--engine", "rules"],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_for_refund_call(
    shop: ShopServer, process: subprocess.Popen[bytes], before: int, end: float
) -> None:
    """Until the run's refund call reached the shop (a POST more than ``before``)."""
    while _posts(shop) == before:
        assert process.poll() is None, "the run ended before its refund call"
        assert time.monotonic() < end, "the refund call never came"
        time.sleep(0.02)


def _killed_run(shop: ShopServer, cwd: Path) -> None:
    """A run as its own process, SIGKILLed once its refund call reached the shop."""
    before = _posts(shop)
    process = _run_process(cwd)
    try:
        _wait_for_refund_call(shop, process, before, time.monotonic() + 120)
        time.sleep(0.2)  # the shop has it now (made, for a hold)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
@pytest.mark.desk(configure=True)
@pytest.mark.parametrize("fault", ["hang POST", "hold POST"])
def test_a_run_killed_at_its_refund_call_refunds_once(
    desk: Desk, shop: ShopServer, fault: str, tmp_path: Path
) -> None:
    ticket, order_id = _approved(desk, shop)
    shop.state.faults.append(fault)
    _killed_run(shop, tmp_path)
    assert _status(ticket) == "owed"  # on disk before the first byte, and still owed
    made = len(shop.state.refunds(order_id))
    assert made == (1 if fault.startswith("hold") else 0)
    shop.state.release.set()
    for _ in range(2):
        assert invoke("run", "--engine", "rules").exit_code == 0
    assert _status(ticket) == "done"
    assert len(shop.state.refunds(order_id)) == 1


def _result_notes(desk: Desk, ticket: int) -> int:
    return sum(
        "refund_order (" in n and "done, approved by" in n for n in private_notes(desk, ticket)
    )


@pytest.mark.desk(configure=True)
def test_a_result_note_is_written_once_across_a_kill_before_its_record(
    desk: Desk, shop: ShopServer
) -> None:
    store = ChangeStore(Path(os.environ["TICKETBOT_STATE_DIR"]))
    landed, _ = _approved(desk, shop)
    assert invoke("run", "--engine", "rules").exit_code == 0
    assert _result_notes(desk, landed) == 1
    # Killed after the note landed, before its record: the write begun, the note there.
    store.noted(landed, "refund_order", begun=True)
    # Killed before the note's write went out: the change done, its note's write begun.
    lost, _ = _approved(desk, shop)
    store.settle(lost, "refund_order", "done", approver="user 1", result={"refund_id": "7"})
    store.noted(lost, "refund_order", begun=True)
    for _ in range(2):
        assert invoke("run", "--engine", "rules").exit_code == 0
    assert (_result_notes(desk, landed), _result_notes(desk, lost)) == (1, 1)
    for ticket in (landed, lost):
        change = store.get(ticket, "refund_order")
        assert change is not None
        assert change.noted


def _killed_at_the_note(desk: Desk, shop: ShopServer, cwd: Path, ticket: int) -> None:
    """A run as its own process, SIGKILLed while its result note's write is begun and not
    recorded: the shop holds the refund's answer until the helpdesk answers every request
    with 429 (its writer waits out each Retry-After), then the run is killed once it recorded
    the note's write begun."""
    store = ChangeStore(Path(os.environ["TICKETBOT_STATE_DIR"]))
    before = _posts(shop)
    shop.state.release.clear()
    shop.state.faults.append("hold POST")
    process = _run_process(cwd)
    try:
        end = time.monotonic() + 120
        _wait_for_refund_call(shop, process, before, end)
        desk.start_storm(120)
        shop.state.release.set()
        while not _begun(store, ticket):
            assert time.monotonic() < end, "the note's write was never begun"
            time.sleep(0.02)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        desk.start_storm(0)


def _begun(store: ChangeStore, ticket: int) -> bool:
    change = store.get(ticket, "refund_order")
    return change is not None and change.noting


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
@pytest.mark.desk(configure=True)
def test_a_run_killed_between_done_and_its_note_notes_once(
    desk: Desk, shop: ShopServer, tmp_path: Path
) -> None:
    ticket, order_id = _approved(desk, shop)
    _killed_at_the_note(desk, shop, tmp_path, ticket)
    assert _status(ticket) == "done"
    assert _begun(ChangeStore(Path(os.environ["TICKETBOT_STATE_DIR"])), ticket)  # killed there
    for _ in range(2):
        assert invoke("run", "--engine", "rules").exit_code == 0
    assert len(shop.state.refunds(order_id)) == 1
    assert _result_notes(desk, ticket) == 1


def _approved_pair(desk: Desk, shop: ShopServer) -> dict[int, int]:
    """Two refunds proposed by one run and approved by an agent: ticket -> order id."""
    orders = seed_orders(
        shop.state,
        [
            {"email": "dave@example.com", "total_price": "24.00"},
            {"email": "erin@example.com", "total_price": "31.50"},
        ],
    )
    tickets = desk.create(
        [
            NewTicket("Refund", f"Please refund order {o['name']}.", sender=str(o["email"]))
            for o in orders
        ]
    )
    assert invoke("run", "--engine", "rules").exit_code == 0
    for ticket in tickets:
        assert _status(ticket) == "proposed"
        desk.agent_edit(ticket, TAG, "normal")
    return {t: int(str(o["id"])) for t, o in zip(tickets, orders, strict=True)}


def _killed_at(point: str, cwd: Path) -> None:
    """The approving run as its own process, which kills itself (SIGKILL) at ``point``."""
    tests = ROOT / "tests"
    process = subprocess.run(
        [sys.executable, "-m", "support.kill_at", point, "run", "--engine", "rules"],
        env={**os.environ, "PYTHONPATH": os.pathsep.join((str(ROOT), str(tests)))},
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        timeout=300,
        check=False,
    )
    assert process.returncode == -signal.SIGKILL, process.stderr.decode()[-2000:]


def _killed_and_restarted(desk: Desk, shop: ShopServer, point: str, cwd: Path) -> None:
    approved = _approved_pair(desk, shop)
    _killed_at(point, cwd)
    for _ in range(2):
        assert invoke("run", "--engine", "rules").exit_code == 0
    for ticket, order_id in approved.items():
        assert _status(ticket) == "done", (point, ticket)
        assert len(shop.state.refunds(order_id)) == 1, (point, ticket)
        assert _result_notes(desk, ticket) == 1, (point, ticket)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
@pytest.mark.desk(configure=True)
@pytest.mark.parametrize("point", ["owed_written", "answered_unmarked"])
def test_an_approving_run_killed_before_and_after_the_call_refunds_once(
    desk: Desk, shop: ShopServer, point: str, tmp_path: Path
) -> None:
    _killed_and_restarted(desk, shop, point, tmp_path)


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
@pytest.mark.desk(configure=True)
@pytest.mark.parametrize("point", POINTS)
def test_an_approving_run_killed_at_each_point_refunds_and_notes_once(
    desk: Desk, shop: ShopServer, point: str, tmp_path: Path
) -> None:
    _killed_and_restarted(desk, shop, point, tmp_path)

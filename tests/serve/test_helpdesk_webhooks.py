"""The whole path on each helpdesk: the sandbox's own webhooks (set up as ``serve --print-setup
--apply`` sets them up) call ``ticketbot serve``, which triages each ticket once; a requester's
reply is delivered too; an agent's note is not."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.cli import invoke
from support.hooked import (
    PLACEHOLDER,
    deliveries,
    free_port,
    hook_up,
    hooked_serving,
    start_process,
    wait_for_notes,
)
from support.serving import serve_env

from ticket_processor.run.served import FLUSH_AFTER
from ticket_processor.sandbox.desks import Desk, NewTicket

pytestmark = pytest.mark.desk(seed=None, unlimited=True)

TICKETS = [
    NewTicket("Refund not received", "I was charged twice for my order, please refund me."),
    NewTicket("Cannot log in", "The password reset email never arrives."),
    NewTicket("Site down", "Your checkout page returns an error for all our customers."),
]


def _settled(desk: Desk, count: int, timeout: float = 20.0) -> list[dict[str, Any]]:
    """The sandbox's delivery attempts once ``count`` are final and none is pending."""
    deadline = time.monotonic() + timeout
    while True:
        view = deliveries(desk)
        final = [d for d in view["deliveries"] if d["final"]]
        if (len(final) >= count and view["pending"] == 0) or time.monotonic() > deadline:
            return list(view["deliveries"])
        time.sleep(0.05)


def test_the_helpdesks_webhooks_get_each_ticket_triaged_once(desk: Desk, tmp_path: Path) -> None:
    with hooked_serving(desk, tmp_path) as server:
        ids = desk.create(TICKETS)
        assert wait_for_notes(desk, ids) == {tid: 1 for tid in ids}
        attempts = _settled(desk, len(ids))
        assert sorted(d["ticket_id"] for d in attempts) == sorted(ids)
        assert {d["status"] for d in attempts} == {200}
        desk.agent_notes(ids[0], "Checked with billing.")  # no webhook for an agent's note
        desk.requester_says(ids[1], "Any news? I still cannot log in.")
        attempts = _settled(desk, len(ids) + 1)
        assert [d["status"] for d in attempts[len(ids) :]] == [200]
        assert attempts[-1]["ticket_id"] == ids[1]
        server.drained()
        metrics = server.client.get(f"{server.url}/metrics").text
    timeline = deliveries(desk)["tickets"]
    for tid in ids:
        assert len(desk.snapshot(tid).notes) == 1
        assert timeline[str(tid)]["internal_notes"], "the note's moment is recorded"
    accepted = f'{{outcome="accepted",source="{desk.kind}"}}'
    assert f"ticketbot_deliveries_received_total{accepted} 4.0" in metrics


MAX_LOAD = 400  # tickets at most, should the restart take very long


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_killed_during_a_load_of_webhooks_then_restarted_every_ticket_ends_with_one_note(
    desk: Desk, tmp_path: Path
) -> None:
    """``serve`` killed with SIGKILL while the sandbox sends it a ticket's webhook every 50 ms,
    tickets created while it is down (Zendesk does not retry a refused connection, so their
    deliveries are lost), then restarted on the same port: its catch-up finds what was not
    delivered, and every ticket ends with exactly one note before any cron run; the cron run
    afterwards finds nothing left to do (0 triaged)."""
    secret = hook_up(desk, PLACEHOLDER)
    env = serve_env(desk.env(), tmp_path, TICKETBOT_SERVE_SECRET=secret)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = start_process(env, port, tmp_path / "serve-1.err")
    _ready(url)  # started: what is created from now on is its to triage
    hook_up(desk, url, secret)
    ids: list[int] = []
    stop = threading.Event()

    def load() -> None:
        n = 0
        while not stop.is_set() and n < MAX_LOAD:
            ids.extend(desk.create([NewTicket(f"Refund {n}", f"Charged twice for order {n}.")]))
            n += 1
            time.sleep(0.05)

    loader = threading.Thread(target=load)
    loader.start()
    time.sleep(1.0)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    killed_at = len(ids)
    while len(ids) < killed_at + 10:  # created while nothing listens: never delivered
        time.sleep(0.05)
    process = start_process(env, port, tmp_path / "serve-2.err")
    restarted_at = len(ids)
    try:
        # The load goes on past the restart: the restarted server takes deliveries too.
        deadline = time.monotonic() + 60
        while len(ids) < restarted_at + 20 and loader.is_alive():
            assert time.monotonic() < deadline
            time.sleep(0.05)
        stop.set()
        loader.join(30)
        refused = {d["ticket_id"] for d in deliveries(desk)["deliveries"] if d["status"] != 200}
        served = wait_for_notes(desk, ids, timeout=60)
        time.sleep(FLUSH_AFTER + 1.0)  # a second note, were one coming, would be written now
        served = {t: len(desk.snapshot(t).notes) for t in ids}
        assert served == dict.fromkeys(ids, 1), (killed_at, restarted_at, refused, served)
        assert refused, "some tickets were created while the server was down"
        for name, value in env.items():
            os.environ[name] = value  # the cron run, beside the server, on the same settings
        try:
            cron = invoke("run", "--engine", "rules", "--since", "1h")
            assert cron.exit_code == 0, cron.output
            assert "triaged=0 " in cron.output, cron.output  # the summary: nothing written
        finally:
            for name in env:
                os.environ.pop(name, None)
        assert {t: len(desk.snapshot(t).notes) for t in ids} == dict.fromkeys(ids, 1)
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(60)
    assert code == 0, (tmp_path / "serve-2.err").read_text()
    last = json.loads((tmp_path / "state" / "last_run.json").read_text())
    assert (last["triaged"], last["failed"]) == (0, 0), (last, cron.output)  # nothing left
    # The kill fell inside the load, and the load went on past the restart.
    assert 0 < killed_at < restarted_at < len(ids)


def _ready(url: str, timeout: float = 60.0) -> None:
    """Until ``/readyz`` says ready (and past the whole second its catch-up counts from)."""
    deadline = time.monotonic() + timeout
    while httpx.get(f"{url}/readyz", timeout=5).status_code != 200:
        assert time.monotonic() < deadline, "serve did not get ready"
        time.sleep(0.1)
    time.sleep(1.0)

"""What 200 idle live pages cost the real ``ticketbot dashboard`` process, on each sandbox:
under 100 MB of resident memory more than before they came, and not one request to the
helpdesk while they listen (the stream reads the audit store alone); the 201st is refused with
503 and the pages go on being served."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from support.cli import invoke
from support.dashboard import ROOT, TOKEN, bearer

from ticket_processor.sandbox.desks import Desk, NewTicket

pytestmark = pytest.mark.desk(configure=True)
CLIENTS = 200
MB = 1024 * 1024


@contextmanager
def _dashboard() -> Iterator[tuple[str, int]]:
    """The command as a process (its pid, to read its memory), with a token set."""
    env = {**os.environ, "TICKETBOT_DASHBOARD_TOKEN": TOKEN, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "ticket_processor", "dashboard", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        found = re.search(r"http://[^\s]+", process.stdout.readline())
        assert found is not None, "the dashboard did not start"
        yield found.group(0), process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def _resident(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"VmRSS:\s+(\d+) kB", status)
    assert found is not None
    return int(found.group(1)) * 1024


async def _listen(url: str, pid: int, desk: Desk) -> tuple[int, int, int]:
    """Opens CLIENTS streams and one more; returns the memory before and with them, and the
    extra stream's status."""
    limits = httpx.Limits(max_connections=CLIENTS + 10, max_keepalive_connections=0)
    timeout = httpx.Timeout(60)
    async with httpx.AsyncClient(headers=bearer(), limits=limits, timeout=timeout) as client:
        (await client.get(url + "/tickets")).raise_for_status()  # the store opened
        before = _resident(pid)
        desk.reset_stats()
        streams = [client.stream("GET", url + "/events") for _ in range(CLIENTS)]
        # One after another, as pages open: the server closes connections that have sent
        # nothing yet first when many arrive at once (``common.connections``), never a stream.
        opened = [await stream.__aenter__() for stream in streams]
        try:
            assert {r.status_code for r in opened} == {200}
            await asyncio.sleep(3)  # three of the poller's rounds, with every page listening
            extra = await client.get(url + "/events")
            assert (await client.get(url + "/tickets")).status_code == 200
            return before, _resident(pid), extra.status_code
        finally:
            for stream in streams:
                await stream.__aexit__(None, None, None)


def test_two_hundred_idle_pages_cost_little_and_ask_the_helpdesk_nothing(desk: Desk) -> None:
    desk.create([NewTicket("Refund", "I want a refund for my order.")])
    assert invoke("run", "--engine", "rules").exit_code == 0
    with _dashboard() as (url, pid):
        before, during, extra = asyncio.run(_listen(url, pid, desk))
    assert extra == 503
    assert during - before < 100 * MB, f"{(during - before) / MB:.1f} MB for {CLIENTS} pages"
    asked = desk.stats()
    assert asked["requests_total"] == 0, f"the helpdesk was asked: {asked['requests']}"

"""What the dashboard's end-to-end tests share: a calibrated learned model (so a real run
suggests some fields and applies others), a helpdesk sandbox filled by a real ``ticketbot run``
(hostile subjects included), and ``ticketbot dashboard`` itself started as a process on port 0.

    url = start_dashboard(env, "--review")     # the real command, its real uvicorn server
    page = httpx.get(url + "/tickets", headers=bearer(TOKEN), timeout=30)
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from support.cli import invoke
from ticket_processor.learned.labelled_file import load_labelled
from ticket_processor.learned.model_file import save_model
from ticket_processor.learned.train import TrainOptions, train
from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.triage.taxonomy import load_taxonomy

DATA = Path(__file__).resolve().parents[1] / "data"
ROOT = Path(__file__).resolve().parents[2]
TOKEN = "dashboard-test-token-0123456789abcdef"
SCRIPT = "<script>alert('subject')</script>"
IMG = '<img src=x onerror="alert(1)">'
LINK = "javascript:alert(document.cookie)"
TICKETS = [
    NewTicket("Refund", "I want a refund for my order, please send my money back."),
    NewTicket("Password", "I forgot my password and cannot log in to my account."),
    NewTicket("Hello", "Hi there, a quick word about something."),
    NewTicket("Thing", "It does the thing again since yesterday."),
    NewTicket("Delivery", "Where is my parcel? The delivery is late and tracking is stuck."),
    NewTicket("Invoice", "My invoice shows a double charge on my card this month."),
    NewTicket(SCRIPT, "I was charged twice, please refund the second payment."),
    NewTicket(IMG, "The app crashes when I open the settings page."),
    NewTicket(LINK, "Can you tell me where my package is?"),
]


def calibrated_model(directory: Path) -> Path:
    """A learned model with a calibration (the bundled one has none), trained small and fast
    on a third of the suite's labelled rows."""
    rows = load_labelled(DATA / "bitext.jsonl") + load_labelled(DATA / "banking77.jsonl")
    result = train(rows[::3], load_taxonomy(), options=TrainOptions(folds=2, embedding_weight=0.0))
    path = directory / "model.zip"
    save_model(result.model, path)
    return path


def fill(desk: Desk, monkeypatch: pytest.MonkeyPatch, model: Path) -> list[int]:
    """The sandbox's tickets triaged by a real run with the calibrated model: a category under
    0.99 calibrated confidence is only suggested. The environment is the desk's (``configure``)."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.setenv("TICKETBOT_LEARNED_MODEL", str(model))
    monkeypatch.setenv("TICKETBOT_APPLY_AT", "category=0.99")
    ids = desk.create(TICKETS)
    ran = invoke("run")
    assert ran.exit_code == 0, ran.output
    return ids


@contextmanager
def start_dashboard(*args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """``ticketbot dashboard --port 0 ARGS`` as a process (the environment: this one, which
    the desk's ``configure`` set, plus ``env``); yields its URL, stops it after."""
    full = {**os.environ, **(env or {}), "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "ticket_processor", "dashboard", "--port", "0", *args],
        env=full,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        found = re.search(r"http://[^\s]+", line)
        if found is None:
            process.kill()
            _, err = process.communicate(timeout=10)
            raise AssertionError(f"the dashboard did not start: {line!r} {err}")
        url = found.group(0)
        _wait_ready(url)
        yield url
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def _wait_ready(url: str) -> None:
    import httpx

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"the dashboard at {url} never answered")


def bearer(token: str = TOKEN) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found is not None, "no CSRF token in the page"
    return found.group(1)


def rate(
    client: Any,
    ticket_id: int,
    target: str,
    verdict: str,
    *,
    item: str = "",
    reason: str = "",
    value: str = "",
) -> int:
    """An agent's rating through the ticket page's own form (its CSRF token and the helpdesk
    the page names), as a signed-in ``httpx.Client`` posts it; the answer's status code."""
    page = client.get(f"/tickets/{ticket_id}")
    assert page.status_code == 200
    helpdesk = re.search(r'name="helpdesk" value="([^"]*)"', page.text)
    assert helpdesk is not None, "the page offers no rating form"
    form = {
        "csrf": csrf_of(page.text),
        "helpdesk": helpdesk.group(1),
        "target": target,
        "item": item,
        "verdict": verdict,
        "reason": reason,
        "value": value,
    }
    return int(client.post(f"/tickets/{ticket_id}/ratings", data=form).status_code)


def rows_of(html: str) -> dict[int, str]:
    """``data-ticket-id`` -> the row's HTML, from a page of the list."""
    return {
        int(m.group(1)): m.group(2)
        for m in re.finditer(r'<tr data-ticket-id="(\d+)"[^>]*>(.*?)</tr>', html, re.S)
    }


def triaged(log_dir: Path) -> dict[int, dict[str, Any]]:
    from support.e2e import events

    return {e["ticket_id"]: e for e in events(log_dir) if e["event"] == "ticket_triaged"}

"""``ticketbot demo --serve``: the seconds path, end to end, with nothing to configure.

Starts the helpdesk's sandbox in this process, makes its webhook set-up as ``serve
--print-setup --apply`` would (Zendesk's webhook and triggers, whose signing secret becomes the
server's ``TICKETBOT_SERVE_SECRET``; Freshdesk's automation rules with a fresh shared secret),
starts ``ticketbot serve`` in this process on a free port of 127.0.0.1, then creates sample
tickets one by one and shows, for each, how long after its creation its triage note was written:
the sandbox's own millisecond stamps (``GET /sandbox/deliveries``), not ours.

Like ``demo``, it never touches the user's helpdesk, cursor or logs: the helpdesk's settings
are the sandbox's; state and logs go to a fresh temporary directory, left for inspection.
"""

from __future__ import annotations

import secrets
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import requests
from pydantic import SecretStr
from rich.console import Console
from rich.markup import escape

from ..helpdesks.registry import helpdesk_kind
from ..helpdesks.samples import cycle, load_samples
from ..helpdesks.webhook_setup import endpoint_url
from ..sandbox.desks import NewTicket, serve_desk
from ..settings import Settings
from .demo import offline_engine_note
from .serve import open_server

PLACEHOLDER = "http://127.0.0.1:9"  # where the webhook points until the server listens
READY_WITHIN = 120.0  # seconds the server gets to load its models
NOTE_WITHIN = 30.0  # seconds a ticket gets to be triaged before the demo says it was not
TAGS_WITHIN = 5.0  # seconds the fields get after the note (Freshdesk writes them second)


def run_serve_demo(settings: Settings, *, console: Console, count: int, helpdesk: str) -> int:
    """Sandbox → webhooks → serve → notes, ``count`` tickets; the exit code (1: one missed)."""
    kind = helpdesk_kind(helpdesk)
    workdir = Path(tempfile.mkdtemp(prefix="ticketbot-demo-serve-"))
    if settings.llm_configured:
        console.print("Engine: the LLM, keyword rules where it fails.")
    else:
        console.print(offline_engine_note(settings), soft_wrap=True)
    setup = kind.webhook_setup()
    with serve_desk(kind, seed=None) as desk:
        desk_settings = kind.settings.from_env(desk.env())
        chosen = secrets.token_urlsafe(32)
        report = setup.apply(desk_settings, endpoint_url(PLACEHOLDER, kind.name), chosen)
        secret = report.secret or chosen  # Zendesk signs with the secret it chose
        demo = settings.model_copy(
            update={
                "helpdesk": kind.name,
                "desks": {**settings.desks, kind.name: desk_settings},
                "state_dir": workdir / "state",
                "log_dir": workdir / "logs",
                "alert_webhook": None,
                "serve_secret": SecretStr(secret),
                "serve_token": SecretStr(secrets.token_urlsafe(32)),
            }
        )
        with open_server(demo, host="127.0.0.1", port=0, engine="llm") as (server, sock):
            thread = server.start(sock)
            url = f"http://127.0.0.1:{server.port}"
            try:
                console.print(
                    f"A local {kind.label} sandbox at {escape(desk.url)} sends its webhooks to "
                    f"ticketbot serve at {escape(url)}; loading the models…",
                    soft_wrap=True,
                )
                if not _ready(server, console):
                    return 1
                for line in setup.apply(desk_settings, endpoint_url(url, kind.name), secret).done:
                    console.print(f"  {escape(line)}")
                missed = _show(desk, count, console)
            finally:
                server.stop()
                thread.join(30)
    console.print(
        f"JSON-lines log: {escape(str(workdir / 'logs'))}\n"
        f"Your own {kind.label}: `ticketbot serve --print-setup` says what to create on it.",
        soft_wrap=True,
    )
    return 1 if missed else 0


def _ready(server: Any, console: Console) -> bool:
    deadline = time.monotonic() + READY_WITHIN
    while server.state.readiness.status == "loading" and time.monotonic() < deadline:
        time.sleep(0.05)
    if server.state.readiness.status != "ready":
        console.print(f"[red]serve is not ready:[/] {escape(server.state.readiness.reason)}")
        return False
    return True


def _show(desk: Any, count: int, console: Console) -> int:
    """Create ``count`` sample tickets one by one; print each one's path; the number missed."""
    missed = 0
    for sample in cycle(load_samples(), count):
        (ticket_id,) = desk.create([NewTicket(sample.subject, sample.description)])
        timeline = _wait_for_note(desk.url, ticket_id)
        subject = escape(sample.subject[:50])
        if timeline is None:
            missed += 1
            console.print(f"ticket {ticket_id} {subject!r}: no note after {NOTE_WITHIN:.0f} s")
            continue
        created, noted = timeline
        tags = _labels(desk, ticket_id)
        console.print(
            f"ticket {ticket_id} {subject!r}: created {created.strftime('%H:%M:%S.%f')[:-3]}, "
            f"note written {(noted - created).total_seconds():.2f} s later ({escape(tags)})",
            soft_wrap=True,
        )
    return missed


def _labels(desk: Any, ticket_id: int) -> str:
    """The ticket's category and urgency tags. Freshdesk takes the note and the fields in two
    requests, the note first: read again for a moment until the tags are there too."""
    deadline = time.monotonic() + TAGS_WITHIN
    while True:
        tags = desk.snapshot(ticket_id).tags
        found = " ".join(t for t in tags if "_category_" in t or "_urgency_" in t)
        if found or time.monotonic() >= deadline:
            return found
        time.sleep(0.05)


def _wait_for_note(sandbox_url: str, ticket_id: int) -> tuple[datetime, datetime] | None:
    """The ticket's creation and first internal note, as the sandbox stamped them."""
    deadline = time.monotonic() + NOTE_WITHIN
    while time.monotonic() < deadline:
        view = requests.get(f"{sandbox_url}/sandbox/deliveries", timeout=5).json()
        entry = view["tickets"].get(str(ticket_id))
        if entry and entry["internal_notes"]:
            return _moment(entry["created_at"]), _moment(entry["internal_notes"][0])
        time.sleep(0.05)
    return None


def _moment(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone()

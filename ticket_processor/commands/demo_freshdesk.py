"""``ticketbot demo --helpdesk freshdesk``: the tour against a local Freshdesk sandbox.

The same steps as the Zendesk demo (``demo.py``): a sandbox in this process on a free port, the
sample tickets created through its API (``seed_freshdesk``), one real run, the tickets read back
through the adapter and shown. The user's own helpdesk settings are replaced by the sandbox's;
state and logs go to a fresh temporary directory.
"""

from __future__ import annotations

import tempfile
from contextlib import closing
from pathlib import Path

from pydantic import SecretStr
from rich.console import Console
from rich.markup import escape

from ..helpdesks.freshdesk.adapter import FreshdeskHelpdesk
from ..helpdesks.freshdesk.sandbox import FreshdeskConfig, serve_in_thread
from ..helpdesks.freshdesk.seed import create_tickets
from ..helpdesks.registry import connect
from ..helpdesks.zendesk.seed import cycle, load_samples
from ..run.runner import run_once
from ..settings import Settings
from ..tags import is_triage_note
from .demo import SHOWN, DemoRow, result_lines, result_table
from .render import progress_bar, summary_line, summary_table, wide_enough


def run_demo_freshdesk(settings: Settings, *, console: Console, count: int, engine: str) -> int:
    """Seed a Freshdesk sandbox, triage it once, show the result; the run's exit code."""
    workdir = Path(tempfile.mkdtemp(prefix="ticketbot-demo-"))
    with serve_in_thread(FreshdeskConfig()) as sandbox:
        demo_settings = settings.model_copy(
            update={
                "helpdesk": "freshdesk",
                "freshdesk_url": sandbox.url,
                "freshdesk_domain": None,
                "freshdesk_api_key": SecretStr(sandbox.config.api_key),
                "state_dir": workdir / "state",
                "log_dir": workdir / "logs",
                "alert_webhook": None,  # a demo is not an incident
            }
        )
        helpdesk = connect(demo_settings)
        assert isinstance(helpdesk, FreshdeskHelpdesk)  # helpdesk=freshdesk above
        with closing(helpdesk):
            seeded = create_tickets(helpdesk.http, cycle(load_samples(), count))
            ids = sorted(seeded.created_ids)
            before = {t.id: t for t in helpdesk.tickets(ids[:SHOWN])}
            console.print(
                f"Seeded {len(ids)} sample tickets into a local Freshdesk sandbox at "
                f"{escape(sandbox.url)}."
            )
            with progress_bar(console, enabled=console.is_terminal, label="triaging") as tick:
                summary = run_once(demo_settings, engine=engine, on_progress=tick)
            rows = []
            for ticket in helpdesk.tickets(ids[:SHOWN]):
                notes = [n for n in helpdesk.notes(ticket.id) if is_triage_note(n)]
                rows.append(DemoRow(before[ticket.id], ticket, notes[0] if notes else None))
    if wide_enough(console):
        console.print(result_table(rows, total=len(ids), prefix=settings.tag_prefix))
    else:
        console.print(*result_lines(rows, total=len(ids)), sep="\n", markup=False, soft_wrap=True)
    if console.is_terminal:
        console.print(summary_table(summary))
    else:
        console.print(summary_line(summary), markup=False, soft_wrap=True)
    log_dir = demo_settings.log_dir
    console.print(
        f"JSON-lines log: {escape(str(log_dir))}\n"
        f"Summarise it:   TICKETBOT_LOG_DIR={escape(str(log_dir))} ticketbot report\n"
        "Your own Freshdesk: set TICKETBOT_HELPDESK=freshdesk, FRESHDESK_DOMAIN and "
        "FRESHDESK_API_KEY, then `ticketbot run --dry-run`.",
        soft_wrap=True,
    )
    return summary.exit_code

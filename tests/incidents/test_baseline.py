"""The window's baseline, read from Zendesk's export by ``created_at``: imported tickets sit in
the export at the time of their import, old ones are left out, and a reading cut short by the
export's 10 requests a minute resumes from its cursor in the next run instead of starting over."""

from __future__ import annotations

import time
from pathlib import Path

from support.events import Events
from support.incident_scenario import Spec, load_zendesk
from support.word_encoder import encode

from ticket_processor.helpdesks.zendesk.adapter import ZendeskHelpdesk
from ticket_processor.helpdesks.zendesk.client import ZendeskClient
from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox
from ticket_processor.incidents.book import load_book
from ticket_processor.incidents.policy import IncidentPolicy
from ticket_processor.incidents.run_pass import IncidentPass
from ticket_processor.incidents.window import load_window


def _desk(sandbox: RunningSandbox) -> ZendeskHelpdesk:
    client = ZendeskClient(sandbox.url, email=sandbox.config.email, api_token=sandbox.config.token)
    # A clock that never moves: after 10 export requests the minute is used up.
    return ZendeskHelpdesk(client, marker="ai_processed", clock=lambda: 0.0, page_size=5)


def test_the_baseline_is_read_by_created_at_and_resumes_where_it_paused(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    now = int(time.time())
    specs = [
        Spec(f"ordinary {i}", f"body {i}", f"c{i}@example.com", now - 3600 * (2 + i), "solved", "x")
        for i in range(80)
    ]
    specs.append(Spec("too old", "old", "old@example.com", now - 30 * 86400, "solved", "x"))
    ids = load_zendesk(sandbox, specs)
    sandbox.config.incremental_limit_per_min = 1000  # the adapter's own window pauses it
    policy = IncidentPolicy()
    first = IncidentPass(
        policy, _desk(sandbox), tmp_path, Events(), "r1", False, None, encode=encode
    )
    done = first.run([])
    assert done.baseline_tickets == 50  # ten pages of five, then the minute is used
    assert any("read in part" in w for w in done.warnings)
    book, _ = load_book(tmp_path / "incidents")
    assert book.baseline_cursor is not None
    second = IncidentPass(
        policy, _desk(sandbox), tmp_path, Events(), "r2", False, None, encode=encode
    )
    assert second.run([]).baseline_tickets == 30  # the rest, not the first fifty again
    window, _ = load_window(tmp_path / "incidents")
    assert window is not None
    assert sorted(window.ids.tolist()) == ids[:80]  # the month-old one is outside the window
    assert (
        window.baseline_from == now - policy.window_seconds
        or window.baseline_from >= now - policy.window_seconds - 5
    )
    assert load_book(tmp_path / "incidents")[0].baseline_cursor is None

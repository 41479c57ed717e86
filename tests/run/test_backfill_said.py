"""What a collected backfill says and leaves, on both helpdesks: its last line names the dates it
covered and keeps the held-back counters apart from the sentence ("... since the start
low_confidence=5" read as one), and the dashboard's "Last runs" shows the slice that wrote the
batch back as a ``backfill``, not as a cron run (``normal``).

Real HTTP: the helpdesk sandbox and the LLM stand-in (its Batch API) on port 0, the dashboard
as its own process.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from support.cli import command
from support.dashboard import TOKEN, bearer, start_dashboard

from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.sandbox.llm_standin.server import (
    RunningStandin,
    StandinConfig,
    serve_in_thread,
)

pytestmark = pytest.mark.desk(unlimited=True, seed=None)

backfill = command("backfill")
SAID = re.compile(
    r"backfill complete: nothing left to triage among the tickets updated from "
    r"(\d{4}-\d\d-\d\d \d\d:\d\d) to (\d{4}-\d\d-\d\d \d\d:\d\d) UTC"
    r"; held back for an agent: low_confidence=(\d+)"
)


@pytest.fixture
def llm() -> Iterator[RunningStandin]:
    """A stand-in whose batches stay in progress until the test completes them."""
    with serve_in_thread(StandinConfig(seed=7, batch_delay_s=3600)) as running:
        yield running


def _modes(page: str) -> dict[str, str]:
    """Each run id of the overview's "Last runs" and its mode column."""
    listed = page[page.index("<h2>Last runs</h2>") :]
    return dict(
        re.findall(r"<tr><td[^>]*>[^<]*</td><td><a [^>]*>([^<]+)</a></td><td>([^<]*)</td>", listed)
    )


def test_a_collected_backfill_names_its_dates_and_shows_as_a_backfill(
    desk: Desk, llm: RunningStandin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {
        **desk.env(),
        "OPENAI_BASE_URL": llm.url,
        "OPENAI_API_KEY": "sk-test-not-a-real-key",
        "TICKETBOT_MODEL": "stand-in",
        "TICKETBOT_STATE_DIR": str(tmp_path / "state"),
        "TICKETBOT_LOG_DIR": str(tmp_path / "logs"),
        # Every analysis held back: the line must say how many, apart from the sentence.
        "TICKETBOT_CONFIDENCE_THRESHOLD": "0.999",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    ids = desk.create(
        [
            NewTicket("Refund please", "I want my money back for order 4411."),
            NewTicket("Cannot log in", "The password reset link fails every time."),
        ]
    )
    asked = datetime.now(UTC) - timedelta(days=7)
    submitted = backfill("--since", "7d")
    assert submitted.exit_code == 0, submitted.output
    assert llm.complete_batches() == 1
    collected = backfill()
    assert collected.exit_code == 0, collected.output
    last = collected.stdout.strip().splitlines()[-1]
    found = SAID.search(last)
    assert found is not None, last
    since = datetime.strptime(found.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    assert abs(since - asked) < timedelta(minutes=5)  # the --since the backfill began with
    until = datetime.strptime(found.group(2), "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    assert abs(until - datetime.now(UTC)) < timedelta(minutes=5)
    assert int(found.group(3)) == len(ids)

    with start_dashboard(env={"TICKETBOT_DASHBOARD_TOKEN": TOKEN}) as url:
        page = httpx.get(url + "/", headers=bearer(), timeout=30).text
    modes = _modes(page)
    assert "backfill" in modes.values(), modes  # the slice that wrote the batch back
    assert "normal" not in modes.values(), modes  # no cron run happened

"""A batch the LLM endpoint no longer knows (a purge, another project or endpoint: 404 on the
batch or on its results) does not block the backfill: one line says which batch and what
happened, its tickets go through the normal path, its record leaves the state, and the backfill
goes on. Through the CLI against the Zendesk sandbox and the LLM stand-in (``batches.forget``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx2
import orjson
import pytest
from support.cli import command
from support.e2e import events

from ticket_processor.helpdesks.registry import KINDS
from ticket_processor.sandbox.desks import Desk, NewTicket, serve_desk
from ticket_processor.sandbox.llm_standin.server import (
    RunningStandin,
    StandinConfig,
    serve_in_thread,
)
from ticket_processor.tags import marker_tag

MARKER = marker_tag("ai_")
BACKLOG = [
    NewTicket("Refund please", "I want my money back for order 4411."),
    NewTicket("Cannot log in", "The password reset link fails every time."),
    NewTicket("Parcel late", "My delivery has not arrived, tracking says nothing."),
]

backfill = command("backfill")


@pytest.fixture
def llm() -> Iterator[RunningStandin]:
    """A stand-in whose batches stay in progress until the test completes them."""
    with serve_in_thread(StandinConfig(seed=7, batch_delay_s=3600)) as running:
        yield running


@pytest.fixture
def helpdesk(
    llm: RunningStandin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Desk]:
    with serve_desk(KINDS["zendesk"], unlimited=True) as running:
        env = {
            **running.env(),
            "OPENAI_BASE_URL": llm.url,
            "OPENAI_API_KEY": "sk-test-not-a-real-key",
            "TICKETBOT_MODEL": "stand-in",
            "TICKETBOT_STATE_DIR": str(tmp_path / "state"),
            "TICKETBOT_LOG_DIR": str(tmp_path / "logs"),
            "TICKETBOT_WORKERS": "4",
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield running


def submitted_batch(state: Path) -> str:
    record = orjson.loads((state / "backfill.json").read_bytes())
    return str(record["batch"]["batch_id"])


def assert_triaged_online_once(desk: Desk, ids: list[int], log_dir: Path) -> None:
    for ticket_id in ids:
        snap = desk.snapshot(ticket_id)
        assert len(snap.notes) == 1, f"ticket {ticket_id}: {len(snap.notes)} notes"
        assert MARKER in snap.tags, f"ticket {ticket_id}: {snap.tags}"
    triaged = [e for e in events(log_dir) if e["event"] == "ticket_triaged"]
    assert sorted(e["ticket_id"] for e in triaged) == sorted(ids)
    assert {(e["engine"], e["billing"]) for e in triaged} == {("llm", "online")}


def test_a_batch_the_endpoint_forgot_sends_its_tickets_the_normal_way(
    helpdesk: Desk, llm: RunningStandin, tmp_path: Path
) -> None:
    desk = helpdesk
    ids = desk.create(BACKLOG)
    assert backfill("--since", "7d").exit_code == 0
    batch_id = submitted_batch(tmp_path / "state")
    assert httpx2.post(f"{llm.url.removesuffix('/v1')}/sandbox/batches/forget").json() == {
        "forgotten": 1
    }

    result = backfill()

    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert (
        f"the LLM endpoint does not know batch {batch_id} (404: purged, or made by another "
        f"project or endpoint): its {len(ids)} ticket(s) go through the normal path"
    ) in text
    assert "TICKETBOT_MODEL" not in text  # not the advice for a missing model
    assert "backfill complete" in text  # it went on
    assert not (tmp_path / "state" / "backfill.json").exists()  # the stale record is gone
    assert_triaged_online_once(desk, ids, tmp_path / "logs")
    [unknown] = [e for e in events(tmp_path / "logs") if e["event"] == "backfill_batch_unknown"]
    assert (unknown["batch_id"], unknown["tickets"]) == (batch_id, len(ids))

    again = backfill()  # nothing stale is left to trip over
    assert again.exit_code == 0, again.output
    assert batch_id not in again.output


def test_a_batch_whose_results_the_endpoint_forgot_sends_its_tickets_the_normal_way(
    helpdesk: Desk, llm: RunningStandin, tmp_path: Path
) -> None:
    desk = helpdesk
    ids = desk.create(BACKLOG)
    assert backfill("--since", "7d").exit_code == 0
    batch_id = submitted_batch(tmp_path / "state")
    llm.complete_batches()
    finished = httpx2.get(f"{llm.url}/batches/{batch_id}").json()  # the stand-in runs it now
    assert finished["status"] == "completed"
    assert llm.batches.forget(outputs_only=True) == 1

    result = backfill()

    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert (
        f"the LLM endpoint no longer has file {finished['output_file_id']}, the results of "
        f"batch {batch_id}"
    ) in text
    assert f"its {len(ids)} ticket(s) go through the normal path" in text
    assert "backfill complete" in text
    assert not (tmp_path / "state" / "backfill.json").exists()
    assert_triaged_online_once(desk, ids, tmp_path / "logs")

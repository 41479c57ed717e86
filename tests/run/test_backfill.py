"""``ticketbot backfill``: through the stand-in's Batch API in two runs (submit, then
collect), each ticket written once, on both helpdesks; the normal path where the endpoint has no
Batch API, waiting out Zendesk's export window; and a batch that ended badly losing no ticket.

Real HTTP throughout: the helpdesk sandboxes and the LLM stand-in on port 0, the CLI through
Typer's CliRunner. The kill -9 tests are in ``test_backfill_crash.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import orjson
import pytest
from support.cli import command
from support.e2e import audit_store_ready, events
from typer.testing import CliRunner

from ticket_processor.cli import app
from ticket_processor.helpdesks.registry import KINDS
from ticket_processor.helpdesks.zendesk.sandbox.config import SandboxConfig
from ticket_processor.helpdesks.zendesk.sandbox.desk import ZendeskDesk
from ticket_processor.helpdesks.zendesk.sandbox.server import serve_in_thread as serve_zendesk
from ticket_processor.sandbox.desks import Desk, NewTicket, serve_desk
from ticket_processor.sandbox.llm_standin.answers import iter_requests
from ticket_processor.sandbox.llm_standin.server import (
    RunningStandin,
    StandinConfig,
    serve_in_thread,
)
from ticket_processor.tags import marker_tag

MARKER = marker_tag("ai_")
BACKLOG = [
    NewTicket("Refund please", "I want my money back for order 4411. Mail me at ann@example.com"),
    NewTicket("Cannot log in", "The password reset link fails every time."),
    NewTicket("Parcel late", "My delivery has not arrived, tracking says nothing."),
    NewTicket("Invoice wrong", "I was charged twice this month.", tags=("vip",)),
    NewTicket("App crashes", "The app crashes when I open settings."),
]

# Both helpdesks, rate limits out of the way: these tests are about batches, not throttling.
pytestmark = pytest.mark.desk(unlimited=True)


@pytest.fixture
def slow_llm() -> Iterator[RunningStandin]:
    """A stand-in whose batches stay in progress until the test completes them."""
    with serve_in_thread(StandinConfig(seed=7, batch_delay_s=3600)) as running:
        yield running


def configure(
    monkeypatch: pytest.MonkeyPatch, root: Path, desk_env: dict[str, str], llm: str
) -> Path:
    env = {
        **desk_env,
        "OPENAI_BASE_URL": llm,
        "OPENAI_API_KEY": "sk-test-not-a-real-key",
        "TICKETBOT_MODEL": "stand-in",
        "TICKETBOT_STATE_DIR": str(root / "state"),
        "TICKETBOT_LOG_DIR": str(root / "logs"),
        "TICKETBOT_WORKERS": "4",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return root / "state"


backfill = command("backfill")


def named(log_dir: Path, name: str) -> list[dict[str, Any]]:
    return [e for e in events(log_dir) if e["event"] == name]


def assert_triaged_once(desk: Desk, ids: list[int]) -> None:
    for ticket_id in ids:
        snap = desk.snapshot(ticket_id)
        assert len(snap.notes) == 1, f"ticket {ticket_id}: {len(snap.notes)} notes"
        assert MARKER in snap.tags, f"ticket {ticket_id}: {snap.tags}"


def test_a_batch_backfill_submits_then_collects_each_ticket_once(
    desk: Desk, slow_llm: RunningStandin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = configure(monkeypatch, tmp_path, desk.env(), slow_llm.url)
    ids = desk.create(BACKLOG)
    done = desk.create([NewTicket("Old one", "Handled already.", tags=(MARKER,))])

    first = backfill("--since", "7d")
    assert first.exit_code == 0, first.output
    assert f"with {len(ids)} tickets" in first.output
    assert "run `ticketbot backfill` again to collect" in first.output
    record = orjson.loads((state / "backfill.json").read_bytes())
    assert sorted(int(i) for i in record["batch"]["tickets"]) == sorted(ids)
    assert all(desk.snapshot(i).notes == [] for i in ids)  # nothing written yet
    waiting = backfill()
    assert waiting.exit_code == 0, waiting.output
    assert "in_progress" in waiting.output
    assert all(desk.snapshot(i).notes == [] for i in ids)

    assert slow_llm.complete_batches() == 1
    collected = backfill()
    assert collected.exit_code == 0, collected.output
    assert "backfill complete" in collected.output
    assert_triaged_once(desk, ids)
    assert desk.snapshot(done[0]).notes == []
    assert "vip" in desk.snapshot(ids[3]).tags  # merged, never replaced
    assert not (state / "backfill.json").exists()
    # One request a ticket, all in the batch (no online call), of the prepared, redacted text.
    sent = list(iter_requests(slow_llm))
    assert len(sent) == len(ids)
    assert any("order 4411" in text for text in sent)
    assert not any("ann@example.com" in text for text in sent)

    logs = tmp_path / "logs"
    [submitted] = named(logs, "backfill_submitted")
    [collect] = named(logs, "backfill_collected")
    assert submitted["tickets"] == len(ids)
    assert (collect["from_batch"], collect["online"], collect["triaged"]) == (len(ids), 0, len(ids))

    # The batch's tokens are counted once, at the Batch API's half of the list price.
    triaged = named(logs, "ticket_triaged")
    assert {e["billing"] for e in triaged} == {"batch"}
    tokens_in = sum(e["prompt_tokens"] for e in triaged)
    tokens_out = sum(e["completion_tokens"] for e in triaged)
    assert tokens_in > 0
    monkeypatch.setenv("TICKETBOT_PRICES", "stand-in=1/4")
    report = CliRunner().invoke(app, ["report", "--json"], catch_exceptions=False)
    figures = orjson.loads(report.output)
    assert figures["backfilled"] == len(ids)
    list_price = (tokens_in * 1 + tokens_out * 4) / 1_000_000
    assert figures["cost_usd"] == pytest.approx(list_price / 2, abs=1e-6)

    again = backfill("--since", "7d")  # a new backfill over the same history: nothing to do
    assert again.exit_code == 0, again.output
    assert "backfill complete" in again.output
    assert_triaged_once(desk, ids)


def test_a_cancelled_batch_says_so_and_its_tickets_take_the_online_path(
    slow_llm: RunningStandin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve_desk(KINDS["zendesk"], unlimited=True) as desk:
        configure(monkeypatch, tmp_path, desk.env(), slow_llm.url)
        ids = desk.create(BACKLOG[:3])
        assert backfill("--since", "7d").exit_code == 0
        record = orjson.loads((tmp_path / "state" / "backfill.json").read_bytes())
        batch_id = record["batch"]["batch_id"]
        cancelled = httpx2.post(f"{slow_llm.url}/batches/{batch_id}/cancel")
        assert cancelled.json()["status"] == "cancelled"

        result = backfill("--since", "30d")
        assert result.exit_code == 0, result.output
        assert "ended cancelled" in result.output
        assert "is under way: continuing it" in result.output  # not a second backfill
        assert_triaged_once(desk, ids)
        [collect] = named(tmp_path / "logs", "backfill_collected")
        assert (collect["from_batch"], collect["online"]) == (0, 3)
        assert len(named(tmp_path / "logs", "backfill_batch_failed")) == 1


def test_without_a_batch_api_it_waits_out_the_export_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two exports a minute and pages of 2 tickets: 7 tickets take 4 pages, so a normal run
    # stops at the window; the backfill waits for it (shortened here) and goes on.
    config = SandboxConfig(seed=5, plan="high_volume", incremental_limit_per_min=1000)
    with (
        serve_zendesk(config) as sandbox,
        serve_in_thread(StandinConfig(seed=7, batch_api=False)) as llm,
    ):
        desk = ZendeskDesk(sandbox)
        configure(monkeypatch, tmp_path, desk.env(), llm.url)
        monkeypatch.setattr("ticket_processor.helpdesks.zendesk.adapter.EXPORT_PER_MINUTE", 2)
        monkeypatch.setattr("ticket_processor.helpdesks.zendesk.adapter.EXPORT_PAGE", 2)
        monkeypatch.setattr("ticket_processor.backfill.session.READ_WINDOW_WAIT", 0.05)
        monkeypatch.setattr("ticket_processor.backfill.session.WAIT_STEP", 0.01)
        ids = desk.create([*BACKLOG, *BACKLOG[:2]])

        result = backfill("--since", "7d")
        assert result.exit_code == 0, result.output
        assert "backfill complete" in result.output
        # It says what it did, over every slice, as a run's summary does.
        assert f"triaged and wrote back {len(ids)} ticket(s) through the normal path" in (
            result.output
        )
        assert "0 failed" in result.output
        assert_triaged_once(desk, ids)
        logs = tmp_path / "logs"
        assert named(logs, "backfill_online")[0]["reason"].startswith("the LLM endpoint has no")
        assert named(logs, "backfill_waiting"), "never waited for the read window"
        runs = named(logs, "run_finished")
        assert len(runs) >= 2  # slices, each under the run lock
        assert runs[0]["stopped_early"] == "read_window"
        assert sandbox.stats()["rate_limited"] == 0


def test_no_batch_stops_at_max_runtime_and_the_next_backfill_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # --no-batch although the endpoint has a Batch API; a slow LLM, one worker, a 3 s budget:
    # ten tickets of 0.6 s each cannot all be done within it and its grace, however fast the
    # machine. How many are (none, on a loaded one) is the machine's, not the code's.
    with (
        serve_desk(KINDS["zendesk"], unlimited=True) as desk,
        serve_in_thread(StandinConfig(seed=7, latency_s=0.6, latency_jitter=0.0)) as llm,
    ):
        configure(monkeypatch, tmp_path, desk.env(), llm.url)
        monkeypatch.setenv("TICKETBOT_WORKERS", "1")
        ids = desk.create([*BACKLOG, *BACKLOG])
        audit_store_ready(tmp_path / "state")  # not a first run's schema inside the 3 s

        stopped = backfill("--since", "7d", "--no-batch", "--max-runtime", "3")
        assert stopped.exit_code == 0, stopped.output
        assert "backfill paused (max_runtime)" in stopped.output
        assert (tmp_path / "state" / "backfill.json").is_file()  # where to go on from
        written = [i for i in ids if desk.snapshot(i).notes]
        assert len(written) < len(ids)

        finished = backfill("--no-batch")
        assert finished.exit_code == 0, finished.output
        assert "backfill complete" in finished.output
        assert_triaged_once(desk, ids)
        assert httpx2.get(f"{llm.url}/batches").json()["data"] == []


def test_batch_lines_that_failed_or_do_not_validate_take_the_online_path(
    slow_llm: RunningStandin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve_desk(KINDS["zendesk"], unlimited=True) as desk:
        configure(monkeypatch, tmp_path, desk.env(), slow_llm.url)
        ids = desk.create(BACKLOG)
        assert backfill("--since", "7d").exit_code == 0
        # The batch's first two lines: a 500, then an answer outside the schema.
        slow_llm.config.script = [
            {"status": 500},
            {"category": "vip_escalation", "urgency": "extreme"},
        ]
        slow_llm.complete_batches()
        result = backfill()
        assert result.exit_code == 0, result.output
        assert_triaged_once(desk, ids)
        [collect] = named(tmp_path / "logs", "backfill_collected")
        assert (collect["from_batch"], collect["online"], collect["triaged"]) == (3, 2, 5)
        online = [e for e in named(tmp_path / "logs", "ticket_triaged") if not e["cached"]]
        assert len(online) == 2
        assert all(e["engine"] == "llm" and not e["fallback"] for e in online)
        assert len(slow_llm.received) == len(ids) + 2  # five batch lines, two online calls


def test_a_batch_is_never_larger_than_the_cache_its_answers_wait_in(
    desk: Desk, slow_llm: RunningStandin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The answers wait in the analysis cache until the write-back reads them: a batch larger
    # than the cache would lose the oldest answers and pay for them again online.
    configure(monkeypatch, tmp_path, desk.env(), slow_llm.url)
    monkeypatch.setenv("TICKETBOT_CACHE_ENTRIES", "2")
    ids = desk.create(BACKLOG)
    first = backfill("--since", "7d")
    assert first.exit_code == 0, first.output
    assert "batches of 2 tickets, not 5000" in first.output
    assert "with 2 tickets" in first.output  # cut inside the helpdesk's first page
    for _ in range(len(BACKLOG)):
        slow_llm.complete_batches()
        result = backfill()
        assert result.exit_code == 0, result.output
        if "backfill complete" in result.output:
            break
    assert "backfill complete" in result.output
    assert_triaged_once(desk, ids)
    assert len(list(iter_requests(slow_llm))) == len(ids)  # every answer from a batch


def test_a_link_planted_as_the_lock_is_set_aside_and_said_once(
    desk: Desk, slow_llm: RunningStandin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = configure(monkeypatch, tmp_path, desk.env(), slow_llm.url)
    state.mkdir(mode=0o700)
    elsewhere = tmp_path / "passwd"
    elsewhere.write_bytes(b"root:x:0:0\n")
    (state / "ticketbot.lock").symlink_to(elsewhere)
    desk.create(BACKLOG[:1])

    result = backfill("--since", "7d")

    assert result.exit_code == 0, result.output
    assert elsewhere.read_bytes() == b"root:x:0:0\n"  # never truncated through the link
    assert "ticketbot.lock" in result.output
    [aside] = named(tmp_path / "logs", "state_file_set_aside")
    assert aside["file"] == "ticketbot.lock"
    assert (state / aside["moved_to"]).is_symlink()

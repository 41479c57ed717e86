"""What a scheduled run promises, end to end against the sandbox.

- a cursor Zendesk refuses (400 malformed, 422 a start time in the future) is discarded, said,
  and the run triages from ``since`` and exits 0;
- ``--dry-run`` writes no state at all, breakers included, even with the LLM unreachable;
- a lock held for hours by a live process is a hung run: exit 1, naming its pid;
- ``health`` exits 0 / 1 / 2 / 3 as monitoring plugins do (3: its configuration is invalid);
- an aborted run saves its cursor, so the next run goes on after the pages it finished;
- ``ticketbot breaker reset`` closes an open breaker that was stopping every run;
- a ticket another ticketbot marks between our read and our write counts as ``second_writer``
  and gets no note from us.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from support.cli import invoke
from support.clock import FakeClock
from support.e2e import configure, events, notes
from support.events import Events

from ticket_processor.audit.queries import DecisionFilter, DecisionQuery
from ticket_processor.audit.store import FILE_NAME, AuditStore
from ticket_processor.helpdesks.zendesk.client import ZendeskClient
from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox
from ticket_processor.models import Cursor
from ticket_processor.passes.planner import ChangePlanner
from ticket_processor.passes.types import RunOptions
from ticket_processor.resilience.retry import Retrier, RetryPolicy
from ticket_processor.run import engines
from ticket_processor.run.connect import breaker_name, load_settings
from ticket_processor.run.context import RunContext
from ticket_processor.run.pipeline import Pipeline
from ticket_processor.sandbox.llm_standin.answers import keyword_answer
from ticket_processor.sandbox.llm_standin.server import RunningStandin
from ticket_processor.settings.variables import DEFAULT_CACHE_ENTRIES
from ticket_processor.state.cache import AnalysisCache
from ticket_processor.state.ledger import RunLedger
from ticket_processor.triage.chain import LocalEngine, TriageCache
from ticket_processor.triage.rules import RulesEngine
from ticket_processor.triage.taxonomy import load_taxonomy
from ticket_processor.zendesk import ZendeskHelpdesk

EXPORT = "GET /api/v2/incremental/tickets/cursor"
UNREACHABLE_LLM = "http://127.0.0.1:9/v1"  # nothing listens on the discard port


def make_tickets(sb: RunningSandbox, count: int, subject: str = "Refund for order") -> list[int]:
    return [
        int(
            sb.store.create(
                {
                    "subject": f"{subject} {n}",
                    "comment": {"body": f"Item {n} came back, still no refund for it."},
                }
            )["id"]
        )
        for n in range(count)
    ]


def event_names(log_dir: Path) -> list[str]:
    return [e["event"] for e in events(log_dir)]


def last_finished(log_dir: Path) -> dict[str, Any]:
    return [e for e in events(log_dir) if e["event"] == "run_finished"][-1]


def snapshot(directory: Path) -> dict[str, bytes | None]:
    """The run's state files; not the audit store, where every run (a dry one too) is
    recorded."""
    return {
        str(p.relative_to(directory)): (p.read_bytes() if p.is_file() else None)
        for p in sorted(directory.rglob("*"))
        if not p.name.startswith(FILE_NAME)
    }


@pytest.fixture
def log_dir(
    sandbox: RunningSandbox,
    standin: RunningStandin,
    monkeypatch: pytest.MonkeyPatch,
    isolated_env: Path,
) -> Path:
    """The environment pointed at the sandbox and the stand-in; the log directory."""
    return configure(monkeypatch, isolated_env, sandbox=sandbox, llm_url=standin.url, workers=4)


# --- a cursor Zendesk refuses ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("cursor", "status"),
    [
        (Cursor("incremental", "%%% not a cursor %%%", None), "400"),
        (Cursor("incremental", None, 4_000_000_000), "422"),  # a start time in 2096
    ],
    ids=["malformed-400", "future-422"],
)
def test_a_refused_cursor_is_discarded_and_the_run_triages_from_since(
    sandbox: RunningSandbox, log_dir: Path, isolated_env: Path, cursor: Cursor, status: str
) -> None:
    ids = make_tickets(sandbox, 4)
    RunLedger(isolated_env / "state").save_cursor(cursor, helpdesk="zendesk")
    result = invoke("run", "--engine", "rules")
    assert result.exit_code == 0, result.output
    [discarded] = [e for e in events(log_dir) if e["event"] == "cursor_discarded"]
    assert status in discarded["reason"]
    assert "refused" in result.output  # said on stderr too
    assert all(len(notes(sandbox, i)) == 1 for i in ids)
    saved = RunLedger(isolated_env / "state").load_cursor("zendesk")
    assert saved is not None
    assert saved != cursor  # a fresh one, from where this run got to
    again = invoke("run", "--engine", "rules")
    assert again.exit_code == 0, again.output
    assert event_names(log_dir).count("cursor_discarded") == 1


# --- dry run --------------------------------------------------------------------------------


def test_a_dry_run_writes_no_state_not_even_breakers_with_the_llm_down(
    sandbox: RunningSandbox, log_dir: Path, isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_tickets(sandbox, 3)
    assert invoke("run").exit_code == 0  # a real run leaves state behind
    state = isolated_env / "state"
    before = snapshot(state)
    assert "cursor.json" in before
    ids = make_tickets(sandbox, 6, subject="Where is my parcel")
    monkeypatch.setenv("OPENAI_BASE_URL", UNREACHABLE_LLM)
    monkeypatch.setenv("TICKETBOT_LLM_TIMEOUT", "1")
    monkeypatch.setattr(engines, "LLM_RETRY", RetryPolicy(attempts=1))  # refused: fail fast
    result = invoke("run", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "planned changes" in result.output
    assert last_finished(log_dir)["fallback"] == 6
    assert snapshot(state) == before  # byte for byte: no cursor, cache, retry, breaker change
    assert all(notes(sandbox, i) == [] for i in ids)
    with AuditStore.open(None, state_dir=state, account="zendesk:127.0.0.1") as store:
        dry = store.list_decisions(DecisionQuery(DecisionFilter(mode="dry-run")))
    assert sorted(d.ticket_id for d in dry.rows) == sorted(ids)
    assert {d.status for d in dry.rows} == {"dry-run"}
    # The same run for real does change the LLM breaker: the check above can fail.
    assert invoke("run").exit_code == 0
    breakers = orjson.loads((state / "breakers.json").read_bytes())
    assert breakers[f"llm@{UNREACHABLE_LLM}"]["failures"] > 0


def test_a_dry_run_on_a_first_run_creates_no_state_directory(
    sandbox: RunningSandbox, log_dir: Path, isolated_env: Path
) -> None:
    make_tickets(sandbox, 2)
    result = invoke("run", "--dry-run", "--engine", "rules")
    assert result.exit_code == 0, result.output
    assert not (isolated_env / "state").exists()


# --- a hung run holding the lock ------------------------------------------------------------

HOLDER = """
import sys
from pathlib import Path
from ticket_processor.state.lock import RunLock
with RunLock(Path(sys.argv[1])):
    print("locked", flush=True)
    sys.stdin.readline()
"""


def test_a_lock_held_for_hours_is_a_hung_run_exit_1_naming_the_pid(
    sandbox: RunningSandbox, log_dir: Path, isolated_env: Path
) -> None:
    state = isolated_env / "state"
    state.mkdir()
    started = (datetime.now(UTC) - timedelta(hours=5)).isoformat(timespec="seconds")
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(state)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "locked"
        # The holder is alive and holds the OS lock; its info line says it started 5 h ago.
        info = orjson.dumps({"pid": child.pid, "started": started})
        with open(state / "ticketbot.lock", "r+b") as lock_file:
            lock_file.seek(1)
            lock_file.write(info + b"\n")
            lock_file.truncate()
        ids = make_tickets(sandbox, 2)
        result = invoke("run", "--engine", "rules")
        assert result.exit_code == 1, result.output
        assert f"pid {child.pid}" in result.output
        assert "hung" in result.output
        assert all(notes(sandbox, i) == [] for i in ids)
    finally:
        child.kill()
        child.wait(10)
    # Once the hung process is gone the next run goes on.
    assert invoke("run", "--engine", "rules").exit_code == 0


# --- health exit codes ------------------------------------------------------------------------


def health(*args: str) -> tuple[int, dict[str, Any]]:
    result = invoke("health", "--json", *args)
    try:
        verdict = orjson.loads(result.output)
    except orjson.JSONDecodeError:
        verdict = {"output": result.output}
    return result.exit_code, verdict


def statuses(verdict: dict[str, Any]) -> dict[str, str]:
    return {c["name"]: c["status"] for c in verdict["checks"]}


def test_health_exit_codes_follow_the_monitoring_plugin_convention(
    sandbox: RunningSandbox, log_dir: Path, isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_tickets(sandbox, 2)
    assert invoke("run").exit_code == 0
    code, verdict = health()
    assert (code, verdict["status"]) == (0, "healthy"), verdict

    # 1 WARNING: an open breaker (degraded: runs still work, the LLM's falls back to rules).
    settings = load_settings(os.environ, env_file=None)
    RunLedger(isolated_env / "state")._save_breaker(
        f"llm@{settings.openai_base_url}",
        {"state": "open", "failures": 5, "opened_at": time.time()},
    )
    code, verdict = health()
    assert (code, statuses(verdict)["breakers"]) == (1, "degraded"), verdict

    # 2 CRITICAL: the helpdesk refuses the credentials.
    monkeypatch.setenv("ZENDESK_API_TOKEN", "not-the-sandbox-token")
    code, verdict = health()
    assert (code, statuses(verdict)["zendesk"]) == (2, "unhealthy"), verdict
    assert "not-the-sandbox-token" not in str(verdict)

    # 3 UNKNOWN: health cannot even read its own configuration.
    monkeypatch.setenv("TICKETBOT_WORKERS", "many")
    result = invoke("health", "--json")
    assert result.exit_code == 3, result.output
    assert "TICKETBOT_WORKERS" in result.output


# --- an aborted run saves its cursor ------------------------------------------------------------


def pipeline(
    sb: RunningSandbox, ledger: RunLedger, clock: FakeClock, since: datetime, **hooks: Any
) -> tuple[Pipeline, ZendeskHelpdesk]:
    client = ZendeskClient(
        sb.url,
        email=sb.config.email,
        api_token=sb.config.token,
        retrier=Retrier(RetryPolicy(attempts=1), sleep=clock.sleep),
        sleep=clock.sleep,
    )
    helpdesk = ZendeskHelpdesk(
        client, marker="ai_processed", clock=clock, sleep=clock.sleep, page_size=10
    )
    options = RunOptions(engine="rules", workers=2, since=since)
    built = Pipeline(
        RunContext(
            helpdesk=helpdesk,
            ledger=ledger,
            chain=[LocalEngine("rules", RulesEngine(load_taxonomy()))],
            cache=TriageCache(AnalysisCache(ledger, max_entries=DEFAULT_CACHE_ENTRIES), tag=""),
            planner=ChangePlanner(options, run_id="r"),
            log=Events(),
            options=options,
            run_id="r",
            writer_flush_after=0.05,
            **hooks,
        )
    )
    return built, helpdesk


def export_requests(sb: RunningSandbox) -> int:
    return int(sb.stats()["requests"].get(EXPORT, 0))


def test_an_aborted_run_saves_its_cursor_and_the_next_goes_on_after_it(
    sandbox: RunningSandbox, fake_clock: FakeClock, tmp_path: Path
) -> None:
    sandbox.config.incremental_limit_per_min = 1000  # three readers in one minute here
    ids = make_tickets(sandbox, 35)
    since = datetime.now(UTC) - timedelta(hours=1)
    # Where page 2 ends, read before anything is written.
    reader = ZendeskHelpdesk(
        ZendeskClient(sandbox.url, email=sandbox.config.email, api_token=sandbox.config.token),
        marker="ai_processed",
        page_size=10,
        clock=fake_clock,
        sleep=fake_clock.sleep,
    )
    # (Page 0 is the start, empty: where a run stopped before page 1 would go on from.)
    after_page_2 = list(reader.ticket_pages(None, since=int(since.timestamp())))[2].next_cursor
    base = export_requests(sandbox)

    def fail_page_3() -> str | None:
        # While page 2 is handed out, Zendesk starts failing the export: page 3 never comes.
        if export_requests(sandbox) - base >= 2 and not sandbox.config.faults:
            sandbox.config.faults = [f"503 {EXPORT}"] * 3
        return None  # no stop: the run goes on until the export fails

    ledger = RunLedger(tmp_path / "state")
    first, hd = pipeline(sandbox, ledger, fake_clock, since, stop_signal=fail_page_3)
    summary = first.run()
    hd.close()
    assert (summary.status, summary.exit_code) == ("aborted", 1), summary.reason
    assert summary.triaged == 20
    saved = RunLedger(ledger.directory).load_cursor("zendesk")
    assert saved == after_page_2

    # The next run starts from the saved cursor: even told to look back no time at all
    # (``since`` now), it finds the 15 tickets after page 2, and only those to triage.
    sandbox.config.faults = []
    second, hd = pipeline(sandbox, RunLedger(ledger.directory), fake_clock, datetime.now(UTC))
    again = second.run()
    hd.close()
    assert (again.status, again.triaged) == ("ok", 15), again.reason
    assert all(len(notes(sandbox, i)) == 1 for i in ids)


# --- breaker reset -----------------------------------------------------------------------------


def test_breaker_reset_closes_an_open_breaker_that_stopped_every_run(
    sandbox: RunningSandbox, log_dir: Path, isolated_env: Path
) -> None:
    ids = make_tickets(sandbox, 3)
    name = breaker_name(load_settings(os.environ, env_file=None))
    opened = time.time()
    RunLedger(isolated_env / "state")._save_breaker(
        name, {"state": "open", "failures": 5, "opened_at": opened}
    )
    blocked = invoke("run", "--engine", "rules")
    took = time.time() - opened
    assert blocked.exit_code == 1, blocked.output
    assert "breaker reset" in blocked.output  # says how to close it, and when it would
    # 60 s from the opening, less what the run took to get there (seconds on a busy machine).
    said = re.search(r"trial call through in (\d+) s\b", blocked.output)
    assert said is not None, blocked.output
    assert 60 - took - 1 <= int(said[1]) <= 60, (said[1], took)
    assert all(notes(sandbox, i) == [] for i in ids)

    result = invoke("breaker", "reset")
    assert result.exit_code == 0, result.output
    assert name in result.output
    assert RunLedger(isolated_env / "state").breaker_states()[name]["state"] == "closed"
    unknown = invoke("breaker", "reset", "nope@https://x")
    assert unknown.exit_code == 2
    assert name in unknown.output  # lists the breakers there are

    after = invoke("run", "--engine", "rules")
    assert after.exit_code == 0, after.output
    assert all(len(notes(sandbox, i)) == 1 for i in ids)


@pytest.mark.slow
def test_an_unreachable_helpdesk_aborts_naming_the_cause_and_its_fix(
    log_dir: Path, isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing listens on the discard port: every call fails, the breaker opens on the way, and
    # the abort must still say what failed and what to check, not only "breaker open".
    monkeypatch.setenv("ZENDESK_URL", "http://127.0.0.1:9")
    for _ in range(2):  # the second run meets the breaker the first one left open
        result = invoke("run", "--engine", "rules")
        assert result.exit_code == 1, result.output
        [aborted] = [line for line in result.stderr.splitlines() if "run aborted" in line]
        assert "could not reach Zendesk at http://127.0.0.1:9" in aborted
        assert "check ZENDESK_URL" in aborted
        reason = last_finished(log_dir)["reason"]
        assert reason.startswith("could not reach Zendesk"), reason
    report = invoke("report", env={"COLUMNS": "200"})
    assert report.exit_code == 0, report.output
    assert "check ZENDESK_URL" in report.stdout
    page = isolated_env / "report.html"
    assert invoke("report", "--html", str(page)).exit_code == 0
    assert "check ZENDESK_URL" in page.read_text("utf-8")


# --- a second writer ---------------------------------------------------------------------------


def test_a_marker_appearing_between_read_and_write_counts_as_a_second_writer(
    sandbox: RunningSandbox, standin: RunningStandin, log_dir: Path
) -> None:
    ids = make_tickets(sandbox, 4)
    [raced] = make_tickets(sandbox, 1, subject="Raced by another host")

    def answer(subject: str, body: str) -> dict[str, Any]:
        # Another ticketbot (a second host) marks this ticket while we analyse it.
        if subject.startswith("Raced by another host"):
            ticket = sandbox.store.get(raced)
            sandbox.store.update(raced, {"tags": [*ticket["tags"], "ai_processed"]})
        return keyword_answer(subject, body)

    standin.config.answer = answer
    result = invoke("run")
    assert result.exit_code == 0, result.output
    finished = last_finished(log_dir)
    assert (finished["second_writer"], finished["triaged"]) == (1, 4)
    # The run's line says it too (a review's run that backed off 240 tickets read "triaged=0
    # skipped=0", as if it had been idle).
    assert "marked_by_another_writer=1" in result.output, result.output
    assert [e["ticket_id"] for e in events(log_dir) if e["event"] == "ticket_already_marked"] == [
        raced
    ]
    assert notes(sandbox, raced) == []  # the other host's to write; never a second note
    assert all(len(notes(sandbox, i)) == 1 for i in ids)


# --- a first run stopped part-way --------------------------------------------------------------


def test_a_first_run_stopped_part_way_keeps_its_starting_point(
    sandbox: RunningSandbox, log_dir: Path, isolated_env: Path
) -> None:
    # A backfill (``--since`` days back) stopped inside its first export page (by --limit
    # here; SIGTERM, --max-runtime and an abort take the same path) has no page-end cursor to
    # save. The scheduled run after it has no --since: it must go on from where the backfill
    # began, not from its own default of 24 hours back, or the older tickets are never triaged.
    written_at = sandbox.store._now
    sandbox.store._now = lambda: written_at() - 3 * 86400  # tickets last updated 3 days ago
    ids = make_tickets(sandbox, 5)
    sandbox.store._now = written_at
    since = (datetime.now(UTC) - timedelta(days=4)).date().isoformat()
    first = invoke("run", "--engine", "rules", "--since", since, "--limit", "2")
    assert first.exit_code == 0, first.output
    assert "stopped=limit" in first.output
    assert sum(len(notes(sandbox, i)) for i in ids) == 2
    second = invoke("run", "--engine", "rules")
    assert second.exit_code == 0, second.output
    assert all(len(notes(sandbox, i)) == 1 for i in ids), [len(notes(sandbox, i)) for i in ids]

"""A tiny run of ``scripts/bench.py`` end to end, and its pure parts.

The smoke run seeds 30 tickets into the sandbox, runs ``ticketbot run --engine rules`` as a
child process and checks the JSON the benchmark prints: every ticket triaged, the keys
docs/explanation/benchmarks.md reads present, and the counts consistent with batched writes.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import orjson
import pytest
from support.e2e import script_module, toolbox, toolbox_env

REQUIRED_KEYS = {
    "tickets",
    "seconds",
    "tickets_per_min",
    "bound_tickets_per_min",
    "ratio_to_bound",
    "zendesk_requests",
    "zendesk_requests_per_ticket",
    "zendesk_429",
    "helpdesk_requests",
    "helpdesk_requests_per_ticket",
    "helpdesk_429",
    "llm_calls_per_ticket",
    "p50_ticket_seconds",
    "p95_ticket_seconds",
    "peak_rss_mb",
    "peak_rss_mb_per_run",
    "runs",
    "minutes",
    "tokens_per_ticket",
    "settings",
}


@pytest.fixture(scope="module")
def harness() -> ModuleType:
    return script_module("bench_harness")


@pytest.fixture(scope="module")
def bench_figures() -> ModuleType:
    return script_module("bench_figures")


def test_smoke_run_triages_every_ticket_and_prints_the_figures(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            *toolbox("bench"),
            "--tickets",
            "30",
            "--engine",
            "rules",
            "--zendesk-latency-ms",
            "0",
            "--workers",
            "8",
            "--json",
        ],
        capture_output=True,
        env=toolbox_env(),
        timeout=60,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    result: dict[str, Any] = orjson.loads(done.stdout)
    assert result.keys() >= REQUIRED_KEYS
    assert result["tickets"] == 30
    assert result["triaged"] == 30
    assert result["failed"] == 0
    assert result["exit_code"] == 0
    assert result["zendesk_429"] == 0
    assert result["llm_calls_per_ticket"] == 0  # --engine rules: no LLM at all
    # 30 tickets are one or two update_many jobs: a handful of requests, never one per ticket.
    # (Two where the tickets the spam gate's screen spares are written while a ticket the head
    # reads waits a second for the encoder to load.)
    assert 1 <= result["zendesk_requests"] < 15
    assert result["bound_tickets_per_min"] == 10_000  # 100 updates/min x 100 tickets a job
    assert result["peak_rss_mb"] > 10
    # The run's own memory (through bench_launch.py), not the benchmark's: one run, one figure.
    assert result["runs"] == 1
    assert result["peak_rss_mb_per_run"] == [result["peak_rss_mb"]]
    assert result["tokens_per_ticket"] == {"prompt": 0.0, "completion": 0.0, "cached": 0.0}
    assert result["settings"]["engine"] == "rules"
    assert result["settings"]["workers"] == 8
    assert result["seconds"] > 0
    assert result["p50_ticket_seconds"] <= result["p95_ticket_seconds"]
    # The run's CPU per 1,000 tickets and the start-up's CPU (the imports of ticketbot run,
    # which cost a child process some CPU however fast the machine).
    per_1000 = result["child_cpu_seconds"] * 1000 / 30  # child_cpu_seconds is rounded to 0.01
    assert result["cpu_seconds_per_1000"] == pytest.approx(per_1000, rel=0.01)
    assert result["startup_cpu_seconds"] > 0
    # How many tickets the spam gate's head read: the rest the cheap signals and its screen
    # decided without an encoder pass.
    assert 0 <= result["spam_head_read"] <= 30
    assert result["spam_head_share"] == pytest.approx(result["spam_head_read"] / 30, abs=1e-4)


def test_freshdesk_smoke_run_names_its_figures_and_stays_at_three_requests(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        [
            *toolbox("bench"),
            *("--helpdesk", "freshdesk", "--tickets", "30", "--engine", "rules"),
            *("--helpdesk-latency-ms", "0", "--workers", "8", "--json"),
        ],
        capture_output=True,
        env=toolbox_env(),
        timeout=60,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    result: dict[str, Any] = orjson.loads(done.stdout)
    assert result["triaged"] == result["tickets"] == 30
    assert result["runs"] == 1
    assert result["helpdesk"] == "freshdesk"
    assert result["helpdesk_429"] == 0
    # A fresh read, a note and an update a ticket, and one list page; plus the help centre's
    # sync, once a run whatever the number of tickets (an empty solutions listing here), and,
    # the bench's run being a first run, one count of the older open tickets it leaves; and one
    # list page of reply discovery (the run's own tickets need no conversation read); and, a
    # first run, one list page of the recent tickets for the rising categories' baseline; and
    # one read of the first batch's last note, for a second installation's copy.
    by_endpoint = result["helpdesk_requests_by_endpoint"]
    sync = sum(n for endpoint, n in by_endpoint.items() if "/solutions/" in endpoint)
    assert sync <= 2, by_endpoint
    assert by_endpoint.get("GET /api/v2/search/tickets") == 1, by_endpoint
    assert by_endpoint.get("GET /api/v2/tickets/{id}/conversations") == 1, by_endpoint
    assert result["helpdesk_requests"] - sync == 3 * 30 + 1 + 1 + 1 + 1 + 1, by_endpoint
    assert result["bound_tickets_per_min"] == 133.3  # Pro: 400 requests a minute / 3
    assert result["bound_by"] == "freshdesk_requests"
    assert not any(key.startswith("zendesk_") for key in result), "aliases are Zendesk's only"


def test_latency_range_parses_a_span_or_one_value(harness: ModuleType) -> None:
    assert harness.parse_latency_range("80-150") == (80.0, 150.0)
    assert harness.parse_latency_range("0") == (0.0, 0.0)
    with pytest.raises(ValueError, match="LOW"):
        harness.parse_latency_range("150-80")


def test_tickets_are_distinct_unless_asked_to_repeat(harness: ModuleType) -> None:
    distinct = harness.make_tickets(500, duplicates=0.0, seed=1)
    assert len({(t.subject.lower(), t.description.lower()) for t in distinct}) == 500
    repeated = harness.make_tickets(500, duplicates=0.2, seed=1)
    assert len(repeated) == 500
    assert len({(t.subject, t.description) for t in repeated}) == 400


def test_bound_is_the_tightest_limit(bench_figures: ModuleType) -> None:
    settings = bench_figures.BenchSettings(workers=64, llm_latency=1.0, llm_rpm=5000)
    assert bench_figures.bound_terms(settings) == {
        "zendesk_writes": 10_000.0,
        "llm_concurrency": 3840.0,
        "llm_rpm": 5000.0,
    }
    rules = bench_figures.BenchSettings(engine="rules", update_limit_per_min=300)
    assert bench_figures.bound_terms(rules) == {"zendesk_writes": 30_000.0}


def test_the_run_child_uses_the_bytecode_cache_and_the_spam_gate_as_asked(
    harness: ModuleType, bench_figures: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What the child is handed, not how: the two servers' addresses are all it reads of them.
    class Served:
        url = "http://127.0.0.1:9/v1"

    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    monkeypatch.setenv("TICKETBOT_SPAM_GATE", "false")  # the caller's own: never inherited
    on = harness.child_env(Served(), Served(), tmp_path, bench_figures.BenchSettings())
    assert "PYTHONDONTWRITEBYTECODE" not in on
    assert on["TICKETBOT_SPAM_GATE"] == "true"
    off = harness.child_env(
        Served(), Served(), tmp_path, bench_figures.BenchSettings(spam_gate=False)
    )
    assert off["TICKETBOT_SPAM_GATE"] == "false"
    settings, _ = script_module("bench").parse_args(["--engine", "rules", "--no-spam-gate"])
    assert settings.spam_gate is False

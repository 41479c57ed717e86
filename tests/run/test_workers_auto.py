"""``--workers auto``: the LLM calls in flight follow the endpoint, not a constant.

The adaptive limit is driven directly for its rules, then through the real client against the
stand-in: an endpoint that serves every call at the same latency gets all the workers, one
that queues behind four slots (an Ollama) gets a handful.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from support.cli import invoke
from support.e2e import configure, create, events

from ticket_processor.errors import ConfigError
from ticket_processor.helpdesks.zendesk.sandbox.config import SandboxConfig
from ticket_processor.helpdesks.zendesk.sandbox.server import serve_in_thread
from ticket_processor.resilience.pacing import AUTO_LLM_CEILING, AdaptiveLimit, resolve_workers
from ticket_processor.run.connect import load_settings
from ticket_processor.run.engines import build_analyser
from ticket_processor.run.runner import run_options
from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.sandbox.llm_standin.server import RunningStandin, StandinConfig
from ticket_processor.sandbox.llm_standin.server import serve_in_thread as serve_standin
from ticket_processor.triage.prepare import prepare_ticket


def saturate(limit: AdaptiveLimit, calls: int, latency: Callable[[int], float]) -> None:
    """Callers always waiting: whenever a call ends another takes every free permit."""
    while limit.in_use < limit.limit:
        limit.acquire()
    for _n in range(calls):
        limit.release()
        limit.on_success(latency(limit.in_use + 1))
        while limit.in_use < limit.limit:
            limit.acquire()


def test_flat_latency_grows_from_the_start_to_the_ceiling() -> None:
    limit = AdaptiveLimit(256, start=4, follow_latency=True)
    saturate(limit, 400, lambda in_flight: 1.0)
    assert limit.limit == 256
    assert limit.stats()["llm_limit_peak"] == 256


def test_a_queueing_endpoint_brings_the_limit_down_to_what_it_serves() -> None:
    # Four slots: a call waits behind the others, latency = in flight / 4 (at least one call).
    limit = AdaptiveLimit(256, start=4, follow_latency=True)
    saturate(limit, 2000, lambda in_flight: max(1.0, in_flight / 4))
    assert 4 <= limit.limit <= 12, limit.limit


def test_a_fixed_limit_does_not_follow_latency() -> None:
    limit = AdaptiveLimit(32)
    saturate(limit, 200, lambda in_flight: 10.0 * in_flight)
    assert limit.limit == 32


def test_unused_permits_do_not_grow_the_limit() -> None:
    limit = AdaptiveLimit(256, start=4, follow_latency=True)
    for _ in range(100):  # one call at a time: the limit is never what binds
        limit.acquire()
        limit.release()
        limit.on_success(1.0)
    assert limit.limit == 4


def test_workers_resolve_from_a_number_or_auto() -> None:
    assert resolve_workers(12, llm=True) == (12, False)
    assert resolve_workers("auto", llm=True) == (AUTO_LLM_CEILING, True)
    threads, auto = resolve_workers("auto", llm=False)
    assert not auto
    assert 2 <= threads <= 8


def test_auto_is_the_default_and_the_variable_takes_a_number_or_auto() -> None:
    llm = {"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "ZENDESK_URL": "http://127.0.0.1:9"}
    assert load_settings(llm, env_file=None).workers == "auto"
    options = run_options(load_settings(llm, env_file=None))
    assert (options.workers, options.auto_workers) == (AUTO_LLM_CEILING, True)
    rules = run_options(load_settings(llm, env_file=None), engine="rules")
    assert not rules.auto_workers
    assert rules.workers <= 8
    fixed = run_options(load_settings({**llm, "TICKETBOT_WORKERS": "24"}, env_file=None))
    assert (fixed.workers, fixed.auto_workers) == (24, False)
    with pytest.raises(ConfigError, match=r"TICKETBOT_WORKERS.*auto or a number from 1 to 256"):
        load_settings({**llm, "TICKETBOT_WORKERS": "lots"}, env_file=None)


def run_calls(standin: RunningStandin, count: int, threads: int) -> dict[str, object]:
    settings = load_settings(
        {"OPENAI_BASE_URL": standin.url, "TICKETBOT_MODEL": "stand-in"}, env_file=None
    )
    bot = build_analyser(settings, workers=threads, breaker=None, retry=None, auto_workers=True)
    ticket = prepare_ticket("Login", "I cannot log in since this morning.")
    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = list(pool.map(lambda _: bot.analyse(ticket), range(count)))
    assert len(results) == count
    stats = bot.concurrency()
    bot.close()
    return stats


@pytest.mark.slow
def test_auto_takes_every_worker_from_an_endpoint_that_keeps_its_latency(
    make_standin: Callable[..., RunningStandin],
) -> None:
    # Half a second a call: the CPU time of 64 Python threads on a loaded 2-core machine (tens
    # of milliseconds) stays well inside the latency the limit follows, so it reads "flat".
    standin = make_standin(latency_s=0.5, prompt_cache=False)
    stats = run_calls(standin, 400, 64)
    assert stats["llm_workers_auto"] is True
    assert stats["llm_limit_peak"] == 64
    # The limit reached every worker; the endpoint saw most of them at once. Not all: on a
    # loaded 2-core machine some of the 64 threads are still between two calls (54 was seen).
    assert standin.stats()["max_inflight"] >= 48


def test_auto_backs_off_from_an_endpoint_that_queues(
    make_standin: Callable[..., RunningStandin],
) -> None:
    standin = make_standin(latency_s=0.04, slots=4, prompt_cache=False)
    stats = run_calls(standin, 240, 64)
    settled = stats["llm_limit_now"]
    assert isinstance(settled, int)
    assert settled <= 16, stats  # four slots serve ~8 at twice the floor; a fixed limit: 64


def test_a_run_with_auto_workers_says_what_bound_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # 600 calls a minute announced, 0.2 s a call: the rate allows ~3 calls in flight, far
    # below the 256 threads auto starts, so the rate is what bounds the run.
    with (
        serve_in_thread(SandboxConfig(seed=3)) as sandbox,
        serve_standin(StandinConfig(latency_s=0.2, rpm_limit=600, announce_limits=True)) as llm,
    ):
        log_dir = configure(monkeypatch, tmp_path, sandbox=sandbox, llm_url=llm.url, workers="auto")
        ids = create(
            sandbox,
            [{"subject": f"Refund {n}", "comment": {"body": "Refund please."}} for n in range(30)],
        )
        result = invoke("run")
        assert result.exit_code == 0, result.output
        assert "bound=llm_rate" in result.output
        [bound] = [e for e in events(log_dir) if e["event"] == "run_bound"]
        assert bound["llm_workers_auto"] is True
        assert bound["llm_limit_requests"] == 600
        assert bound["llm_concurrency"] <= 6
        assert llm.stats()["rate_limited"] == 0
        triaged = [e for e in events(log_dir) if e["event"] == "ticket_triaged"]
        assert sorted(e["ticket_id"] for e in triaged) == sorted(ids)


@pytest.mark.desk(configure=True)
def test_a_run_names_the_helpdesks_writes_when_they_bound_it(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Two workers at half a second a call: the LLM lets 240 tickets a minute through. Zendesk's
    # writes let 10,000 (100 update jobs of 100); Freshdesk's Enterprise plan 280 writes a
    # minute, a note and an update a ticket: 140. So Freshdesk's writes bound the run.
    with serve_standin(StandinConfig(latency_s=0.5)) as llm:
        _two_workers_on(llm.url, monkeypatch)
        desk.create([NewTicket(f"Refund {n}", "Refund please.") for n in range(4)])
        result = invoke("run")
    assert result.exit_code == 0, result.output
    [bound] = [e for e in events(tmp_path / "logs") if e["event"] == "run_bound"]
    expected = "helpdesk_writes" if desk.kind == "freshdesk" else "llm_latency"
    assert bound["bound"] == expected, bound
    assert f"bound={expected}" in result.output


@pytest.mark.desk(configure=True)
def test_a_run_names_only_a_bound_that_held_it_back(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The helpdesk's write limits hold back only a run that writes: a dry run waited on the
    # LLM alone, and a run that found nothing new neither called the LLM nor wrote, so nothing
    # bounded it (no ``bound=``, no ``run_bound`` event, ``last_run.json`` says null).
    with serve_standin(StandinConfig()) as llm:
        _two_workers_on(llm.url, monkeypatch)
        desk.create([NewTicket(f"Refund {n}", "Refund please.") for n in range(3)])
        dry = invoke("run", "--dry-run")
        assert dry.exit_code == 0, dry.output
        assert "bound=llm_latency" in dry.output, dry.output
        first = invoke("run")
        assert first.exit_code == 0, first.output
        assert "triaged=3" in first.output, first.output
        again = invoke("run")
    assert again.exit_code == 0, again.output
    assert "triaged=0" in again.output, again.output
    assert "bound=" not in again.output, again.output
    dry_run, _, nothing_new = [e for e in events(tmp_path / "logs") if e["event"] == "run_finished"]
    assert (dry_run["bound"], nothing_new["bound"]) == ("llm_latency", None)
    bounds = [e["bound"] for e in events(tmp_path / "logs") if e["event"] == "run_bound"]
    assert len(bounds) == 2, bounds  # the dry run's and the first run's; none for the third
    assert bounds[0] == "llm_latency"
    last = json.loads((tmp_path / "state" / "last_run.json").read_text("utf-8"))
    assert last["bound"] is None, last


def _two_workers_on(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point ticketbot at the stand-in at ``url`` with two workers."""
    for name, value in {
        "OPENAI_BASE_URL": url,
        "OPENAI_API_KEY": "sk-test-not-a-real-key",
        "TICKETBOT_MODEL": "stand-in",
        "TICKETBOT_WORKERS": "2",
    }.items():
        monkeypatch.setenv(name, value)

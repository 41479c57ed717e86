"""The benchmark against the Freshdesk sandbox (``bench.py --helpdesk freshdesk``).

Freshdesk has no bulk write that saves a request (tags differ per ticket, notes are per ticket),
so a ticket costs at least a fresh read, a private note and one update: the plan's requests a
minute / 3 is the bound (Pro: 400 / 3 = 133 tickets a minute). The sandbox serves the plan's
limits and 80-150 ms a request; the backlog is put straight into its store (seeding is not what
is measured), one ticket every ``SPACING`` seconds over the last hours, as a real backlog
arrives. ``ticketbot run`` then runs as a child process, again while a run leaves tickets
behind (as cron would run it), up to ``MAX_RUNS``; the figures add the runs up.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from scripts.bench_figures import (
    BenchSettings,
    ChildRun,
    combined,
    figures,
    read_events,
    runs_figures,
)
from scripts.bench_harness import (
    WindowClock,
    _workdir,
    freshdesk_env,
    make_tickets,
    run_child,
    run_env,
    standin_config,
)
from ticket_processor.helpdesks.freshdesk.sandbox.config import FreshdeskConfig
from ticket_processor.helpdesks.freshdesk.sandbox.serving import RunningFreshdesk
from ticket_processor.helpdesks.freshdesk.sandbox.serving import serve_in_thread as serve_freshdesk
from ticket_processor.helpdesks.freshdesk.seed import to_freshdesk
from ticket_processor.sandbox.llm_standin.server import RunningStandin
from ticket_processor.sandbox.llm_standin.server import serve_in_thread as serve_standin

API_KEY = "bench-key"
SPACING = 7.0  # seconds between two tickets of the seeded backlog
MAX_RUNS = 5


@contextlib.contextmanager
def servers(
    settings: BenchSettings,
) -> Iterator[tuple[RunningFreshdesk, RunningStandin, WindowClock]]:
    clock = WindowClock()
    config = FreshdeskConfig(api_key=API_KEY, plan=settings.plan, seed=settings.seed, clock=clock)
    with serve_freshdesk(config) as sandbox, serve_standin(standin_config(settings)) as standin:
        yield sandbox, standin, clock


def seed_store(sandbox: RunningFreshdesk, clock: WindowClock, count: int, seed: int) -> int:
    """The backlog, created in the store as if it had arrived over the last hours."""
    tickets = make_tickets(count, duplicates=0.0, seed=seed)
    for n, ticket in enumerate(tickets):
        clock.offset = -(len(tickets) - n) * SPACING
        sandbox.store.create(to_freshdesk(ticket, requester=f"customer{n}@example.com"))
    clock.offset = 0.0
    return sandbox.store.count()


def child_env(
    sandbox: RunningFreshdesk, standin: RunningStandin, workdir: Path, settings: BenchSettings
) -> dict[str, str]:
    return freshdesk_env(
        sandbox.url,
        API_KEY,
        **run_env(standin, workdir, settings),
        TICKETBOT_RETRIAGE="true" if settings.retriage else "false",
    )


def _done(sandbox: RunningFreshdesk) -> int:
    return sum("ai_processed" in t["tags"] for t in sandbox.store.all_tickets())


def run_bench(settings: BenchSettings, *, say: Callable[[str], None]) -> dict[str, Any]:
    with _workdir(settings.workdir) as workdir, servers(settings) as (sandbox, standin, clock):
        say(f"seeding {settings.tickets} tickets into {sandbox.url}")
        created = seed_store(sandbox, clock, settings.tickets, settings.seed)
        low, high = settings.zendesk_latency_ms
        sandbox.config.apply({"latency_ms": (low + high) / 2, "jitter_ms": (high - low) / 2})
        clock.start_fresh_window()
        sandbox.sandbox.reset_stats()
        load_before = os.getloadavg()[0]
        args = ["run", "--workers", str(settings.workers), "--engine", settings.engine]
        env = child_env(sandbox, standin, workdir, settings)
        runs: list[ChildRun] = []
        while len(runs) < MAX_RUNS:
            say(f"run {len(runs) + 1}: {_done(sandbox)} of {created} triaged so far")
            runs.append(
                run_child(
                    args, env=env, cwd=workdir, timeout=settings.timeout, profile=settings.profile
                )
            )
            if runs[-1].exit_code != 0 or _done(sandbox) >= created:
                break
            time.sleep(0.1)
        stats = sandbox.stats()
        llm = standin.stats()
        events = read_events(workdir / "logs")
    result = figures(settings, created, combined(runs), stats, llm, events)
    result.update(runs_figures(runs, events))
    result["helpdesk_credits"] = int(stats.get("credits_used", 0))
    result["load_avg_1min_before"] = round(load_before, 2)
    result["load_avg_1min_after"] = round(os.getloadavg()[0], 2)
    return result

"""The benchmark's machinery: the servers, distinct tickets, one ``ticketbot run`` child process.

Used by ``scripts/bench.py`` (which owns the flags and the output). The Zendesk sandbox and the
OpenAI stand-in run as threads of *this* process, and ``ticketbot run`` as a separate child
process: on a 2-core machine that is two busy processes for two cores, the child's GIL is its
own, and the child's peak RSS (``os.wait4``) is the bot's memory alone, with no server in it.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson

from scripts import child_env as shared_child_env
from scripts import standin_env
from scripts.bench_figures import (
    BenchSettings,
    ChildRun,
    combined,
    figures,
    read_events,
    runs_figures,
)
from scripts.bench_launch import launcher
from ticket_processor.helpdesks.samples import SeedTicket, load_samples
from ticket_processor.helpdesks.zendesk.client import BATCH_LIMIT, ZendeskClient
from ticket_processor.helpdesks.zendesk.guide import guide_api
from ticket_processor.helpdesks.zendesk.help_centre import seed_help_centre
from ticket_processor.helpdesks.zendesk.sandbox.config import SandboxConfig
from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox
from ticket_processor.helpdesks.zendesk.sandbox.server import serve_in_thread as serve_sandbox
from ticket_processor.helpdesks.zendesk.seed import to_zendesk
from ticket_processor.sandbox.llm_standin.server import RunningStandin, StandinConfig
from ticket_processor.sandbox.llm_standin.server import serve_in_thread as serve_standin

EMAIL = "bench@example.com"
TOKEN = "bench-token"
LLM_DOWN_MODES = ("refused", "error", "hang")
# A hung LLM answers after this long: past any client timeout worth having.
LLM_HANG_SECONDS = 120.0


class WindowClock:
    """``time.time()`` plus an offset, so the sandbox's rate-limit minute can start afresh.

    Seeding uses the same sandbox; without a fresh window the run would inherit the seed's
    request count and meet 429s the bot did not cause.
    """

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def start_fresh_window(self, window: float = 60.0) -> None:
        now = self()
        self.offset += window - (now % window) + 0.001


def parse_latency_range(text: str) -> tuple[float, float]:
    """``"80-150"`` -> (80, 150); ``"100"`` -> (100, 100)."""
    low, sep, high = text.partition("-")
    try:
        values = (float(low), float(high) if sep else float(low))
    except ValueError:
        raise ValueError(f"expected MS or LOW-HIGH in milliseconds, got {text!r}") from None
    if values[0] < 0 or values[1] < values[0]:
        raise ValueError(f"expected 0 <= LOW <= HIGH, got {text!r}")
    return values


def make_tickets(
    count: int, *, duplicates: float, seed: int, labelled: Path | None = None
) -> list[SeedTicket]:
    """``count`` tickets from the shipped samples (or a labelled file's rows); a ``duplicates``
    share repeat another's text.

    Every original is distinct after the pipeline's case/whitespace folding (a running number
    in the subject and at the start of the body, where signature trimming cannot cut it).
    """
    samples = load_samples()
    if labelled is not None:
        from ticket_processor.learned.labelled_file import load_labelled

        samples = [
            SeedTicket(r.subject or r.description[:60], r.description, (), None)
            for r in load_labelled(labelled)
        ]
    rng = random.Random(seed)
    copies = round(count * duplicates)
    originals: list[SeedTicket] = []
    for n in range(count - copies):
        base = samples[n % len(samples)]
        originals.append(
            SeedTicket(
                f"{base.subject} #{n + 1}".strip(),
                f"Ref BEN-{n + 1:06d}.\n{base.description}",
                base.tags,
                base.priority,
            )
        )
    tickets = originals + [rng.choice(originals) for _ in range(copies)] if originals else []
    rng.shuffle(tickets)
    return tickets


def labelled_accuracy(
    path: Path, subjects: dict[int, str], events: list[dict[str, Any]]
) -> float | None:
    """The share of seeded labelled tickets whose triaged category is the label (a ticket's
    running number ``#n`` in its subject names its row, as ``make_tickets`` cycled them)."""
    from ticket_processor.learned.labelled_file import load_labelled

    rows = load_labelled(path)
    decided = {
        int(e["ticket_id"]): str(e.get("category"))
        for e in events
        if e.get("event") == "ticket_triaged" and isinstance(e.get("ticket_id"), int)
    }
    right = total = 0
    for ticket_id, subject in subjects.items():
        found = re.search(r"#(\d+)$", subject)
        if found is None or ticket_id not in decided:
            continue
        gold = rows[(int(found.group(1)) - 1) % len(rows)].labels.get("category")
        if gold is None:
            continue
        total += 1
        right += decided[ticket_id] == gold
    return round(right / total, 4) if total else None


def seed_sandbox(sandbox: RunningSandbox, tickets: list[SeedTicket]) -> int:
    """Create ``tickets`` in the sandbox's store, 100 at a time, as its ``create_many`` jobs do.

    Straight into the store, not over HTTP: the sandbox is a thread of this process, and the
    seed is not what is measured (100,000 tickets through jobs took minutes; this, seconds).
    The tickets are the same ``create_many`` objects and get the same ids and timestamps.
    """
    created = 0
    for start in range(0, len(tickets), BATCH_LIMIT):
        batch = [to_zendesk(t) for t in tickets[start : start + BATCH_LIMIT]]
        results = sandbox.store.create_many(batch)
        ok = sum(1 for r in results if r.get("id") is not None)
        if ok != len(batch):
            raise RuntimeError(f"seeding: created {ok} of {len(batch)} tickets")
        created += ok
    with ZendeskClient(sandbox.url, email=EMAIL, api_token=TOKEN) as client:
        seed_help_centre(guide_api(client))  # the sample help centre, for the suggestions
    return created


def standin_config(settings: BenchSettings) -> StandinConfig:
    """The LLM stand-in a benchmark's settings ask for (hanging or failing when it is down)."""
    return StandinConfig(
        latency_s=LLM_HANG_SECONDS if settings.llm_down == "hang" else settings.llm_latency,
        latency_jitter=0.0 if settings.llm_down == "hang" else settings.llm_jitter,
        rpm_limit=settings.llm_rpm,
        tpm_limit=settings.llm_tpm,
        announce_limits=settings.llm_announce,
        rate_limit_rate=settings.llm_429_rate,
        error_rate=1.0 if settings.llm_down == "error" else 0.0,
        seed=settings.seed,
    )


def freshdesk_env(url: str, api_key: str, **more: str) -> dict[str, str]:
    """A child's environment for a run against a Freshdesk at ``url``."""
    helpdesk = {
        "TICKETBOT_HELPDESK": "freshdesk",
        "FRESHDESK_URL": url,
        "FRESHDESK_API_KEY": api_key,
    }
    return shared_child_env(helpdesk, **more)


def run_env(standin: RunningStandin, workdir: Path, settings: BenchSettings) -> dict[str, str]:
    """What a benchmark's run is told whatever the helpdesk: its LLM, its folders, its workers."""
    url = closed_url() if settings.llm_down == "refused" else standin.url
    return standin_env(url, workdir, "bench-key", settings.workers)


@contextlib.contextmanager
def servers(
    settings: BenchSettings,
) -> Iterator[tuple[RunningSandbox, RunningStandin, WindowClock]]:
    """The sandbox (fast while seeding) and the stand-in, stopped on the way out."""
    clock = WindowClock()
    config = SandboxConfig(
        email=EMAIL,
        token=TOKEN,
        # The seed is not what is measured: no latency and the biggest plan while it runs.
        plan="high_volume",
        update_limit_per_min=settings.update_limit_per_min,
        seed=settings.seed,
        clock=clock,
    )
    with serve_sandbox(config) as sandbox, serve_standin(standin_config(settings)) as standin:
        yield sandbox, standin, clock


def arm_sandbox(sandbox: RunningSandbox, clock: WindowClock, settings: BenchSettings) -> None:
    """Switch from seeding to the measured settings: plan, latency, a fresh minute, zero stats."""
    low, high = settings.zendesk_latency_ms
    sandbox.config.apply(
        {"plan": settings.plan, "latency_ms": (low + high) / 2, "jitter_ms": (high - low) / 2}
    )
    clock.start_fresh_window()
    sandbox.sandbox.reset_stats()


def child_env(
    sandbox: RunningSandbox, standin: RunningStandin, workdir: Path, settings: BenchSettings
) -> dict[str, str]:
    helpdesk = {"ZENDESK_URL": sandbox.url, "ZENDESK_EMAIL": EMAIL, "ZENDESK_API_TOKEN": TOKEN}
    env = shared_child_env(
        helpdesk,
        run_env(standin, workdir, settings),
        TICKETBOT_KB_SUGGESTIONS=str(settings.kb_suggestions),
        # The stand-in priced as a small hosted model, so cost figures mean something.
        TICKETBOT_PRICES="stand-in=0.15/0.60",
    )
    # An installed ticketbot runs from its bytecode cache (pip writes it at install). With the
    # caller's PYTHONDONTWRITEBYTECODE a checkout never gets one, and every run compiled each of
    # its modules again: 0.38-0.40 s of CPU for the start-up of a fresh copy against 0.32-0.37 s.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["TICKETBOT_RETRIAGE"] = "true" if settings.retriage else "false"
    env["TICKETBOT_SPAM_GATE"] = "true" if settings.spam_gate else "false"
    if settings.cascade_model is not None:
        env.update(
            TICKETBOT_CASCADE="true",
            TICKETBOT_LEARNED_MODEL=str(settings.cascade_model),
            TICKETBOT_CASCADE_FIELDS=settings.cascade_fields,
        )
    return env


def closed_url() -> str:
    """An OpenAI base URL on a local port nothing listens on: every connect is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def run_child(
    args: list[str],
    *,
    env: dict[str, str],
    cwd: Path,
    timeout: float,
    profile: Path | None,
    entry: Sequence[str] = ("-m", "ticket_processor"),
) -> ChildRun:
    """Run ``python -m ticket_processor ARGS``; wall time and peak RSS of that process alone.

    ``entry`` replaces ``-m ticket_processor`` (``figures.py profile_run`` starts its stage timers
    so).

    The run is started by ``bench_launch.py``, a small process of its own, so its peak RSS is
    not charged with this process's memory (see there). Under ``profile`` the child is
    py-spy, so its RSS is py-spy's: not a memory figure.
    """
    command = [sys.executable, *entry, *args]
    if profile is not None:
        spy = Path(sys.executable).with_name("py-spy")
        kind = {".svg": "flamegraph", ".json": "speedscope"}.get(profile.suffix, "raw")
        # --gil: only samples holding the GIL, i.e. where the CPU goes, not threads waiting.
        record = ["record", "--threads", "--gil", "--format", kind, "-o", str(profile.resolve())]
        command = [str(spy), *record, "--", *command]
    out_path, err_path, usage_path = cwd / "child.out", cwd / "child.err", cwd / "child.usage"
    usage_path.unlink(missing_ok=True)
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started, started_at = time.perf_counter(), time.time()
        proc = subprocess.Popen(
            [*launcher(usage_path), *command],
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,  # a timeout kills the launcher and the run together
        )
        killer = threading.Timer(timeout, lambda: os.killpg(proc.pid, signal.SIGKILL))
        killer.start()
        try:
            proc.wait()
        finally:
            killer.cancel()
        seconds = time.perf_counter() - started
        ended_at = time.time()
    usage = orjson.loads(usage_path.read_bytes()) if usage_path.exists() else {}
    return ChildRun(
        exit_code=int(usage.get("exit_code", -9)),
        seconds=seconds,
        peak_rss_mb=float(usage.get("maxrss_kb", 0)) / 1024.0,
        cpu_seconds=float(usage.get("cpu_seconds", 0.0)),
        started_at=started_at,
        ended_at=ended_at,
        stdout=out_path.read_text("utf-8", errors="replace"),
        stderr=err_path.read_text("utf-8", errors="replace"),
    )


# What ``ticketbot run`` loads before it reads a setting: the interpreter, the command line and
# the run command's modules (``run --help`` would add the help's formatting, which a run skips).
STARTUP = "from ticket_processor.cli import build_app; build_app('run')"


def startup_cpu(env: dict[str, str], cwd: Path, *, repeat: int = 3) -> float:
    """CPU seconds (user + system) of a start-up (``STARTUP``), the median of ``repeat``."""
    seconds = []
    for _ in range(repeat):
        child = run_child([], env=env, cwd=cwd, timeout=120.0, profile=None, entry=["-c", STARTUP])
        seconds.append(child.cpu_seconds)
    return sorted(seconds)[len(seconds) // 2]


@contextlib.contextmanager
def _workdir(keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        if any(keep.iterdir()):
            raise ValueError(f"--workdir {keep} is not empty: old state would skew the run")
        yield keep
        return
    with tempfile.TemporaryDirectory(prefix="ticketbot-bench-") as tmp:
        yield Path(tmp)


def triaged_in(sandbox: RunningSandbox) -> int:
    """Tickets carrying the processed marker in the sandbox: what the runs have done so far."""
    return sum("ai_processed" in t.get("tags", ()) for t in sandbox.store.all_tickets())


def run_bench(
    settings: BenchSettings,
    *,
    say: Callable[[str], None],
    entry: Sequence[str] = ("-m", "ticket_processor"),
    startup: bool = True,
) -> dict[str, Any]:
    """Seed, run ``ticketbot run`` until the backlog is done, and gather the figures
    (``startup``: with the start-up's CPU, ``startup_cpu``, measured after the runs).

    A run reads 10 export pages (Zendesk's 10 requests a minute) and leaves the rest to the
    next scheduled run; so does this benchmark, up to ``settings.max_runs`` runs, moving the
    sandbox's rate-limit clock to a fresh minute between runs instead of waiting it out.
    """
    tickets = make_tickets(
        settings.tickets,
        duplicates=settings.duplicates,
        seed=settings.seed,
        labelled=settings.labelled,
    )
    with (
        _workdir(settings.workdir) as workdir,
        servers(settings) as (sandbox, standin, clock),
    ):
        say(f"seeding {len(tickets)} tickets into {sandbox.url}")
        seeded_at = time.perf_counter()
        created = seed_sandbox(sandbox, tickets)
        del tickets
        say(f"seeded in {time.perf_counter() - seeded_at:.1f}s; running ticketbot")
        arm_sandbox(sandbox, clock, settings)
        load_before = os.getloadavg()[0]
        args = ["run", "--workers", str(settings.workers), "--engine", settings.engine]
        env = child_env(sandbox, standin, workdir, settings)
        runs: list[ChildRun] = []
        while len(runs) < settings.max_runs:
            if runs:
                clock.start_fresh_window()  # the next cron run meets a fresh export minute
            runs.append(
                run_child(
                    args,
                    env=env,
                    cwd=workdir,
                    timeout=settings.timeout,
                    profile=settings.profile,
                    entry=entry,
                )
            )
            done = triaged_in(sandbox)
            say(f"run {len(runs)}: {done} of {created} triaged, {runs[-1].peak_rss_mb:.1f} MB")
            if runs[-1].exit_code != 0 or done >= created:
                break
        measured = startup and settings.profile is None
        started_cpu = startup_cpu(env, workdir) if measured else None
        zendesk = sandbox.stats()
        llm = standin.stats()
        events = read_events(workdir / "logs")
        subjects = {int(t["id"]): str(t.get("subject") or "") for t in sandbox.store.all_tickets()}
    result = figures(settings, created, combined(runs), zendesk, llm, events)
    result.update(runs_figures(runs, events))
    result["startup_cpu_seconds"] = None if started_cpu is None else round(started_cpu, 3)
    finished = [e for e in events if e.get("event") == "run_finished"]
    result["cascaded"] = sum(int(e.get("cascaded") or 0) for e in finished)
    result["cost_usd"] = round(sum(float(e.get("cost_usd") or 0) for e in finished), 6)
    result["cascade_saved_usd"] = round(
        sum(float(e.get("cascade_saved_usd") or 0) for e in finished), 6
    )
    if settings.labelled is not None:
        result["category_accuracy"] = labelled_accuracy(settings.labelled, subjects, events)
    # Other work on the machine skews wall time; these say how much there was.
    result["load_avg_1min_before"] = round(load_before, 2)
    result["load_avg_1min_after"] = round(os.getloadavg()[0], 2)
    return result

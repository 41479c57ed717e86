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
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench_figures import BenchSettings, ChildRun, figures, read_events

from ticket_processor.help_centre import seed_help_centre
from ticket_processor.sandbox import RunningSandbox, SandboxConfig
from ticket_processor.sandbox import serve_in_thread as serve_sandbox
from ticket_processor.sandbox.llm_standin import RunningStandin, StandinConfig
from ticket_processor.sandbox.llm_standin import serve_in_thread as serve_standin
from ticket_processor.seed import SeedTicket, load_samples
from ticket_processor.zendesk import BATCH_LIMIT, JobStatus, ZendeskClient
from ticket_processor.zendesk_guide import guide_api

REPO_ROOT = Path(__file__).resolve().parents[1]
EMAIL = "bench@example.com"
TOKEN = "bench-token"
SEED_JOBS_IN_FLIGHT = 20  # below the sandbox's 30 queued jobs an account
LLM_DOWN_MODES = ("refused", "error", "hang")
# A hung LLM answers after this long: past any client timeout worth having.
LLM_HANG_SECONDS = 120.0
# Variables of the caller's environment the child must not inherit (a real account, say).
_CHILD_ENV_PREFIXES = ("ZENDESK_", "OPENAI_", "TICKETBOT_", "ZENPY_")


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


def make_tickets(count: int, *, duplicates: float, seed: int) -> list[SeedTicket]:
    """``count`` tickets from the shipped samples; a ``duplicates`` share repeat another's text.

    Every original is distinct after the pipeline's case/whitespace folding (a running number
    in the subject and at the start of the body, where signature trimming cannot cut it).
    """
    samples = load_samples()
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


def seed_sandbox(sandbox: RunningSandbox, tickets: list[SeedTicket]) -> int:
    """Create ``tickets`` through ``create_many`` jobs (100 each, several queued at once)."""
    created = 0
    with ZendeskClient(sandbox.url, email=EMAIL, api_token=TOKEN) as client:
        pending: list[tuple[JobStatus, int]] = []
        for start in range(0, len(tickets), BATCH_LIMIT):
            batch = tickets[start : start + BATCH_LIMIT]
            pending.append((client.create_many([t.to_zendesk() for t in batch]), len(batch)))
            if len(pending) >= SEED_JOBS_IN_FLIGHT:
                created += _finish_job(client, *pending.pop(0))
        for job, size in pending:
            created += _finish_job(client, job, size)
        seed_help_centre(guide_api(client))  # the sample help centre, for the suggestions
    return created


def _finish_job(client: ZendeskClient, job: JobStatus, size: int) -> int:
    done = client.wait_for_job(job, timeout=120.0)
    ok = sum(1 for r in done.results if r.success)
    if ok != size:
        raise RuntimeError(f"seeding: job {done.id} created {ok} of {size} tickets")
    return ok


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
    standin_config = StandinConfig(
        latency_s=LLM_HANG_SECONDS if settings.llm_down == "hang" else settings.llm_latency,
        latency_jitter=0.0 if settings.llm_down == "hang" else settings.llm_jitter,
        rpm_limit=settings.llm_rpm,
        tpm_limit=settings.llm_tpm,
        announce_limits=settings.llm_announce,
        rate_limit_rate=settings.llm_429_rate,
        error_rate=1.0 if settings.llm_down == "error" else 0.0,
        seed=settings.seed,
    )
    with serve_sandbox(config) as sandbox, serve_standin(standin_config) as standin:
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
    env = {k: v for k, v in os.environ.items() if not k.startswith(_CHILD_ENV_PREFIXES)}
    # The checkout's package first, so a clone benchmarks its own code, installed or not.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.update(
        ZENDESK_URL=sandbox.url,
        ZENDESK_EMAIL=EMAIL,
        ZENDESK_API_TOKEN=TOKEN,
        OPENAI_BASE_URL=closed_url() if settings.llm_down == "refused" else standin.url,
        OPENAI_API_KEY="bench-key",
        TICKETBOT_MODEL="stand-in",
        TICKETBOT_STATE_DIR=str(workdir / "state"),
        TICKETBOT_LOG_DIR=str(workdir / "logs"),
        TICKETBOT_WORKERS=str(settings.workers),
        TICKETBOT_KB_SUGGESTIONS=str(settings.kb_suggestions),
    )
    return env


def closed_url() -> str:
    """An OpenAI base URL on a local port nothing listens on: every connect is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def run_child(
    args: list[str], *, env: dict[str, str], cwd: Path, timeout: float, profile: Path | None
) -> ChildRun:
    """Run ``python -m ticket_processor ARGS``; wall time and peak RSS of that process alone.

    Under ``profile`` the child is py-spy, so its RSS is py-spy's: not a memory figure.
    """
    command = [sys.executable, "-m", "ticket_processor", *args]
    if profile is not None:
        spy = Path(sys.executable).with_name("py-spy")
        kind = {".svg": "flamegraph", ".json": "speedscope"}.get(profile.suffix, "raw")
        # --gil: only samples holding the GIL, i.e. where the CPU goes, not threads waiting.
        record = ["record", "--threads", "--gil", "--format", kind, "-o", str(profile.resolve())]
        command = [str(spy), *record, "--", *command]
    out_path, err_path = cwd / "child.out", cwd / "child.err"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started, started_at = time.perf_counter(), time.time()
        proc = subprocess.Popen(
            command,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
        )
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        try:
            # wait4, unlike RUSAGE_CHILDREN, gives this child's own usage.
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
        seconds = time.perf_counter() - started
        ended_at = time.time()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return ChildRun(
        exit_code=proc.returncode,
        seconds=seconds,
        peak_rss_mb=usage.ru_maxrss / 1024.0,  # Linux reports KiB
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        started_at=started_at,
        ended_at=ended_at,
        stdout=out_path.read_text("utf-8", errors="replace"),
        stderr=err_path.read_text("utf-8", errors="replace"),
    )


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


def run_bench(settings: BenchSettings, *, say: Callable[[str], None]) -> dict[str, Any]:
    """Seed, run ``ticketbot run`` once, and gather the figures as one JSON-able dict."""
    tickets = make_tickets(settings.tickets, duplicates=settings.duplicates, seed=settings.seed)
    with (
        _workdir(settings.workdir) as workdir,
        servers(settings) as (sandbox, standin, clock),
    ):
        say(f"seeding {len(tickets)} tickets into {sandbox.url}")
        seeded_at = time.perf_counter()
        created = seed_sandbox(sandbox, tickets)
        say(f"seeded in {time.perf_counter() - seeded_at:.1f}s; running ticketbot")
        arm_sandbox(sandbox, clock, settings)
        load_before = os.getloadavg()[0]
        args = ["run", "--workers", str(settings.workers), "--engine", settings.engine]
        child = run_child(
            args,
            env=child_env(sandbox, standin, workdir, settings),
            cwd=workdir,
            timeout=settings.timeout,
            profile=settings.profile,
        )
        zendesk = sandbox.stats()
        llm = standin.stats()
        events = read_events(workdir / "logs")
    result = figures(settings, created, child, zendesk, llm, events)
    # Other work on the machine skews wall time; these say how much there was.
    result["load_avg_1min_before"] = round(load_before, 2)
    result["load_avg_1min_after"] = round(os.getloadavg()[0], 2)
    return result

"""Figures of memory at scale: a run's memory bounds, the imports' memory and an export page's.

The audit store's figures are in ``figures_audit.py``, the dashboard list's and the state's
growth in ``figures_state.py``."""

from __future__ import annotations

import gc
import json
import multiprocessing
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts import child_env, command_parser, standin_env
from scripts.bench_harness import EMAIL, TOKEN, make_tickets, seed_sandbox
from scripts.bench_launch import launch
from ticket_processor.helpdesks.registry import KINDS
from ticket_processor.sandbox.desks import Desk, NewTicket, serve_desk
from ticket_processor.sandbox.llm_standin.server import (
    RunningStandin,
    StandinConfig,
    serve_in_thread,
)
from ticket_processor.tags import marker_tag

# memory_bounds -----------------------------------------------------------------------------------

MIB = 1024 * 1024
SEED_RUNS = 4  # the runs a seed case allows its reading (20,000 tickets: 21 export pages)
SUBJECTS = [
    ("Refund please", "I want my money back for order {n}."),
    ("Cannot log in", "The password reset link fails every time ({n})."),
    ("Parcel late", "My delivery {n} has not arrived, tracking says nothing."),
    ("Invoice wrong", "I was charged twice this month, invoice {n}."),
    ("App crashes", "The app crashes when I open settings, build {n}."),
]


@dataclass(frozen=True)
class Case:
    name: str
    standin: StandinConfig
    tickets: int
    workers: int
    backfill: bool = False
    reply: str | None = None  # what one requester says after the first run (a reply case)
    engine: str = "llm"
    cascade: bool = False  # TICKETBOT_CASCADE: the learned model first, the LLM where unsure
    # Tickets created over the two weeks before yesterday: the first run seeds the rising
    # categories' counts from them (topics/run_pass.py), with the incident window when
    # ``incidents``.
    history: int = 0
    incidents: bool = False


CASES = [
    Case("normal answers (baseline)", StandinConfig(seed=7), tickets=20, workers=4),
    *(
        Case(f"normal answers, --engine {engine}", StandinConfig(seed=7), 20, 4, engine=engine)
        for engine in ("learned", "rules")
    ),
    Case("normal answers, the cascade", StandinConfig(seed=7), 20, 4, cascade=True),
    Case(
        "one customer reply (angry), the cascade",
        StandinConfig(seed=7),
        tickets=5,
        workers=4,
        reply="Third time asking and still broken. I am cancelling today!",
        cascade=True,
    ),
    Case(
        "LLM answers 200 MB each",
        StandinConfig(seed=7, oversize_answer_bytes=200 * MIB),
        tickets=20,
        workers=4,
    ),
    Case(
        "LLM gzip bomb: ~1 MB inflating to 1 GB",
        StandinConfig(seed=7, gzip_bomb_bytes=1024 * MIB),
        tickets=20,
        workers=4,
    ),
    Case(
        "batch output padded with 600,000 lines (5 tickets)",
        StandinConfig(seed=7, batch_delay_s=3600, batch_padding_lines=600_000),
        tickets=5,
        workers=4,
        backfill=True,
    ),
    *(
        Case(
            f"one customer reply ({what}), --engine {engine}",
            StandinConfig(seed=7),
            tickets=5,
            workers=4,
            reply=text,
            engine=engine,
        )
        for engine in ("llm", "learned", "rules")
        for what, text in (
            ("thanks", "Thanks, that solved it!"),
            ("angry", "Third time asking and still broken. I am cancelling today!"),
        )
    ),
    *(
        Case(
            f"first run seeds 2 weeks of 20,000 tickets, --engine {engine}"
            + (", incidents on" if incidents else ""),
            StandinConfig(seed=7),
            tickets=20,
            workers=4,
            engine=engine,
            history=20_000,
            incidents=incidents,
        )
        for engine, incidents in (("rules", False), ("learned", False), ("learned", True))
    ),
    *(
        Case(
            f"a 5 MB customer reply, --engine {engine}",
            StandinConfig(seed=7),
            tickets=5,
            workers=4,
            reply=("Still broken after the update, the export fails again. " * 95_000)[: 5 * MIB],
            engine=engine,
        )
        for engine in ("llm", "learned")
    ),
]


class DeskClock:
    """The desk's time, a few minutes behind until a reply has been said (then the wall's)."""

    def __init__(self) -> None:
        self.now = float(int(time.time())) - 300

    def __call__(self) -> float:
        return self.now


# A child's ``ru_maxrss`` starts from the RSS of the process that forked it (Linux carries the
# high-water mark of the address space it leaves across ``exec``, and a vfork shares the
# parent's): measured from this process, the sandboxes' memory would count as the run's. A
# small launcher forks the run instead and reports the run's own peak.
def child(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, float, float, float]:
    """Run ``python -m ticket_processor ARGS``: exit code, seconds, peak RSS (MiB) and CPU
    seconds of it alone."""
    done = launch([sys.executable, "-m", "ticket_processor", *args], env=env, cwd=cwd)
    return done.exit_code, done.seconds, done.peak_mib, done.cpu_seconds


def run_case(case: Case, say: Callable[[str], None]) -> dict[str, Any]:
    clock = DeskClock()
    with (
        tempfile.TemporaryDirectory(prefix="ticketbot-memory-") as tmp,
        serve_desk(KINDS["zendesk"], unlimited=True, clock=clock) as desk,
        serve_in_thread(case.standin) as llm,
    ):
        work = Path(tmp)
        judged = 0
        _history(desk, clock, case.history)
        ids = desk.create(
            [
                NewTicket(subject, body.format(n=1000 + i))
                for i, (subject, body) in enumerate(
                    SUBJECTS[i % len(SUBJECTS)] for i in range(case.tickets)
                )
            ]
        )
        env = _env(desk, llm, work, case.workers)
        if case.incidents:
            env["TICKETBOT_INCIDENTS"] = "true"
        if case.cascade:
            env["TICKETBOT_CASCADE"] = "true"
        if case.backfill:
            code, seconds, peak, cpu = child(["backfill", "--since", "7d"], env, work)
            llm.complete_batches()
            code, more, peak2, cpu2 = child(["backfill"], env, work)
            seconds, peak, cpu = seconds + more, max(peak, peak2), cpu + cpu2
        elif case.reply is not None:
            code, *_ = child(["run", "--engine", case.engine], env, work)
            clock.now += 5
            desk.requester_says(ids[0], case.reply)
            clock.now = float(int(time.time()))  # the reply is over a minute old now
            code2, seconds, peak, cpu = child(["run", "--engine", case.engine], env, work)
            code = code or code2
            judged = _replies_judged(work / "logs")
        elif case.history:
            # Zendesk allows 10 exports a minute: the seed reads on over the next runs.
            code, seconds, peak, cpu = 0, 0.0, 0.0, 0.0
            for _ in range(SEED_RUNS):
                one, more, peak2, cpu2 = child(["run", "--engine", case.engine], env, work)
                code, seconds, peak, cpu = code or one, seconds + more, max(peak, peak2), cpu + cpu2
                if _seeded(work):
                    break
        else:
            code, seconds, peak, cpu = child(["run", "--engine", case.engine], env, work)
        seeded = _seeded(work)
        marker = marker_tag("ai_")
        triaged = sum(1 for i in ids if marker in desk.snapshot(i).tags)
    if case.reply is not None and judged != 1:
        triaged = 0  # the reply was not judged: the case fails
    if case.history and not seeded:
        triaged = 0  # the rising counts were not seeded whole: the case fails
    row = {
        "case": case.name,
        "exit_code": code,
        "tickets": len(ids),
        "triaged": triaged,
        "peak_rss_mib": round(peak, 1),
        "seconds": round(seconds, 1),
        "cpu_seconds": round(cpu, 1),
    }
    say(
        f"{case.name:52} exit {code}  triaged {triaged}/{len(ids)}  "
        f"peak RSS {peak:6.1f} MiB  {seconds:5.1f} s  CPU {cpu:5.1f} s"
    )
    return row


def _seeded(work: Path) -> bool:
    counts = work / "state" / "topic_counts.json"
    return counts.exists() and json.loads(counts.read_bytes()).get("seeded") is True


def _history(desk: Desk, clock: DeskClock, n: int) -> None:
    """``n`` tickets spread over the 13 days before yesterday (the first run reads the last 24
    hours: none of these), made on the desk's clock, which then comes back."""
    if not n:
        return
    back_to = clock.now
    days = 13
    for day in range(days):
        clock.now = back_to - (2 + day) * 86400
        share = n // days + (1 if day < n % days else 0)
        desk.create(
            [
                NewTicket(subject, body.format(n=day * 100_000 + i))
                for i, (subject, body) in enumerate(
                    SUBJECTS[(day + i) % len(SUBJECTS)] for i in range(share)
                )
            ]
        )
    clock.now = back_to


def _replies_judged(logs: Path) -> int:
    """How many ``reply_triaged`` events the runs logged."""
    count = 0
    for path in logs.rglob("*.jsonl"):
        for line in path.read_text("utf-8").splitlines():
            if '"reply_triaged"' in line and json.loads(line).get("event") == "reply_triaged":
                count += 1
    return count


def _env(desk: Desk, llm: RunningStandin, work: Path, workers: int) -> dict[str, str]:
    return child_env(desk.env(), standin_env(llm.url, work, "sk-memory-bounds", workers))


def memory_bounds(argv: list[str] | None = None) -> int:
    parser = command_parser("memory_bounds")
    parser.add_argument("--json", action="store_true", help="one JSON object per case")
    parser.add_argument("--limit-mb", type=float, default=250.0, help="peak RSS allowed (MiB)")
    parser.add_argument("--only", default="", help="only the cases whose name has this text")
    options = parser.parse_args(argv)
    rows = []
    for case in (c for c in CASES if options.only in c.name):
        rows.append(run_case(case, say=lambda line: None if options.json else print(line)))
        if options.json:
            print(json.dumps(rows[-1]))
    limit = options.limit_mb
    ok = all(
        r["exit_code"] == 0 and r["triaged"] == r["tickets"] and r["peak_rss_mib"] < limit
        for r in rows
    )
    if not options.json:
        print(f"every case exits 0, triages every ticket, peak RSS < {limit:g} MiB: {ok}")
    return 0 if ok else 1


# import_memory -----------------------------------------------------------------------------------

# What a rules run over the embedded audit store loads, or loaded, besides ticketbot and its
# core libraries: (module, the module it is priced beyond, None for a bare interpreter).
DEFAULT: tuple[tuple[str, str | None], ...] = (
    ("sqlalchemy", None),
    ("sqlalchemy.dialects.sqlite", "sqlalchemy"),
    ("sqlalchemy.dialects.postgresql", "sqlalchemy"),
    ("alembic.command", "sqlalchemy"),
    ("prometheus_client", None),
    ("re2", None),
)

PROBE = (
    "import importlib, sys\n"
    "for name in sys.argv[1:]:\n"
    "    importlib.import_module(name)\n"
    "print(next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM')))\n"
)


def peak_kib(modules: list[str], tries: int) -> float:
    peaks = [
        int(
            subprocess.run(
                [sys.executable, "-c", PROBE, *modules],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        for _ in range(tries)
    ]
    return statistics.median(peaks)


def import_memory(argv: list[str] | None = None) -> int:
    parser = command_parser("import_memory")
    parser.add_argument("modules", nargs="*", help="modules to price (default: the run's)")
    parser.add_argument("--tries", type=int, default=3, help="runs of each, median (3)")
    args = parser.parse_args(argv)
    bare = peak_kib([], args.tries)
    print(f"bare interpreter: {bare / 1024:.1f} MB peak RSS")
    asked = [(name, None) for name in args.modules] or DEFAULT
    for name, beyond in asked:
        first = [beyond] if beyond else []
        base = peak_kib(first, args.tries) if beyond else bare
        cost = peak_kib([*first, name], args.tries) - base
        where = f" (beyond {beyond})" if beyond else ""
        print(f"{name}: +{cost / 1024:.1f} MB{where}")
    return 0


# export_page_memory ------------------------------------------------------------------------------


def _serve(tickets: int, urls: Any) -> None:
    from ticket_processor.helpdesks.zendesk.sandbox.config import SandboxConfig
    from ticket_processor.helpdesks.zendesk.sandbox.server import serve_in_thread

    sandbox = serve_in_thread(SandboxConfig(email=EMAIL, token=TOKEN, plan="high_volume"))
    seed_sandbox(sandbox, make_tickets(tickets, duplicates=0.0, seed=7))
    urls.put(sandbox.url)
    time.sleep(3600)


def export_page_memory(argv: list[str] | None = None) -> int:
    parser = command_parser("export_page_memory")
    parser.add_argument("--tickets", type=int, default=1000, help="tickets on the page (1000)")
    parser.add_argument("--tries", type=int, default=3, help="pages read, one after another (3)")
    args = parser.parse_args(argv)
    context = multiprocessing.get_context("spawn")
    urls = context.Queue()
    server = context.Process(target=_serve, args=(args.tickets, urls), daemon=True)
    server.start()
    try:
        url = urls.get(timeout=300)
        from ticket_processor.helpdesks.zendesk.client import ZendeskClient

        client = ZendeskClient(url, email=EMAIL, api_token=TOKEN)
        for _ in range(args.tries):
            stream = client.incremental_tickets(start_time=0, per_page=min(args.tickets, 1000))
            gc.collect()
            tracemalloc.start()
            base = tracemalloc.get_traced_memory()[0]
            page = next(stream)
            held, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(
                f"{len(page.tickets)} tickets: peak {(peak - base) / 1e6:.1f} MB of Python "
                f"objects while read, {(held - base) / 1e6:.1f} MB held by the parsed page"
            )
            del page, stream
    finally:
        server.kill()
    return 0

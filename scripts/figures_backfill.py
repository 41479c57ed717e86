"""Figures of backfills at scale: a backfill sharded over several installations, and the Batch
API's backfill."""

from __future__ import annotations

import collections
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scripts import child_env, command_parser, free_port, standin_env
from scripts.bench_launch import launch, launcher, usage
from ticket_processor.helpdesks.registry import KINDS
from ticket_processor.sandbox.desks import Desk, NewTicket, serve_desk
from ticket_processor.sandbox.llm_standin.server import StandinConfig, serve_in_thread
from ticket_processor.tags import marker_tag

# sharded_backfill --------------------------------------------------------------------------------


SUBJECTS = ["Refund for order", "Cannot log in", "Parcel late", "Charged twice"]
# The write budget each helpdesk's wire documents for the sandbox's default plan, and the
# sandbox's own endpoint key for a ticket update.
WRITE_LIMIT = {"zendesk": 100, "freshdesk": 280}
UPDATE_KEY = {"zendesk": "PUT /api/v2/tickets/", "freshdesk": "PUT /api/v2/tickets/{id}"}


TICKETBOT = [sys.executable, "-m", "ticket_processor"]


def _start_redis(work: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("redis-server is not installed: apt-get install redis-server")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(work)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.05)
    process.kill()
    sys.exit("redis-server did not start")


def _most_in_a_minute(times: list[float]) -> int:
    times = sorted(times)
    most, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= 60.0:
            start += 1
        most = max(most, end - start + 1)
    return most


class SeedClock:
    """The sandbox's clock: real time, except while seeding, when each ticket is stamped a
    second after the one before (a history spread over time, as a real backlog is; tickets
    sharing one second defeat Freshdesk's keyset paging, see helpdesks/freshdesk/paging.py)."""

    def __init__(self) -> None:
        self.fixed: float | None = None

    def __call__(self) -> float:
        return time.time() if self.fixed is None else self.fixed


def _seed(desk: Desk, clock: SeedClock, tickets: list[NewTicket]) -> list[int]:
    start = time.time() - len(tickets) - 600
    ids = []
    for n, ticket in enumerate(tickets):
        clock.fixed = start + n
        ids += desk.create([ticket])
    clock.fixed = None
    return ids


def _report(desk: Desk, ids: list[int], kind: str, budget: bool) -> None:
    marker = marker_tag("ai_")
    notes: collections.Counter[int] = collections.Counter()
    triaged = 0
    for ticket_id in ids:
        snap = desk.snapshot(ticket_id)
        triaged += marker in snap.tags
        notes[len(snap.notes)] += 1
    history = desk.history()
    answered = [(at, key) for at, key, status in history if status not in (None, 429)]
    writes = [at for at, key in answered if not key.startswith("GET")]
    updates = [at for at, key in answered if key.startswith(UPDATE_KEY[kind])]
    refused = sum(1 for _, _, status in history if status == 429)
    print(f"tickets: {len(ids)}, triaged: {triaged}, triaged twice: {notes[2] + notes[3]}")
    print(f"notes per ticket: {dict(sorted(notes.items()))}")
    print(
        f"write requests: {len(writes)}, most in any 60 s: {_most_in_a_minute(writes)} "
        f"(write budget {WRITE_LIMIT[kind]} a minute{'' if budget else ', not used'})"
    )
    print(
        f"ticket updates: {len(updates)}, most in any 60 s: {_most_in_a_minute(updates)} "
        f"(the sandbox's update limit {WRITE_LIMIT[kind]} a minute); 429s answered: {refused}"
    )


def sharded_backfill(argv: list[str] | None = None) -> None:
    parser = command_parser("sharded_backfill")
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--helpdesk", choices=list(KINDS), default="zendesk")
    parser.add_argument("--no-budget", action="store_true", help="no Redis: each shard alone")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="ticketbot-sharded-backfill-"))
    tickets = [
        NewTicket(f"{SUBJECTS[n % 4]} {n}", f"Ticket {n}: order {n} needs help, please.")
        for n in range(args.tickets)
    ]
    redis_process: subprocess.Popen[bytes] | None = None
    try:
        clock = SeedClock()
        with serve_desk(KINDS[args.helpdesk], unlimited=False, clock=clock) as desk:
            ids = _seed(desk, clock, tickets)
            desk.reset_stats()
            env = child_env(desk.env(), TICKETBOT_STATE_DIR=str(work / "state"))
            if not args.no_budget:
                redis_process, url = _start_redis(work)
                env.update(TICKETBOT_LLM_BUDGET=url, TICKETBOT_LLM_RPM="300")
            started = time.monotonic()
            children = [
                subprocess.Popen(
                    [
                        *launcher(work / f"usage-{i}.json"),
                        *TICKETBOT,
                        *("backfill", "--since", "1d", "--shard", f"{i}/{args.shards}"),
                    ],
                    env={**env, "TICKETBOT_LOG_DIR": str(work / f"logs-{i}")},
                    cwd=work,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for i in range(args.shards)
            ]
            peaks, codes = [], []
            for i, child in enumerate(children):
                _, err = child.communicate()
                figures = usage(work / f"usage-{i}.json")
                codes.append(int(figures["exit_code"]))
                peaks.append(int(figures["maxrss_kb"]) // 1024)
                if codes[-1] != 0:
                    print(err[-2000:], file=sys.stderr)
                for line in err.splitlines():
                    if "unreachable" in line or "Traceback" in line:
                        print(f"  shard said: {line[:300]}")
            wall = time.monotonic() - started
            print(
                f"{args.helpdesk}: {args.shards} shards, exit codes {codes}, wall {wall:.0f} s, "
                f"peak RSS per process {peaks} MB, budget {'off' if args.no_budget else 'Redis'}"
            )
            _report(desk, ids, args.helpdesk, not args.no_budget)
    finally:
        if redis_process is not None:
            redis_process.terminate()
            redis_process.wait(10)


# backfill_bench ----------------------------------------------------------------------------------


def backfill_bench(argv: list[str] | None = None) -> None:
    parser = command_parser("backfill_bench")
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--helpdesk", choices=list(KINDS), default="zendesk")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="ticketbot-backfill-bench-"))
    tickets = [
        NewTicket(
            f"{SUBJECTS[n % 4]} {n}", f"Ticket {n}: please help, call +44 20 7946 0{n % 1000:03d}."
        )
        for n in range(args.tickets)
    ]
    with (
        serve_desk(KINDS[args.helpdesk], unlimited=True) as desk,
        serve_in_thread(StandinConfig(seed=7, batch_delay_s=3600)) as llm,
    ):
        ids = desk.create(tickets)
        # The children run in ``work``: ``child_env`` names this checkout's package by its
        # absolute path (a relative PYTHONPATH would name nothing there).
        env = child_env(desk.env(), standin_env(llm.url, work, "sk-bench-not-a-key"))

        def step(name: str, *flags: str) -> None:
            done = launch([*TICKETBOT, "backfill", *flags], env=env, cwd=work)
            print(
                f"{name}: exit {done.exit_code}, {done.seconds:.1f} s, "
                f"peak RSS {int(done.peak_mib)} MB: {done.stdout.strip()}"
            )

        step("submit", "--since", "7d")
        llm.complete_batches()
        step("collect")
        once = all(len(desk.snapshot(i).notes) == 1 for i in ids)
        print(f"{args.helpdesk}: {len(ids)} tickets, one note each: {once}")

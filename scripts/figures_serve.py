"""Serving and backfilling figures: serve latency, sharded and plain backfills, two installations,
the LLM's budget and outages, the knowledge base."""

from __future__ import annotations

import argparse
import collections
import dataclasses
import json
import math
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import requests
from rich.console import Console
from rich.table import Table

from scripts import data_toml
from scripts.bench_figures import BenchSettings
from scripts.bench_harness import (
    LLM_DOWN_MODES,
    freshdesk_env,
    parse_latency_range,
    run_bench,
    standin_env,
)
from ticket_processor.helpdesks.freshdesk.sandbox.config import FreshdeskConfig
from ticket_processor.helpdesks.freshdesk.sandbox.serving import RunningFreshdesk
from ticket_processor.helpdesks.freshdesk.sandbox.serving import serve_in_thread as serve_freshdesk
from ticket_processor.helpdesks.registry import KINDS
from ticket_processor.helpdesks.samples import cycle, load_samples
from ticket_processor.helpdesks.webhook_setup import endpoint_url
from ticket_processor.kb.index import INDEX_FILE, ArticleIndex
from ticket_processor.kb.search import DEFAULT_THRESHOLD, lookup, rank
from ticket_processor.kb.sync import sync
from ticket_processor.models import Article, ArticleListing
from ticket_processor.sandbox.desks import Desk, NewTicket, serve_desk
from ticket_processor.sandbox.llm_standin.server import StandinConfig, serve_in_thread
from ticket_processor.tags import NOTE_HEADER, marker_tag
from ticket_processor.triage.prepare import prepare_ticket

# serve_latency -----------------------------------------------------------------------------------

SERVE_LATENCY_DOC = """\
Seconds from a ticket's creation to its triage note, through ``ticketbot serve``.

A helpdesk sandbox (Zendesk by default, ``--helpdesk freshdesk``) runs in this process with its
plan's default rate limits (``--unlimited`` lifts them) and its own webhooks set up as ``serve
--print-setup --apply`` sets them up (Zendesk: a webhook and two triggers, signed with the
webhook's secret; Freshdesk: the automation rules' knob, with a shared secret).
``ticketbot serve --engine learned`` (no LLM) runs as a child process. ``--tickets`` tickets
(200) are created at ``--rate`` a second (10); then the script waits until every ticket has a
note, or ``--timeout`` seconds pass, and prints:

- from the sandbox's stamps (to the millisecond, ``GET /sandbox/deliveries``): the median and
  p99 of ticket created → first internal note written;
- from the server's own histogram (``ticketbot_delivery_to_note_seconds`` at ``/metrics``):
  the median and p99 of delivery received → note written, interpolated within its buckets as
  Prometheus' ``histogram_quantile`` does;
- how many tickets ended with exactly one triage note (and how many with none, or more).

    python -m scripts.figures serve_latency
    python -m scripts.figures serve_latency --helpdesk freshdesk

Target: median under 3 s, p99 under 10 s. Exit code 0 when every ticket has exactly one note
and both targets hold (on the sandbox's figures), else 1.
"""


ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = "http://127.0.0.1:9"
SECRET = "serve-latency-shared-secret-0123456789"
TOKEN = "serve-latency-api-token-0123456789"
_CHILD_ENV_PREFIXES = ("TICKETBOT_", "ZENDESK_", "FRESHDESK_", "OPENAI_", "ANTHROPIC_", "ZENPY_")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=SERVE_LATENCY_DOC.split("\n\n")[0])
    parser.add_argument("--helpdesk", choices=list(KINDS), default="zendesk")
    parser.add_argument("--tickets", type=int, default=200)
    parser.add_argument("--rate", type=float, default=10.0, help="tickets created a second")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait at the end")
    parser.add_argument(
        "--unlimited",
        action="store_true",
        help="lift the sandbox's plan rate limits: serve's own latency, not the plan's bound",
    )
    return parser.parse_args(argv)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def hook_up(desk: Desk, url: str, secret: str) -> str:
    """The desk's webhook set-up towards ``url``; the secret ``serve`` must check."""
    kind = KINDS[desk.kind]
    report = kind.webhook_setup().apply(
        kind.settings.from_env(desk.env()), endpoint_url(url, desk.kind), secret
    )
    return report.secret or secret


def start_serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    errors = log.open("wb")
    command = [sys.executable, "-m", "ticket_processor", "serve", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--engine", "learned"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=errors,
        cwd=log.parent,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"serve exited: {log.read_text()}")
        try:
            if requests.get(f"{url}/readyz", timeout=2).status_code == 200:
                return process
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    process.kill()
    raise SystemExit(f"serve did not get ready: {log.read_text()}")


def create_load(desk: Desk, count: int, rate: float) -> list[int]:
    """``count`` sample tickets, one every ``1/rate`` seconds on a fixed schedule."""
    ids: list[int] = []
    start = time.monotonic()
    for n, sample in enumerate(cycle(load_samples(), count)):
        wait = start + n / rate - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        ids.extend(desk.create([NewTicket(sample.subject, sample.description)]))
    return ids


def moment(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) by the nearest-rank method."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def histogram(metrics: str, name: str) -> list[tuple[float, float]]:
    """A Prometheus histogram's cumulative buckets: (upper bound, count), in order."""
    found = re.findall(rf'^{name}_bucket{{le="([^"]+)"}} (\S+)$', metrics, re.MULTILINE)
    return sorted((float(le), float(count)) for le, count in found)


def histogram_quantile(q: float, buckets: list[tuple[float, float]]) -> float:
    """Prometheus' ``histogram_quantile``: linear within the bucket the rank falls in."""
    total = buckets[-1][1]
    if total == 0:
        return math.nan
    rank = q * total
    lower, below = 0.0, 0.0
    for upper, count in buckets:
        if count >= rank:
            if math.isinf(upper):
                return lower
            return lower + (upper - lower) * (rank - below) / max(count - below, 1e-9)
        lower, below = upper, count
    return lower


def serve_latency(argv: list[str] | None = None) -> int:
    args = parse(argv)
    workdir = Path(tempfile.mkdtemp(prefix="serve-latency-"))
    kind = KINDS[args.helpdesk]
    with serve_desk(kind, seed=None, unlimited=args.unlimited) as desk:
        secret = hook_up(desk, PLACEHOLDER, SECRET)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(_CHILD_ENV_PREFIXES)}
        env.update(desk.env())
        env.update(
            PYTHONPATH=str(ROOT),
            TICKETBOT_STATE_DIR=str(workdir / "state"),
            TICKETBOT_LOG_DIR=str(workdir / "logs"),
            TICKETBOT_SERVE_SECRET=secret,
            TICKETBOT_SERVE_TOKEN=TOKEN,
        )
        process = start_serve(env, port, workdir / "serve.err")
        try:
            hook_up(desk, url, secret)
            started = time.monotonic()
            ids = create_load(desk, args.tickets, args.rate)
            created_in = time.monotonic() - started
            deadline = time.monotonic() + args.timeout
            while time.monotonic() < deadline:
                view = requests.get(f"{desk.url}/sandbox/deliveries", timeout=10).json()
                if all(view["tickets"].get(str(t), {}).get("internal_notes") for t in ids):
                    break
                time.sleep(0.25)
            time.sleep(1.5)  # a second note, were one coming, would land within a flush
            view = requests.get(f"{desk.url}/sandbox/deliveries", timeout=10).json()
            metrics = requests.get(f"{url}/metrics", timeout=10).text
            notes = {t: len(desk.snapshot(t).notes) for t in ids}
            stats = desk.stats()
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(60)
    code = report(args, ids, view, metrics, notes, created_in)
    calls = ", ".join(f"{k} {v}" for k, v in stats["requests"].items())
    print(f"helpdesk API calls by serve: {calls}; answered 429: {stats['rate_limited']}")
    return code


def report(
    args: argparse.Namespace,
    ids: list[int],
    view: dict[str, Any],
    metrics: str,
    notes: dict[int, int],
    created_in: float,
) -> int:
    waits = []
    for tid in ids:
        entry = view["tickets"].get(str(tid))
        if entry and entry["internal_notes"]:
            waits.append(moment(entry["internal_notes"][0]) - moment(entry["created_at"]))
    buckets = histogram(metrics, "ticketbot_delivery_to_note_seconds")
    attempts = view["deliveries"]
    failed = sum(1 for a in attempts if a["status"] != 200)
    once = sum(1 for n in notes.values() if n == 1)
    limits = "rate limits lifted" if args.unlimited else "the plan's default rate limits"
    print(
        f"{args.helpdesk} ({limits}): {len(ids)} tickets created in {created_in:.1f} s "
        f"({len(ids) / created_in:.1f} a second); {len(attempts)} webhook attempts, "
        f"{failed} not answered 200"
    )
    if waits:
        median, p99 = statistics.median(waits), percentile(waits, 0.99)
        print(
            f"sandbox stamps, created -> note: median {median:.2f} s, p99 {p99:.2f} s, "
            f"max {max(waits):.2f} s ({len(waits)} tickets noted)"
        )
    else:
        median = p99 = math.inf
        print("sandbox stamps: no ticket got a note")
    if buckets:
        print(
            "serve's histogram, delivery -> note: "
            f"median {histogram_quantile(0.5, buckets):.2f} s, "
            f"p99 {histogram_quantile(0.99, buckets):.2f} s "
            f"({buckets[-1][1]:.0f} observations)"
        )
    else:
        print("serve's histogram: no observations")
    none = sum(1 for n in notes.values() if n == 0)
    print(
        f"tickets with exactly one note: {once} of {len(ids)} "
        f"(none: {none}, more than one: {len(ids) - once - none})"
    )
    ok = once == len(ids) and median < 3.0 and p99 < 10.0
    print("target (median < 3 s, p99 < 10 s, one note each): " + ("met" if ok else "NOT met"))
    return 0 if ok else 1


# sharded_backfill --------------------------------------------------------------------------------

SHARDED_BACKFILL_DOC = """\
``backfill --shard i/N`` in N processes at once on one Redis budget, against a rate-limited
sandbox: every ticket triaged once, and the helpdesk's write limit kept across the shards.

    python -m scripts.figures sharded_backfill --tickets 2000 --shards 4 [--helpdesk freshdesk]

Starts the helpdesk's sandbox at its default plan's limits (Zendesk: 100 ticket updates a
minute; Freshdesk Enterprise: 280 ticket updates, 700 credits a minute) and a Redis server
(Debian's ``redis-server``) in this process, creates the tickets (stamped a second apart, the
last ten minutes ago), runs N ``python -m ticket_processor backfill --since 1d --shard i/N``
children of this checkout at once with ``TICKETBOT_LLM_BUDGET`` pointing at that Redis and no
LLM configured (the bundled learned engine triages), each under ``/usr/bin/time -f %M`` for
its peak RSS (POSIX). Then it prints
the tickets triaged, triaged twice, notes per ticket, the most write requests (any method but
GET) the sandbox answered in any 60 s, and its ticket updates alone, against the limits, the
429s, the wall time and each child's peak RSS. ``--no-budget`` runs the same without Redis,
for comparison.
"""


REPO_ROOT = Path(__file__).resolve().parents[1]


SUBJECTS = ["Refund for order", "Cannot log in", "Parcel late", "Charged twice"]
# The write budget each helpdesk's wire documents for the sandbox's default plan, and the
# sandbox's own endpoint key for a ticket update.
WRITE_LIMIT = {"zendesk": 100, "freshdesk": 280}
UPDATE_KEY = {"zendesk": "PUT /api/v2/tickets/", "freshdesk": "PUT /api/v2/tickets/{id}"}


_TIMED = ["/usr/bin/time", "-f", "%M", sys.executable, "-m", "ticket_processor"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _start_redis(work: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("redis-server is not installed: apt-get install redis-server")
    port = _free_port()
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
    parser = argparse.ArgumentParser(description=SHARDED_BACKFILL_DOC.splitlines()[0])
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
            env = {k: v for k, v in os.environ.items() if not k.startswith(_CHILD_ENV_PREFIXES)}
            env.update(desk.env(), TICKETBOT_STATE_DIR=str(work / "state"))
            # The children import this checkout's package, whatever else is installed.
            env["PYTHONPATH"] = os.pathsep.join(
                p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p
            )
            if not args.no_budget:
                redis_process, url = _start_redis(work)
                env.update(TICKETBOT_LLM_BUDGET=url, TICKETBOT_LLM_RPM="300")
            started = time.monotonic()
            children = [
                subprocess.Popen(
                    [*_TIMED, "backfill", "--since", "1d", "--shard", f"{i}/{args.shards}"],
                    env={**env, "TICKETBOT_LOG_DIR": str(work / f"logs-{i}")},
                    cwd=work,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for i in range(args.shards)
            ]
            peaks, codes = [], []
            for child in children:
                _, err = child.communicate()
                codes.append(child.returncode)
                peaks.append(int(err.strip().splitlines()[-1]) // 1024)
                if child.returncode != 0:
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

BACKFILL_BENCH_DOC = """\
Time and peak RSS of a batch backfill, submit then collect, against a local sandbox.

    python -m scripts.figures backfill_bench --tickets 2000 [--helpdesk freshdesk]

Starts the helpdesk sandbox and the LLM stand-in (Batch API) in this process, creates the
tickets, runs ``python -m ticket_processor backfill --since 7d`` (submit), completes the batch,
runs ``backfill`` again (collect) and checks every ticket has one note. Each child runs under
``/usr/bin/time -f %M`` for its peak RSS (POSIX).
"""


def backfill_bench(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=BACKFILL_BENCH_DOC.splitlines()[0])
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
        env = {k: v for k, v in os.environ.items() if not k.startswith(_CHILD_ENV_PREFIXES)}
        env.update(
            desk.env(),
            **standin_env(llm.url, work, "sk-bench-not-a-key"),
            # The children run in ``work``: this checkout's package, by its absolute path (a
            # relative PYTHONPATH given to the script would name nothing there, and the
            # children would import whatever ticketbot is installed).
            PYTHONPATH=os.pathsep.join(
                [
                    str(REPO_ROOT),
                    *(
                        str(Path(p).resolve())
                        for p in os.environ.get("PYTHONPATH", "").split(os.pathsep)
                        if p
                    ),
                ]
            ),
        )

        def step(name: str, *flags: str) -> None:
            started = time.monotonic()
            done = subprocess.run(
                ["/usr/bin/time", "-f", "%M", sys.executable, "-m", "ticket_processor",
                 "backfill", *flags],
                env=env, cwd=work, capture_output=True, text=True, check=False,
            )  # fmt: skip
            peak_kb = int(done.stderr.strip().splitlines()[-1])
            print(
                f"{name}: exit {done.returncode}, {time.monotonic() - started:.1f} s, "
                f"peak RSS {peak_kb // 1024} MB: {done.stdout.strip()}"
            )

        step("submit", "--since", "7d")
        llm.complete_batches()
        step("collect")
        once = all(len(desk.snapshot(i).notes) == 1 for i in ids)
        print(f"{args.helpdesk}: {len(ids)} tickets, one note each: {once}")


# two_installations -------------------------------------------------------------------------------

TWO_INSTALLATIONS_DOC = """\
Two installations of ticketbot on one Freshdesk account, started together: how many tickets
end with two notes once both runs end.

Each trial seeds the Freshdesk sandbox with ``--tickets`` open tickets, then starts two
``ticketbot run --engine rules`` processes at once, each with its own state and log directory
(two installations: neither knows the other), and waits for both. Freshdesk has no conditional
write, so both may post a note before either updates; the figure is what is left after their
repair. ``no_note`` counts the tickets neither run reached: more than a page of tickets share one
second here, and each run's writes move the list under the other's offset paging inside that
second, so a few are left where the cursor stays (at that second) for the next run. The first
installation then runs once more, as its next cron slot would, and ``no_note_after_next_run``
counts what is left after it (0: nothing lost). Prints one line a trial and a JSON summary.

    python -m scripts.figures two_installations --trials 3 --tickets 150
"""


API_KEY = "two-installations-key"
TEXTS = [
    ("Refund please", "<p>I returned the blender and still have no refund.</p>"),
    ("App crashes", "<p>Since the update the app crashes at login.</p>"),
    ("Invoice question", "<p>Why was I charged twice on my March invoice?</p>"),
    ("Where is my parcel", "<p>My order has not arrived, tracking shows nothing.</p>"),
]


def child_env(sandbox: RunningFreshdesk, home: Path, workers: int) -> dict[str, str]:
    return freshdesk_env(
        sandbox.url,
        API_KEY,
        TICKETBOT_STATE_DIR=str(home / "state"),
        TICKETBOT_LOG_DIR=str(home / "logs"),
        TICKETBOT_WORKERS=str(workers),
    )


def triage_notes(sandbox: RunningFreshdesk, ticket_id: int) -> int:
    return sum(
        1
        for c in sandbox.store.conversations(ticket_id)
        if c.get("private") and NOTE_HEADER in str(c.get("body_text") or c.get("body"))
    )


def trial(tickets: int, workers: int, seed: int, latency_ms: float) -> dict[str, Any]:
    config = FreshdeskConfig(api_key=API_KEY, plan="pro", seed=seed)
    with serve_freshdesk(config) as sandbox, tempfile.TemporaryDirectory() as tmp:
        for n in range(tickets):
            subject, body = TEXTS[n % len(TEXTS)]
            sandbox.store.create(
                {
                    "subject": f"{subject} #{n}",
                    "description": body,
                    "email": f"customer{n}@example.com",
                    "priority": 1,
                    "status": 2,
                }
            )
        sandbox.config.apply({"latency_ms": latency_ms, "jitter_ms": latency_ms / 2})
        sandbox.sandbox.reset_stats()
        command = [sys.executable, "-m", "ticket_processor", "run", "--engine", "rules"]
        started = time.perf_counter()
        procs = []
        for name in ("first", "second"):
            home = Path(tmp) / name
            home.mkdir()
            procs.append(
                subprocess.Popen(
                    command,
                    env=child_env(sandbox, home, workers),
                    cwd=home,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        codes = [proc.wait(timeout=900) for proc in procs]
        seconds = time.perf_counter() - started
        ids = [int(t["id"]) for t in sandbox.store.all_tickets()]
        counts = [triage_notes(sandbox, i) for i in ids]
        stats = sandbox.stats()
        by_endpoint = stats["requests"]
        next_run = subprocess.run(
            command,
            env=child_env(sandbox, Path(tmp) / "first", workers),
            cwd=Path(tmp) / "first",
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=900,
            check=False,
        )
        after = [triage_notes(sandbox, i) for i in ids]
    return {
        "exit_codes": codes,
        "tickets": len(ids),
        "two_notes": sum(1 for c in counts if c > 1),
        "no_note": sum(1 for c in counts if c == 0),
        "notes_deleted": by_endpoint.get("DELETE /api/v2/conversations/{id}", 0),
        "note_lists": by_endpoint.get("GET /api/v2/tickets/{id}/conversations", 0),
        "requests_per_ticket": round(stats["requests_total"] / max(1, len(ids)), 3),
        "seconds": round(seconds, 1),
        "next_run_exit_code": next_run.returncode,
        "no_note_after_next_run": sum(1 for c in after if c == 0),
        "two_notes_after_next_run": sum(1 for c in after if c > 1),
    }


def two_installations(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=TWO_INSTALLATIONS_DOC.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--tickets", type=int, default=150)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--latency-ms", type=float, default=40.0)
    args = parser.parse_args(argv)
    results = []
    for n in range(args.trials):
        result = trial(args.tickets, args.workers, seed=n + 1, latency_ms=args.latency_ms)
        results.append(result)
        print(f"trial {n + 1}: {json.dumps(result)}", flush=True)
    summary = {
        "trials": args.trials,
        "tickets": args.tickets,
        "two_notes_per_trial": [r["two_notes"] for r in results],
        "worst_two_notes": max(r["two_notes"] for r in results),
        "no_note_total": sum(r["no_note"] for r in results),
        "no_note_after_next_run_total": sum(r["no_note_after_next_run"] for r in results),
    }
    print(json.dumps(summary))


# llm_budget_bench --------------------------------------------------------------------------------

LLM_BUDGET_BENCH_DOC = """\
Six processes on one LLM key, with and without the shared budget (TICKETBOT_LLM_BUDGET).

Starts a real Redis server and the OpenAI-compatible stand-in, which answers 429 above
``--rpm`` calls in any 60 s (as providers do), then runs ``ticketbot eval --engine llm`` in
``--processes`` processes at once, ``--tickets`` distinct tickets each:

1. without the budget (each process paces itself alone);
2. with the budget at ``--rpm`` calls a minute;
3. one process alone with the budget and enough tickets to need more than a minute, to show
   it can use the whole budget (the calls it made in its busiest 60 s, against the budget).

Prints, per case, the calls the stand-in answered, the 429s it gave (and their share), and the
tickets the LLM analysed (the rest fell back to a local engine).

    python -m scripts.figures llm_budget_bench [--processes 6] [--tickets 100] [--rpm 300]
"""


WINDOW = 60.0


def _tickets(path: Path, n: int, tag: str) -> None:
    rows = [
        {
            "id": f"{tag}-{i}",
            "subject": f"Order {tag}-{i}",
            "description": f"My order {tag}-{i} arrived broken, please refund it ({i * 7919}).",
            "labels": {"category": "refund"},
        }
        for i in range(n)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def _run(
    processes: int, tickets: int, *, budget: str | None, rpm: int, workdir: Path, llm_url: str
) -> tuple[int, list[float]]:
    """Runs the evals at once; the LLM-analysed tickets and each call's time (from the log)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TICKETBOT_", "OPENAI_"))} | {
        "OPENAI_BASE_URL": llm_url,
        "OPENAI_API_KEY": "sk-bench-not-a-real-key",
        "TICKETBOT_MODEL": "stand-in",
        "TICKETBOT_WORKERS": "32",
    }
    if budget:
        env |= {"TICKETBOT_LLM_BUDGET": budget, "TICKETBOT_LLM_RPM": str(rpm)}
    running = []
    for p in range(processes):
        data = workdir / f"t{p}-{budget is not None}.jsonl"
        _tickets(data, tickets, f"p{p}{'b' if budget else 'n'}{time.monotonic_ns()}")
        running.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "ticket_processor",
                    "eval",
                    str(data),
                    "--engine",
                    "llm",
                    "--json",
                ],
                env=env | {"TICKETBOT_STATE_DIR": str(workdir / f"state{p}")},
                cwd=workdir,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        )
    analysed = 0
    for proc in running:
        out, _ = proc.communicate(timeout=1800)
        report = json.loads(out)
        analysed += report["rows"] - report["fallbacks"]
    return analysed, []


def _busiest(times: list[float], window: float) -> int:
    """The most calls answered in any ``window`` seconds."""
    times = sorted(times)
    most, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        most = max(most, end - start + 1)
    return most


def llm_budget_bench(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=LLM_BUDGET_BENCH_DOC.splitlines()[0])
    parser.add_argument("--processes", type=int, default=6)
    parser.add_argument("--tickets", type=int, default=100)
    parser.add_argument("--rpm", type=int, default=300)
    args = parser.parse_args(argv)
    server = shutil.which("redis-server")
    if server is None:
        sys.exit("redis-server is not installed: apt-get install redis-server")
    workdir = Path(tempfile.mkdtemp(prefix="ticketbot-budget-"))
    port = _free_port()
    redis = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    budget_url = f"redis://127.0.0.1:{port}/0"
    try:
        print(
            f"{args.processes} processes x {args.tickets} tickets, an LLM that allows {args.rpm} "
            f"calls in any {WINDOW:.0f} s"
        )
        print(
            f"{'case':<28} {'calls':>6} {'429s':>6} {'429 share':>9} {'LLM-analysed':>13} {'s':>6}"
        )
        cases = [
            ("without the budget", args.processes, args.tickets, None),
            ("with the shared budget", args.processes, args.tickets, budget_url),
            ("one process, the budget", 1, int(args.rpm * 1.5), budget_url),
        ]
        for name, processes, tickets, budget in cases:
            config = StandinConfig(seed=1, rpm_limit=args.rpm, limit_window_s=WINDOW)
            with serve_in_thread(config) as llm:
                started = time.monotonic()
                analysed, _ = _run(
                    processes,
                    tickets,
                    budget=budget,
                    rpm=args.rpm,
                    workdir=workdir,
                    llm_url=llm.url,
                )
                seconds = time.monotonic() - started
                stats = llm.stats()
                answered = list(llm.answered_at)
            calls = stats["completions"] + stats["rate_limited"]
            share = stats["rate_limited"] / calls if calls else 0.0
            print(
                f"{name:<28} {calls:>6} {stats['rate_limited']:>6} {share:>9.1%} "
                f"{analysed:>6} of {processes * tickets:<5} {seconds:>6.0f}"
            )
            busiest = _busiest(answered, WINDOW)
            print(
                f"  the busiest {WINDOW:.0f} s held {busiest} answered calls: "
                f"{busiest / args.rpm:.0%} of the budget"
            )
    finally:
        redis.terminate()
        shutil.rmtree(workdir, ignore_errors=True)


# llm_down_bench ----------------------------------------------------------------------------------

LLM_DOWN_BENCH_DOC = """\
The LLM fully down against ``--engine rules``, on the same backlog.

    python -m scripts.figures llm_down_bench                       # 2,000 tickets, LLM refusing
    python -m scripts.figures llm_down_bench --mode all --tickets 500
    python -m scripts.figures llm_down_bench --mode hang --json

Runs ``scripts/bench.py``'s machinery once with ``--engine rules`` and once per chosen mode with
the LLM down (``refused``: nothing listens at OPENAI_BASE_URL; ``error``: the stand-in answers
500 to every call after its usual 1 s; ``hang``: it answers only after the client's timeout,
TICKETBOT_LLM_TIMEOUT, 30 s by default), each on a freshly
seeded sandbox with the same tickets, and prints the wall seconds of each ``ticketbot run`` and
their ratio to the rules run. The target is at most 2x: with the LLM down every ticket is still
triaged (by the rules, tagged ``ai_fallback``), and the circuit breaker keeps the failed calls
from costing more than the first wave. Exit status 0 when every run triaged every ticket
within the target, else 1.
"""


# The checkout's package, so ``python -m scripts.figures llm_down_bench`` works in a clone that is
# not installed.


TARGET_RATIO = 2.0


def parse_args(argv: list[str] | None = None) -> tuple[BenchSettings, list[str], bool]:
    parser = argparse.ArgumentParser(description=LLM_DOWN_BENCH_DOC.split("\n\n")[0])
    add = parser.add_argument
    add("--tickets", type=int, default=2000, help="tickets to seed and triage (2000)")
    add("--workers", type=int, default=64, help="ticketbot run --workers (64)")
    add("--mode", choices=(*LLM_DOWN_MODES, "all"), default="refused", help="how the LLM is down")
    add("--zendesk-latency-ms", default="80-150", help="sandbox latency, MS or LOW-HIGH (80-150)")
    add("--seed", type=int, default=7, help="random seed for texts and jitter (7)")
    add("--timeout", type=float, default=1800.0, help="kill a run after this many seconds")
    add("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args(argv)
    if args.tickets < 1 or args.workers < 1:
        parser.error("--tickets and --workers must be at least 1")
    try:
        latency = parse_latency_range(args.zendesk_latency_ms)
    except ValueError as exc:
        parser.error(f"--zendesk-latency-ms: {exc}")
    settings = BenchSettings(
        tickets=args.tickets,
        workers=args.workers,
        engine="rules",
        zendesk_latency_ms=latency,
        seed=args.seed,
        timeout=args.timeout,
    )
    modes = list(LLM_DOWN_MODES) if args.mode == "all" else [args.mode]
    return settings, modes, bool(args.json)


def row(label: str, result: dict[str, Any], rules_seconds: float) -> dict[str, Any]:
    seconds = float(result["seconds"])
    return {
        "run": label,
        "seconds": seconds,
        "run_seconds": result["run_seconds"],
        "ratio_to_rules": round(seconds / rules_seconds, 2) if rules_seconds > 0 else None,
        "tickets": result["tickets"],
        "triaged": result["triaged"],
        "fallback": result["fallback"],
        "failed": result["failed"],
        "llm_calls": result["llm_calls"],
        "exit_code": result["exit_code"],
    }


def llm_down_bench(argv: list[str] | None = None) -> int:
    rules_settings, modes, as_json = parse_args(argv)
    err = Console(stderr=True, highlight=False)

    def say(message: str) -> None:
        if not as_json:
            err.print(f"[dim]{message}[/]")

    say("run 1: --engine rules")
    rules = run_bench(rules_settings, say=say)
    rows = [row("--engine rules", rules, float(rules["seconds"]))]
    for mode in modes:
        say(f"run: --engine llm with the LLM down ({mode})")
        down = dataclasses.replace(rules_settings, engine="llm", llm_down=mode)
        rows.append(row(f"LLM down: {mode}", run_bench(down, say=say), float(rules["seconds"])))

    ok = all(
        r["exit_code"] == 0 and r["triaged"] == r["tickets"] == rules_settings.tickets for r in rows
    ) and all(r["ratio_to_rules"] is not None and r["ratio_to_rules"] <= TARGET_RATIO for r in rows)
    if as_json:
        out = {"rows": rows, "target_ratio": TARGET_RATIO, "ok": ok}
        sys.stdout.write(orjson.dumps(out, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        table = Table(
            title=f"LLM down vs --engine rules: {rules_settings.tickets} tickets, "
            f"{rules_settings.workers} workers (target: at most {TARGET_RATIO:g}x)"
        )
        for name in ("run", "wall s", "pipeline s", "x rules", "triaged", "fallback", "LLM calls"):
            table.add_column(name, justify="left" if name == "run" else "right")
        for r in rows:
            table.add_row(
                r["run"],
                f"{r['seconds']:.2f}",
                str(r["run_seconds"]),
                f"{r['ratio_to_rules']:.2f}",
                f"{r['triaged']}/{r['tickets']}",
                str(r["fallback"]),
                str(r["llm_calls"]),
            )
        Console(highlight=False).print(table)
    return 0 if ok else 1


# kb_bench ----------------------------------------------------------------------------------------

KB_BENCH_DOC = """\
Speed and calibration of the help-centre index.

    python -m scripts.figures kb_bench                  # 10,000 generated articles, 1,000 lookups
    python -m scripts.figures kb_bench --articles 2000 --lookups 200 --json
    python -m scripts.figures kb_bench --calibrate      # shares of the labelled set in tests/data

Indexing: N generated articles (titles of 4-8 words and HTML bodies of 80-400 words drawn with
a Zipf-like skew from a 20,000-word vocabulary, as real help centres repeat their topic words)
synced into a fresh index through ``kb.sync.sync`` from an in-memory helpdesk, timed end to
end (target: 10,000 in under a minute). Lookups: ``kb.search.lookup`` on generated ticket texts
of 30-120 words, half about an article (words drawn from it) and half not, timed one by one (target:
under 10 ms each; wall and CPU time are both printed, since a shared machine stretches
the wall time). ``--calibrate`` prints, for each labelled ticket of
``tests/data/kb_tickets.jsonl``, the best share and whether the answer ranked in the top three,
which is what ``search.DEFAULT_THRESHOLD`` was set from.
"""


SYLLABLES: list[str] = data_toml("load_words.toml")["kb_bench"]["syllables"]


class MemoryHelpdesk:
    """Just enough of a ``Helpdesk`` for ``kb.sync.sync``: a fixed help centre."""

    base_url = "memory://bench"

    def __init__(self, articles: list[Article]) -> None:
        self._articles = articles

    def articles(self, since: int | None) -> ArticleListing:
        return ArticleListing(iter(self._articles), complete=True)


def vocabulary(size: int, rng: random.Random) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def draw(vocab: list[str], n: int, rng: random.Random) -> list[str]:
    # Zipf-like: low ranks far more often, so common words are common.
    return [vocab[min(int(rng.paretovariate(1.1)) - 1, len(vocab) - 1)] for _ in range(n)]


def generate(n: int, rng: random.Random) -> tuple[list[Article], list[str]]:
    vocab = vocabulary(20_000, rng)
    rng.shuffle(vocab)
    articles = []
    for i in range(n):
        topic = rng.sample(vocab, 6)  # each article's own topic words
        title = " ".join(rng.sample(topic, 3) + draw(vocab, rng.randint(1, 5), rng))
        words = draw(vocab, rng.randint(80, 400), rng) + topic * rng.randint(2, 5)
        rng.shuffle(words)
        body = "<p>" + " ".join(words) + "</p>"
        articles.append(
            Article(i + 1, title, body, f"https://hc.example/{i + 1}", "en-us", f"t{i}", "everyone")
        )
    return articles, vocab


def tickets(articles: list[Article], vocab: list[str], n: int, rng: random.Random) -> Iterator[str]:
    for i in range(n):
        words = draw(vocab, rng.randint(30, 120), rng)
        if i % 2 == 0:  # about an article: some of its words
            source = rng.choice(articles).body[3:-4].split()
            words += rng.sample(source, min(15, len(source)))
        rng.shuffle(words)
        yield " ".join(words)


def bench(n_articles: int, n_lookups: int, seed: int) -> dict[str, object]:
    rng = random.Random(seed)
    articles, vocab = generate(n_articles, rng)
    with tempfile.TemporaryDirectory() as tmp:
        index = ArticleIndex(Path(tmp) / INDEX_FILE)
        started = time.perf_counter()
        report = sync(MemoryHelpdesk(articles), index)  # type: ignore[arg-type]
        index_seconds = time.perf_counter() - started
        size = (Path(tmp) / INDEX_FILE).stat().st_size
        started = time.perf_counter()
        index.doc_freqs()  # what the first lookup after a sync pays once
        vocab_seconds = time.perf_counter() - started
        times, cpu, suggested = [], [], 0
        for text in tickets(articles, vocab, n_lookups, rng):
            started, started_cpu = time.perf_counter(), time.thread_time()
            suggested += bool(lookup(index, text, "en", 3))
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.thread_time() - started_cpu) * 1000)
        index.close()
    times.sort()
    cpu.sort()
    return {
        "articles": report.total,
        "index_seconds": round(index_seconds, 2),
        "index_mb": round(size / 1e6, 1),
        "lookups": len(times),
        "machine_load_1min": round(os.getloadavg()[0], 1),
        "lookup_ms_mean": round(statistics.fmean(times), 2),
        "lookup_ms_p50": round(times[len(times) // 2], 2),
        "lookup_ms_p95": round(times[int(len(times) * 0.95)], 2),
        "lookup_ms_max": round(times[-1], 2),
        "lookup_cpu_ms_p50": round(cpu[len(cpu) // 2], 2),
        "lookup_cpu_ms_p95": round(cpu[int(len(cpu) * 0.95)], 2),
        "vocabulary_load_seconds": round(vocab_seconds, 2),
        "with_suggestions": suggested,
    }


def calibrate() -> None:
    data = Path(__file__).resolve().parents[1] / "tests" / "data"
    arts = [json.loads(line) for line in (data / "kb_articles.jsonl").read_text().splitlines()]
    with tempfile.TemporaryDirectory() as tmp:
        index = ArticleIndex(Path(tmp) / INDEX_FILE)
        listing = [
            Article(i + 1, a["title"], a["body"], a["key"], a["locale"], "t", a["visibility"])
            for i, a in enumerate(arts)
        ]
        sync(MemoryHelpdesk(listing), index)  # type: ignore[arg-type]
        ids = {a["key"]: i + 1 for i, a in enumerate(arts)}
        print(f"threshold {DEFAULT_THRESHOLD}")
        for line in (data / "kb_tickets.jsonl").read_text().splitlines():
            case = json.loads(line)
            prepared = prepare_ticket(case["subject"], case["description"])
            text = f"{prepared.subject}\n{prepared.body}"
            ranked = rank(index, text)
            want = ids.get(case["labels"]["article"])
            best = ranked[0].share if ranked else 0.0
            top3 = want in [s.hit.article_id for s in ranked[:3]]
            label = "answerable  " if want else "unanswerable"
            print(f"{label} best share {best:.3f} answer in top 3: {top3!s:5} {case['subject']}")
        index.close()


def kb_bench(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=KB_BENCH_DOC.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--lookups", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--calibrate", action="store_true")
    args = parser.parse_args(argv)
    if args.calibrate:
        calibrate()
        return
    figures = bench(args.articles, args.lookups, args.seed)
    if args.json:
        print(json.dumps(figures))
    else:
        for name, value in figures.items():
            print(f"{name:>18}: {value}")

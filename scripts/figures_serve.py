"""Serving figures: serve latency, and two installations on one helpdesk.

The backfills' figures are in ``figures_backfill.py``, the LLM's budget and outages in
``figures_llm_bench.py``, the help centre's benchmark in ``figures_kb.py``."""

from __future__ import annotations

import argparse
import json
import math
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import requests

from scripts import child_env, command_parser, free_port, run_dirs
from scripts.bench_harness import (
    freshdesk_env,
)
from ticket_processor.helpdesks.freshdesk.sandbox.config import FreshdeskConfig
from ticket_processor.helpdesks.freshdesk.sandbox.serving import RunningFreshdesk
from ticket_processor.helpdesks.freshdesk.sandbox.serving import serve_in_thread as serve_freshdesk
from ticket_processor.helpdesks.registry import KINDS
from ticket_processor.helpdesks.samples import cycle, load_samples
from ticket_processor.helpdesks.webhook_setup import endpoint_url
from ticket_processor.sandbox.desks import Desk, NewTicket, serve_desk
from ticket_processor.tags import NOTE_HEADER

# serve_latency -----------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = "http://127.0.0.1:9"
SECRET = "serve-latency-shared-secret-0123456789"
TOKEN = "serve-latency-api-token-0123456789"


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = command_parser("serve_latency")
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
        env = child_env(
            desk.env(),
            run_dirs(workdir),
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


# two_installations -------------------------------------------------------------------------------

API_KEY = "two-installations-key"
TEXTS = [
    ("Refund please", "<p>I returned the blender and still have no refund.</p>"),
    ("App crashes", "<p>Since the update the app crashes at login.</p>"),
    ("Invoice question", "<p>Why was I charged twice on my March invoice?</p>"),
    ("Where is my parcel", "<p>My order has not arrived, tracking shows nothing.</p>"),
]


def installation_env(sandbox: RunningFreshdesk, home: Path, workers: int) -> dict[str, str]:
    return freshdesk_env(sandbox.url, API_KEY, **run_dirs(home), TICKETBOT_WORKERS=str(workers))


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
                    env=installation_env(sandbox, home, workers),
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
            env=installation_env(sandbox, Path(tmp) / "first", workers),
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
    parser = command_parser("two_installations")
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

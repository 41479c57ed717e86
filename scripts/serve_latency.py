"""Seconds from a ticket's creation to its triage note, through ``ticketbot serve``.

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

    python scripts/serve_latency.py
    python scripts/serve_latency.py --helpdesk freshdesk

Target: median under 3 s, p99 under 10 s. Exit code 0 when every ticket has exactly one note
and both targets hold (on the sandbox's figures), else 1.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import requests

from ticket_processor.helpdesks.registry import KINDS
from ticket_processor.helpdesks.samples import cycle, load_samples
from ticket_processor.helpdesks.webhook_setup import endpoint_url
from ticket_processor.sandbox.desks import Desk, NewTicket, serve_desk

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = "http://127.0.0.1:9"
SECRET = "serve-latency-shared-secret-0123456789"
TOKEN = "serve-latency-api-token-0123456789"
_CHILD_ENV_PREFIXES = ("ZENDESK_", "FRESHDESK_", "OPENAI_", "TICKETBOT_", "ZENPY_")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
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


def main(argv: list[str] | None = None) -> int:
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


if __name__ == "__main__":
    sys.exit(main())

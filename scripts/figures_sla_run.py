"""What two cron runs with the SLA pass on cost on an account with 5,000 open tickets, each with
a first-reply target running: ``ticketbot run --max-runtime 60`` on each sandbox served with its
plan's rate limits, the first run reading in full, the second (after a few tickets changed) only
what changed; the requests each run made as the sandbox counted them, the 429s it was answered,
its seconds against its ``--max-runtime``, and the targets it warned of.

    python -m scripts.figures sla_run [--open 5000] [--kinds zendesk,freshdesk,servicenow]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from scripts import child_env, command_parser, run_dirs
from ticket_processor.common.eventlog import read_events
from ticket_processor.helpdesks.registry import KINDS
from ticket_processor.sandbox.desks import Desk, NewTicket, SlaDesk, serve_desk

MAX_RUNTIME = 60
RUN = (
    "from ticket_processor.cli import app\n"
    f"app(['run', '--engine', 'rules', '--max-runtime', '{MAX_RUNTIME}'])\n"
)
TARGETS = {"first_reply": {p: 60 for p in ("low", "normal", "high", "urgent")}}
CHANGED = 5  # tickets a person edits between the two runs


def _seed(desk: Desk, count: int, now: float) -> list[int]:
    """``count`` open tickets already triaged, their first replies due from 10 minutes on,
    one every 30 seconds (about 100 within the pass's 60-minute horizon)."""
    assert isinstance(desk, SlaDesk), desk.kind
    desk.sla_schedule("UTC", [(d, 0, 24 * 60) for d in range(7)])
    desk.sla_policy(TARGETS)
    tickets = [
        NewTicket(f"Question {n}", "Please help.", tags=("ai_processed",)) for n in range(count)
    ]
    ids: list[int] = []
    for start in range(0, len(tickets), 500):
        ids += desk.create(tickets[start : start + 500])
    for n, ticket_id in enumerate(ids):
        desk.sla_clock(ticket_id, metric="first_reply", breach_at=now + 600 + 30 * n)
    return ids


def _run(desk: Desk, root: Path) -> dict[str, Any]:
    """One ``ticketbot run`` as cron starts it: its requests, 429s, seconds, exit code."""
    env = child_env(desk.env(), run_dirs(root), TICKETBOT_SLA="true", TICKETBOT_SPAM_GATE="false")
    before = len(list(read_events(root / "logs"))) if (root / "logs").exists() else 0
    desk.reset_stats()
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", RUN], env=env, capture_output=True, check=False)
    took = time.perf_counter() - started
    stats = desk.stats()
    counted = stats.get("requests") or {}
    events = list(read_events(root / "logs"))[before:]
    return {
        "requests": int(stats.get("requests_total") or 0),
        "reads": sum(v for k, v in counted.items() if k.startswith("GET ")),
        "rate_limited": int(stats.get("rate_limited") or 0),
        "seconds": took,
        "exit": done.returncode,
        "warned": sum(1 for e in events if e.get("event") == "sla_warned"),
    }


def sla_run(argv: list[str]) -> None:
    parser = command_parser("sla_run")
    parser.add_argument("--open", type=int, default=5000)
    parser.add_argument("--kinds", default=",".join(KINDS))
    args = parser.parse_args(argv)
    print(
        "| helpdesk | run | requests counted (reads) | 429s | seconds (max runtime "
        f"{MAX_RUNTIME}) | exit | targets warned of |"
    )
    print("|---|---|---|---|---|---|---|")
    for kind in args.kinds.split(","):
        with serve_desk(KINDS[kind]) as desk, tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            ids = _seed(desk, args.open, time.time())
            for label in ("first (full read)", "second (what changed)"):
                found = _run(desk, root)
                print(
                    f"| {kind} | {label} | {found['requests']} ({found['reads']}) | "
                    f"{found['rate_limited']} | {found['seconds']:.1f} | {found['exit']} | "
                    f"{found['warned']} |"
                )
                for ticket_id in ids[-CHANGED:]:
                    desk.agent_edit(ticket_id, "vip", "high")

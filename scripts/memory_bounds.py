"""Peak memory of ``ticketbot`` against answers far past any sane size, one child process a case.

Each case starts the Zendesk sandbox and the OpenAI stand-in as threads of this process, seeds
tickets, and runs the real CLI (``python -m ticket_processor run`` or ``backfill``) as a child;
``os.wait4`` gives that child's own peak RSS, with no server in it. The stand-in generates the
oversize answers while sending them (``StandinConfig.oversize_answer_bytes``,
``gzip_bomb_bytes``, ``batch_padding_lines``), so this process never holds them either.

    python scripts/memory_bounds.py            # every case, default caps
    python scripts/memory_bounds.py --json     # the same, one JSON object per case

A case passes when the run exits 0, every ticket carries the processed marker, and the peak RSS
is under ``--limit-mb`` (256).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ticket_processor.helpdesks.registry import KINDS
from ticket_processor.sandbox.desks import Desk, NewTicket, serve_desk
from ticket_processor.sandbox.llm_standin.server import (
    RunningStandin,
    StandinConfig,
    serve_in_thread,
)
from ticket_processor.tags import marker_tag

REPO_ROOT = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024
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


CASES = [
    Case("normal answers (baseline)", StandinConfig(seed=7), tickets=20, workers=4),
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
]


def child(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, float, float]:
    """Run ``python -m ticket_processor ARGS``: exit code, seconds, peak RSS (MiB) of it alone."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ticket_processor", *args],
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, time.perf_counter() - started, usage.ru_maxrss / 1024.0


def run_case(case: Case, say: Callable[[str], None]) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory(prefix="ticketbot-memory-") as tmp,
        serve_desk(KINDS["zendesk"], unlimited=True) as desk,
        serve_in_thread(case.standin) as llm,
    ):
        work = Path(tmp)
        ids = desk.create(
            [
                NewTicket(subject, body.format(n=1000 + i))
                for i, (subject, body) in enumerate(
                    SUBJECTS[i % len(SUBJECTS)] for i in range(case.tickets)
                )
            ]
        )
        env = _env(desk, llm, work, case.workers)
        if case.backfill:
            code, seconds, peak = child(["backfill", "--since", "7d"], env, work)
            llm.complete_batches()
            code, more, peak2 = child(["backfill"], env, work)
            seconds, peak = seconds + more, max(peak, peak2)
        else:
            code, seconds, peak = child(["run"], env, work)
        marker = marker_tag("ai_")
        triaged = sum(1 for i in ids if marker in desk.snapshot(i).tags)
    row = {
        "case": case.name,
        "exit_code": code,
        "tickets": len(ids),
        "triaged": triaged,
        "peak_rss_mib": round(peak, 1),
        "seconds": round(seconds, 1),
    }
    say(
        f"{case.name:52} exit {code}  triaged {triaged}/{len(ids)}  "
        f"peak RSS {peak:6.1f} MiB  {seconds:5.1f} s"
    )
    return row


def _env(desk: Desk, llm: RunningStandin, work: Path, workers: int) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ZENDESK_", "FRESHDESK_", "OPENAI_", "TICKETBOT_"))
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.update(
        desk.env(),
        OPENAI_BASE_URL=llm.url,
        OPENAI_API_KEY="sk-memory-bounds",
        TICKETBOT_MODEL="stand-in",
        TICKETBOT_STATE_DIR=str(work / "state"),
        TICKETBOT_LOG_DIR=str(work / "logs"),
        TICKETBOT_WORKERS=str(workers),
    )
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--json", action="store_true", help="one JSON object per case")
    parser.add_argument("--limit-mb", type=float, default=256.0, help="peak RSS allowed (MiB)")
    options = parser.parse_args(argv)
    rows = []
    for case in CASES:
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


if __name__ == "__main__":
    sys.exit(main())

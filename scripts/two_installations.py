"""Two installations of ticketbot on one Freshdesk account, started together: how many tickets
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

    python scripts/two_installations.py --trials 3 --tickets 150
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ticket_processor.helpdesks.freshdesk.sandbox.config import FreshdeskConfig
from ticket_processor.helpdesks.freshdesk.sandbox.serving import RunningFreshdesk, serve_in_thread
from ticket_processor.tags import NOTE_HEADER

API_KEY = "two-installations-key"
TEXTS = [
    ("Refund please", "<p>I returned the blender and still have no refund.</p>"),
    ("App crashes", "<p>Since the update the app crashes at login.</p>"),
    ("Invoice question", "<p>Why was I charged twice on my March invoice?</p>"),
    ("Where is my parcel", "<p>My order has not arrived, tracking shows nothing.</p>"),
]
_ENV_PREFIXES = ("ZENDESK_", "FRESHDESK_", "OPENAI_", "TICKETBOT_", "ZENPY_")


def child_env(sandbox: RunningFreshdesk, home: Path, workers: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_ENV_PREFIXES)}
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    env.update(
        TICKETBOT_HELPDESK="freshdesk",
        FRESHDESK_URL=sandbox.url,
        FRESHDESK_API_KEY=API_KEY,
        TICKETBOT_STATE_DIR=str(home / "state"),
        TICKETBOT_LOG_DIR=str(home / "logs"),
        TICKETBOT_WORKERS=str(workers),
    )
    return env


def triage_notes(sandbox: RunningFreshdesk, ticket_id: int) -> int:
    return sum(
        1
        for c in sandbox.store.conversations(ticket_id)
        if c.get("private") and NOTE_HEADER in str(c.get("body_text") or c.get("body"))
    )


def trial(tickets: int, workers: int, seed: int, latency_ms: float) -> dict[str, Any]:
    config = FreshdeskConfig(api_key=API_KEY, plan="pro", seed=seed)
    with serve_in_thread(config) as sandbox, tempfile.TemporaryDirectory() as tmp:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--tickets", type=int, default=150)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--latency-ms", type=float, default=40.0)
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()

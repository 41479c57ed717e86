"""The state directory over a year of a busy helpdesk: its size after 1,000,000 triaged tickets.

No helpdesk and no HTTP: this drives the state classes a run uses (``RunLedger`` with its crash
journal, retry queue, breakers and last run; ``AnalysisCache``; the reply book ``ReplyBook``) as
``--runs`` scheduled runs spread over ``--days`` would, on a simulated clock. Each run triages
its share of the tickets (journal, one cache entry and one reply-book record each), judges the
customers' replies that came in since the last run (``--reply-share`` of the tickets get one,
0.1-2 days after their triage), and sees solved the tickets solved since (``--solved-share`` of
them, 0.5-5 days after their triage; the rest stay open for ever), as discovery does; a few
fail and are retried (``--fail-share``). After each tenth of the runs it prints the directory's
size and each file's; then one JSON summary with the largest size seen.

    python scripts/state_growth.py                     # 1,000,000 tickets, 2,000 runs, a year
    python scripts/state_growth.py --tickets 100000 --runs 200 --json
"""

from __future__ import annotations

import argparse
import heapq
import json
import random
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# The checkout's package, so ``python scripts/state_growth.py`` works in a clone not installed.
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

from ticket_processor.state.cache import AnalysisCache
from ticket_processor.state.ledger import RunLedger
from ticket_processor.state.replies import ReplyBook

DAY = 86_400.0
START = 1_800_000_000.0
RETRY_LIMIT = 5
ANALYSIS = {
    "category": "billing",
    "urgency": "normal",
    "sentiment": "neutral",
    "language": "en",
    "summary": "The customer asks why the March invoice charged them twice.",
    "confidence": 0.82,
}


class Moment:
    """The simulated clock of one run: its moment, fixed."""

    def __init__(self, at: float) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at


def sizes(directory: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in sorted(directory.iterdir()) if p.is_file()}


def simulate(args: argparse.Namespace, directory: Path, *, quiet: bool) -> dict[str, Any]:
    rng = random.Random(args.seed)
    per_run = args.tickets // args.runs
    gap = args.days * DAY / args.runs
    now = START
    replies: list[tuple[float, int]] = []  # (when the customer replies, ticket)
    solved: list[tuple[float, int]] = []  # (when the ticket is solved, ticket)
    retry: dict[int, int] = {}
    next_id = 1
    largest = 0
    milestones = []
    for run in range(1, args.runs + 1):
        now += gap
        ledger = RunLedger(directory)
        book = ReplyBook(ledger, "zendesk", clock=Moment(now))
        cache = AnalysisCache(ledger, max_entries=args.cache_entries)
        # Discovery: the tickets solved since the last run come through the export as changed.
        seen_solved = []
        while solved and solved[0][0] <= now:
            seen_solved.append(heapq.heappop(solved)[1])
        book.forget(seen_solved)
        ids = list(range(next_id, next_id + per_run))
        next_id += per_run
        for start in range(0, len(ids), 100):  # one journalled batch of 100, as update_many
            batch = ids[start : start + 100]
            ledger.begin(batch)
            ledger.end(batch, ())
        failed = {i for i in ids if rng.random() < args.fail_share}
        for ticket_id in ids:
            cache.put(f"{ticket_id:032x}", {**ANALYSIS, "summary": f"{ticket_id}"})
            if ticket_id in failed:
                retry[ticket_id] = retry.get(ticket_id, 0) + 1
                continue
            book.wrote(ticket_id, "2027-01-15T10:00:00Z")
            if rng.random() < args.reply_share:
                heapq.heappush(replies, (now + rng.uniform(0.1, 2.0) * DAY, ticket_id))
            if rng.random() < args.solved_share:
                heapq.heappush(solved, (now + rng.uniform(0.5, 5.0) * DAY, ticket_id))
        for ticket_id in list(retry):  # retried next run; given up after RETRY_LIMIT
            if ticket_id not in failed:
                retry[ticket_id] += 1
                if retry[ticket_id] > RETRY_LIMIT:
                    del retry[ticket_id]
        # The reply pass: the replies since the last run, judged.
        while replies and replies[0][0] <= now:
            _, ticket_id = heapq.heappop(replies)
            book.answered(ticket_id, ticket_id * 10, ("neutral", "negative"), "2027-01-15T11:00Z")
        book.save()
        cache.flush()
        ledger.save_retry_queue(retry)
        finished = datetime.fromtimestamp(now, UTC).isoformat(timespec="seconds")
        ledger.save_last_run(
            {"run_id": f"run-{run}", "finished_at": finished, "status": "ok", "triaged": per_run}
        )
        total = sum(sizes(directory).values())
        largest = max(largest, total)
        if run % max(1, args.runs // 10) == 0 or run == args.runs:
            point = {
                "run": run,
                "tickets": next_id - 1,
                "day": round((now - START) / DAY, 1),
                "state_bytes": total,
                "reply_book_records": len(book),
                "files": sizes(directory),
            }
            milestones.append(point)
            if not quiet:
                print(
                    f"run {run:>6}  day {point['day']:>6}  tickets {point['tickets']:>9,}  "
                    f"state {total / 1e6:7.2f} MB  reply book {len(book):>7,} records",
                    flush=True,
                )
    return {
        "tickets": next_id - 1,
        "runs": args.runs,
        "days": args.days,
        "final_state_bytes": milestones[-1]["state_bytes"],
        "largest_state_bytes": largest,
        "final_files": milestones[-1]["files"],
        "milestones": [{k: v for k, v in m.items() if k != "files"} for m in milestones],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    add = parser.add_argument
    add("--tickets", type=int, default=1_000_000, help="tickets triaged in all (1,000,000)")
    add("--runs", type=int, default=2_000, help="scheduled runs they are spread over (2,000)")
    add("--days", type=float, default=365.0, help="days the runs span (365)")
    add("--reply-share", type=float, default=0.3, help="tickets a customer replies to (0.3)")
    add("--solved-share", type=float, default=0.95, help="tickets solved in days (0.95)")
    add("--fail-share", type=float, default=0.002, help="tickets whose write fails (0.002)")
    add("--cache-entries", type=int, default=5_000, help="TICKETBOT_CACHE_ENTRIES (5,000)")
    add("--seed", type=int, default=7)
    add("--json", action="store_true", help="only the JSON summary")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        summary = simulate(args, Path(tmp) / "state", quiet=args.json)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()

"""Figures of the dashboard's list over a large store, and of the run state's growth over many
runs."""

from __future__ import annotations

import argparse
import heapq
import json
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from scripts import command_parser, data_toml
from ticket_processor.audit.schema import decisions
from ticket_processor.audit.store import AuditStore
from ticket_processor.dashboard import pending, queries
from ticket_processor.dashboard.filters import SORTS, ListQuery
from ticket_processor.state.cache import AnalysisCache
from ticket_processor.state.ledger import RunLedger
from ticket_processor.state.replies import ReplyBook

# The generated load's words and records (scripts/data/load_words.toml).
LOAD_WORDS = data_toml("load_words.toml")


# dashboard_list_timing ---------------------------------------------------------------------------

LIST_CATEGORIES = ["bug", "how_to", "billing", "account", "feature_request", "shipping", "refund"]
LIST_CATEGORIES += ["security", "other"]
WORDS: list[str] = LOAD_WORDS["dashboard_list_timing"]["words"]
LIST_ACCOUNT = "zendesk:bench"
# Every sort of the list (``sort=`` / ``order=``): alone, under a filter, and one page deep.
SORTED: list[dict[str, str]] = [
    *({"sort": name} for name in SORTS if name != "time"),
    {"sort": "confidence", "order": "asc"},
    {"sort": "ticket", "category": "billing"},
    {"sort": "category", "decision": "suggested"},
    {"sort": "confidence", "category": "billing"},
    {"sort": "urgency", "engine": "rules"},
    {"sort": "sentiment", "category": "billing", "decision": "suggested"},
    {"sort": "category", "page": "20"},
]
CHUNK = 20_000


def list_fill(store: AuditStore, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    start = datetime.now(UTC) - timedelta(days=30)
    step = timedelta(days=30) / rows
    ticket = 0
    batch: list[dict[str, object]] = []
    for i in range(rows):
        if i and rng.random() < 0.1:
            ticket_id, kind, message = rng.randint(1, ticket), "reply", i
        else:
            ticket += 1
            ticket_id, kind, message = ticket, "triage", 0
        decision = rng.choices(["applied", "suggested", "abstained"], [70, 20, 10])[0]
        batch.append(
            {
                "account": LIST_ACCOUNT,
                "run_id": f"run-{i // 500:05d}",
                "ticket_id": ticket_id,
                "message_id": message,
                "at": start + step * i,
                "helpdesk": "zendesk",
                "mode": "normal",
                "kind": kind,
                "status": "written",
                "subject": " ".join(rng.choices(WORDS, k=5)),
                "engine": rng.choices(["llm", "learned", "rules"], [70, 25, 5])[0],
                "category": rng.choice(LIST_CATEGORIES),
                "urgency": rng.choice(["low", "medium", "high", "critical"]),
                "sentiment": rng.choice(["negative", "neutral", "positive"]),
                "language": rng.choice(["en", "de", "fr"]),
                "confidence": round(rng.random(), 3),
                "decision": decision,
                "category_decision": decision,
                "field_decisions": {"category": decision},
                "field_confidence": {"category": round(rng.random(), 3)},
            }
        )
        if len(batch) == CHUNK:
            _list_insert(store, batch)
            batch = []
    if batch:
        _list_insert(store, batch)


def _list_insert(store: AuditStore, rows: list[dict[str, object]]) -> None:
    with store.engine.begin() as conn:
        conn.execute(decisions.insert(), rows)


def timed(store: AuditStore, params: dict[str, str]) -> tuple[float, str]:
    query = ListQuery.parse(params)
    times = []
    found = None
    for _ in range(5):
        began = time.perf_counter()
        with store.engine.connect() as conn:
            found = queries.ticket_list(conn, query, account=LIST_ACCOUNT)
        times.append(time.perf_counter() - began)
    assert found is not None
    return statistics.median(times) * 1000, found.shown_total


def dashboard_list_timing(argv: list[str] | None = None) -> None:
    parser = command_parser("dashboard_list_timing")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--store", type=Path, help="a state directory this script filled before: time it again"
    )
    args = parser.parse_args(argv)
    state = args.store or Path(tempfile.mkdtemp(prefix="ticketbot-list-timing-"))
    store = AuditStore.open(None, state_dir=state, account=LIST_ACCOUNT)
    if args.store is None:
        began = time.perf_counter()
        list_fill(store, args.rows)
        with store.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        print(f"filled {args.rows:,} decisions in {time.perf_counter() - began:.0f} s")
    week = (datetime.now(UTC) - timedelta(days=7)).date().isoformat()
    for params in (
        {},
        {"category": "billing"},
        {"decision": "suggested"},
        {"category": "billing", "decision": "suggested"},
        {"engine": "rules"},
        {"urgency": "critical", "decision": "abstained"},
        {"since": week},
        {"q": "refund crash"},
        {"q": "4312"},
        {"min_confidence": "0.2", "max_confidence": "0.4"},
        {"category": "billing", "page": "20"},
        {"sort": "oldest", "decision": "suggested"},
        {"sort": "oldest", "category": "billing", "decision": "suggested"},
        *SORTED,
    ):
        ms, total = timed(store, params)
        shown = "&".join(f"{k}={v}" for k, v in params.items()) or "(no filter)"
        print(f"/tickets?{shown:<50} {ms:8.1f} ms  ({total} tickets)")
    began = time.perf_counter()
    with store.engine.connect() as conn:
        queue = pending.review_queue(conn, account=LIST_ACCOUNT)
        waiting = pending.waiting_count(conn, account=LIST_ACCOUNT)
    ms = (time.perf_counter() - began) * 1000
    print(f"review queue (100 decisions) + waiting count  {ms:8.1f} ms  ({len(queue)}, {waiting})")
    size = sum(p.stat().st_size for p in state.glob("audit.sqlite3*"))
    print(f"store: {size / 1e6:.0f} MB on disk ({state})")
    store.close()


# state_growth ------------------------------------------------------------------------------------

# The checkout's package, so ``python -m scripts.figures state_growth`` works in a clone not
# installed.


DAY = 86_400.0
START = 1_800_000_000.0
RETRY_LIMIT = 5
ANALYSIS: dict[str, object] = LOAD_WORDS["state_growth"]["analysis"]


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


def state_growth(argv: list[str] | None = None) -> None:
    parser = command_parser("state_growth")
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
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        summary = simulate(args, Path(tmp) / "state", quiet=args.json)
    print(json.dumps(summary))

"""Figures of scale: memory bounds, the audit store, the dashboard's list, the state's growth,
import and page memory."""

from __future__ import annotations

import argparse
import gc
import heapq
import json
import multiprocessing
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from scripts import data_toml
from scripts.bench_harness import EMAIL, TOKEN, make_tickets, seed_sandbox, standin_env
from ticket_processor.audit.queries import DecisionFilter, DecisionQuery
from ticket_processor.audit.schema import decisions
from ticket_processor.audit.sealed_columns import SealedJSON
from ticket_processor.audit.store import FILE_NAME, AuditStore
from ticket_processor.dashboard import pending, queries
from ticket_processor.dashboard.filters import SORTS, ListQuery
from ticket_processor.helpdesks.registry import KINDS
from ticket_processor.helpdesks.samples import load_samples
from ticket_processor.sandbox.desks import Desk, NewTicket, serve_desk
from ticket_processor.sandbox.llm_standin.server import (
    RunningStandin,
    StandinConfig,
    serve_in_thread,
)
from ticket_processor.state.cache import AnalysisCache
from ticket_processor.state.ledger import RunLedger
from ticket_processor.state.replies import ReplyBook
from ticket_processor.tags import marker_tag

# The generated load's words and records (scripts/data/load_words.toml).
LOAD_WORDS = data_toml("load_words.toml")


# memory_bounds -----------------------------------------------------------------------------------

MEMORY_BOUNDS_DOC = """\
Peak memory of ``ticketbot`` against answers far past any sane size, one child process a case.

Each case starts the Zendesk sandbox and the OpenAI stand-in as threads of this process, seeds
tickets, and runs the real CLI (``python -m ticket_processor run`` or ``backfill``) as a child;
``os.wait4`` gives that child's own peak RSS, with no server in it. The stand-in generates the
oversize answers while sending them (``StandinConfig.oversize_answer_bytes``,
``gzip_bomb_bytes``, ``batch_padding_lines``), so this process never holds them either.

    python -m scripts.figures memory_bounds            # every case, default caps
    python -m scripts.figures memory_bounds --json     # the same, one JSON object per case
    python -m scripts.figures memory_bounds --only reply   # the cases whose name has "reply"

A reply case runs once to triage the tickets, lets one requester answer (a thank-you, an angry
line, or 5 MB of text) and measures the run that meets that reply. The desk runs on a clock a
few minutes behind, moved past the minute Zendesk's event export leaves out, as the tests do.

A seed case creates 20,000 tickets over the two weeks before yesterday, then runs until the
rising categories' counts are seeded whole (Zendesk's 10 exports a minute cut a reading at 10
pages; the next run reads on): its figures are the peak of those runs and their sum of time.

A case passes when the run exits 0, every ticket carries the processed marker (a reply case:
and the reply was judged; a seed case: and the counts were seeded), and the peak RSS is under
``--limit-mb`` (250).
"""


REPO_ROOT = Path(__file__).resolve().parents[1]
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
LAUNCHER = """
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL)
_, status, usage = os.wait4(proc.pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss, usage.ru_utime + usage.ru_stime)
"""


def child(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, float, float, float]:
    """Run ``python -m ticket_processor ARGS``: exit code, seconds, peak RSS (MiB) and CPU
    seconds of it alone."""
    started = time.perf_counter()
    launched = subprocess.run(
        [sys.executable, "-c", LAUNCHER, sys.executable, "-m", "ticket_processor", *args],
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=True,
    )
    code, peak_kib, cpu = launched.stdout.split()
    return int(code), time.perf_counter() - started, int(peak_kib) / 1024.0, float(cpu)


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
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ZENDESK_", "FRESHDESK_", "OPENAI_", "TICKETBOT_"))
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.update(desk.env(), **standin_env(llm.url, work, "sk-memory-bounds", workers))
    return env


def memory_bounds(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=MEMORY_BOUNDS_DOC.split("\n", 1)[0])
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


# audit_scale -------------------------------------------------------------------------------------

AUDIT_SCALE_DOC = """\
The audit store at a million decisions: how fast the dashboard's list answers, how big it is.

Fills a fresh store (SQLite by default; ``--url postgresql://...`` for PostgreSQL) with
``--rows`` decisions shaped like a run's (a month of them, twelve categories, three engines,
a fifth suggested, subjects from the bundled sample tickets, the whole event kept as a run
keeps it), then times the list (``AuditStore.list_decisions``) for the common filters, each
sorted newest first and read on its first page and 50 pages deep (50 rows a page), the median
of ``--repeat`` tries, and prints the store's size.

    python -m scripts.figures audit_scale                     # 1,000,000 rows, SQLite in a temp dir
    python -m scripts.figures audit_scale --rows 200000 --keep /tmp/audit   # keep the file
    python -m scripts.figures audit_scale --url postgresql://u:p@127.0.0.1/db

The rows go in through the store's engine in large transactions (the schema and indexes are
the store's own, made by its migrations); a run writes through ``AuditFeed`` in smaller ones.
The target is under 300 ms for every query on SQLite.
"""


ACCOUNT = "zendesk:acme.zendesk.com"
CATEGORIES: tuple[str, ...] = tuple(LOAD_WORDS["audit_scale"]["categories"])
ENGINES = (("llm", 0.8), ("learned", 0.12), ("rules", 0.08))
END = datetime(2026, 11, 25, tzinfo=UTC)
SPAN = timedelta(days=30)
TARGET_MS = 300.0
PAGE = 50
DEEP = 49  # the 50th page


@dataclass(frozen=True)
class ScaleCase:
    name: str
    where: DecisionFilter


def cases() -> list[ScaleCase]:
    week = END - timedelta(days=7)
    return [
        ScaleCase("everything", DecisionFilter()),
        ScaleCase("category=billing", DecisionFilter(category="billing")),
        ScaleCase("decision=suggested", DecisionFilter(decision="suggested")),
        ScaleCase("engine=rules", DecisionFilter(engine="rules")),
        ScaleCase("last 7 days", DecisionFilter(since=week, until=END)),
        ScaleCase("text 'refund'", DecisionFilter(text="refund")),
        ScaleCase("text (rare word)", DecisionFilter(text="blender")),
        ScaleCase(
            "billing+suggested+7 days",
            DecisionFilter(category="billing", decision="suggested", since=week, until=END),
        ),
        ScaleCase("ticket_id=4312", DecisionFilter(ticket_id=4312)),
    ]


def _rows(count: int, seed: int, *, span: timedelta = SPAN) -> Iterator[dict[str, Any]]:
    """``count`` decisions spread over ``span`` from the month's start (``fill`` copies them
    later into the month)."""
    rng = random.Random(seed)
    subjects = [s.subject for s in load_samples() if s.subject] or ["Help"]
    engines = [name for name, _ in ENGINES]
    weights = [share for _, share in ENGINES]
    step = span / count
    for n in range(count):
        at = END - SPAN + step * n
        engine = rng.choices(engines, weights)[0]
        category = rng.choice(CATEGORIES)
        confidence = round(rng.uniform(0.3, 1.0), 3)
        decision = rng.choices(("applied", "suggested", "abstained"), (0.7, 0.2, 0.1))[0]
        subject = rng.choice(subjects)
        ticket = 1000 + n
        tags = ["ai_processed", f"ai_category_{category}", "ai_urgency_medium"]
        event = {
            "ts": at.isoformat(),
            "event": "ticket_triaged",
            "run_id": f"run-{n // 200}",
            "ticket_id": ticket,
            "category": category,
            "urgency": "medium",
            "sentiment": "neutral",
            "language": "en",
            "confidence": confidence,
            "field_confidence": {"category": confidence, "urgency": 0.8},
            "decisions": {"category": decision[:-2] if decision != "applied" else "apply"},
            "engine": engine,
            "model": "gpt-4o-mini" if engine == "llm" else None,
            "fallback": False,
            "prompt_tokens": 420,
            "completion_tokens": 80,
            "tags_added": tags,
            "priority": "normal",
            "ticket_url": f"https://acme.zendesk.com/agent/tickets/{ticket}",
            "dry_run": False,
        }
        yield {
            "account": ACCOUNT,
            "run_id": f"run-{n // 200}",
            "ticket_id": ticket,
            "message_id": 0,
            "at": at,
            "helpdesk": "zendesk",
            "mode": "normal",
            "kind": "triage",
            "status": "written",
            "subject": subject,
            "engine": engine,
            "model": event["model"],
            "category": category,
            "urgency": "medium",
            "sentiment": "neutral",
            "language": "en",
            "confidence": confidence,
            "category_confidence": confidence,
            "category_decision": decision,
            "decision": decision,
            "field_confidence": event["field_confidence"],
            "field_decisions": {"category": decision},
            "tags": tags,
            "priority": "normal",
            "ticket_url": event["ticket_url"],
            "event": event,
        }


def fill(store: AuditStore, count: int, *, seed: int, batch: int = 20_000) -> float:
    """Insert ``count`` rows. On SQLite the first twentieth is made here and the rest copied
    from it by SQLite itself, each copy a later stretch of the month with other ticket ids:
    the same rows a Python loop would make, in minutes rather than an hour on a small VM."""
    started = time.perf_counter()
    copies = COPIES if store.dialect == "sqlite" and count >= COPIES * batch else 1
    base = count // copies
    insert = _sqlite_insert if store.dialect == "sqlite" else _insert
    chunk: list[dict[str, Any]] = []
    done = 0
    for row in _rows(base, seed, span=SPAN / copies):
        chunk.append(row)
        if len(chunk) == batch:
            insert(store, chunk)
            done += len(chunk)
            chunk = []
            print(f"\rfilled {done:,} / {count:,}", end="", file=sys.stderr, flush=True)
    if chunk:
        insert(store, chunk)
        done += len(chunk)
    for copy in range(1, copies):
        _sqlite_copy(store, base, copy, int((SPAN / copies).total_seconds()) * copy)
        done += base
        print(f"\rfilled {done:,} / {count:,}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    with store.engine.begin() as conn:
        if store.dialect == "sqlite":
            conn.exec_driver_sql("ANALYZE")
        else:
            conn.exec_driver_sql("ANALYZE decisions")
    return time.perf_counter() - started


COPIES = 20


def _sqlite_copy(store: AuditStore, base: int, copy: int, seconds: int) -> None:
    """Rows 1..base again, ``seconds`` later, with ticket ids and runs of their own."""
    names = [name for name in decisions.c.keys() if name != "id"]  # noqa: SIM118 - a column list
    moved = {
        "ticket_id": f"ticket_id + {copy * base}",
        "run_id": f"run_id || '-{copy}'",
        # SQLite's datetime() drops the fraction: put it back, as the store writes times.
        "at": f"datetime(at, '+{seconds} seconds') || substr(at, 20)",
    }
    chosen = ", ".join(moved.get(name, name) for name in names)
    raw = store.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        cursor.execute(
            f"INSERT INTO decisions ({', '.join(names)}) "  # noqa: S608 - our own column names
            f"SELECT {chosen} FROM decisions WHERE id <= {base} ORDER BY id"
        )
        cursor.execute("COMMIT")
    finally:
        raw.close()


def _insert(store: AuditStore, rows: list[dict[str, Any]]) -> None:
    with store.engine.begin() as conn:
        conn.execute(decisions.insert(), rows)


# JSON columns, the sealed ones included (stored as plain JSON text: no key is installed here).
_JSON = frozenset(
    name for name, column in decisions.c.items() if isinstance(column.type, sa.JSON | SealedJSON)
)


def _sqlite_insert(store: AuditStore, rows: list[dict[str, Any]]) -> None:
    """The driver's executemany, values as SQLAlchemy stores them (text times, JSON text):
    several times faster than the ORM-free Core insert for a million rows, same rows."""
    names = list(rows[0])
    statement = (
        f"INSERT INTO decisions ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"  # noqa: S608 - our own column names
    )

    def value(name: str, item: Any) -> Any:
        if name in _JSON:
            return json.dumps(item)
        if isinstance(item, datetime):
            return item.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        return item

    raw = store.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        cursor.executemany(statement, [[value(n, row[n]) for n in names] for row in rows])
        cursor.execute("COMMIT")
    finally:
        raw.close()


def time_query(store: AuditStore, query: DecisionQuery, repeat: int) -> tuple[float, int]:
    took = []
    shown = 0
    for _ in range(repeat):
        started = time.perf_counter()
        page = store.list_decisions(query)
        took.append((time.perf_counter() - started) * 1000)
        shown = len(page.rows)
    return statistics.median(took), shown


def size_of(store: AuditStore, path: Path | None) -> str:
    if store.dialect == "sqlite" and path is not None:
        total = sum(p.stat().st_size for p in path.parent.glob(FILE_NAME + "*"))
        return f"{total / 1e6:,.0f} MB ({path.name} and its WAL)"
    with store.engine.connect() as conn:
        size = conn.execute(sa.text("SELECT pg_database_size(current_database())")).scalar_one()
    return f"{int(size) / 1e6:,.0f} MB (the PostgreSQL database)"


def audit_scale(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=AUDIT_SCALE_DOC.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--url", default=None, help="a PostgreSQL URL (default: SQLite)")
    parser.add_argument("--keep", type=Path, default=None, help="the state directory to fill")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    state = args.keep or Path(tempfile.mkdtemp(prefix="audit-scale-"))
    store = AuditStore.open(args.url, state_dir=state, account=ACCOUNT)
    path = state / FILE_NAME if args.url is None else None
    if store.count_decisions(DecisionFilter(), cap=0) == 0:
        seconds = fill(store, args.rows, seed=args.seed)
        print(f"filled {args.rows:,} decisions in {seconds:.0f} s ({store.where})")
    else:
        print(f"reusing the decisions already in {store.where}")
    print(f"store size: {size_of(store, path)}")
    print(f"{'query':28} {'page 1':>9} {'page 50':>9}  rows")
    worst = 0.0
    for case in cases():
        first, _ = time_query(store, DecisionQuery(case.where, limit=PAGE), args.repeat)
        deep, shown = time_query(
            store, DecisionQuery(case.where, limit=PAGE, offset=PAGE * DEEP), args.repeat
        )
        worst = max(worst, first, deep)
        print(f"{case.name:28} {first:7.1f}ms {deep:7.1f}ms  {shown}")
    for sort in ("confidence", "category", "ticket_id"):
        took, _ = time_query(
            store, DecisionQuery(DecisionFilter(), sort=sort, limit=PAGE, offset=PAGE * DEEP), 3
        )
        worst = max(worst, took)
        print(f"{'sort by ' + sort:28} {'':9} {took:7.1f}ms")
    counted = time.perf_counter()
    store.count_decisions(DecisionFilter(category="billing"))
    print(f"{'count (capped at 10,000)':28} {(time.perf_counter() - counted) * 1000:7.1f}ms")
    verdict = "within" if worst < TARGET_MS else "OVER"
    print(f"slowest: {worst:.1f} ms, {verdict} the {TARGET_MS:.0f} ms target")
    store.close()
    return 0 if worst < TARGET_MS else 1


# audit_head_schema -------------------------------------------------------------------------------

AUDIT_HEAD_SCHEMA_DOC = """\
Write ``ticket_processor/audit/head_schema.py``: the statements that make an empty embedded
audit store at the migrations' head, read off a store Alembic has just created.

    python -m scripts.figures audit_head_schema          # after adding a migration

A run creates a missing store with these statements (``audit/upgrade.py``, sqlite3 alone)
instead of starting a child interpreter for SQLAlchemy and Alembic; a store that exists at an
older version is still upgraded by Alembic. ``tests/audit/test_audit_head_schema.py`` fails
while the file is not this script's output for the current migrations.
"""


ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "ticket_processor" / "audit" / "head_schema.py"

_HEADER = '''"""The statements that make an empty embedded audit store at the migrations' head
(written by ``python -m scripts.figures audit_head_schema`` from a store Alembic created: not by
hand).

``audit/upgrade.py`` creates a missing store with them, in one ``BEGIN IMMEDIATE``
transaction, then ``ANALYZE`` as Alembic's upgrade ends; the FTS5 table's own tables and the
indexes SQLite makes for a key follow from them.
"""

from __future__ import annotations

'''


def head_statements(state_dir: Path) -> tuple[str, list[str]]:
    """(version, statements) of a store ``AuditStore.open`` creates in ``state_dir``."""
    from ticket_processor.audit.store import FILE_NAME, AuditStore

    AuditStore.open(None, state_dir=state_dir).close()
    conn = sqlite3.connect(state_dir / FILE_NAME)
    try:
        version = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        virtual = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%'"
            )
        ]
        statements = [
            sql
            for kind, name, sql in conn.execute(
                "SELECT type, name, sql FROM sqlite_master ORDER BY rowid"
            )
            if sql is not None
            and not name.startswith("sqlite_")
            # The FTS5 table's own tables, which it makes itself (its triggers are ours).
            and not (kind == "table" and any(name.startswith(f"{v}_") for v in virtual))
        ]
    finally:
        conn.close()
    return str(version), statements


def module_text(version: str, statements: list[str]) -> str:
    lines = [_HEADER, f"VERSION = {version!r}\n", "STATEMENTS: tuple[str, ...] = (\n"]
    for sql in statements:
        parts = [piece for line in sql.splitlines(keepends=True) for piece in _pieces(line)]
        if len(parts) == 1 and len(repr(sql)) < 90:
            lines.append(f"    {sql!r},\n")
            continue
        lines.append("    (\n")
        lines += [f"        {part!r}\n" for part in parts]
        lines.append("    ),\n")
    lines.append(")\n")
    return "".join(lines)


def _pieces(line: str, width: int = 80) -> list[str]:
    """``line`` cut after spaces into pieces of at most about ``width`` characters."""
    pieces = [""]
    for word in line.split(" "):
        if pieces[-1] and len(pieces[-1]) + len(word) > width:
            pieces.append("")
        pieces[-1] += word + " "
    pieces[-1] = pieces[-1][:-1]
    return pieces


def audit_head_schema(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=AUDIT_HEAD_SCHEMA_DOC.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=TARGET, help="the module to write")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as state:
        version, statements = head_statements(Path(state))
    args.out.write_text(module_text(version, statements), "utf-8")
    print(f"{args.out}: {len(statements)} statements at version {version}")
    return 0


# dashboard_list_timing ---------------------------------------------------------------------------

DASHBOARD_LIST_TIMING_DOC = """\
How fast the dashboard's ticket list answers over a large audit store (SQLite by default).

    python -m scripts.figures dashboard_list_timing                  # 1,000,000 decisions
    python -m scripts.figures dashboard_list_timing --rows 100000    # a quicker look

Fills a fresh store (a temporary state directory) with ``--rows`` decisions over 30 days: nine
categories, four urgencies, three engines, applied / suggested / abstained, one ticket in ten
triaged again after a reply (so "one row per ticket, its latest decision" has work to do), then
times the list's query (``dashboard.queries.ticket_list``: the page of 50 and the capped count)
for the common filters, the median of five, and the review queue's. Prints one line a filter
and the store's size on disk.
"""


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
    parser = argparse.ArgumentParser(description=DASHBOARD_LIST_TIMING_DOC.split("\n\n")[0])
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

STATE_GROWTH_DOC = """\
The state directory over a year of a busy helpdesk: its size after 1,000,000 triaged tickets.

No helpdesk and no HTTP: this drives the state classes a run uses (``RunLedger`` with its crash
journal, retry queue, breakers and last run; ``AnalysisCache``; the reply book ``ReplyBook``) as
``--runs`` scheduled runs spread over ``--days`` would, on a simulated clock. Each run triages
its share of the tickets (journal, one cache entry and one reply-book record each), judges the
customers' replies that came in since the last run (``--reply-share`` of the tickets get one,
0.1-2 days after their triage), and sees solved the tickets solved since (``--solved-share`` of
them, 0.5-5 days after their triage; the rest stay open for ever), as discovery does; a few
fail and are retried (``--fail-share``). After each tenth of the runs it prints the directory's
size and each file's; then one JSON summary with the largest size seen.

    python -m scripts.figures state_growth                   # 1,000,000 tickets, 2,000 runs, a year
    python -m scripts.figures state_growth --tickets 100000 --runs 200 --json
"""


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
    parser = argparse.ArgumentParser(description=STATE_GROWTH_DOC.split("\n\n")[0])
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


# import_memory -----------------------------------------------------------------------------------

IMPORT_MEMORY_DOC = """\
What importing a module costs in memory: the peak RSS of a fresh interpreter that imports it,
less that of one that imports nothing (the median of a few tries each).

    python -m scripts.figures import_memory                  # the run's optional heavy modules
    python -m scripts.figures import_memory sqlalchemy re2   # any modules, each alone

Where the figures are used: docs/explanation/benchmarks.md. A module already imported by
everything a run loads costs the run less than it costs alone; the run's own figure is
``scripts/bench.py``'s peak RSS.
"""


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
    parser = argparse.ArgumentParser(description=IMPORT_MEMORY_DOC.split("\n\n")[0])
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

EXPORT_PAGE_MEMORY_DOC = """\
The memory of reading one Zendesk export page: the peak of Python objects while the page is
fetched, decoded and parsed, and what its parsed tickets hold after (``tracemalloc``).

    python -m scripts.figures export_page_memory                 # a 1,000-ticket page
    python -m scripts.figures export_page_memory --tickets 500

The sandbox runs in a process of its own, so only the reading side is counted
(docs/explanation/benchmarks.md lists it among the other scripts).
"""


def _serve(tickets: int, urls: Any) -> None:
    from ticket_processor.helpdesks.zendesk.sandbox.config import SandboxConfig
    from ticket_processor.helpdesks.zendesk.sandbox.server import serve_in_thread

    sandbox = serve_in_thread(SandboxConfig(email=EMAIL, token=TOKEN, plan="high_volume"))
    seed_sandbox(sandbox, make_tickets(tickets, duplicates=0.0, seed=7))
    urls.put(sandbox.url)
    time.sleep(3600)


def export_page_memory(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=EXPORT_PAGE_MEMORY_DOC.split("\n\n")[0])
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

"""Figures of the audit store at scale: its slowest queries on a month of decisions, and the head
of its schema."""

from __future__ import annotations

import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from scripts import command_parser, data_toml
from ticket_processor.audit.queries import DecisionFilter, DecisionQuery
from ticket_processor.audit.schema import decisions
from ticket_processor.audit.sealed_columns import SealedJSON
from ticket_processor.audit.store import FILE_NAME, AuditStore
from ticket_processor.helpdesks.samples import load_samples

# The generated load's words and records (scripts/data/load_words.toml).
LOAD_WORDS = data_toml("load_words.toml")


# audit_scale -------------------------------------------------------------------------------------

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
    parser = command_parser("audit_scale")
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
    parser = command_parser("audit_head_schema")
    parser.add_argument("--out", type=Path, default=TARGET, help="the module to write")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as state:
        version, statements = head_statements(Path(state))
    args.out.write_text(module_text(version, statements), "utf-8")
    print(f"{args.out}: {len(statements)} statements at version {version}")
    return 0

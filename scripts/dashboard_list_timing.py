"""How fast the dashboard's ticket list answers over a large audit store (SQLite by default).

    python scripts/dashboard_list_timing.py                  # 1,000,000 decisions
    python scripts/dashboard_list_timing.py --rows 100000    # a quicker look

Fills a fresh store (a temporary state directory) with ``--rows`` decisions over 30 days: nine
categories, four urgencies, three engines, applied / suggested / abstained, one ticket in ten
triaged again after a reply (so "one row per ticket, its latest decision" has work to do), then
times the list's query (``dashboard.queries.ticket_list``: the page of 50 and the capped count)
for the common filters, the median of five, and the review queue's. Prints one line a filter
and the store's size on disk.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(1, str(ROOT))

from ticket_processor.audit.schema import decisions  # noqa: E402
from ticket_processor.audit.store import AuditStore  # noqa: E402
from ticket_processor.dashboard import pending, queries  # noqa: E402
from ticket_processor.dashboard.filters import SORTS, ListQuery  # noqa: E402

CATEGORIES = ["bug", "how_to", "billing", "account", "feature_request", "shipping", "refund"]
CATEGORIES += ["security", "other"]
WORDS = [
    "refund",
    "invoice",
    "login",
    "password",
    "parcel",
    "crash",
    "export",
    "charge",
    "upgrade",
    "cancel",
]
ACCOUNT = "zendesk:bench"
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


def fill(store: AuditStore, rows: int, seed: int = 7) -> None:
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
                "account": ACCOUNT,
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
                "category": rng.choice(CATEGORIES),
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
            _insert(store, batch)
            batch = []
    if batch:
        _insert(store, batch)


def _insert(store: AuditStore, rows: list[dict[str, object]]) -> None:
    with store.engine.begin() as conn:
        conn.execute(decisions.insert(), rows)


def timed(store: AuditStore, params: dict[str, str]) -> tuple[float, str]:
    query = ListQuery.parse(params)
    times = []
    found = None
    for _ in range(5):
        began = time.perf_counter()
        with store.engine.connect() as conn:
            found = queries.ticket_list(conn, query, account=ACCOUNT)
        times.append(time.perf_counter() - began)
    assert found is not None
    return statistics.median(times) * 1000, found.shown_total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--store", type=Path, help="a state directory this script filled before: time it again"
    )
    args = parser.parse_args()
    state = args.store or Path(tempfile.mkdtemp(prefix="ticketbot-list-timing-"))
    store = AuditStore.open(None, state_dir=state, account=ACCOUNT)
    if args.store is None:
        began = time.perf_counter()
        fill(store, args.rows)
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
        queue = pending.review_queue(conn, account=ACCOUNT)
        waiting = pending.waiting_count(conn, account=ACCOUNT)
    ms = (time.perf_counter() - began) * 1000
    print(f"review queue (100 decisions) + waiting count  {ms:8.1f} ms  ({len(queue)}, {waiting})")
    size = sum(p.stat().st_size for p in state.glob("audit.sqlite3*"))
    print(f"store: {size / 1e6:.0f} MB on disk ({state})")
    store.close()


if __name__ == "__main__":
    main()

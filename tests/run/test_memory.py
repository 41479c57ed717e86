"""What keeps a run's memory down at 256 LLM workers, checked where it can fail.

- glibc's malloc is set up before the threads: 64 KiB blocks (every waiting worker's receive
  buffer) are served by ``mmap`` and go back to the system when freed, instead of pinning the
  heap; an operator's ``MALLOC_*`` variable wins.
- an LLM run does not import numpy (the learned model's ~12 MB): the model is a fallback loaded
  when a ticket first needs it; a learned run does import it (so the check itself works).
- a run without the features that need them imports neither prometheus-client (metrics not
  configured), RE2 (no fields file), nor SQLAlchemy and Alembic (the embedded audit store is
  written through sqlite3, and created or upgraded in a child process), nor rich (nothing is
  drawn off a terminal), nor the answering code (answers off); each came in at the top of a
  module and cost the run memory.
- a run lets a page of tickets go before it reads the next (the peak held two pages);
- the analysis cache holds its entries packed; its file holds the same data as before (each
  entry now compact on one line inside the indented file).

The peak RSS itself is a benchmark figure (``scripts/bench.py``), not a test.
"""

from __future__ import annotations

import ctypes
import gc
import os
import platform
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import orjson
import pytest
from support.cli import invoke
from support.e2e import configure

from ticket_processor.audit.store import FILE_NAME, SCHEMA_VERSION
from ticket_processor.helpdesks.zendesk.adapter import EXPORT_PAGE
from ticket_processor.helpdesks.zendesk.client import BATCH_LIMIT as WRITE_BATCH
from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox
from ticket_processor.models import Ticket
from ticket_processor.sandbox.llm_standin.server import RunningStandin
from ticket_processor.state.cache import AnalysisCache
from ticket_processor.state.ledger import RunLedger

MMAPPED_BLOCKS = textwrap.dedent(
    """
    import ctypes, json, os, sys
    from ticket_processor.ops.arenas import tune_malloc

    class MallInfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in (
            "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost"
        ).split()]

    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = MallInfo2
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    applied = tune_malloc(os.environ)
    # malloc itself, as CPython's allocator calls it for a 64 KiB receive buffer: nothing else
    # frees a mapped block between the counts.
    start = libc.mallinfo2()
    buffers = [libc.malloc(64 * 1024) for _ in range(20)]
    end = libc.mallinfo2()
    for buffer in buffers:
        libc.free(buffer)
    print(json.dumps({
        "applied": applied,
        "mmapped": end.hblks - start.hblks,
        "heap_grew": end.arena - start.arena,
        "left_after_free": libc.mallinfo2().hblks - start.hblks,
    }))
    """
)


def _glibc_with_mallinfo2() -> bool:
    if platform.libc_ver()[0] != "glibc":
        return False
    return hasattr(ctypes.CDLL("libc.so.6"), "mallinfo2")  # glibc 2.33 and later


needs_glibc = pytest.mark.skipif(
    not _glibc_with_mallinfo2(), reason="glibc >= 2.33 (mallinfo2) only: CI's Debian 12 has 2.36"
)


def _mmapped_blocks(**env: str) -> dict[str, Any]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    done = subprocess.run(
        [sys.executable, "-c", MMAPPED_BLOCKS],
        env={**environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result: dict[str, Any] = orjson.loads(done.stdout)
    return result


@needs_glibc
def test_64_kib_buffers_are_mapped_and_given_back_after_tuning() -> None:
    tuned = _mmapped_blocks()
    assert tuned["applied"] == ["M_ARENA_MAX=2", "M_MMAP_THRESHOLD=65536"]
    # glibc serves a block from the heap's free top first, and maps it only where the heap
    # would have to grow: 18-20 of the 20 are mapped (the heap's slack is 0-128 KiB).
    assert tuned["heap_grew"] == 0
    assert 18 <= tuned["mmapped"] <= 20
    assert tuned["left_after_free"] == 0  # unmapped when freed


@needs_glibc
def test_the_operators_malloc_variables_win() -> None:
    # glibc's default threshold is 128 KiB: the same buffers come from the heap.
    untouched = _mmapped_blocks(MALLOC_MMAP_THRESHOLD_="131072", MALLOC_ARENA_MAX="4")
    assert untouched["applied"] == []
    assert untouched["mmapped"] == 0
    assert untouched["heap_grew"] > 0


@needs_glibc
def test_the_operators_glibc_tunables_win() -> None:
    tunables = "glibc.malloc.tcache_count=0:glibc.malloc.mmap_threshold=131072"
    partly = _mmapped_blocks(GLIBC_TUNABLES=tunables)
    assert partly["applied"] == ["M_ARENA_MAX=2"]  # the threshold was the operator's
    assert partly["mmapped"] == 0


def _run_importing(engine: str, tmp_path: Path) -> set[str]:
    """``python -m ticket_processor run``: the top-level packages it imported."""
    return {name.split(".")[0] for name in _run_modules(engine, tmp_path)}


# ``python -m ticket_processor run --engine ENGINE``, writing at its exit every module the
# process itself loaded (not a child's, as ``-X importtime`` would show with them).
RUN_LISTING_MODULES = textwrap.dedent(
    """
    import atexit, json, runpy, sys
    out, engine = sys.argv[1:3]

    def listed():
        with open(out, "w") as handle:
            json.dump(sorted(sys.modules), handle)

    atexit.register(listed)
    sys.argv = ["ticketbot", "run", "--engine", engine]
    runpy.run_module("ticket_processor", run_name="__main__", alter_sys=True)
    """
)


def _run_modules(engine: str, tmp_path: Path) -> set[str]:
    """``python -m ticket_processor run``: every module its process imported."""
    listing = tmp_path / "modules.json"
    listing.unlink(missing_ok=True)
    done = subprocess.run(
        [sys.executable, "-c", RUN_LISTING_MODULES, str(listing), engine],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return set(orjson.loads(listing.read_bytes()))


def test_an_llm_run_does_not_import_numpy(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    sandbox: RunningSandbox,
    standin: RunningStandin,
) -> None:
    configure(monkeypatch, tmp_path, sandbox=sandbox, llm_url=standin.url, workers=4)
    for n in range(3):
        sandbox.store.create({"subject": f"Refund {n}", "comment": {"body": "No refund yet."}})
    imported = _run_importing("llm", tmp_path)
    assert "openai" in imported  # the LLM engine ran
    assert "numpy" not in imported
    assert standin.stats()["completions"] == 3
    tags = [t["tags"] for t in sandbox.store.all_tickets()]
    assert all("ai_processed" in t for t in tags)


def test_a_learned_run_imports_numpy(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    sandbox: RunningSandbox,
    standin: RunningStandin,
) -> None:
    configure(monkeypatch, tmp_path, sandbox=sandbox, llm_url=standin.url, workers=2)
    sandbox.store.create({"subject": "Refund", "comment": {"body": "No refund yet."}})
    imported = _run_importing("learned", tmp_path)
    assert "numpy" in imported


def test_a_plain_run_leaves_the_optional_heavy_modules_alone(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sandbox: RunningSandbox
) -> None:
    # The rules engine calls no LLM: nothing listens at the URL.
    configure(monkeypatch, tmp_path, sandbox=sandbox, llm_url="http://127.0.0.1:9/v1", workers=2)
    for var in ("TICKETBOT_METRICS_PUSHGATEWAY", "TICKETBOT_METRICS_TEXTFILE", "TICKETBOT_FIELDS"):
        monkeypatch.delenv(var, raising=False)
    sandbox.store.create({"subject": "Refund", "comment": {"body": "No refund yet."}})
    first = _run_modules("rules", tmp_path)  # creates the audit store (in a child process)
    sandbox.store.create({"subject": "Login", "comment": {"body": "I cannot log in."}})
    later = _run_modules("rules", tmp_path)
    for modules in (first, later):
        assert "prometheus_client" not in modules
        assert "re2" not in modules
        # ``ticketbot run`` builds the app with its own command alone.
        commands = {m for m in modules if m.startswith("ticket_processor.commands.")}
        assert "ticket_processor.commands.run" in commands
        assert commands <= {
            f"ticket_processor.commands.{m}" for m in ("run", "common", "render", "console")
        }
        # The embedded store is written through sqlite3; SQLAlchemy and Alembic create it in
        # a child interpreter, once (not started through multiprocessing, ~1 MB).
        assert not {m for m in modules if m.split(".")[0] in ("sqlalchemy", "alembic")}
        assert "multiprocessing" not in modules
        # Under cron nothing is drawn: no rich (~3 MB); answers are off, so no answering
        # code; the run prices its tokens without the report's aggregation.
        assert not {m for m in modules if m.split(".")[0] == "rich"}
        assert "ticket_processor.answers.answering" not in modules
        assert "ticket_processor.answers.plan" not in modules
        assert "ticket_processor.report.aggregate" not in modules
    # Both runs' decisions are in the store, at the newest schema (so the check above looks
    # at runs that wrote it).
    store = sqlite3.connect(tmp_path / "state" / FILE_NAME)
    try:
        [(version,)] = store.execute("SELECT version_num FROM alembic_version").fetchall()
        stored = store.execute("SELECT status, COUNT(*) FROM decisions GROUP BY status")
        assert dict(stored.fetchall()) == {"written": 2}
        assert store.execute("SELECT COUNT(*) FROM runs").fetchone() == (2,)
    finally:
        store.close()
    assert version == SCHEMA_VERSION
    tags = [t["tags"] for t in sandbox.store.all_tickets()]
    assert all("ai_processed" in t for t in tags)


def test_packed_cache_entries_round_trip_through_the_file(tmp_path: Path) -> None:
    ledger = RunLedger(tmp_path / "state")
    cache = AnalysisCache(ledger, max_entries=3)
    entries = {
        f"k{n}": {"analysis": {"summary": f"ticket {n} – é ✓", "confidence": 0.5 + n / 10}}
        for n in range(4)
    }
    for key, value in entries.items():
        cache.put(key, value)
    assert cache.get("k0") is None  # the oldest went out
    assert cache.get("k1") == entries["k1"]  # k1 is now the most recent
    cache.flush()
    on_disk = orjson.loads((tmp_path / "state" / "cache.json").read_bytes())
    assert on_disk == {"version": 1, "entries": {k: entries[k] for k in ("k2", "k3", "k1")}}
    assert list(on_disk["entries"]) == ["k2", "k3", "k1"]  # least recently used first
    again = AnalysisCache(RunLedger(tmp_path / "state"), max_entries=2)
    assert again.get("k2") is None  # a smaller cap keeps the most recent
    assert again.get("k1") == entries["k1"]
    assert again.get("k3") == entries["k3"]


def _live_full_tickets(ids: set[int]) -> int:
    """``Ticket`` objects of ``ids`` still alive with their text (the flow keeps slim copies)."""
    gc.collect()
    return sum(
        1
        for obj in gc.get_objects()
        if isinstance(obj, Ticket) and obj.id in ids and obj.description
    )


def test_a_page_of_tickets_is_let_go_before_the_next_is_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sandbox: RunningSandbox
) -> None:
    # Two export pages (1,000 tickets a page). While the second is read and decoded, no layer
    # (the pipeline, the stream, the adapter, the export reader) may still hold the first
    # page's tickets: a run's peak held two pages of tickets at once, ~2 MB of a rules run's.
    configure(monkeypatch, tmp_path, sandbox=sandbox, llm_url="http://127.0.0.1:9/v1", workers=2)
    body = {"comment": {"body": "Item came back, still no refund."}}
    first_page = {
        int(sandbox.store.create({"subject": f"Refund {n}", **body})["id"])
        for n in range(EXPORT_PAGE)
    }
    for n in range(20):
        sandbox.store.create({"subject": f"Login {n}", "comment": {"body": "I cannot log in."}})
    export_after = sandbox.store.export_after
    alive: list[int] = []  # at each export request: the first page's tickets still held

    def observed(after: int, per_page: int) -> Any:
        # The sandbox's thread, answering an export request: the run waits for this page, so
        # what is alive now is what it holds while it reads the next page.
        alive.append(_live_full_tickets(first_page))
        return export_after(after, per_page)

    monkeypatch.setattr(sandbox.store, "export_after", observed)
    result = invoke("run", "--engine", "rules")
    assert result.exit_code == 0, result.output
    assert len(alive) >= 2, alive  # the first page, then the second
    # The page itself is 1,000; what may be alive is a write batch's own fresh read of its
    # tickets (``show_many``, 100 at most), under way in the writer's thread meanwhile.
    assert alive[1] <= WRITE_BATCH, f"{alive[1]} of the first page's tickets held meanwhile"
    tags = [t["tags"] for t in sandbox.store.all_tickets()]
    assert len(tags) == EXPORT_PAGE + 20
    assert all("ai_processed" in t for t in tags)

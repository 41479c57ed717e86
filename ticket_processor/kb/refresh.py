"""The help-centre index in a run: open it, sync it when it is older than its maximum age.

``open_for_run`` is what ``run_once`` calls, with the index's path (``index_path`` of the state
directory), how many suggestions a note takes and the index's maximum age. A run never fails
because of the index: a damaged file is set aside and rebuilt by a full sync (reported once, as
other state files are), a sync that fails is a warning and the run goes on with the index as it
was, and with no usable index at all the tickets simply get no suggestions. A dry run reads the
index as it is and neither syncs nor moves a file.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..common.atomic import SET_ASIDE_EVENT
from ..errors import ConfigError, credentials_refused
from ..models import Helpdesk
from ..triage.chain import TriageCache, _Store
from .documents import sync_documents
from .index import INDEX_FILE, ArticleIndex
from .retrieve import SuggestingTriageCache
from .sync import sync

Emit = Callable[..., Any]


@dataclass
class RunIndex:
    """The index a run searches (None: suggestions off) and what the run should be told."""

    index: ArticleIndex | None
    warnings: list[str] = field(default_factory=list)
    set_aside: list[str] = field(default_factory=list)

    def triage_cache(
        self, store: _Store, *, tag: str, suggestions: int, drafts: bool
    ) -> TriageCache:
        if self.index is None or not self.index.available:
            return TriageCache(store, tag=tag)
        return SuggestingTriageCache(
            store, tag=tag, index=self.index, suggestions=suggestions, drafts=drafts
        )

    def close(self) -> None:
        if self.index is not None:
            self.index.close()


def index_path(state_dir: Path) -> Path:
    return state_dir / INDEX_FILE


def open_for_run(
    path: Path,
    helpdesk: Helpdesk,
    *,
    suggestions: int,
    max_age: float,
    dry_run: bool,
    emit: Emit,
    clock: Callable[[], float] = time.time,
    documents: Path | None = None,
    out_of_time: Callable[[], bool] = lambda: False,
) -> RunIndex:
    """The index at ``path`` for a run; ``suggestions`` 0: off; synced when older than
    ``max_age`` seconds, with the team's ``documents`` folder when there is one, read until
    ``out_of_time`` (the run's budget spent)."""
    if suggestions <= 0:
        return RunIndex(None)
    if dry_run:
        return RunIndex(ArticleIndex(path, read_only=True))
    try:
        index = ArticleIndex(path)
    except sqlite3.Error as exc:  # a full disk, a read-only file: no suggestions this run
        reason = f"{type(exc).__name__}: {exc}"[:300]
        emit("kb_unavailable", level="warning", error=reason)
        return RunIndex(None, warnings=[f"help-centre index unusable ({reason}); no suggestions"])
    found = RunIndex(index)
    if index.set_aside is not None:
        aside = index.set_aside
        found.set_aside.append(aside.file)
        emit(SET_ASIDE_EVENT, **aside.logged())
    synced_at = index.synced_at
    if synced_at is not None and clock() - synced_at <= max_age:
        return found
    started = time.monotonic()
    try:
        report = sync(helpdesk, index, clock=clock)
    except Exception as exc:  # noqa: BLE001 - the help centre is an extra, never a reason to fail
        reason = f"{type(exc).__name__}: {exc}"[:300]
        emit("kb_sync_failed", level="warning", error=reason)
        if credentials_refused(exc):  # the run's abort says it, once
            return found
        found.warnings.append(
            f"help-centre sync failed ({reason}); suggestions use the index as it was"
            if synced_at is not None and index.count()
            else f"help-centre sync failed ({reason}); no suggestions: the index is empty "
            "until a sync succeeds (`ticketbot kb sync`)"
        )
        return found
    emit("kb_synced", seconds=round(time.monotonic() - started, 3), **report.as_event())
    if documents is not None:
        _sync_documents(found, documents, emit, out_of_time)
    return found


def _sync_documents(
    found: RunIndex, folder: Path, emit: Emit, out_of_time: Callable[[], bool]
) -> None:
    """The team's documents synced with the help centre; a folder that cannot be read is a
    warning, the documents then searched as they were indexed."""
    assert found.index is not None
    try:
        report = sync_documents(found.index, folder, out_of_time=out_of_time)
    except (ConfigError, OSError, sqlite3.Error) as exc:
        reason = f"{type(exc).__name__}: {exc}"[:300]
        emit("documents_sync_failed", level="warning", error=reason)
        found.warnings.append(f"documents not synced ({reason}); searched as last indexed")
        return
    emit("documents_synced", **report.as_event())
    if report.stopped:
        emit("documents_sync_stopped", level="warning", reason=report.stopped)
        found.warnings.append(
            f"documents not synced (stopped reading the folder: {report.stopped}); "
            "searched as last indexed"
        )
    for reason in report.skipped:
        emit("document_skipped", level="warning", reason=reason[:300])

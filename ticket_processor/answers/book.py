"""What the answers keep between runs: ``answers.json`` in the state directory.

- ``planned``: replies decided but not yet confirmed sent, each ``planned`` or ``sending``.
  An entry is written (fsync'd, atomically) before the triage write that announces it, and is
  marked ``sending`` before the reply goes out: a run killed anywhere leaves the next run the
  entry, and the next run reads the conversation before it sends (a reply of ours already
  there is finished, never sent again).
- ``sent``: every ticket answered (requester, time, category, article) — the loop guard, the
  report and the ladder's re-open rate; ``outcomes``: resolved or re-opened, per ticket.
- ``drafts``: drafted answers and, once an agent's first public reply is read, whether it used
  the draft (the ladder's acceptance); ``ladder``: each ``auto`` category's current rung.

Thread-safe; each change is written at once. Entries older than ``KEEP_SECONDS`` are dropped.
Each write numbers the file (``serial``, one more than the last): a file read back with a lower
number was swapped under the run for an empty or older copy (a restore, a sync tool, a person),
and the replies and sends this process wrote since would be lost without a word — 40 notes once
announced "Reply to be sent" and none went out. The book notices (``lost``), puts back each
entry this process wrote that the copy lacks, and the run warns.
Shared between processes: ``ticketbot serve`` and the scheduled run answer side by side from
one state directory, so each change reads the file again under its lock (``state.file_lock``)
and writes it whole, and each read first picks up what the other process wrote since: neither
writes over the other's plans, sends or loop guard.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import orjson

from ..common.atomic import (
    SetAside,
    atomic_write_bytes,
    prepare_directory,
    read_state_bytes,
    set_aside,
)
from ..state.file_lock import updating
from .vocab import AnswerPlan

BOOK = "answers.json"
KEEP_SECONDS = 30 * 24 * 3600
MAX_ENTRIES = 20_000


def _empty() -> dict[str, Any]:
    return {"planned": {}, "sent": {}, "outcomes": {}, "drafts": {}, "ladder": {}}


class AnswerBook:
    def __init__(self, directory: Path, *, read_only: bool = False) -> None:
        self.path = Path(directory) / BOOK
        self._read_only = read_only
        self._lock = threading.RLock()
        self._data = _empty()
        # The file as last read or written (inode, mtime, size): another process changed it
        # when it differs.
        self._seen: tuple[int, int, int] | None = None
        # A damaged book is set aside (``<name>.bad-<time>``) and the answers start afresh:
        # a reply already mailed is still found in its conversation before anything is sent.
        self.set_aside: SetAside | None = None
        # No book at the start (the run's sweep set a damaged one aside, a person removed it,
        # or no reply was ever planned): the log says what a lost book still owed
        # (``answers.owed``), and ``keep`` then writes the book, so that is asked once.
        self.missing = not read_only and self._stamp() is None
        # The file's number as last read or written, and the entries this process wrote (by
        # table and ticket) that no write of its own has settled: what a swap could lose.
        self._serial = 0
        self._mine: dict[tuple[str, str], dict[str, Any]] = {}
        # The tickets whose entries this process found gone from a swapped file and put back.
        self.lost: set[int] = set()
        self._load(first=True)

    def _stamp(self) -> tuple[int, int, int] | None:
        try:
            found = os.stat(self.path)
        except OSError:
            return None
        return (found.st_ino, found.st_mtime_ns, found.st_size)

    def _load(self, *, first: bool = False, always: bool = False) -> None:
        """Read the file when it changed since this process last read or wrote it
        (``always``: whatever its stamp says, before a change)."""
        stamp = self._stamp()
        if stamp is None or (not (first or always) and stamp == self._seen):
            return  # missing (nothing written yet) or as this process left it
        self._seen = stamp
        try:
            found = orjson.loads(read_state_bytes(self.path))
        except FileNotFoundError:
            return
        except (OSError, orjson.JSONDecodeError) as exc:
            # Damaged at the start: set aside; damaged later (by hand?): what was read stays.
            if first and not self._read_only:
                self.set_aside = set_aside(self.path, f"{type(exc).__name__}: {exc}"[:200])
                self._seen = None
            return
        if not isinstance(found, dict):
            if first and not self._read_only:
                self.set_aside = set_aside(self.path, "not a JSON object")
            return
        data = _empty()
        for key, default in data.items():
            value = found.get(key, default)
            data[key] = value if isinstance(value, dict) else default
        serial = found.get("serial", 0)
        serial = serial if isinstance(serial, int) else 0
        if not first and serial < self._serial:
            self._restore(data)
        self._serial = max(serial, self._serial)
        self._data = data

    def _restore(self, data: dict[str, Any]) -> None:
        """Put back into ``data`` (a file older than this process's last write) each entry
        this process wrote that it lacks; remember their tickets in ``lost``."""
        for (table, key), entry in self._mine.items():
            settled = table == "planned" and key in data["sent"]
            if key not in data[table] and not settled:
                data[table][key] = entry
                self.lost.add(int(key))
            if table == "sent" and data["planned"].pop(key, None) is not None:
                self.lost.add(int(key))  # an older copy still plans what this process sent

    @contextmanager
    def _reading(self) -> Iterator[None]:
        with self._lock:
            self._load()
            yield

    @contextmanager
    def _changing(self) -> Iterator[None]:
        """A change, made on the file as it is now (another process may have written it) and
        under its lock, so two processes never write one over the other."""
        with self._lock:
            if self._read_only:
                self._load()
                yield
                return
            with updating(self.path):
                # Read whatever the stamp says: a file replaced within the clock's tick by one
                # of the same size on a reused inode would look unchanged.
                self._load(always=True)
                yield

    def _save(self) -> None:
        if not self._read_only:
            if not self.path.parent.is_dir():
                prepare_directory(self.path.parent, "TICKETBOT_STATE_DIR")
            self._serial += 1
            written = {**self._data, "serial": self._serial}
            atomic_write_bytes(
                self.path, orjson.dumps(written, option=orjson.OPT_INDENT_2), seal=True
            )
            self._seen = self._stamp()

    def keep(self) -> None:
        """Write the book if it has no file yet (a book that started afresh: see ``missing``)."""
        with self._changing():
            if self._stamp() is None:
                self._save()

    # -- replies to send -------------------------------------------------------------------

    def plan(self, plan: AnswerPlan, now: float) -> None:
        with self._changing():
            key = str(plan.ticket_id)
            if key in self._data["planned"] or key in self._data["sent"]:
                return  # planned or sent already: the first plan stands
            self._data["planned"][key] = {**asdict(plan), "state": "planned", "at": now}
            self._mine["planned", key] = self._data["planned"][key]
            self._save()

    def planned(self) -> list[tuple[AnswerPlan, str, float]]:
        """Every reply still to send (or to confirm), oldest first: the plan, its state, when."""
        with self._reading():
            rows = sorted(self._data["planned"].values(), key=lambda r: (r["at"], r["ticket_id"]))
        fields = set(AnswerPlan.__dataclass_fields__)
        return [
            (AnswerPlan(**{k: v for k, v in row.items() if k in fields}), row["state"], row["at"])
            for row in rows
        ]

    def is_planned(self, ticket_id: int) -> bool:
        """Still to send (or to confirm): no process has settled it yet."""
        with self._reading():
            return str(ticket_id) in self._data["planned"]

    def sending(self, ticket_id: int) -> None:
        with self._changing():
            entry = self._data["planned"].get(str(ticket_id))
            if entry is not None and entry["state"] != "sending":
                entry["state"] = "sending"
                if ("planned", str(ticket_id)) in self._mine:
                    self._mine["planned", str(ticket_id)] = entry
                self._save()

    def drop(self, ticket_id: int) -> None:
        with self._changing():
            self._mine.pop(("planned", str(ticket_id)), None)
            if self._data["planned"].pop(str(ticket_id), None) is not None:
                self._save()

    def sent(self, plan: AnswerPlan, now: float) -> None:
        self.found_sent(plan.ticket_id, plan.requester_id, plan.category, plan.article_id, now)

    def found_sent(
        self, ticket_id: int, requester_id: int | None, category: str, article_id: int, now: float
    ) -> None:
        """A reply that went out (``sent``'s, or one a lost book owed, ``answers.owed``)."""
        with self._changing():
            self._data["planned"].pop(str(ticket_id), None)
            self._mine.pop(("planned", str(ticket_id)), None)
            self._data["sent"][str(ticket_id)] = {
                "requester_id": requester_id,
                "at": now,
                "category": category,
                "article_id": article_id,
            }
            # The loop guard: a swap losing it would answer the same requester twice.
            self._mine["sent", str(ticket_id)] = self._data["sent"][str(ticket_id)]
            self._prune(now)
            self._save()

    def was_sent(self, ticket_id: int) -> bool:
        with self._reading():
            return str(ticket_id) in self._data["sent"]

    def requester_answered_at(self, requester_id: int | None, ticket_id: int) -> float | None:
        """When this requester was last auto-answered (or is about to be) on another ticket."""
        if requester_id is None:
            return None
        with self._reading():
            rows = [*self._data["sent"].items(), *self._data["planned"].items()]
            times = [
                row["at"]
                for key, row in rows
                if row.get("requester_id") == requester_id and key != str(ticket_id)
            ]
        return max(times) if times else None

    # -- what happened next ---------------------------------------------------------------

    def outcome(self, ticket_id: int, outcome: str, now: float) -> None:
        with self._changing():
            self._data["outcomes"][str(ticket_id)] = {"outcome": outcome, "at": now}
            self._save()

    def sent_rows(self) -> dict[int, dict[str, Any]]:
        with self._reading():
            return {int(k): dict(v) for k, v in self._data["sent"].items()}

    def outcomes(self) -> dict[int, str]:
        with self._reading():
            return {int(k): v["outcome"] for k, v in self._data["outcomes"].items()}

    # -- the ladder -----------------------------------------------------------------------

    def drafted(self, plan: AnswerPlan, now: float) -> None:
        with self._changing():
            key = str(plan.ticket_id)
            if key in self._data["drafts"]:
                return
            self._data["drafts"][key] = {
                "category": plan.category,
                "article_id": plan.article_id,
                "url": plan.article_url,
                "answer": plan.body,
                "at": now,
                "accepted": None,
            }
            self._prune(now)
            self._save()

    def drafts(self) -> dict[int, dict[str, Any]]:
        with self._reading():
            return {int(k): dict(v) for k, v in self._data["drafts"].items()}

    def judge_draft(self, ticket_id: int, accepted: bool) -> None:
        with self._changing():
            entry = self._data["drafts"].get(str(ticket_id))
            if entry is not None and entry["accepted"] is None:
                entry["accepted"] = accepted
                self._save()

    def rung(self, category: str) -> str:
        with self._reading():
            return str(self._data["ladder"].get(category, {}).get("mode", "draft"))

    def set_rung(self, category: str, mode: str, now: float, *, by: str) -> None:
        with self._changing():
            self._data["ladder"][category] = {"mode": mode, "at": now, "by": by}
            self._save()

    def _prune(self, now: float) -> None:
        for key in ("sent", "drafts", "outcomes"):
            table = self._data[key]
            old = [k for k, v in table.items() if now - float(v.get("at", now)) > KEEP_SECONDS]
            for k in old:
                table.pop(k, None)
            while len(table) > MAX_ENTRIES:
                table.pop(next(iter(table)))
        # What this process wrote is kept as long as the book keeps it (``serve`` runs for days).
        gone = [k for k, v in self._mine.items() if now - float(v.get("at", now)) > KEEP_SECONDS]
        for mine in gone:
            self._mine.pop(mine, None)
        while len(self._mine) > 2 * MAX_ENTRIES:
            self._mine.pop(next(iter(self._mine)))

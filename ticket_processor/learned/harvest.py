"""Labelled examples from the helpdesk's solved and closed tickets, for ``learn --from-helpdesk``.

Through the ``Helpdesk`` protocol only: ``ticket_pages`` from ``since`` (Zendesk's incremental
export yields every ticket changed since then, Freshdesk's list likewise, ``4``/``5`` already
mapped to ``solved``/``closed``), keeping solved and closed tickets whose tags (or custom
fields) carry a label. A ticket with ticketbot's processed marker costs one more read,
``notes(id)``, to learn what ticketbot wrote (the trailer of its last triage note, unless a
revert's note came after it): if nobody changed it the ticket is "unreviewed" and left out
(``include_unreviewed`` keeps it).

Discovery is the shared ``common.ticket_stream.TicketStream`` (the one ``run`` and ``backfill``
read through): it waits out the helpdesk's read window and meets each ticket once.

Bounded memory: each kept ticket becomes one line of ``learn-examples.jsonl`` in the state
directory (the training file, in ``ticketbot learn FILE``'s format) and the raw page is dropped.
After every page the ``RunLedger``'s harvest entry (``harvest.json``) records the cursor that
resumes after it and how many lines were settled, so an interrupted harvest continues where it
stopped; a damaged entry is set aside, as any ledger file is, and the harvest starts over. Both
files hold ticket text: the caller deletes them once the model is written.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import orjson

from ..common.atomic import atomic_write_bytes, open_state_file, read_state_bytes, set_aside
from ..common.sealed import open_line, seal_line
from ..common.ticket_stream import TicketStream
from ..errors import ConfigError, StateFileRefused
from ..models import Cursor, Helpdesk, Ticket
from ..state.ledger import RunLedger
from ..state.shapes import CursorRecord, HarvestFile
from ..writeback.note import standing_note
from ..writeback.triage_change import is_processed
from .labels import (
    LabelSpec,
    is_unreviewed,
    labels_from_tags,
    without_disowned,
    written_labels,
)

EXAMPLES_NAME = "learn-examples.jsonl"
SOLVED = ("solved", "closed")
MAX_TEXT = 32_000  # characters of subject or description kept per ticket (training truncates)
PAUSE_WAIT = 6.0  # seconds to wait when the helpdesk's export budget for the minute is spent
MAX_PAUSES = 100


@dataclass
class HarvestCounts:
    seen: int = 0  # tickets the pages carried
    solved: int = 0  # solved or closed among them
    examples: int = 0  # kept: lines in the training file
    unreviewed: int = 0  # left out: ticketbot's own labels, unchanged
    unlabelled: int = 0  # solved, but no label for any field
    notes_read: int = 0  # notes() calls: one per solved ticket carrying the marker
    pages: int = 0  # ticket_pages pages read (list requests, including earlier sessions)
    resumed: bool = False
    notices: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class HarvestOptions:
    since: int  # Unix seconds
    specs: Mapping[str, LabelSpec]
    allowed: Mapping[str, tuple[str, ...]]
    prefix: str = "ai_"
    include_unreviewed: bool = False
    # ``--since`` as typed ("180d"): what a resumed harvest must match (``since`` moves with now)
    since_text: str | None = None


def settings_key(helpdesk: Helpdesk, options: HarvestOptions) -> str:
    specs = ",".join(f"{s.field}={s.kind}:{s.key}" for s in options.specs.values())
    return (
        f"{helpdesk.kind}@{helpdesk.base_url}|since={options.since_text or options.since}|{specs}"
        f"|prefix={options.prefix}|unreviewed={options.include_unreviewed}"
    )


class Harvest:
    """One resumable harvest into ``state_dir``; ``run`` returns the training file's path."""

    def __init__(
        self,
        helpdesk: Helpdesk,
        ledger: RunLedger,
        options: HarvestOptions,
        *,
        on_page: Callable[[HarvestCounts], None] = lambda counts: None,
        sleep: Callable[[float], None] = time.sleep,
        stop_after_pages: int | None = None,  # for tests: an interruption after N pages
        # A reviewed ticket: its id, what ticketbot's note says it wrote, the labels agents
        # left (the audit store's corrections).
        on_compared: Callable[[int, Mapping[str, str], Mapping[str, str]], None] | None = None,
    ) -> None:
        self.helpdesk = helpdesk
        self.options = options
        self.ledger = ledger
        self.examples_path = ledger.path(EXAMPLES_NAME)
        self.key = settings_key(helpdesk, options)
        self.counts = HarvestCounts()
        self.on_page = on_page
        self.sleep = sleep
        self.stop_after_pages = stop_after_pages
        self.on_compared = on_compared
        self._pauses = 0
        # Ticket ids already in the training file (a resumed harvest): met once, as the stream
        # meets every other ticket once.
        self._seen: set[int] = set()

    # -- the checkpoint ---------------------------------------------------------------

    def _resume(self) -> Cursor | None:
        saved = self.ledger.harvest()
        for aside in self.ledger.take_set_aside():
            self.counts.notices.append(f"{aside.file}: {aside.reason}; starting over")
        if saved is None or saved.key != self.key:
            if saved is not None:
                self.counts.notices.append(
                    "the saved harvest was for other settings; starting over"
                )
            self._reset()
            return None
        if not self._truncate(saved.examples):
            self.counts.notices.append(
                f"{self.examples_path.name} is shorter than recorded; starting over"
            )
            self._reset()
            return None
        c = self.counts
        c.examples, c.seen, c.solved = saved.examples, saved.seen, saved.solved
        c.unreviewed, c.unlabelled = saved.unreviewed, saved.unlabelled
        c.notes_read, c.pages, c.resumed = saved.notes_read, saved.pages, True
        return self.ledger.load_cursor(stream="harvest")

    def _truncate(self, lines: int) -> bool:
        """Keep the first ``lines`` lines (a page cut short by a kill wrote more)."""
        try:
            data = read_state_bytes(self.examples_path)
        except (OSError, StateFileRefused):  # missing, or a link or a FIFO planted in its place
            return lines == 0 and self._reset()
        kept = data.split(b"\n")[:lines]
        if len(kept) < lines or any(not line.strip() for line in kept):
            return False
        atomic_write_bytes(self.examples_path, b"".join(line + b"\n" for line in kept))
        for line in kept:
            try:
                self._seen.add(int(orjson.loads(open_line(line, str(self.examples_path)))["id"]))
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
                return False
        return True

    def _reset(self) -> bool:
        """An empty training file, written like every state file: whatever stood in its place
        (a link to another file, a FIFO) is replaced, never written through."""
        path = self.examples_path
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir() and not path.is_symlink():  # a rename cannot replace a directory
            aside = set_aside(path, "a directory where a file should be")
            self.counts.notices.append(f"{aside.file}: {aside.reason}; set aside")
        atomic_write_bytes(path, b"")
        return True

    def _save(self, cursor: Cursor | None) -> None:
        c = self.counts
        saved = None
        if cursor is not None:
            saved = CursorRecord(kind=cursor.kind, value=cursor.value, start_time=cursor.start_time)
        record = HarvestFile(
            key=self.key,
            cursor=saved,
            examples=c.examples,
            seen=c.seen,
            solved=c.solved,
            unreviewed=c.unreviewed,
            unlabelled=c.unlabelled,
            notes_read=c.notes_read,
            pages=c.pages,
            updated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        self.ledger.save_harvest(record)

    def discard(self) -> None:
        """Remove the ledger's harvest entry and the training file (they hold ticket text)."""
        self.ledger.clear_harvest()
        self.examples_path.unlink(missing_ok=True)

    # -- the harvest ------------------------------------------------------------------

    def run(self) -> Path | None:
        """Harvest to the end of the stream; the training file, or None when interrupted."""
        cursor = self._resume()
        stream = TicketStream(
            self.helpdesk, since=self.options.since, seen=self._seen, wait_out_pause=self._pause
        )
        appending = os.O_WRONLY | os.O_APPEND | os.O_CREAT
        with os.fdopen(open_state_file(self.examples_path, appending), "ab") as out:
            for page in stream.pages(cursor):
                if any(name == "discover_fallback" for name, _ in page.notices):
                    raise ConfigError(
                        "learn --from-helpdesk reads Zendesk's incremental export, which "
                        "needs an admin's API token (this one got 403); search cannot list "
                        "more than 1,000 solved tickets"
                    )
                self.counts.notices.extend(reason for _, reason in page.notices)
                if not page.tickets and page.next_cursor is None and not page.last:
                    continue  # a notice-only page (e.g. the switch to search)
                for ticket in page.tickets:
                    if stream.first_sighting(ticket.id):
                        self._take(ticket, out)
                out.flush()
                self.counts.pages += 1
                cursor = page.next_cursor or cursor
                self._save(cursor)
                self.on_page(self.counts)
                if self.stop_after_pages is not None and self.counts.pages >= self.stop_after_pages:
                    return None
                if page.last:
                    return self.examples_path
        return None if stream.paused else self.examples_path

    def _pause(self) -> bool:
        """The helpdesk's export budget for the minute is spent: wait for it, a bounded
        number of times; False gives up (the next ``learn`` continues from the last page)."""
        self._pauses += 1
        if self._pauses > MAX_PAUSES:
            self.counts.notices.append("the helpdesk kept refusing exports; run learn again")
            return False
        self.sleep(PAUSE_WAIT)
        return True

    def _take(self, ticket: Ticket, out: BinaryIO) -> None:
        c = self.counts
        c.seen += 1
        if ticket.status not in SOLVED:
            return
        c.solved += 1
        o = self.options
        labels = labels_from_tags(
            ticket.tags, o.prefix, o.specs, custom_fields=ticket.custom_fields, allowed=o.allowed
        )
        if not labels:
            c.unlabelled += 1
            return
        if not o.include_unreviewed and is_processed(ticket.tags, o.prefix):
            c.notes_read += 1
            note = standing_note(self.helpdesk.notes(ticket.id))
            if note is not None and is_unreviewed(ticket.tags, note, o.prefix):
                c.unreviewed += 1
                return
            written = written_labels(note) if note is not None else None
            if written and self.on_compared is not None:
                self.on_compared(ticket.id, written, labels)
            labels = without_disowned(labels, ticket.tags, written, o.prefix)
            if not labels:
                c.unlabelled += 1
                return
        row = {
            "id": str(ticket.id),
            "source": self.helpdesk.kind,
            "subject": ticket.subject[:MAX_TEXT],
            "description": ticket.description[:MAX_TEXT],
            "labels": labels,
        }
        # The customer's subject and description: encrypted line by line with a key.
        out.write(seal_line(orjson.dumps(row)) + b"\n")
        c.examples += 1

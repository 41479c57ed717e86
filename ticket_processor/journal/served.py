"""What ``ticketbot serve`` triaged, for the cron run's rising counts and incident grouping.

A ticket the server triages is done before any cron run discovers it, so the run's own tickets
are not all of them: without this, turning ``serve`` on would leave the daily category counts
(and with incidents on, the recent-tickets window) with the cron run's few tickets, and no
category would ever rise. The server appends one line per ticket it wrote
(``<state dir>/serve/seen.jsonl``): the day the ticket was created and its category keys, and,
with ``TICKETBOT_INCIDENTS=true``, what the grouping reads (``incidents.plan.Sighting``: the
subject and body as prepared for the engines, personal data redacted, the requester's id, the
creation time). The next cron run (under its lock; not a dry, shadow or backfill run) takes
the file whole by renaming it (``seen.taking.jsonl``), adds it to its own, and deletes it once
the counts and the window are saved: a run that dies in between takes the same file again,
and lines the server appends meanwhile go to a new file, for the run after.

Bounded: past ``MAX_BYTES`` (no cron run for a long while) the server stops appending and says
so once; a line that does not parse is skipped.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from ..common.atomic import open_line_file, prepare_directory
from ..common.baseline import moment
from ..common.sealed import open_line, seal_line
from ..errors import TicketBotError
from ..models import Ticket, Triage
from ..passes.protocol import Pass, RunEnd
from ..triage.prepare import PreparedTicket

log = logging.getLogger(__name__)

SERVE_DIR = "serve"  # the server's own state, inside the state directory
FILE = "seen.jsonl"
TAKING = "seen.taking.jsonl"
MAX_BYTES = 64 * 1024 * 1024  # about 100,000 tickets with their text


# A sighting's fields and their types (``incidents.plan.Sighting``, which loads numpy: the
# journal carries them as a plain object, made a ``Sighting`` by the run's incident pass).
SIGHTING: dict[str, tuple[type, ...]] = {
    "ticket_id": (int,),
    "subject": (str,),
    "text": (str,),
    "requester": (int,),
    "created": (int,),
    "category": (str,),
    "open": (bool,),
    "subcategory": (str, type(None)),
    "fault": (bool, type(None)),
    "address": (str, type(None)),
    "organization": (int, type(None)),
}
# Fields a server of an older version did not write: its journal is still read.
OPTIONAL = frozenset({"fault", "address", "organization"})


def sighting_fields(ticket: Ticket, prepared: PreparedTicket, triage: Triage) -> dict[str, Any]:
    """What the incident grouping keeps of a triaged ticket (``incidents.plan.Sighting``)."""
    return {
        "ticket_id": ticket.id,
        "subject": prepared.subject,
        "text": f"{prepared.subject}\n{prepared.body}",
        # No requester known: the ticket stands alone, as nobody's repeat.
        "requester": ticket.requester_id if ticket.requester_id is not None else -ticket.id,
        "created": moment(ticket.created_at) or int(time.time()),
        "category": triage.analysis.category,
        "open": ticket.status not in ("solved", "closed"),
        "subcategory": triage.analysis.subcategory,
        "fault": triage.analysis.fault,  # the LLM's view (None: none), weighed with the head
        # Who vouches for the requester (``incidents.vouching``): the address, the company.
        "address": ticket.sender or next((p.email for p in ticket.people if p.email), None),
        "organization": ticket.organization_id,
    }


@dataclass(frozen=True)
class Seen:
    """One served ticket: its creation day (ISO, None: not known), its category keys, and its
    ``sighting_fields`` when the server was grouping incidents."""

    ticket_id: int
    day: str | None
    keys: dict[str, int]
    sighting: dict[str, Any] | None = None


class SeenJournal:
    """The server's side: ``record`` appends a line per ticket it wrote. Thread-safe."""

    def __init__(self, directory: Path) -> None:
        self.path = Path(directory) / FILE
        self._lock = threading.Lock()
        self._full = False

    def record(self, seen: Seen) -> None:
        line = orjson.dumps(
            {
                "id": seen.ticket_id,
                "day": seen.day,
                "keys": seen.keys,
                **({"sighting": seen.sighting} if seen.sighting else {}),
            }
        )
        line = seal_line(line)  # the address and the redacted text: encrypted with a key
        with self._lock:
            try:
                prepare_directory(self.path.parent, "TICKETBOT_STATE_DIR")
                fd = open_line_file(self.path)
                try:
                    if os.fstat(fd).st_size + len(line) + 1 > MAX_BYTES:
                        if not self._full:
                            self._full = True
                            log.warning(
                                "%s holds %d MB of served tickets no cron run has taken: the "
                                "rising counts and the incident grouping miss the next ones "
                                "until `ticketbot run` takes them",
                                self.path,
                                MAX_BYTES // (1024 * 1024),
                            )
                        return
                    self._full = False
                    os.write(fd, line + b"\n")
                finally:
                    os.close(fd)
            except (OSError, TicketBotError) as exc:  # never a reason to fail a served ticket
                log.warning("cannot record a served ticket in %s: %s", self.path, exc)


@dataclass
class Taken:
    """The run's side: what the server triaged since the last run took it."""

    path: Path | None
    items: list[Seen] = field(default_factory=list)

    def counts(self) -> Iterator[tuple[str | None, Mapping[str, int]]]:
        for seen in self.items:
            yield seen.day, seen.keys

    def sightings(self) -> list[dict[str, Any]]:
        return [s.sighting for s in self.items if s.sighting is not None]

    def done(self) -> None:
        """The counts and the window are saved: the file is spent."""
        if self.path is not None:
            try:
                self.path.unlink(missing_ok=True)
            except OSError as exc:
                log.warning("cannot remove %s: %s", self.path, exc)


def merged_counts(
    *parts: Iterable[tuple[str | None, Mapping[str, int]]],
) -> dict[str | None, dict[str, int]]:
    """Category counts by creation day, summed over ``parts`` (the run's and the server's)."""
    merged: dict[str | None, dict[str, int]] = {}
    for part in parts:
        for day, keys in part:
            bucket = merged.setdefault(day, {})
            for key, n in keys.items():
                bucket[key] = bucket.get(key, 0) + n
    return merged


def serve_dir(state_dir: Path) -> Path:
    """The server's own state in the state directory."""
    return Path(state_dir) / SERVE_DIR


def take_seen(directory: Path, *, leave: bool = False) -> Taken:
    """Take the server's journal in ``directory`` (``<state dir>/serve``): the file a run that
    died left half-taken first, else the journal itself, renamed away from the server.
    ``leave``: take nothing (the run is not one that counts)."""
    if leave:
        return Taken(None)
    directory = Path(directory)
    taking = directory / TAKING
    try:
        if not taking.exists():
            (directory / FILE).rename(taking)
        raw = taking.read_bytes()
    except FileNotFoundError:
        return Taken(None)
    except OSError as exc:
        log.warning("cannot take the served tickets in %s: %s", directory, exc)
        return Taken(None)
    return Taken(taking, [seen for line in raw.splitlines() if (seen := _parse(line))])


def _parse(line: bytes) -> Seen | None:
    line = open_line(line, f"serve's journal ({FILE})")
    try:
        data: Any = orjson.loads(line)
        keys = {str(k): int(v) for k, v in data["keys"].items() if int(v) > 0}
        day = data.get("day")
        if day is not None:
            day = date.fromisoformat(day).isoformat()
        raw = data.get("sighting")
        sighting = raw if isinstance(raw, dict) and _is_sighting(raw) else None
        return Seen(int(data["id"]), day, keys, sighting)
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
        return None


def _is_sighting(raw: dict[str, Any]) -> bool:
    return SIGHTING.keys() - OPTIONAL <= raw.keys() <= SIGHTING.keys() and all(
        isinstance(raw[name], kinds) and (bool in kinds or not isinstance(raw[name], bool))
        for name, kinds in SIGHTING.items()
        if name in raw
    )


class ServedJournalPass(Pass):
    """The served journal's pass: it takes what ``serve`` triaged since the last run (plan),
    hands its sightings to the incident window (``on_sightings``) and its counts to the rising
    categories (``counts``), and lets it go once those hold it (after). A dry, shadow, backfill
    or aborted run leaves it to the next."""

    name = "served journal"

    def __init__(
        self,
        state_dir: Path,
        on_sightings: Callable[[list[dict[str, Any]]], None] | None = None,
    ) -> None:
        self.directory = serve_dir(state_dir)
        self.on_sightings = on_sightings
        self.taken = Taken(None)

    def plan(self, end: RunEnd) -> None:
        leave = end.dry_run or end.shadow or end.backfill or end.aborted
        self.taken = take_seen(self.directory, leave=leave)
        if self.taken.items:
            end.log.emit(
                "served_counted",
                tickets=len(self.taken.items),
                sightings=len(self.taken.sightings()),
            )
        if self.on_sightings is not None:
            self.on_sightings(self.taken.sightings())

    def counts(self) -> Iterator[tuple[str | None, Mapping[str, int]]]:
        return self.taken.counts()

    def after(self, end: RunEnd) -> None:
        if not end.dry_run:
            self.taken.done()  # in the counts and the window now

"""The incidents known, the repeat tickets flagged, and the writes in flight, kept between runs.

``incidents/book.json`` in the state directory, written whole through ``common.atomic`` (a
kill -9 leaves the old or the new version; a damaged file is set aside and the book starts
empty, the tickets' own tags still saying what was done). An incident is keyed by its group
ticket (Zendesk: the problem, the first report; Freshdesk: the tracker ticketbot opened) and
keeps its centre (quantised, base64), its members, its reports (different requesters), when it
was first seen and at what size it was last alerted. ``pending`` is the journal: the writes a
run planned and has not seen finish; the next run settles them first, from the helpdesk's
tickets (their tags and notes say whether a write landed).

A suggested incident (a helpdesk with too little history to link) is kept the same way, marked
``suggested`` with why, so that ``report`` and the dashboard show it: it has no group ticket, so
its key is its earliest report, and it is not one of the ``open_incidents`` later reports join,
pages and rises are told of; an incident linked over the same reports replaces it.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..common.atomic import atomic_write_bytes, read_state_bytes, set_aside
from ..errors import StateFileRefused

FILE_NAME = "book.json"
VERSION = 1
KEEP_FLAGGED = 2000  # repeat tickets remembered for ``report`` (the newest)


@dataclass
class Incident:
    key: int  # the problem (Zendesk) or tracker (Freshdesk) ticket
    kind: str
    centre: str  # base64 of the quantised centre
    title: str
    members: list[int]
    requesters: list[int]
    first_seen: int  # the earliest report's created_at (Unix seconds)
    last_seen: int
    alerted_size: int = 0
    subjects: list[str] = field(default_factory=list)
    opened: bool = False  # a tracker ticketbot opened (a revert deletes it)
    run_id: str = ""
    state: str = "open"  # open, or closed once its group ticket is solved or gone
    # The category rises it explained (``topics.run_pass``): day and what rose, as its alert said.
    rising: list[str] = field(default_factory=list)
    # Suggested, not linked: no group ticket (``key`` is the earliest report); ``why`` says why.
    suggested: bool = False
    why: str = ""

    @property
    def reports(self) -> int:
        return len(set(self.requesters))

    def centre_vector(self) -> npt.NDArray[np.int8]:
        return np.frombuffer(base64.b64decode(self.centre), np.int8).copy()


def encode_centre(centre: npt.NDArray[np.int8]) -> str:
    return base64.b64encode(np.asarray(centre, np.int8).tobytes()).decode()


@dataclass
class Flagged:
    ticket_id: int
    earlier: int
    similarity: float
    merged: bool
    run_id: str
    at: int


@dataclass
class SaidNo:
    """A group a run's output said was judged no incident: its earliest report, its tickets,
    the test it failed (``notes.failed_test``) and when it was last judged so."""

    first: int
    members: list[int]
    test: str
    at: int

    def is_group(self, first: int, members: Iterable[int]) -> bool:
        """The same group: the same earliest report, or most of the same tickets (a group
        gains and loses a few reports from run to run while its hour lasts)."""
        wanted = set(members)
        shared = len(wanted & set(self.members))
        return first == self.first or 2 * shared > max(len(wanted), len(self.members))


@dataclass
class IncidentBook:
    incidents: list[Incident] = field(default_factory=list)
    flagged: list[Flagged] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)
    # Where an unfinished reading of the window's baseline resumes (the helpdesk's cursor:
    # kind, value, start_time); None when none is under way.
    baseline_cursor: dict[str, Any] | None = None
    # The earliest ``created_at`` of the helpdesk's tickets seen (Unix seconds): how much
    # history the helpdesk has, learned by a first run's reading and kept; None until read.
    history_from: int | None = None
    # The groups judged no incident a run has said so of, while their hour lasts: a scheduled
    # run judges the same group again every ten minutes, and says it once.
    said_no: list[SaidNo] = field(default_factory=list)

    def find(self, key: int) -> Incident | None:
        """The linked incident of the group ticket ``key``."""
        return next((i for i in self.incidents if i.key == key and not i.suggested), None)

    def open_incidents(self) -> list[Incident]:
        """The linked incidents still open: those later reports join, and pages and rises
        are told of (a suggested one has no group ticket to join)."""
        return [i for i in self.incidents if i.state == "open" and not i.suggested]

    def suggested_incidents(self) -> list[Incident]:
        return [i for i in self.incidents if i.state == "open" and i.suggested]

    def suggested_with(self, members: Iterable[int]) -> Incident | None:
        """The suggested incident that shares a report with ``members``: the same outage found
        again by a later run."""
        wanted = set(members)
        return next((i for i in self.suggested_incidents() if wanted & set(i.members)), None)

    def suggested_title(self, members: Iterable[int]) -> str | None:
        """The title of the suggestion ``suggested_with`` finds, None when there is none."""
        found = self.suggested_with(members)
        return found.title if found is not None else None

    def drop_suggested(self, members: Iterable[int]) -> None:
        """The suggestions over these reports are settled: linked, or taken back."""
        wanted = set(members)
        self.incidents = [
            i for i in self.incidents if not (i.suggested and wanted & set(i.members))
        ]

    def first_saying(
        self, first: int, members: Iterable[int], test: str, now: int, hour: int
    ) -> bool:
        """Whether a run should say that this group (``first``: its earliest report) was judged
        no incident for failing ``test``: not when a run of the last ``hour`` said it of the
        same group for the same test. Kept as said either way; a group judged again for
        another test is said again."""
        members = sorted(set(members))
        self.said_no = [s for s in self.said_no if s.at >= now - hour]
        same = next((s for s in self.said_no if s.is_group(first, members)), None)
        if same is not None:
            self.said_no.remove(same)
        self.said_no.append(SaidNo(first, members, test, now))
        return same is None or same.test != test

    def forget_before(self, moment: int) -> None:
        """Incidents whose last report is older than the window are history."""
        self.incidents = [i for i in self.incidents if i.last_seen >= moment]
        self.flagged = self.flagged[-KEEP_FLAGGED:]

    def to_bytes(self) -> bytes:
        return json.dumps(
            {
                "version": VERSION,
                "incidents": [asdict(i) for i in self.incidents],
                "flagged": [asdict(f) for f in self.flagged],
                "pending": self.pending,
                "baseline_cursor": self.baseline_cursor,
                "history_from": self.history_from,
                "said_no": [asdict(s) for s in self.said_no],
            },
            ensure_ascii=False,
        ).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> IncidentBook:
        raw = json.loads(data)
        if not isinstance(raw, dict) or raw.get("version") != VERSION:
            raise ValueError("not an incident book of version 1")
        return cls(
            [Incident(**i) for i in raw.get("incidents", [])],
            [Flagged(**f) for f in raw.get("flagged", [])],
            [p for p in raw.get("pending", []) if isinstance(p, dict)],
            raw.get("baseline_cursor") if isinstance(raw.get("baseline_cursor"), dict) else None,
            _seconds(raw.get("history_from")),
            [SaidNo(**s) for s in raw.get("said_no", []) if isinstance(s, dict)],
        )


def _seconds(value: Any) -> int | None:
    """A moment the book kept, or None for anything else (a hand-edited book)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def load_book(directory: Path) -> tuple[IncidentBook, str | None]:
    path = directory / FILE_NAME
    if not path.exists() and not path.is_symlink():
        return IncidentBook(), None
    try:
        return IncidentBook.from_bytes(read_state_bytes(path)), None
    except (StateFileRefused, ValueError, TypeError, OSError) as exc:
        set_aside(path, str(exc))
        return IncidentBook(), f"the incident book {path} was unreadable ({exc}); set aside"


def save_book(directory: Path, book: IncidentBook) -> None:
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    atomic_write_bytes(directory / FILE_NAME, book.to_bytes(), seal=True)

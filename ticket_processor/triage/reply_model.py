"""The learned reply classifier's fitted model, shipped as data: hashed n-grams and a softmax.

The model is fitted once, by ``python -m scripts.figures train_reply_model``, on
``reply_examples.jsonl`` and shipped beside it as ``reply_model.zip``: ``header.json`` (format,
version, the classes, the hashing space, the arrays' shapes, the examples' sha256) and three
``.npy`` arrays read with ``allow_pickle=False`` (an object array, a pickle's hiding place, is
refused). A run reads it in milliseconds, with numpy only; fitting (scikit-learn, scipy: about
600 MB and 12 s of CPU) never happens in a run.

The features are scikit-learn's ``HashingVectorizer`` output, computed here without it: word
unigrams and bigrams (``\\b\\w\\w+\\b`` tokens) and ``char_wb`` 2–5-grams, each n-gram's UTF-8
bytes hashed with MurmurHash3 (x86, 32 bit, seed 0) into one of ``2**18`` columns per block, the
counts of each block L2-normalised. Only the columns the regression gives a weight to are kept
(a column no example touched keeps a weight of exactly zero), so the file holds about 30,000
columns of the 524,288. Probabilities are the softmax of the weighted sum plus the intercept: the
same numbers the fitted scikit-learn pipeline gives, to rounding.
"""

from __future__ import annotations

import io
import json
import math
import re
import zipfile
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import ModelFileError

FORMAT = "ticketbot-reply-model"
FORMAT_VERSION = 1
MODEL_FILE = "reply_model.zip"
EXAMPLES_FILE = "reply_examples.jsonl"
N_FEATURES = 2**18  # columns of each block (words, then characters)
WORD_NGRAMS = (1, 2)
CHAR_NGRAMS = (2, 5)
_ARRAYS = ("columns", "coef", "intercept")
_MAX_MEMBER_BYTES = 8 * 1024 * 1024  # far above the shipped model's largest array (~1 MB)
_WORD = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token pattern

_M32 = 0xFFFFFFFF


def murmurhash3_32(data: bytes) -> int:
    """MurmurHash3 x86 32-bit, seed 0, as a signed int (scikit-learn's ``murmurhash3_32``)."""
    c1, c2 = 0xCC9E2D51, 0x1B873593
    h = 0
    length = len(data)
    end = length & ~3
    for i in range(0, end, 4):
        k = int.from_bytes(data[i : i + 4], "little")
        k = (k * c1) & _M32
        k = ((k << 15) | (k >> 17)) & _M32
        k = (k * c2) & _M32
        h ^= k
        h = ((h << 13) | (h >> 19)) & _M32
        h = (h * 5 + 0xE6546B64) & _M32
    tail = length & 3
    if tail:
        k = 0
        if tail == 3:
            k ^= data[end + 2] << 16
        if tail >= 2:
            k ^= data[end + 1] << 8
        k ^= data[end]
        k = (k * c1) & _M32
        k = ((k << 15) | (k >> 17)) & _M32
        k = (k * c2) & _M32
        h ^= k
    h ^= length
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _M32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _M32
    h ^= h >> 16
    return h - 0x100000000 if h & 0x80000000 else h


def word_ngrams(prepared: str) -> list[str]:
    """Word unigrams and bigrams, as ``HashingVectorizer(ngram_range=(1, 2))`` makes them."""
    tokens = _WORD.findall(prepared)
    return tokens + [f"{a} {b}" for a, b in pairwise(tokens)]


def char_ngrams(prepared: str) -> list[str]:
    """``char_wb`` 2–5-grams: inside each word padded with a space, a short word counted once."""
    grams: list[str] = []
    low, high = CHAR_NGRAMS
    for word in prepared.split():
        padded = f" {word} "
        size = len(padded)
        for n in range(low, high + 1):
            if size <= n:  # the whole padded word, once, then no longer n
                grams.append(padded)
                break
            grams.extend(padded[i : i + n] for i in range(size - n + 1))
    return grams


def _block(grams: list[str], offset: int) -> dict[int, float]:
    """One block's L2-normalised counts by column (``offset`` places it in the union)."""
    counts: Counter[int] = Counter(
        abs(murmurhash3_32(gram.encode("utf-8"))) % N_FEATURES for gram in grams
    )
    norm = math.sqrt(sum(c * c for c in counts.values()))
    return {offset + column: c / norm for column, c in counts.items()} if norm else {}


def features(prepared: str) -> dict[int, float]:
    """The hashed feature vector of a prepared (folded, stripped) text, by column."""
    vector = _block(word_ngrams(prepared), 0)
    vector.update(_block(char_ngrams(prepared), N_FEATURES))
    return vector


@dataclass(frozen=True)
class ReplyModel:
    """A fitted softmax regression over the hashed columns it weighs."""

    classes: tuple[str, ...]
    columns: npt.NDArray[np.int64]  # sorted, each in [0, 2 * N_FEATURES)
    coef: npt.NDArray[np.float64]  # (classes, columns)
    intercept: npt.NDArray[np.float64]  # (classes,)
    examples_sha256: str = ""

    def probabilities(self, prepared: str) -> dict[str, float]:
        vector = features(prepared)
        logits = self.intercept.copy()
        if vector:
            where = np.fromiter(vector.keys(), dtype=np.int64, count=len(vector))
            values = np.fromiter(vector.values(), dtype=np.float64, count=len(vector))
            order = np.argsort(where)
            where, values = where[order], values[order]
            place = np.searchsorted(self.columns, where)
            place[place == len(self.columns)] = 0
            known = self.columns[place] == where
            logits = logits + self.coef[:, place[known]] @ values[known]
        shifted = np.exp(logits - logits.max())
        shares = shifted / shifted.sum()
        return {kind: float(p) for kind, p in zip(self.classes, shares, strict=True)}


def from_weights(
    classes: list[str],
    coef: npt.NDArray[Any],
    intercept: npt.NDArray[Any],
    examples_sha256: str = "",
) -> ReplyModel:
    """The columns a fitted regression's dense ``coef`` weighs (the rest are exactly zero)."""
    dense = np.asarray(coef, dtype=np.float64)
    columns = np.flatnonzero(np.any(dense != 0.0, axis=0)).astype(np.int64)
    return ReplyModel(
        tuple(str(c) for c in classes),
        columns,
        np.ascontiguousarray(dense[:, columns]),
        np.asarray(intercept, dtype=np.float64).copy(),
        examples_sha256,
    )


def _npy(array: npt.NDArray[Any]) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def model_bytes(model: ReplyModel) -> bytes:
    """The model file's bytes: the same model gives the same bytes (fixed member dates)."""
    arrays = {"columns": model.columns, "coef": model.coef, "intercept": model.intercept}
    header = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "classes": list(model.classes),
        "n_features": N_FEATURES,
        "word_ngrams": list(WORD_NGRAMS),
        "char_ngrams": list(CHAR_NGRAMS),
        "examples_sha256": model.examples_sha256,
        "arrays": {name: list(array.shape) for name, array in arrays.items()},
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        members = [("header.json", json.dumps(header, indent=1, sort_keys=True).encode())]
        members += [(f"{name}.npy", _npy(array)) for name, array in arrays.items()]
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return buffer.getvalue()


def _member(zf: zipfile.ZipFile, name: str, where: str) -> bytes:
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise ModelFileError(f"{where}: damaged reply model: {name} is missing") from None
    if info.file_size > _MAX_MEMBER_BYTES:
        raise ModelFileError(f"{where}: refused: {name} is larger than a reply model's")
    with zf.open(info) as member:
        data = member.read(_MAX_MEMBER_BYTES + 1)
    if len(data) > _MAX_MEMBER_BYTES:
        raise ModelFileError(f"{where}: refused: {name} is larger than a reply model's")
    return data


def read_reply_model(data: bytes, where: str = MODEL_FILE) -> ReplyModel:
    """The model from its file's bytes, checked: format, shapes, dtypes, finite numbers."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            header = json.loads(_member(zf, "header.json", where))
            if header.get("format") != FORMAT or header.get("version") != FORMAT_VERSION:
                raise ModelFileError(f"{where}: not a reply model of version {FORMAT_VERSION}")
            if header.get("n_features") != N_FEATURES:
                raise ModelFileError(f"{where}: hashed into another space than {N_FEATURES}")
            arrays = {
                name: np.load(io.BytesIO(_member(zf, f"{name}.npy", where)), allow_pickle=False)
                for name in _ARRAYS
            }
    except (zipfile.BadZipFile, ValueError, OSError, RecursionError) as exc:
        raise ModelFileError(f"{where}: damaged reply model: {exc}") from None
    classes = [str(c) for c in header.get("classes", [])]
    columns, coef, intercept = arrays["columns"], arrays["coef"], arrays["intercept"]
    shapes_ok = (
        columns.ndim == 1
        and coef.shape == (len(classes), len(columns))
        and intercept.shape == (len(classes),)
        and len(classes) >= 2
    )
    if not shapes_ok or any(a.dtype.kind not in "iuf" for a in arrays.values()):
        raise ModelFileError(f"{where}: damaged reply model: the arrays' shapes do not agree")
    if not (np.all(np.isfinite(coef)) and np.all(np.isfinite(intercept))):
        raise ModelFileError(f"{where}: damaged reply model: a weight is not a finite number")
    if len(columns) and (
        columns.min() < 0 or columns.max() >= 2 * N_FEATURES or np.any(np.diff(columns) <= 0)
    ):
        raise ModelFileError(f"{where}: damaged reply model: its columns are out of order")
    return ReplyModel(
        tuple(classes),
        columns.astype(np.int64),
        coef.astype(np.float64),
        intercept.astype(np.float64),
        str(header.get("examples_sha256", "")),
    )


def shipped_model_path() -> Path:
    """Where the package's reply model lies (for the script that writes it)."""
    return Path(str(resources.files(__package__).joinpath(MODEL_FILE)))


def load_shipped_model() -> ReplyModel:
    """The reply model shipped in the package."""
    source = resources.files(__package__).joinpath(MODEL_FILE)
    return read_reply_model(source.read_bytes())

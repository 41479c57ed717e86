"""The encoder combines the texts of threads waiting for it into one batch (a batch of eight
costs a third of eight encodes), and a text the model cannot encode fails only its caller."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from ticket_processor.learned import embed
from ticket_processor.learned.embed import Encoder


class _Counting:
    """The real model, counting its calls and refusing any text with ``BOOM`` in it."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.calls: list[int] = []

    def encode(self, texts: list[str]) -> Any:
        self.calls.append(len(texts))
        if any("BOOM" in text for text in texts):
            raise ValueError("the model cannot encode this text")
        return self.model.encode(texts)


@pytest.fixture
def counting() -> Iterator[_Counting]:
    real = Encoder()._load()
    proxy = _Counting(real)
    embed._model = proxy
    try:
        yield proxy
    finally:
        embed._model = real


def _encode_while_held(texts: list[str]) -> dict[str, Any]:
    """Each text encoded by a thread of its own, all of them queued while the model is busy."""
    got: dict[str, Any] = {}

    def one(text: str) -> None:
        try:
            got[text] = Encoder().encode([text])[0]
        except ValueError as exc:
            got[text] = exc

    threads = [threading.Thread(target=one, args=(text,)) for text in texts]
    with embed._model_lock:  # the model busy with another thread's batch
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while len(embed._queue) < len(texts) and time.monotonic() < deadline:
            time.sleep(0.01)
    for thread in threads:
        thread.join(30)
    return got


def test_waiting_threads_texts_are_encoded_in_one_batch(counting: _Counting) -> None:
    texts = [f"My parcel number {n} never arrived, where is it?" for n in range(12)]
    alone = {text: np.asarray(counting.model.encode([text]), np.float32)[0] for text in texts}
    embed.forget(texts)
    got = _encode_while_held(texts)
    assert counting.calls == [12]  # one batch of all twelve, not twelve encodes
    for text in texts:
        assert np.allclose(got[text], alone[text], atol=1e-5)


def test_a_text_the_model_refuses_fails_only_its_own_caller(counting: _Counting) -> None:
    texts = [f"Where is refund {n}?" for n in range(5)] + ["BOOM this one breaks it"]
    embed.forget(texts)
    got = _encode_while_held(texts)
    assert isinstance(got["BOOM this one breaks it"], ValueError)
    for text in texts[:5]:
        assert isinstance(got[text], np.ndarray)
        assert got[text].shape == (embed.DIMENSIONS,)
    # The batch failed, then each request was encoded on its own.
    assert counting.calls[0] == 6
    assert sorted(counting.calls[1:]) == [1, 1, 1, 1, 1, 1]

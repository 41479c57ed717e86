"""A run on either helpdesk reads the encoder's token table from a file in its state directory
(or in ``TICKETBOT_CACHE_DIR``, which several state directories share) instead of holding the
whole table (65 MB) in the process: the spam gate loads the encoder for a stranger's ticket, and
the loaded model's table is no longer an array in memory. A dry run, which creates nothing,
writes no such file."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from support.cli import invoke

from ticket_processor.learned import embed
from ticket_processor.sandbox.desks import Desk, NewTicket

pytestmark = pytest.mark.desk(configure=True)


@pytest.fixture
def fresh_model() -> Iterator[None]:
    """The process's model unloaded for the test (the run loads its own), put back after it."""
    kept = embed._model
    embed._model = None
    try:
        yield
    finally:
        embed._model = kept
        table = sys.modules.get("ticket_processor.learned.encoder_table")
        if table is not None:
            table.keep_table_in(None)  # not this test's state directory for later tests


def test_a_run_reads_the_encoder_table_from_its_state_directory(
    desk: Desk, fresh_model: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TICKETBOT_CACHE_DIR")  # the default: the test session names one
    run = uuid.uuid4().hex[:8]
    desk.create([NewTicket(f"SEO offer {run}", "Dear webmaster, first page of Google. Reply.")])
    ran = invoke("run", "--engine", "rules", "--since", "2000-01-01T00:00:00Z")
    assert ran.exit_code == 0, ran.output
    model = embed._model
    assert model is not None  # the spam gate scored the stranger's ticket
    assert not isinstance(model._backend.table, np.ndarray)  # rows read from the file
    assert [p.name for p in (tmp_path / "state").glob("encoder-table-*.npy")]


def test_a_run_keeps_the_table_in_the_cache_directory_when_one_is_named(
    desk: Desk, fresh_model: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "shared-cache"
    monkeypatch.setenv("TICKETBOT_CACHE_DIR", str(cache))
    run = uuid.uuid4().hex[:8]
    desk.create([NewTicket(f"SEO offer {run}", "Dear webmaster, first page of Google. Reply.")])
    ran = invoke("run", "--engine", "rules", "--since", "2000-01-01T00:00:00Z")
    assert ran.exit_code == 0, ran.output
    model = embed._model
    assert model is not None
    assert not isinstance(model._backend.table, np.ndarray)
    assert [p.name for p in cache.glob("encoder-table-*.npy")]
    assert not list((tmp_path / "state").glob("encoder-table-*"))  # one copy, in the cache


def test_a_dry_run_writes_no_table_file(desk: Desk, fresh_model: None, tmp_path: Path) -> None:
    run = uuid.uuid4().hex[:8]
    desk.create([NewTicket(f"SEO offer {run}", "Dear webmaster, first page of Google. Reply.")])
    ran = invoke("run", "--engine", "rules", "--dry-run", "--since", "2000-01-01T00:00:00Z")
    assert ran.exit_code == 0, ran.output
    assert embed._model is not None  # the spam gate still scored the ticket
    assert not list((tmp_path / "state").glob("encoder-table-*"))

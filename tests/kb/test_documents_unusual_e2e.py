"""A knowledge folder that is not what the team meant, on each sandbox, through a real run and
``kb sync``: a FIFO among the documents, a folder a thousand levels deep, a heading carrying
escape, bell and bidi-override characters. The run ends and writes its notes, the next run
takes the lock, and nothing a document carries reaches a note unclean.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from support.answers_desk import create_tickets, publish_help_centre
from support.cli import invoke
from support.e2e import events

from ticket_processor.sandbox.desks import Desk

RETURNS = """# Hardware returns desk

Returned scanners and card readers go to the Leeds returns desk. Book the courier on account
LX-4471 and write the RMA number on the box. Refurbished scanners ship back within ten days.
"""
QUESTION = {
    "subject": "Scanner return",
    "description": "How do I return a scanner to the returns desk? Do we need an RMA number?",
    "kind": "answerable",
}


@contextmanager
def watched_fifo(path: Path) -> Iterator[list[str]]:
    """A FIFO at ``path`` and a watcher that frees whoever opens it for reading: the watcher
    opens it for writing, which succeeds only while a reader waits in ``open``, says so in the
    list it yields, and closes it (the reader then reads an empty file). A run that blocks on
    the FIFO thus fails the test instead of hanging it."""
    os.mkfifo(path)
    blocked: list[str] = []
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.05):
            try:
                fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:  # no reader waiting (ENXIO): as it should be
                continue
            blocked.append("a reader blocked opening the FIFO")
            os.close(fd)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield blocked
    finally:
        done.set()
        watcher.join()


@pytest.mark.desk(configure=True)
def test_a_fifo_among_the_documents_is_skipped_and_the_run_ends(desk: Desk, tmp_path: Path) -> None:
    publish_help_centre(desk)
    folder = tmp_path / "knowledge"
    folder.mkdir()
    (folder / "returns.md").write_text(RETURNS, "utf-8")
    env = {"TICKETBOT_KNOWLEDGE_DIR": str(folder)}
    (ticket_id,) = create_tickets(desk, [QUESTION])
    with watched_fifo(folder / "pipe.md") as blocked:
        ran = invoke("run", "--engine", "rules", "--max-runtime", "30", env=env)
        synced = invoke("kb", "sync", env=env)
    assert blocked == []
    assert ran.exit_code == 0, ran.output
    (note,) = desk.snapshot(ticket_id).notes
    assert "Hardware returns desk" in note
    skipped = [e["reason"] for e in events(tmp_path / "logs") if e["event"] == "document_skipped"]
    assert skipped == ["pipe.md: a FIFO, not a regular file"]
    assert synced.exit_code == 0, synced.output
    assert "skipped pipe.md: a FIFO, not a regular file" in synced.output

    (later,) = create_tickets(desk, [QUESTION])
    again = invoke("run", "--engine", "rules", "--max-runtime", "30", env=env)
    assert again.exit_code == 0, again.output
    assert "holds the lock" not in again.output
    assert desk.snapshot(later).notes


@contextmanager
def deep_folder(top: Path, levels: int) -> Iterator[Path]:
    """``levels`` folders one inside the other under ``top``, made and removed one at a time:
    pathlib's ``mkdir(parents=True)`` and ``shutil.rmtree`` (pytest's clean-up of old temporary
    folders) recurse as deep and would fail."""
    made = [top]
    for _ in range(levels):
        made.append(made[-1] / "d")
        made[-1].mkdir()
    try:
        yield made[-1]
    finally:
        for folder in reversed(made[1:]):
            for path in folder.iterdir():
                path.unlink()
            folder.rmdir()


@pytest.mark.desk(configure=True)
def test_a_folder_too_deep_is_said_and_a_heading_reaches_the_note_clean(
    desk: Desk, tmp_path: Path
) -> None:
    publish_help_centre(desk)
    folder = tmp_path / "knowledge"
    folder.mkdir()
    dirty = RETURNS.replace("Hardware returns", "Hardware\x1b[31m\x07 re\u202eturns")
    (folder / "returns.md").write_text(dirty, "utf-8")
    env = {"TICKETBOT_KNOWLEDGE_DIR": str(folder)}
    with deep_folder(folder, 1_100) as deep:
        (deep / "lost.md").write_text("# Lost\n\nNobody reads this far down.", "utf-8")
        synced = invoke("kb", "sync", env=env)
        (ticket_id,) = create_tickets(desk, [QUESTION])
        ran = invoke("run", "--engine", "rules", env=env)
    assert synced.exit_code == 0, synced.output
    assert "documents synced: 1 read" in synced.output
    assert "deeper than 32 folders, not read" in synced.output

    assert ran.exit_code == 0, ran.output
    (note,) = desk.snapshot(ticket_id).notes
    assert "Hardware returns desk" in note
    assert not [c for c in note if c in "\x1b\x07\u202e"]

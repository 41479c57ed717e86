"""``kb sync`` says which documents are public and what front matter it did not read, on each
sandbox: ``Visibility: PUBLIC`` made a page public while ``visiblity: public`` kept one internal
in silence; and ``TICKETBOT_KNOWLEDGE_DIR=~/docs`` (as a .env writes it, unexpanded) is the home
folder's ``docs``, not a folder named ``~``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import invoke

from ticket_processor.kb.front_matter import visibility_said
from ticket_processor.sandbox.desks import Desk

PAGE = "---\n{front}\n---\n# {title}\n\nOpen Settings, then {title}, and follow the steps.\n"


@pytest.mark.desk(configure=True)
def test_kb_sync_says_what_is_public_and_what_front_matter_it_did_not_read(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    folder = home / "docs"
    folder.mkdir(parents=True)
    (folder / "shouted.md").write_text(PAGE.format(front="Visibility: PUBLIC", title="Export"))
    (folder / "typo.md").write_text(PAGE.format(front="visiblity: public", title="Invoices"))
    (folder / "value.md").write_text(PAGE.format(front="visibility: pubic", title="Teams"))
    monkeypatch.setenv("HOME", str(home))
    synced = invoke("kb", "sync", env={"TICKETBOT_KNOWLEDGE_DIR": "~/docs"})
    assert synced.exit_code == 0, synced.output
    assert "documents synced: 3 read" in synced.output
    assert "1 public, quoted to customers (shouted.md)" in synced.output
    assert "typo.md: front matter key 'visiblity' is not one ticketbot reads" in synced.output
    assert "value.md: visibility 'pubic' is neither public nor internal" in synced.output


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"visibility": "public"}, None),
        ({"visibility": "Internal"}, None),
        ({"title": "Refunds"}, None),
        ({"visiblity": "public"}, "front matter key 'visiblity'"),
        ({"visibilty": "internal"}, "front matter key 'visibilty'"),
        ({"visibility": "publik"}, "visibility 'publik' is neither"),
    ],
)
def test_what_front_matter_is_said(fields: dict[str, str], said: str | None) -> None:
    found = visibility_said("a.md", fields)
    assert (found is None) if said is None else (found is not None and said in found)

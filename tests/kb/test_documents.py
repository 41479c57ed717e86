"""The team's documents as index entries (``kb.documents``): what is public, how a file is cut
into sections, what is skipped and said, and that the helpdesk's own sync leaves them alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.answers_desk import publish_help_centre
from support.cli import invoke

from ticket_processor.errors import ConfigError
from ticket_processor.kb.documents import (
    DocumentReport,
    articles_of,
    is_document,
    read_folder,
    sections_of,
    sync_documents,
)
from ticket_processor.kb.index import INDEX_FILE, ArticleIndex
from ticket_processor.sandbox.desks import Desk


@pytest.mark.parametrize(
    ("front", "visibility"),
    [
        ("visibility: public", "everyone"),
        ("Visibility: 'Public'", "everyone"),
        ("visibility: pubilc", "internal"),  # a typo keeps the page from customers
        ("visibility: internal", "internal"),
        ("title: Refunds", "internal"),
    ],
)
def test_a_document_is_internal_unless_its_front_matter_says_public(
    front: str, visibility: str
) -> None:
    (article,) = articles_of("a.md", f"---\n{front}\n---\n# Refunds\n\nWe refund within 14 days.")
    assert article.visibility == visibility


def test_a_document_with_no_front_matter_is_internal() -> None:
    (article,) = articles_of("notes.txt", "Escalations\nCall the on-call lead after 18:00.")
    assert article.visibility == "internal"
    assert article.title == "Escalations"
    assert article.url == "notes.txt"
    assert is_document(article.id)


def test_markdown_is_one_section_per_heading_and_code_is_no_heading() -> None:
    text = (
        "Preamble line.\n\n# Setup\n\nInstall **it** from [the page](https://x.test).\n\n"
        "```\n# not a heading\n```\n\n### Detail\n\nStill setup.\n\n## Removal\n\nUninstall it.\n"
    )
    visibility, sections = sections_of("guides/set-up.md", text)
    assert visibility == "internal"
    assert [s.heading for s in sections] == ["set up", "Setup", "Removal"]
    assert "Install it from the page." in sections[1].text
    assert "# not a heading" in sections[1].text
    assert "Still setup." in sections[1].text
    ids = {a.id for a in articles_of("guides/set-up.md", text)}
    assert len(ids) == 3
    assert all(is_document(i) for i in ids)


def test_an_html_document_is_titled_by_its_title_and_read_as_text(tmp_path: Path) -> None:
    html = "<html><head><title>Shipping &amp; returns</title></head><body><p>Ship it.</p></body>"
    (article,) = articles_of("ship.html", html)
    assert article.title == "Shipping & returns"
    index = ArticleIndex(tmp_path / INDEX_FILE)
    try:
        index.upsert(article)
        assert "Ship it." in index.body(article.id, article.locale)
        assert "<p>" not in index.body(article.id, article.locale)
    finally:
        index.close()


def test_what_cannot_be_read_is_skipped_and_said(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "good.md").write_text("# Good\n\nFine text.", "utf-8")
    (folder / "latin1.txt").write_bytes("Caf\xe9 hours\nOpen at nine.".encode("latin-1"))
    (folder / "huge.md").write_text("# Huge\n\n" + "word " * 300_000, "utf-8")
    (folder / "picture.png").write_bytes(b"\x89PNG")
    outside = tmp_path / "secret.md"
    outside.write_text("# Secret\n\nNot the team's folder.", "utf-8")
    (folder / "link.md").symlink_to(outside)
    report = DocumentReport()
    names = [name for name, _ in read_folder(folder, report)]
    assert names == ["good.md"]
    assert sorted(r.split(":")[0] for r in report.skipped) == ["huge.md", "latin1.txt", "link.md"]


def test_a_folder_that_is_not_there_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"TICKETBOT_KNOWLEDGE_DIR=.*is not a directory"):
        list(read_folder(tmp_path / "missing", DocumentReport()))


def test_a_changed_or_removed_document_is_indexed_again_or_dropped(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "vpn.md").write_text("# VPN\n\nConnect the VPN client before the portal.", "utf-8")
    (folder / "printer.md").write_text("# Printer\n\nThe printer queue restarts nightly.", "utf-8")
    index = ArticleIndex(tmp_path / INDEX_FILE)
    try:
        first = sync_documents(index, folder)
        assert (first.indexed, first.removed) == (2, 0)
        (folder / "printer.md").unlink()
        (folder / "vpn.md").write_text("# VPN\n\nThe VPN client now starts itself.", "utf-8")
        second = sync_documents(index, folder)
        assert (second.indexed, second.unchanged, second.removed) == (1, 0, 1)
        ((article_id, locale),) = index.stamps()
        assert index.body(article_id, locale) == "The VPN client now starts itself."
    finally:
        index.close()


@pytest.mark.desk(configure=True)
def test_the_help_centres_own_full_sync_keeps_the_documents(desk: Desk, tmp_path: Path) -> None:
    """A complete listing drops what the help centre no longer has; the team's documents were
    never in it and stay (Freshdesk lists everything every time; Zendesk once a week)."""
    publish_help_centre(desk)
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "vpn.md").write_text("# VPN\n\nConnect the VPN client first.", "utf-8")
    env = {"TICKETBOT_KNOWLEDGE_DIR": str(folder)}
    assert invoke("kb", "sync", env=env).exit_code == 0
    path = tmp_path / "state" / INDEX_FILE
    index = ArticleIndex(path)
    index.set_meta("full_at", "0")  # Zendesk's weekly full listing is due
    index.close()
    again = invoke("kb", "sync", env=env)
    assert again.exit_code == 0, again.output
    helpdesk_line, documents_line = again.output.splitlines()[:2]
    assert "removed" not in helpdesk_line
    assert documents_line == "documents synced: 1 read"
    index = ArticleIndex(path)
    try:
        assert [key for key in index.stamps() if is_document(key[0])]
    finally:
        index.close()

    missing = invoke("kb", "sync", env={"TICKETBOT_KNOWLEDGE_DIR": str(tmp_path / "nowhere")})
    assert missing.exit_code == 2
    assert "TICKETBOT_KNOWLEDGE_DIR=" in missing.output
    assert "is not a directory" in missing.output


def test_a_socket_or_device_is_skipped_and_said(tmp_path: Path) -> None:
    import socket

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "good.md").write_text("# Good\n\nFine text.", "utf-8")
    with socket.socket(socket.AF_UNIX) as listening:
        listening.bind(str(folder / "socket.md"))
        report = DocumentReport()
        names = [name for name, _ in read_folder(folder, report)]
    assert names == ["good.md"]
    assert report.skipped == ["socket.md: a socket, not a regular file"]


def test_a_wrong_huge_folder_stops_at_a_bound_and_leaves_the_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "kept.md").write_text("# Kept\n\nIndexed before.", "utf-8")
    index = ArticleIndex(tmp_path / INDEX_FILE)
    try:
        assert sync_documents(index, folder).indexed == 1
        for number in range(30):
            (folder / f"page-{number}.md").write_text(f"# Page {number}\n\nText.", "utf-8")
        monkeypatch.setattr("ticket_processor.kb.documents.MAX_ENTRIES", 20)
        report = sync_documents(index, folder)
        assert report.stopped == "more than 20 files and folders looked at"
        assert len([i for i in index.entry_ids() if is_document(i)]) == 1  # "Kept" alone
        monkeypatch.undo()
        stopped = sync_documents(index, folder, out_of_time=lambda: True)
        assert stopped.stopped.startswith("out of time")
    finally:
        index.close()


def test_control_and_bidi_characters_never_leave_a_document() -> None:
    text = "# Re\x1b[31mset\x07 your \u202epassword\n\nOpen\x1b]0;x\x07 Settings\u202d then Reset."
    _, (section,) = sections_of("reset.md", text)
    assert section.heading == "Reset your password"
    assert section.text == "Open Settings then Reset."


def test_a_reading_that_goes_on_too_long_stops_and_says_so(tmp_path: Path) -> None:
    from ticket_processor.kb.documents import MAX_SECONDS

    folder = tmp_path / "docs"
    folder.mkdir()
    for number in range(3):
        (folder / f"page-{number}.md").write_text(f"# Page {number}\n\nText.", "utf-8")
    ticks = iter(range(0, 10_000, int(MAX_SECONDS / 5)))  # each look: a fifth of the bound
    report = DocumentReport()
    names = [name for name, _ in read_folder(folder, report, clock=lambda: float(next(ticks)))]
    assert names == ["page-0.md"]
    assert report.stopped.startswith("out of time")

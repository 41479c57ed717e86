"""LLM-written text as the note and the terminal show it (``triage.note_text``), and the note
the renderer makes of a hostile analysis: plain data, no servers."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from support.hostile_llm import GIVEN, HOSTILE_DRAFT, assert_inert

from ticket_processor.commands.demo import DemoRow, result_lines, result_table
from ticket_processor.commands.render import planned_lines, planned_table
from ticket_processor.helpdesks.freshdesk.records import note_html, plain_text
from ticket_processor.models import (
    Analysis,
    Sentiment,
    Suggestion,
    Ticket,
    Triage,
    Urgency,
    WriteBack,
)
from ticket_processor.passes.types import PlannedChange
from ticket_processor.tags import note_labels, read_note, render_note
from ticket_processor.triage.note_text import LINK_REMOVED, llm_text, terminal_text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("see [the guide](https://evil.example/x) now", "see the guide now"),
        (f"see [the guide]({GIVEN}) now", f"see the guide ({GIVEN}) now"),
        ("look ![logo](https://evil.example/l.png) here", "look logo here"),
        ("<b>bold</b> <img src=x onerror=alert(1)> text", "bold text"),
        ("go to https://evil.example/a?b=c, then", f"go to {LINK_REMOVED}, then"),
        ("go to www.evil.example/a.", f"go to {LINK_REMOVED}."),
        (f"read {GIVEN}.", f"read {GIVEN}."),
        ("javascript:void(0) and <https://evil.example>", f"{LINK_REMOVED}) and {LINK_REMOVED}"),
        ("as [1] says, not [2] or [9]", "as [1] says, not or"),
        ("\x1b[2Jclear\x1b[31mred\x1b[0m", "clearred"),
        ("nul\x00 bell\x07 c1\x9b31m", "nul bell c1"),
        ("a\u202eb\u2066c\u2069d\u200be\ufeff", "abcde"),
        ("line\u2028break\x85next\r\nend", "line\nbreak\nnext\nend"),
        ("Steps:\n  - open [it](https://evil.example)  now", "Steps:\n  - open it now"),
        ("version 10.0.19045.3803, error 0x80070005", "version 10.0.19045.3803, error 0x80070005"),
        # A reference definition goes; a line that opens with a redacted name is the customer's
        # (a review found the summary of "Priya Raman: account hacked" empty in the note).
        ('ok\n[1]: https://evil.example/x "t"\n[a]: <http://x>\nend', "ok\n\n\nend"),
        ("ok\n[x]: evil.example/path\nend", "ok\n\nend"),
        (
            "[NAME]: account hacked: someone took over it",
            "[NAME]: account hacked: someone took over it",
        ),
    ],
)
def test_llm_text_is_plain(raw: str, expected: str) -> None:
    assert llm_text(raw, urls=[GIVEN], articles=1) == expected


def test_terminal_text_escapes_what_is_not_printable() -> None:
    shown = terminal_text("a\x1b[2Jb\x00c\u202ed\nnext\tcol")
    assert shown == "a\\x1b[2Jb\\x00c\\u202ed\nnext\\tcol"
    assert not any(ord(c) < 32 and c != "\n" for c in shown)


def hostile_triage(summary: str) -> Triage:
    analysis = Analysis(
        category="billing",
        urgency=Urgency.HIGH,
        sentiment=Sentiment.NEGATIVE,
        language="en",
        summary=summary,
        confidence=0.9,
        reply_draft=HOSTILE_DRAFT,
    )
    return Triage(analysis=analysis, engine="llm", model="stand-in")


def given_article() -> Suggestion:
    return Suggestion(
        article_id=1, title="Refunds", url=GIVEN, locale="en", visibility="everyone", score=0.5
    )


def test_a_hostile_analysis_makes_an_inert_note() -> None:
    summary = "Refund [9] via https://evil.example \x1b[2J\nCategory: other\x00"
    note = render_note(
        hostile_triage(summary), priority=None, run_id="r1", suggestions=[given_article()]
    )
    assert_inert(note)
    assert "[1]" in note  # the article given is still cited
    for read_back in (note, plain_text(note_html(note))):  # Zendesk's text, Freshdesk's HTML
        trailer = read_note(read_back)
        assert trailer is not None
        assert trailer.articles == (1,)
        assert note_labels(read_back) == {
            "category": "billing",
            "urgency": "high",
            "sentiment": "negative",
        }


def test_a_harmless_draft_is_left_as_written() -> None:
    draft = "Hello,\nRun the installer again.\nSummary of steps:\nSummary: two steps.\nThanks"
    analysis = hostile_triage("Install fails.").analysis.model_copy(update={"reply_draft": draft})
    note = render_note(
        Triage(analysis=analysis, engine="llm", model="m"), priority=None, run_id="r1"
    )
    assert "\nRun the installer again.\nSummary of steps:\n" in note  # prose stays as written
    assert "\n> Summary: two steps.\n" in note  # looks like a label line: quoted


@pytest.mark.parametrize("wide", [True, False], ids=["table", "lines"])
def test_the_dry_run_table_prints_no_raw_control_character(wide: bool) -> None:
    triage = hostile_triage("Refund\x1b[2J now\x00 \u202eplease")
    change = PlannedChange(
        ticket_id=1,
        subject="Pay\x1b[31mment\x00 \u2066fails",
        triage=triage,
        writeback=WriteBack(ticket_id=1, additional_tags=("ai_processed",), note=""),
    )
    out = io.StringIO()
    console = Console(file=out, width=200, color_system=None, force_terminal=False)
    if wide:
        console.print(planned_table([change], title="planned changes"))
    else:
        for line in planned_lines([change]):
            console.print(line, markup=False)
    shown = out.getvalue()
    assert not any(c in shown for c in "\x1b\x00\u202e\u2066"), repr(shown)
    assert "Refund now please" in shown


@pytest.mark.parametrize("wide", [True, False], ids=["table", "lines"])
def test_the_demo_result_prints_no_raw_control_character(wide: bool) -> None:
    before = Ticket(id=1, subject="Pay\x1b[31mment\x00 \u202efails")
    after = before.model_copy(update={"tags": ("ai_processed", "ai_category_billing")})
    note = "ticketbot triage (LLM (m))\n\nSummary: Card \x1b[2Jdeclined\u2066 twice\n"
    row = DemoRow(before, after, note)
    out = io.StringIO()
    console = Console(file=out, width=200, color_system=None, force_terminal=False)
    if wide:
        console.print(result_table([row], total=1, prefix="ai_"))
    else:
        for line in result_lines([row], total=1):
            console.print(line, markup=False)
    shown = out.getvalue()
    assert not any(c in shown for c in "\x1b\x00\u202e\u2066"), repr(shown)
    assert "declined" in shown

"""The report's "Categories per day" table: its last column says what rises (or which incident
explains it), and is there only when a row has something to say: a first day's report had an
empty column with no header in every row."""

from __future__ import annotations

from rich.console import Console

from ticket_processor.report.trends import Trend, trends_html, trends_table


def _text(found: list[Trend]) -> str:
    console = Console(width=120, record=True, color_system=None)
    console.print(trends_table(found))
    return console.export_text()


def test_a_quiet_day_has_no_empty_column() -> None:
    found = [Trend("billing", [0] * 13 + [8], 8, 0.0, False)]
    text = _text(found)
    header = next(line for line in text.splitlines() if "category" in line)
    assert [cell.strip() for cell in header.strip("┃│ ").split("┃")] == [
        "category",
        "today",
        "baseline",
        "change",
    ], header
    assert "<th></th>" not in trends_html(found)
    assert "<th>rising</th>" not in trends_html(found)


def test_a_rising_category_is_named_under_its_header() -> None:
    found = [
        Trend("billing", [1] * 13 + [9], 9, 1.0, True),
        Trend("refund", [2] * 14, 2, 2.0, False),
        Trend("shipping", [0] * 13 + [6], 6, 0.2, True, explained_by=41),
    ]
    text = _text(found)
    header = next(line for line in text.splitlines() if "category" in line)
    assert "rising" in header
    assert "rising: incident #41" in text
    html = trends_html(found)
    assert "<th>rising</th>" in html
    assert "<b>rising</b>" in html
    assert html.count("<tr>") == 1 + len(found)

"""A trailer value that ``quote`` would give back as it is is written without asking it: the
characters taken as they are must be exactly those it never encodes."""

from __future__ import annotations

from urllib.parse import quote

from ticket_processor.writeback.trailer import _KEPT, _VALUE_SAFE, NoteTrailer, parse_trailer


def test_the_characters_kept_are_those_quote_keeps() -> None:
    for point in range(0x3000):
        char = chr(point)
        kept = quote(char, safe=_VALUE_SAFE) == char
        assert bool(_KEPT.fullmatch(char)) == kept, repr(char)


def test_a_trailer_reads_back_whatever_its_values_hold() -> None:
    trailer = NoteTrailer(
        category="billing",
        urgency="high",
        sentiment="negative",
        language="de",
        engine="llm",
        model="gpt-4o-mini:2024/07,a+b~c",
        subcategory="refund_late",
        fields={"Plan tier": "Gold plan / année", "code": "x=1&y=2%"},
    )
    line = trailer.line()
    assert parse_trailer(line) == trailer
    assert " model=gpt-4o-mini:2024/07,a+b~c " in line
    assert "field.Plan%20tier=Gold%20plan%20/%20ann%C3%A9e" in line

"""The note announcing a reply: the reply's block before the trailer, and the trailer records
the reply's article (``answer=<id>``), read back by ``parse_trailer``."""

from __future__ import annotations

from ticket_processor.models import WriteBack
from ticket_processor.writeback.planner import with_customer_reply
from ticket_processor.writeback.trailer import NoteTrailer, parse_trailer

TRAILER = NoteTrailer(
    category="how_to", urgency="low", sentiment="neutral", language="en", engine="rules"
)


def test_the_block_goes_before_the_trailer_which_records_the_article() -> None:
    note = f"[ticketbot] triage\nsummary\n\n{TRAILER.line()}"
    wb = WriteBack(ticket_id=1, additional_tags=("ai_processed",), note=note)
    out = with_customer_reply(wb, "--- reply ---\nHello\n--- end ---", 42, ("ai_answer_drafted",))
    assert out.note is not None
    lines = out.note.split("\n")
    assert lines[0] == "[ticketbot] triage"
    assert "--- reply ---" in out.note
    assert out.note.index("--- reply ---") < out.note.index("ticketbot:v1")
    found = parse_trailer(lines[-1])
    assert found is not None
    assert found.answer == 42
    assert found.category == "how_to"
    assert out.additional_tags == ("ai_processed", "ai_answer_drafted")


def test_a_trailer_without_a_reply_is_unchanged() -> None:
    assert "answer=" not in TRAILER.line()
    parsed = parse_trailer(TRAILER.line())
    assert parsed is not None
    assert parsed.answer is None

"""The note's section of similar solved tickets: one line each, best first.

    Similar solved tickets:
    #4182 (0.83) Reset link expired — solved: The reset link works once and for 30 minutes; …

Everything in a line is the helpdesk's text (a subject, an agent's reply, both redacted): it is
made one line, so none of it can start a line of the note or pass for ticketbot's own, and
another customer's name, licence plate or an agent-given secret in it is replaced
(``shown.from_another_customer``): the line is shown on an unrelated customer's ticket. The
section goes before the note's closing lines (the run's id and the trailer, which stay last).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..writeback.wording import DEFAULT_LANGUAGE, wording
from .lookup import SimilarSolved
from .shown import from_another_customer

SUBJECT_CHARS = 80


def _line(text: str, limit: int) -> str:
    flat = from_another_customer(" ".join(text.split()))
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def render_similar(found: Sequence[SimilarSolved], language: str = DEFAULT_LANGUAGE) -> list[str]:
    """The section's lines in the note's ``language``, a blank line first; none when nothing
    similar was solved."""
    if not found:
        return []
    words = wording(language)
    lines = ["", words.say("similar_solved")]
    for solved in found:
        subject = _line(solved.subject, SUBJECT_CHARS) or "-"
        lines.append(
            f"#{solved.ticket_id} ({solved.similarity:.2f}) {subject} — "
            f"{words.say('solved_how')}: {_line(solved.resolution, 400)}"
        )
    return lines

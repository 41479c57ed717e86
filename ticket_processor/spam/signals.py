"""What the spam gate reads of the sender's words before the head: an automatic message's words,
the lure families it weighs and whether the text is chat-like (``SpamSignals``). Pure."""

from __future__ import annotations

from dataclasses import dataclass

from ..triage.reply_cues import automatic_certainty, fold
from .chat import judged_lures
from .reading import SpamReading


@dataclass(frozen=True)
class SpamSignals:
    """What the gate reads of the sender's words before the head, the same for a run and for
    the figures' scorer (``labelled.score_rows``): an automatic message's words, the lure
    families it weighs (``chat.judged_lures``) and whether the text is chat-like."""

    automatic: bool
    lures: frozenset[str]
    chat: bool

    @classmethod
    def of(cls, reading: SpamReading) -> SpamSignals:
        lures, chat = judged_lures(reading.text, reading.lures)
        return cls(says_automatic(reading.text), lures, chat)


def says_automatic(text: str) -> bool:
    """Whether the text carries an automatic message's words (away until, undeliverable, ...)."""
    folded = fold(text)
    return automatic_certainty(folded, len(folded.split())) > 0

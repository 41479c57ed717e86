"""What the spam gate reads of the sender's words before the head: an automatic message's words,
the lure families it weighs and whether the text is chat-like (``SpamSignals``). Pure."""

from __future__ import annotations

import re
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


# A person's request to the desk ("please ship order 44120"): an automatic reply asks nothing
# of whom it answers, and says only whom to contact instead.
_ASKS_US = re.compile(
    r"\b(?:please|kindly|could you|can you|would you)\s+(?:also\s+)?(?:ship|send|deliver"
    r"|cancel|refund|change|update|process|check|confirm|fix|reset|book|hold|return|upgrade"
    r"|downgrade|invoice|replace|renew|activate|deactivate|delete|move|transfer)\b"
)


def says_automatic(text: str) -> bool:
    """Whether the text carries an automatic message's words (away until, undeliverable, ...)
    and asks the desk for nothing: "I will be out of office until Monday, please ship order
    44120" is a person's (a stranger's was gated as a machine's on their first message)."""
    folded = fold(text)
    return automatic_certainty(folded, len(folded.split())) > 0 and not _ASKS_US.search(folded)

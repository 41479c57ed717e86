"""The eval's note language: the share of notes written in the agent's language.

For each evaluated row, the note a run would write (``writeback.note.render_note``, with the
run's ``TICKETBOT_AGENT_LANGUAGE`` and, with an LLM, the translations a run asks for) is read
back by the stopword guess ticketbot uses for tickets (``triage.language.detect_language``):
all of its prose — labels, sentences, the summary, the translation — but the header (the
engine's name), the trailer and run line (machines' parts, never translated) and the reply
draft (written in the customer's language on purpose). A note counts as in the agent's language
when the guess is that language. So a note whose labels are German but whose summary is still
the customer's English (no LLM to write it in German) may count as English: that is what an
agent reads.

The guess knows en, de, fr, es, it, nl and pt; for another agent language the share is not
measured (None).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..models import Triage
from ..triage.language import STOPWORDS, detect_language
from ..triage.prepare import PreparedTicket
from ..writeback.note import read_note, render_note
from ..writeback.translation import NoteTranslations

_WORD = re.compile(r"[^\W\d_]+")


def prose_language(note: str) -> str:
    """The language the note's prose reads as (see the module doc)."""
    lines = [line for line in note.splitlines() if line.strip()]
    if read_note(note) is not None:
        lines = lines[1:-2]  # the header; the run line and the trailer
    return detect_language(_WORD.findall("\n".join(lines).casefold()))


@dataclass
class NoteLanguageJudge:
    """Renders each row's note as a run would and says whether it is in ``language``."""

    language: str
    translations: NoteTranslations

    @property
    def measurable(self) -> bool:
        return self.language in STOPWORDS

    def judge(self, row: int, triage: Triage, prepared: PreparedTicket) -> str | None:
        """The language the row's note reads as; None when it cannot be measured."""
        if not self.measurable:
            return None
        bare = triage.model_copy(
            update={"analysis": triage.analysis.model_copy(update={"reply_draft": None})}
        )
        message = f"{prepared.subject}\n\n{prepared.body}".strip()
        speech = self.translations.language(row, bare, None, message)
        return prose_language(render_note(bare, priority=None, run_id="eval", language=speech))


def note_language_share(found: list[str | None], language: str) -> float | None:
    """The share of measured notes that read as ``language`` (None: none measured)."""
    measured = [code for code in found if code is not None]
    if not measured:
        return None
    return sum(1 for code in measured if code == language) / len(measured)

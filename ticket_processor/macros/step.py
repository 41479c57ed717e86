"""The macros' per-ticket step: up to three suggested macros in the note, the best as a tag.

On each ticket the step takes the vector the run already has of it (the encoder's memo holds
the prepared text's vector once the learned engine or the help-centre search encoded it; the
same text is asked for, so the encoder runs once a ticket) and asks the book's matcher. The
note gets a section, one macro a line, best first, each by its exact title and id with its
confidence; the best one's tag ``<prefix>macro_<id>`` is added when its confidence reaches
``APPLY_AT``, so agents can build a view on it, once the synced history holds ``APPLY_AFTER``
tickets answered with a macro (before that the step only suggests, and the run's summary and
``health`` say so: ``suggest_only``). A ticket no macro fits gets neither. A macro agents said
did not help where it was tagged (``feedback``) is demoted: never tagged, listed only from
``feedback.DEMOTED_SUGGEST_AT``; a "not helped" on the dashboard's ticket page counts as the
tag does (``on_dashboard``, read once when the run opens the step: ``setup.dashboard_said``).
``audit_fields`` hands the suggestions to the audit store with the planned change (its
decision's ``event``); the recorder keeps them for the written ticket's own event, so the row
that event makes keeps them too; ``shown`` makes the dashboard's ticket page's section of them,
kept beside them in the event.

The step exists only when a sync wrote a book (``open_step``): a team that never ran
``ticketbot macros sync`` pays nothing. A book older than the help-centre index's maximum age
is synced again when a run starts (never by a dry run); a sync that fails leaves the book as it
was, and the run goes on with it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..models import Ticket, Triage, WriteBack, is_spam
from ..passes.caution import Caution, say
from ..passes.types import RunSummary
from ..steps.protocol import Price, Step
from ..steps.shown import Shown, ShownRow
from ..triage.prepare import PreparedTicket
from ..writeback.note import inert_block
from ..writeback.planner import with_section
from ..writeback.wording import DEFAULT_LANGUAGE, folder_wording
from .book import MacroBook, exists, load
from .feedback import DEMOTED_SUGGEST_AT, said_no
from .match import MacroChoice
from .sync import Embed, sync_macros

# The calibrated confidence at which the best macro is tagged: nine in ten such tags name the
# macro the agent used (``docs/explanation/measurements/macros.md``).
APPLY_AT = 0.9
# ...once the history holds this many solved tickets answered with a macro. The tag is an act
# (agents build views on it): on held-out histories of fewer, the tags were right as rarely as
# seven times in ten, while the note's suggestions still help. Read on the Bitext tuning
# history's curve (``python -m scripts.figures macros_eval --curve``): every window of 62 or
# more was right at least nine times in ten; rounded up for margin. Until then: suggest-only.
APPLY_AFTER = 100
TITLE_CHARS = 200
# The package whose ``words/<language>.toml`` hold the note section's words: this folder's.
_FOLDER = __name__.rpartition(".")[0]
SHOWN_NOTE = (
    "the helpdesk's macros (canned responses on Freshdesk, templates on ServiceNow) the latest "
    "triage suggested, best first"
)


@dataclass
class MacroReading:
    """What the step keeps of a ticket: the text its vector is of, then its suggestions."""

    text: str
    choices: list[MacroChoice] = field(default_factory=list)


def note_lines(
    book: MacroBook, choices: list[MacroChoice], language: str = DEFAULT_LANGUAGE
) -> list[str]:
    """The note's section in the note's ``language``: one macro a line, best first, exact
    title and id (a title is the team's own text: a line that could pass for ticketbot's is
    quoted)."""
    words = folder_wording(_FOLDER, language)
    lines: list[str] = []
    for choice in choices:
        macro = book.macro(choice.macro_id)
        if macro is None:
            continue
        title = " ".join(macro.title.split())[:TITLE_CHARS]  # one line, whatever it holds
        said = words.say(
            "line",
            title=title,
            id=macro.id,
            internal="" if macro.public else words.say("internal"),
            confidence=f"{choice.confidence:.2f}",
        )
        lines += inert_block(f"- {said}")
    return ["", words.say("title"), *lines] if lines else []


def _text_of(prepared: PreparedTicket) -> str:
    """The text a ticket's vector is of: the same the learned engine and the help-centre
    search ask the encoder for, so its memo answers."""
    return f"{prepared.subject}\n{prepared.body}"


class MacroStep(Step):
    name = "macros"

    def __init__(
        self,
        book: MacroBook,
        embed: Embed,
        prefix: str,
        on_dashboard: Mapping[str, frozenset[int]] | None = None,
    ) -> None:
        self.book = book
        self.matcher = book.matcher()
        said = said_no(book.history, on_dashboard)
        self.demoted = frozenset(m for m, feedback in said.items() if feedback.demoted)
        self._embed = embed
        self._prefix = prefix
        self._lock = threading.Lock()
        self._suggested: dict[int, list[MacroChoice]] = {}

    def read(self, ticket: Ticket, prepared: PreparedTicket) -> MacroReading:
        return MacroReading(_text_of(prepared))

    def keep(self, reading: Any) -> Any:
        """The same reading: ``judge`` fills its suggestions (and lets its text go) whenever
        it runs, and the change planned anew before the write reads them there."""
        return reading

    def judge(
        self, ticket: Ticket, prepared: PreparedTicket, reading: Any, triage: Triage
    ) -> Triage:
        if is_spam(triage):  # mail no customer wrote is answered by no macro
            return triage
        if isinstance(reading, MacroReading) and not self.matcher.empty:
            reading.choices = self._suggest(reading.text)
            reading.text = ""  # only the suggestions wait with the ticket for its write
            with self._lock:
                self._suggested[ticket.id] = reading.choices
        return triage

    def attach(
        self,
        ticket: Ticket,
        triage: Triage,
        writeback: WriteBack,
        reading: Any,
        *,
        replanned: bool,
        language: str,
    ) -> WriteBack:
        if not isinstance(reading, MacroReading) or not reading.choices:
            return writeback
        update: dict[str, Any] = {}
        best = reading.choices[0]
        if (
            best.confidence >= APPLY_AT
            and self.book.matched >= APPLY_AFTER
            and best.macro_id not in self.demoted
        ):
            tag = f"{self._prefix}macro_{best.macro_id}"
            if tag not in writeback.additional_tags:
                update["additional_tags"] = (*writeback.additional_tags, tag)
        section = note_lines(self.book, reading.choices, language)
        if writeback.note and section:
            update["note"] = with_section(writeback.note, section)
        return writeback.model_copy(update=update) if update else writeback

    def totals(self, summary: RunSummary, price: Price) -> None:
        caution = suggest_only(self.book)
        if caution is not None:
            say(summary, caution)

    def audit_fields(self, ticket_id: int) -> Mapping[str, Any]:
        with self._lock:
            choices = self._suggested.pop(ticket_id, None)
        return self._listed(choices or [])

    def api_fields(self, prepared: PreparedTicket, triage: Triage) -> Mapping[str, Any]:
        """The triage API's suggestions for a text, as a run's would be (none for spam)."""
        if is_spam(triage) or self.matcher.empty:
            return {}
        return self._listed(self._suggest(_text_of(prepared)))

    def _suggest(self, text: str) -> list[MacroChoice]:
        """The matcher's suggestions, a demoted macro's only from ``DEMOTED_SUGGEST_AT``."""
        found = self.matcher.suggest(self._embed([text])[0])
        return [
            c for c in found if c.macro_id not in self.demoted or c.confidence >= DEMOTED_SUGGEST_AT
        ]

    def shown(self, fields: Mapping[str, Any]) -> Shown | None:
        """The ticket page's section: one macro a row, best first, by its exact title."""
        listed = fields.get("macros")
        if not isinstance(listed, list) or not listed:
            return None
        rows = tuple(
            ShownRow(
                str(m["title"]),
                str(m["id"]),
                f"macro {m['id']}, confidence {m['confidence']:.2f}",
            )
            for m in listed
        )
        return Shown(self.name, "Suggested macros", SHOWN_NOTE, rows)

    def _listed(self, choices: list[MacroChoice]) -> Mapping[str, Any]:
        """The suggestions as the audit store and the triage API keep them: id, exact title,
        confidence, best first; none: nothing."""
        if not choices:
            return {}
        return {
            "macros": [
                {
                    "id": c.macro_id,
                    "title": getattr(self.book.macro(c.macro_id), "title", ""),
                    "confidence": c.confidence,
                }
                for c in choices
            ]
        }


def suggest_only(book: MacroBook) -> Caution | None:
    """What the run's summary and ``health`` say while the history is too short for the tag
    (``APPLY_AFTER``); None once it is long enough."""
    if book.matched >= APPLY_AFTER:
        return None
    return Caution(
        "macros",
        "suggest-only",
        f"until {APPLY_AFTER} solved tickets answered with a macro",
        f"the synced history has {book.matched}: the note suggests, no macro is tagged",
    )


def open_step(
    state_dir: Path,
    *,
    prefix: str,
    embed: Embed,
    max_age: float,
    helpdesk: object | None,
    warn: Callable[[str], None],
    now: Callable[[], float] = time.time,
    on_dashboard: Mapping[str, frozenset[int]] | None = None,
) -> MacroStep | None:
    """The step on the synced book, synced again first when older than ``max_age`` (with a
    ``helpdesk``; None: a dry run, which reads the book as it is); None without a book."""
    if not exists(state_dir):
        return None
    try:
        book = load(state_dir)
    except (OSError, ValueError) as exc:
        warn(f"the macro book could not be read ({exc}): run `ticketbot macros sync`")
        return None
    if helpdesk is not None and book.age(now()) > max_age:
        try:
            sync_macros(helpdesk, state_dir, embed, now=now, prefix=prefix)
            book = load(state_dir)
        except Exception as exc:  # noqa: BLE001 - a stale book still suggests; said once
            warn(f"the macros could not be synced ({exc}); suggesting from the book as it was")
    return MacroStep(book, embed, prefix, on_dashboard)

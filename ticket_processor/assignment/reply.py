"""The two-way reply: an agent's ``/reply`` note, sent to the customer in the customer's language.

An agent who does not read the customer's language answers in their own: an internal note that
starts with ``/reply`` is translated by the configured LLM into the ticket's language (the one
ticketbot's triage note names) and posted once as the agent's public reply; their note stays
as it is, internal. What goes out is screened first, and refused (the agent told why in a note,
nothing sent) when the translation

- carries a link, a web or e-mail address;
- asks the customer for a secret (a password, a code, a card's number...);
- holds a number the agent's own text does not (``triage.screen``);

and a note holding personal data (an e-mail address, a phone number...) is refused before the
LLM sees it. Without an LLM the marker is refused with that reason.

Once per marker, after a kill -9 too: the reply's text is recorded as owed in
``<state dir>/assignment/replies.json`` (written atomically) before the first byte goes out,
and marked sent after. A marker found owed is settled by reading the ticket's public messages:
the reply is there (sent, its answer lost to the kill) or it is sent now.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..common.atomic import atomic_write_bytes, read_state_bytes, set_aside
from ..common.eventlog import EventSink
from ..errors import TicketBotError
from ..helpdesks.staffing import AgentNote, StaffingDesk
from ..models import Helpdesk
from ..passes.protocol import Pass, RunEnd, RunPass
from ..steps.protocol import Step, StepRun
from ..triage.redact import redact
from ..triage.screen import asks_for_secret, unsafe, web_addresses
from ..writeback.note import read_note
from .policy import LANGUAGE_NAMES
from .step import staffing_of

MARKER = "/reply"
BOOK = Path("assignment") / "replies.json"
DAMAGED = "ticketbot's record of sent replies was damaged; write the note again if it is needed"
NO_LLM = "no LLM is configured (set OPENAI_API_KEY or OPENAI_BASE_URL) to translate it"

# (text, ISO 639-1 code) -> the text in that language; None: the LLM did not answer.
Translate = Callable[[str, str], str | None]


def marked(note: AgentNote) -> str | None:
    """The agent's text after the marker, when the note starts with it."""
    body = note.body.strip()
    if not body.startswith(MARKER):
        return None
    rest = body[len(MARKER) :]
    return rest.strip() if not rest or rest[0].isspace() else None


def screen(translation: str, original: str) -> str | None:
    """Why ``translation`` of the agent's ``original`` may not go to the customer, or None."""
    links = web_addresses(translation)
    if links:
        return f"the translation carries a {links[0][0]} ({links[0][1]})"
    secret = asks_for_secret(translation)
    if secret:
        return f"the translation asks the customer for a secret ({secret})"
    why = unsafe(translation, original)
    return f"the translation has a {why}" if why else None


class MarkerBook:
    """The markers settled or owed, by ``<ticket>:<note>``; written atomically."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / BOOK
        self._lock = threading.Lock()
        self._entries: dict[str, dict[str, Any]] = {}
        # Damaged: set aside, and the markers it does not know are refused this once rather
        # than risk sending one twice (the agent writes it again if it is still needed).
        self.damaged = False
        if not (self.path.exists() or self.path.is_symlink()):
            # The run's sweep sets a damaged state file aside before any pass reads it.
            self.damaged = any(self.path.parent.glob(f"{self.path.name}.bad-*"))
            return
        try:
            loaded = json.loads(read_state_bytes(self.path) or b"{}")
        except (OSError, ValueError, TicketBotError):
            loaded = None
        if isinstance(loaded, dict):
            self._entries = loaded
        else:
            set_aside(self.path, "damaged")
            self.damaged = True

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            return self._entries.get(key)

    def put(self, key: str, **entry: Any) -> None:
        with self._lock:
            self._entries[key] = entry
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # The agent's translated text: encrypted when a key is set (``common.sealed``).
            data = json.dumps(self._entries, sort_keys=True).encode()
            atomic_write_bytes(self.path, data, seal=True)


def customer_language(helpdesk: Helpdesk, ticket_id: int) -> str | None:
    """The language ticketbot's latest triage note names for the ticket."""
    for note in reversed(helpdesk.notes(ticket_id)):
        trailer = read_note(note)
        if trailer is not None:
            return trailer.language
    return None


class TwoWayReplyStep(Step):
    name = "two_way_reply"

    def __init__(self, state_dir: Path, translate: Translate | None) -> None:
        self.state_dir, self.translate = state_dir, translate
        self._lock = threading.Lock()
        self._served: StepRun | None = None
        self._delivered: dict[int, None] = {}

    def run_pass(self, run: StepRun) -> RunPass | None:
        return TwoWayReplyPass(self, run)

    def served(self, run: StepRun, ticket_ids: Sequence[int]) -> None:
        # ``serve``: no pass; each delivered batch's markers are settled after its writes.
        with self._lock:
            self._served = run
            self._delivered.update(dict.fromkeys(ticket_ids))

    def after_writes(self, should_stop: Callable[[], str | None]) -> None:
        with self._lock:
            run, ids, self._delivered = self._served, list(self._delivered), {}
        if run is not None and ids and not should_stop():
            TwoWayReplyPass(self, replace(run, ticket_ids=lambda: ids)).work(run.log)


class TwoWayReplyPass(Pass):
    name = "two_way_reply"

    def __init__(self, step: TwoWayReplyStep, run: StepRun) -> None:
        self.step, self.run = step, run

    def write(self, end: RunEnd) -> None:
        if end.writes:
            self.work(end.log)

    def work(self, log: EventSink) -> None:
        """Settle the markers on the run's tickets."""
        if not self.run.writes:
            return
        desk = staffing_of(self.run.helpdesk)
        if desk is None:
            return
        book = MarkerBook(self.step.state_dir)
        for ticket_id in dict.fromkeys(self.run.ticket_ids()):
            if self.run.should_stop():
                return
            notes = [n for n in desk.agent_notes(ticket_id) if marked(n) is not None]
            if notes:
                self.settle(desk, book, ticket_id, notes, log)

    def settle(
        self,
        desk: StaffingDesk,
        book: MarkerBook,
        ticket_id: int,
        notes: Iterable[AgentNote],
        log: EventSink,
    ) -> None:
        language: str | None = None
        for note in notes:
            key = f"{ticket_id}:{note.id}"
            entry = book.get(key)
            if entry is not None and entry.get("state") in ("sent", "refused"):
                continue
            if entry is not None and entry.get("state") == "owed":
                self._send(desk, book, key, ticket_id, note, entry, log)
                continue
            language = language or customer_language(self.run.helpdesk, ticket_id)
            translation, why = (
                (None, DAMAGED) if book.damaged else self._translate(marked(note) or "", language)
            )
            if why is not None or translation is None:
                reason = why or "the LLM did not answer"
                desk.note(ticket_id, f"Your {MARKER} note was not sent to the customer: {reason}.")
                book.put(key, state="refused", reason=reason)
                log.emit(
                    "two_way_reply_refused", ticket_id=ticket_id, note_id=note.id, reason=reason
                )
                continue
            owed = {
                "state": "owed",
                "text": translation,
                "language": language,
                "agent": note.author_id,
            }
            book.put(key, **owed)  # on disk before the first byte goes out
            self._send(desk, book, key, ticket_id, note, owed, log)

    def _translate(self, text: str, language: str | None) -> tuple[str | None, str | None]:
        if not text:
            return None, "it has no text after the marker"
        if language is None:
            return None, "ticketbot has not triaged this ticket, so its language is unknown"
        if self.step.translate is None:
            return None, NO_LLM
        _, found = redact(text)
        if found:
            kinds = ", ".join(sorted(found))
            return None, f"it holds personal data ({kinds}), which never goes to the LLM"
        translation = self.step.translate(text, language)
        if translation is None:
            return None, "the LLM did not answer; write the note again to retry"
        return translation, screen(translation, text)

    def _send(
        self,
        desk: StaffingDesk,
        book: MarkerBook,
        key: str,
        ticket_id: int,
        note: AgentNote,
        entry: dict[str, Any],
        log: EventSink,
    ) -> None:
        text = str(entry["text"])
        # Owed from an earlier run: the reply may have landed before a kill cut its answer.
        landed = any(m.body.strip() == text.strip() for m in desk.public_messages(ticket_id))
        if not landed:
            desk.reply_as(ticket_id, int(entry["agent"]), text)
            name = LANGUAGE_NAMES.get(str(entry["language"]), str(entry["language"]))
            desk.note(
                ticket_id,
                f"Your {MARKER} note was sent to the customer in {name} (your text stays here).",
            )
        book.put(key, state="sent", language=entry["language"])
        log.emit(
            "two_way_reply_sent", ticket_id=ticket_id, note_id=note.id, language=entry["language"]
        )

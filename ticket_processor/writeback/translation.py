"""What the note says in the agent's language beyond its labels: the LLM's translations.

``NoteTranslations`` turns a triage and the agent's language (the run's, or the group's from
its route) into the note's ``NoteLanguage``: with a translator (the LLM's ``translate``), the
customer's message in the agent's language when the customer wrote in another one, the summary
(the LLM writes it in English) and the reply draft beside the customer-language one. It is
given only the text the LLM already saw (``triage.prepare``: trimmed, personal data replaced),
never the ticket's own. Without a translator the note says no translation is available; a
translator that does not answer is said as such, never replaced by a guess.

The triage call's answer usually carries them already (``Analysis.for_agents``, asked in the
run's agent language): then no call is made. The translator is asked only where that answer has
none for the language the note is in (the model left them out, another engine decided, or the
ticket's group reads another language); ``counts`` says how often each happened. Either way the
text is the LLM's and the note screens it the same (``note.translation_lines``).

A ticket's translations are kept until the run is done with the ticket (``forget``, once it is
written, failed or left to the next run), so a re-plan after a conflict (the ticket read again,
its text no longer at hand) shows the same ones without asking again, and a run or a server
holds those of the tickets in flight, not of every ticket it met. No I/O of its own: the
translator is handed in.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace

from ..models import AgentText, Triage
from .note import NoteLanguage

# (text, ISO 639-1 code of the language wanted) -> the text in that language; None: no answer.
Translator = Callable[[str, str], str | None]


class NoteTranslations:
    """The note's language per ticket for one run; thread-safe (workers plan at once)."""

    def __init__(self, translator: Translator | None, *, default_language: str = "en") -> None:
        self._translate = translator
        self.default_language = default_language
        self._lock = threading.Lock()
        # Per ticket, until ``forget``: the note's language in each language it was planned in
        # (a re-plan can move the ticket to a group of another language), the last one chosen.
        self._known: dict[int, dict[str, NoteLanguage]] = {}
        # Replies apart (their ids are another series), per reply and language.
        self._replies: dict[tuple[int, str], NoteLanguage] = {}
        self._chosen: dict[int, str] = {}
        # Each ticket's redacted text, for a re-plan that lands in a group of another language.
        self._messages: dict[int, str] = {}
        # Texts taken from the triage answer, and the translator's calls made because it had none.
        self._given = 0
        self._asked_apart = 0

    def counts(self) -> dict[str, int]:
        """For the run summary: texts the triage call gave (``translations_given``) and the
        separate calls made for want of them (``translations_asked``)."""
        with self._lock:
            return {"translations_given": self._given, "translations_asked": self._asked_apart}

    def chosen(self, ticket_id: int) -> str:
        """The language of the ticket's last planned note (the run's when none was)."""
        with self._lock:
            return self._chosen.get(ticket_id, self.default_language)

    def language(
        self, ticket_id: int, triage: Triage, language: str | None, message: str | None
    ) -> NoteLanguage:
        """The note's language for this ticket. ``language``: the group's (None: the run's);
        ``message``: the redacted text the LLM analysed (None: not at hand, a re-plan)."""
        code = language or self.default_language
        with self._lock:
            self._chosen[ticket_id] = code
            known = self._known.get(ticket_id, {}).get(code)
            if message is not None and self._translate is not None:
                self._messages[ticket_id] = message
            message = self._messages.get(ticket_id) if message is None else message
        if known is not None:
            return known
        if self._translate is None:
            return NoteLanguage(code)
        found = NoteLanguage(code, missing="failed")
        analysis = triage.analysis
        given = _given_in(analysis.for_agents, code)
        if message is not None and found.needs_translation(analysis.language):
            found = self._message(found, message, code, given)
        if triage.engine == "llm" and code != "en" and analysis.summary:
            if given is not None and given.summary:
                self._count_given()
                found = replace(found, summary=_unless_same(given.summary, analysis.summary))
            else:
                found = replace(found, summary=self._changed(analysis.summary, code))
        if analysis.reply_draft and found.needs_translation(analysis.language):
            found = replace(found, draft=self._changed(analysis.reply_draft, code))
        with self._lock:
            self._known.setdefault(ticket_id, {})[code] = found
        return found

    def forget(self, ticket_id: int) -> None:
        """The run is done with this ticket (written, failed or left to the next run): what was
        kept for its re-plans goes, or a run would hold every ticket's entry to its end."""
        with self._lock:
            self._chosen.pop(ticket_id, None)
            self._messages.pop(ticket_id, None)
            self._known.pop(ticket_id, None)

    def held(self) -> int:
        """How many tickets' languages and translations are kept now (those not yet forgotten)."""
        with self._lock:
            return len(self._chosen.keys() | self._known.keys() | self._messages.keys())

    def reply(
        self,
        reply_id: int,
        customer: str,
        language: str | None,
        message: str | None,
        given: AgentText | None = None,
    ) -> NoteLanguage:
        """The language of the note after a customer's reply: only the reply is translated
        (``message``: its redacted text; None: a re-plan, which shows what was found before;
        ``given``: what the reply's triage call gave in the agents' language)."""
        code = language or self.default_language
        key = (reply_id, code)
        with self._lock:
            known = self._replies.get(key)
        if known is not None or self._translate is None:
            return known or NoteLanguage(code)
        found = NoteLanguage(code, missing="failed")
        if message is not None and found.needs_translation(customer):
            found = self._message(found, message, code, _given_in(given, code))
        with self._lock:
            self._replies[key] = found
        return found

    def _count_given(self) -> None:
        with self._lock:
            self._given += 1

    def _changed(self, text: str, code: str) -> str | None:
        """``text`` translated, or None: no answer, or the text given back as it was."""
        done, _ = self._asked(text, code)
        return done

    def _asked(self, text: str, code: str) -> tuple[str | None, bool]:
        """``text`` translated (None: none) and whether the LLM gave it back unchanged: an LLM
        that echoes, or one that cannot translate (the stand-in), made no translation, and a
        note must not call the customer's own words translated."""
        assert self._translate is not None
        with self._lock:
            self._asked_apart += 1
        done = self._translate(text, code)
        if done is not None and _folded(done) == _folded(text):
            return None, True
        return done, False

    def _message(
        self, found: NoteLanguage, message: str, code: str, given: AgentText | None = None
    ) -> NoteLanguage:
        """The customer's message translated (by the triage call when it gave it, else asked
        now), else the note says why there is none."""
        if given is not None and given.message:
            self._count_given()
            done = _unless_same(given.message, message)
            return replace(found, message=done) if done else replace(found, missing="unchanged")
        done, unchanged = self._asked(message, code)
        if unchanged:
            return replace(found, missing="unchanged")
        return replace(found, message=done)


def _given_in(given: AgentText | None, code: str) -> AgentText | None:
    """The triage call's texts when they are in the note's language, else None (ask apart)."""
    return given if given is not None and given.language == code else None


def _unless_same(done: str, text: str) -> str | None:
    """``done``, or None when it is ``text`` given back as it was (no translation made)."""
    return None if _folded(done) == _folded(text) else done


def _folded(text: str) -> str:
    return " ".join(text.split()).casefold()

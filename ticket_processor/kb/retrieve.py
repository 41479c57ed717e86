"""Retrieval in a run: the help-centre lookup for every ticket, before its triage.

``SuggestingTriageCache`` is the run's ``TriageCache`` with the lookup in front: it searches
the index on the prepared (redacted, trimmed) ticket text, in the ticket's language as the
stopwords tell it (the LLM's answer comes later), hands the articles a customer may see to the
engines when reply drafts are on (still one LLM call: the articles travel in the same prompt),
and returns the triage with its ``suggestions``, which the planner puts in the note. An index
that fails mid-run costs the suggestions of that ticket, never the ticket.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Sequence
from dataclasses import replace

from ..models import Engine, Suggestion, Triage
from ..triage.chain import TriageCache, TriageEngine, _Store
from ..triage.language import detect_language
from ..triage.mail_question import search_text
from ..triage.prepare import ArticleExcerpt, PreparedTicket
from .index import ArticleIndex
from .search import DEFAULT_THRESHOLD, lookup
from .text import words_and_terms

# Visibilities a customer-facing draft may quote; ``internal`` is for agents only.
QUOTABLE = frozenset({"everyone", "signed_in"})
EXCERPT_CHARS = 1500


def ticket_text(ticket: PreparedTicket) -> str:
    """What the help centre is searched on (``triage.mail_question``: a forward's own subject
    left out, a question about a received mail searched as one)."""
    return search_text(ticket.subject, ticket.body, forwards=ticket.forwards)


def excerpts(index: ArticleIndex, found: Sequence[Suggestion]) -> tuple[ArticleExcerpt, ...]:
    """The suggestions a customer may see, with their text, numbered as the note lists them."""
    out = []
    for number, suggestion in enumerate(found, start=1):
        if suggestion.visibility not in QUOTABLE:
            continue
        text = index.body(suggestion.article_id, suggestion.locale)[:EXCERPT_CHARS]
        out.append(ArticleExcerpt(number, suggestion.title, suggestion.url, text))
    return tuple(out)


class SuggestingTriageCache(TriageCache):
    """A ``TriageCache`` that looks the ticket up in the help-centre index first."""

    def __init__(
        self,
        store: _Store,
        *,
        tag: str,
        index: ArticleIndex,
        suggestions: int,
        drafts: bool = False,
        threshold: float = DEFAULT_THRESHOLD,
    ) -> None:
        super().__init__(store, tag=tag)
        self._index = index
        self._k = suggestions
        self._drafts = drafts
        self._threshold = threshold

    def suggest(self, ticket: PreparedTicket) -> list[Suggestion]:
        text = ticket_text(ticket)
        found, terms = words_and_terms(text)
        try:
            return lookup(
                self._index,
                text,
                detect_language(found, text),
                self._k,
                threshold=self._threshold,
                terms=terms,
            )
        except sqlite3.Error:
            return []

    def triage(
        self, ticket: PreparedTicket, chain: Sequence[TriageEngine], preferred: Engine | None
    ) -> Triage:
        found = self.suggest(ticket)
        if self._drafts:
            # An index failing here leaves the draft without articles: it then says so.
            with contextlib.suppress(sqlite3.Error):
                ticket = replace(ticket, articles=excerpts(self._index, found))
        result = super().triage(ticket, chain, preferred)
        return result.model_copy(update={"suggestions": tuple(found)})

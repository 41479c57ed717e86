"""Articles to write: the kinds of tickets nothing ticketbot knows answered.

A ticket is a gap when answers refused it for want of a source (``answer_refused`` with a
reason that names what was missing: ``no_article``, and ``no_<source>`` for any other source),
or refused it for another reason first while the index held no public source for it (the
event's ``sources`` is 0), and nothing answered it in the window after all: no answer was
drafted, planned or sent for it, and its decision's stored event shows no step's section
(``steps.shown``: what a step put before the agent on this ticket, such as ready-made replies to
answer from). A refusal for any other
reason where a public source was found (an angry customer, the customer's own case) is a
person's ticket, not a missing article, and is left out.

Gaps are grouped by the kind the triage gave them (category and subcategory), each group named by
the words its subjects share that the other gaps' do not (``topics.naming``'s class-based
TF-IDF), most tickets first, with a few example subjects as the audit store keeps them
(redacted as the LLM gets them) and redacted again here, so a store that keeps raw subjects
shows none in the report. Dry and shadow runs' refusals are not counted. Pure: the command reads
the events and the store's rows and hands them in.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..steps.shown import read_sections
from ..topics.naming import distinctive_words, topic_name
from ..triage.redact import redact

# A refusal reason that says what was missing to answer from: ``no_article`` and its kin, one
# for each source a feature adds (the answers refuse for a guard's reason in other words).
_NO_SOURCE = re.compile(r"^no_[a-z]+$")
# Answers events that mean the ticket was answered (or its draft was there for an agent).
_ANSWERED = frozenset({"answer_drafted", "answer_planned", "answer_sent"})
TOP_GROUPS = 10
EXAMPLES = 3
EXAMPLE_CHARS = 120
# What the report says when the list is empty, so a reader learns it exists and what fills it:
# it said "with answers off, nothing is refused" to a team whose answers were on.
NONE_TO_WRITE = (
    "none in this window (the list counts the tickets answers weighed that no public source "
    "answered; with answers off, none is weighed)."
)


@dataclass(frozen=True)
class StoredTicket:
    """What the audit store keeps of one ticket's latest decision in the window."""

    subject: str = ""
    category: str | None = None
    subcategory: str | None = None
    event: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ArticleToWrite:
    """One kind of ticket nothing answered: its kind, its words, how many, examples."""

    kind: str  # "billing/refund", or the category alone
    name: str  # its distinctive words, "invoice / copy / vat"
    tickets: int
    examples: list[str]


def no_source(reason: object) -> bool:
    """The refusal says nothing was there to answer from (not a guard's refusal)."""
    return isinstance(reason, str) and bool(_NO_SOURCE.match(reason))


def _other_source(stored: StoredTicket | None) -> bool:
    """A step showed the agent something on this ticket to answer from (its section's rows)."""
    return stored is not None and any(s.source for s in read_sections(stored.event))


def gaps(events: Iterable[Mapping[str, Any]], dry_runs: set[str]) -> dict[int, str]:
    """Ticket id -> the category its refusal named, for each ticket refused for want of a
    source and never answered in the window."""
    refused: dict[int, str] = {}
    answered: set[int] = set()
    for e in events:
        if e.get("run_id") in dry_runs or e.get("shadow") or e.get("dry_run"):
            continue
        ticket = e.get("ticket_id")
        if not isinstance(ticket, int):
            continue
        kind = e.get("event")
        # Refused by a guard first (an unsure triage, the customer's own case), a ticket the
        # index found no public source for is a gap all the same: it was left out before.
        if kind == "answer_refused" and (no_source(e.get("reason")) or e.get("sources") == 0):
            refused[ticket] = str(e.get("category") or "unknown")
        elif kind in _ANSWERED:
            answered.add(ticket)
    return {t: c for t, c in refused.items() if t not in answered}


def _example(subject: str) -> str:
    text = " ".join(redact(subject)[0].split())
    return text if len(text) <= EXAMPLE_CHARS else text[: EXAMPLE_CHARS - 1] + "…"


def articles_to_write(
    events: Iterable[Mapping[str, Any]],
    stored: Mapping[int, StoredTicket],
    dry_runs: set[str],
) -> list[ArticleToWrite]:
    """The kinds of tickets to write an article for, most tickets first (``TOP_GROUPS``)."""
    found = {
        ticket: category
        for ticket, category in gaps(events, dry_runs).items()
        if not _other_source(stored.get(ticket))
    }
    kinds: dict[int, str] = {}
    for ticket, category in found.items():
        row = stored.get(ticket)
        main = (row.category if row and row.category else None) or category
        sub = row.subcategory if row and row.subcategory else None
        kinds[ticket] = f"{main}/{sub}" if sub else main
    counts = Counter(kinds.values())
    ordered = [kind for kind, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    number = {kind: i for i, kind in enumerate(ordered)}
    tickets = sorted(kinds, reverse=True)  # newest ids first: the examples' order
    subjects = [_example(stored[t].subject) if t in stored else "" for t in tickets]
    words = distinctive_words(subjects, [number[kinds[t]] for t in tickets], len(ordered))
    result = []
    for kind in ordered[:TOP_GROUPS]:
        examples: list[str] = []
        for ticket, subject in zip(tickets, subjects, strict=True):
            if kinds[ticket] == kind and subject and subject not in examples:
                examples.append(subject)
        result.append(
            ArticleToWrite(kind, topic_name(words[number[kind]]), counts[kind], examples[:EXAMPLES])
        )
    return result

"""Scoring summaries against labelled threads (``ticketbot eval --summaries FILE``).

A labelled thread is one JSON line::

    {"id": "refund-1", "subject": "Charged twice",
     "messages": [{"from": "customer", "text": "..."}, {"from": "agent", "text": "..."}],
     "problem": ["charged twice", "double charge"], "state": ["refund|refunded"]}

``messages`` is the thread oldest first (the first is the customer's first message; ``from``
is ``customer`` or ``agent``). ``problem`` and ``state`` are the reference facts: each a list
of alternatives, a fact stated when any one alternative is; an alternative is a short phrase
whose every word must be in the summary (case-insensitive, a word's ``|`` separating spellings
any one of which will do). A summary scores on the problem, on the current state, on both,
and on keeping to the word limit. Pure: reading the file and running the summariser are the
caller's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..errors import ConfigError
from .build import MAX_WORDS, body_of, word_count
from .thread import Author, SummaryThread, thread_from

_WORD = re.compile(r"[\w'-]+")


@dataclass(frozen=True)
class LabelledThread:
    id: str
    thread: SummaryThread
    problem: tuple[str, ...]
    state: tuple[str, ...]


def parse_threads(lines: Iterable[str], where: str) -> list[LabelledThread]:
    """The labelled threads of a JSON-lines file; ``ConfigError`` naming the line."""
    found: list[LabelledThread] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            messages = row["messages"]
            turns: list[tuple[Author, str]] = []
            for m in messages:
                author = m["from"]
                if author not in ("customer", "agent") or not isinstance(m["text"], str):
                    raise ValueError("each message needs from: customer|agent and a text")
                turns.append((author, m["text"]))
            if not turns or turns[0][0] != "customer":
                raise ValueError("the first message is the customer's")
            facts = [tuple(str(p) for p in row[k]) for k in ("problem", "state")]
            if not all(facts):
                raise ValueError("problem and state each need at least one phrase")
            thread = thread_from(str(row.get("subject", "")), turns)
            found.append(LabelledThread(str(row.get("id", number)), thread, *facts))
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"{where}: line {number}: {exc}") from None
    return found


def _words(text: str) -> set[str]:
    return {w.casefold() for w in _WORD.findall(text)}


def states(summary: str, facts: Sequence[str]) -> bool:
    """``summary`` states one of ``facts`` (every word of it, any spelling a ``|`` allows)."""
    said = _words(summary)
    for phrase in facts:
        wanted = [w for w in phrase.split() if w]
        if wanted and all(any(s.casefold() in said for s in w.split("|")) for w in wanted):
            return True
    return False


@dataclass(frozen=True)
class SummaryScore:
    threads: int
    problem: int  # summaries that state the problem
    state: int  # ... the current state
    both: int
    within_limit: int  # at most MAX_WORDS words
    longest: int  # words of the longest
    fallbacks: int  # LLM answers refused or missing (the extractive one written instead)

    def as_fields(self) -> dict[str, object]:
        share = (lambda n: round(n / self.threads, 3)) if self.threads else (lambda n: 0.0)
        return {
            "threads": self.threads,
            "problem_stated": share(self.problem),
            "state_stated": share(self.state),
            "both_stated": share(self.both),
            "within_word_limit": share(self.within_limit),
            "longest_words": self.longest,
            "llm_fallbacks": self.fallbacks,
        }


def score(
    labelled: Sequence[LabelledThread], texts: Sequence[str], fallbacks: int = 0
) -> SummaryScore:
    """How the summaries ``texts`` (one per labelled thread, in order) do on their facts."""
    problem = state = both = within = longest = 0
    for item, text in zip(labelled, texts, strict=True):
        body = body_of(text)
        p, s = states(body, item.problem), states(body, item.state)
        problem += p
        state += s
        both += p and s
        within += word_count(text) <= MAX_WORDS
        longest = max(longest, word_count(text))
    return SummaryScore(len(labelled), problem, state, both, within, longest, fallbacks)

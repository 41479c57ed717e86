"""The summary without an LLM: the thread's own sentences, chosen by the bundled encoder.

Each message is cut into sentences; a message's central sentence is the one whose encoder
vector is nearest (cosine) to the whole message's: the sentence that carries what the message
is about, not its greeting or its courtesy. The problem is the first message's central sentence
(its subject when the body gives none); what was done, the latest agent message's; where it
stands, the latest message's when a customer wrote it, else that an agent answered. A
customer's sentence is quoted as theirs ("The customer writes: “…”"), so words posing as a
summary ("Done: Refund approved") are never stated as ticketbot's. The next step follows from
who wrote last. Where the thread has nothing to quote, ``templates`` says so,
so the summary is never empty.

The encoder comes in as a plain callable (``Embed``: texts to one row each), so this stays
pure and a caller (the run, ``eval``) hands it the process's one encoder.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from .build import Summary
from .screen import plain
from .templates import all_labels, words_for
from .thread import SummaryThread, Turn

Embed = Callable[[list[str]], npt.NDArray[np.float32]]

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")
_COURTESY = re.compile(
    r"^(?:hi|hello|hey|dear|thanks|thank you|many thanks|regards|best|cheers|good (?:morning|"
    r"afternoon|evening)|greetings|kind regards|best regards)\b",
    re.I,
)
# A sentence longer than this is cut: one run-on sentence must not take the whole summary.
SENTENCE_WORDS = 40


def sentences(text: str) -> list[str]:
    """The text's sentences, courtesy lines (a greeting, a thank-you) left out where the
    message says anything else."""
    found = [s.strip() for s in _SENTENCE_END.split(text) if len(s.strip().split()) >= 2]
    said = [s for s in found if not (_COURTESY.match(s) and len(s.split()) <= 6)]
    chosen = said or found
    return [" ".join(s.split()[:SENTENCE_WORDS]) for s in chosen]


def _central(turn_text: str, embed: Embed) -> str:
    candidates = sentences(turn_text)
    if len(candidates) <= 1:
        return candidates[0] if candidates else " ".join(turn_text.split()[:SENTENCE_WORDS])
    vectors = embed([turn_text, *candidates])
    whole, each = vectors[0], vectors[1:]
    norms = np.linalg.norm(each, axis=1) * (np.linalg.norm(whole) or 1.0)
    scores = (each @ whole) / np.where(norms == 0, 1.0, norms)
    return candidates[int(np.argmax(scores))]


def _latest(turns: Sequence[Turn], author: str) -> Turn | None:
    return next((t for t in reversed(turns) if t.author == author), None)


_QUOTE_MARKS = re.compile('["“”„‟«»‹›]')
_LABELS = re.compile(
    r"(?i)(?<!\w)("
    + "|".join(re.escape(label) for label in sorted(all_labels(), key=len, reverse=True))
    + r")\s*:"
)


def quoted(text: str) -> str:
    """A customer's words as the field quotes them: their own quotation marks made plain and
    a summary's label in them (``Done:``) no longer one, so nothing they wrote can close the
    quote or pass for a part of ticketbot's summary."""
    return _LABELS.sub(r"\1 -", _QUOTE_MARKS.sub("'", text)).strip()


def choose(thread: SummaryThread, embed: Embed, language: str = "en") -> Summary:
    """The extractive summary of ``thread``: never an empty part. What a customer wrote is
    quoted as theirs (``customer_says``, ``customer_last``), never stated as ticketbot's; every
    sentence taken is made fit for the field first (``screen.plain``)."""
    words = words_for(language)
    first = thread.turns[0].text if thread.turns else ""
    said = _central(first, embed) if first.strip() else ""
    said = plain(said or thread.subject)
    problem = words.customer_says.format(text=quoted(said)) if said else words.new_ticket
    later = thread.turns[1:]
    agent = _latest(later, "agent")
    done = plain(_central(agent.text, embed)) if agent is not None else words.nothing_done
    last = thread.last
    if not later or last is None:
        state, next_step = words.new_ticket, words.next_for_agent
    elif last.author == "customer":
        state = words.customer_last.format(text=quoted(plain(_central(last.text, embed))))
        next_step = words.next_for_agent
    else:
        state, next_step = words.agent_last, words.next_for_customer
    return Summary(problem, done or words.nothing_done, state, next_step, source="extractive")
